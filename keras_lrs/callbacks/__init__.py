"""Callbacks: plateau reduction with any schedule, per-step rate logging,
stochastic weight averaging."""

from keras_lrs.callbacks.monitor import LearningRateMonitor
from keras_lrs.callbacks.plateau import ReduceLROnPlateau
# Plumbing, not public API: importable here for the code that wraps rates.
from keras_lrs.callbacks.scaled_schedule import ScaledSchedule  # noqa: F401
from keras_lrs.callbacks.swa import StochasticWeightAveraging
from keras_lrs.schedules.swa import SWASchedule

__all__ = [
    "LearningRateMonitor",
    "ReduceLROnPlateau",
    "SWASchedule",
    "StochasticWeightAveraging",
]
