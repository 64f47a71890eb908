"""Callbacks: plateau reduction with any schedule, per-step rate logging,
stochastic weight averaging."""

from keras_lrs.callbacks.monitor import LearningRateMonitor
from keras_lrs.callbacks.plateau import ReduceLROnPlateau
from keras_lrs.callbacks.scaled_schedule import ScaledSchedule
from keras_lrs.callbacks.swa import StochasticWeightAveraging
from keras_lrs.schedules.swa import SWASchedule

__all__ = [
    "LearningRateMonitor",
    "ReduceLROnPlateau",
    "SWASchedule",
    "ScaledSchedule",
    "StochasticWeightAveraging",
]
