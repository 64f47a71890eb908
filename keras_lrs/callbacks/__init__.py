"""Callbacks: plateau reduction with any schedule, per-step rate logging,
stochastic weight averaging."""

# `ScaledSchedule` is the plateau's plumbing, kept importable from here
# (and registered as `keras_lrs>ScaledSchedule`, so saved models load) but
# not exported.
from keras_lrs._plumbing.scaled_schedule import ScaledSchedule  # noqa: F401
from keras_lrs.callbacks.monitor import LearningRateMonitor
from keras_lrs.callbacks.plateau import ReduceLROnPlateau
from keras_lrs.callbacks.swa import StochasticWeightAveraging
from keras_lrs.schedules.swa import SWASchedule

__all__ = [
    "LearningRateMonitor",
    "ReduceLROnPlateau",
    "SWASchedule",
    "StochasticWeightAveraging",
]
