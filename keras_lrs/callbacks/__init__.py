"""Callbacks: plateau reduction with any schedule, per-step rate logging."""

from keras_lrs.callbacks.monitor import LearningRateMonitor
from keras_lrs.callbacks.plateau import ReduceLROnPlateau
from keras_lrs.callbacks.scaled_schedule import ScaledSchedule

__all__ = ["LearningRateMonitor", "ReduceLROnPlateau", "ScaledSchedule"]
