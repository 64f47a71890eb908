"""Callbacks: plateau reduction with any schedule, per-step rate logging."""

from keras_lrs.callbacks.monitor import LearningRateMonitor
from keras_lrs.callbacks.plateau import ReduceLROnPlateau
from keras_lrs.callbacks.scaling import ScaledSchedule

__all__ = ["LearningRateMonitor", "ReduceLROnPlateau", "ScaledSchedule"]
