"""keras_lrs: learning-rate schedules and callbacks for Keras 3."""

from keras_lrs import callbacks, optimizers, schedules
from keras_lrs.finder import LRFinderResult, find_learning_rate
from keras_lrs.plotting import plot_schedule
from keras_lrs.values import schedule_values

__version__ = "0.1.0"

__all__ = [
    "LRFinderResult",
    "callbacks",
    "find_learning_rate",
    "optimizers",
    "plot_schedule",
    "schedule_values",
    "schedules",
]
