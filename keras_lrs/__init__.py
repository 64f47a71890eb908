"""keras_lrs: learning-rate schedules and callbacks for Keras 3."""

# First: under Keras 2 or an older Keras 3, a clear ImportError.
from keras_lrs import compat  # noqa: F401  isort: skip
from keras_lrs import callbacks, optimizers, schedules
from keras_lrs.callbacks.swa_batch_norm import update_batch_norm
from keras_lrs.finder import LRFinderResult, find_learning_rate
from keras_lrs.plotting import plot_schedule
from keras_lrs.saving import load_model
from keras_lrs.values import schedule_values

__version__ = "0.1.0"

__all__ = [
    "LRFinderResult",
    "callbacks",
    "find_learning_rate",
    "load_model",
    "optimizers",
    "plot_schedule",
    "schedule_values",
    "schedules",
    "update_batch_norm",
]
