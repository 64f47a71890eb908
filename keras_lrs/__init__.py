"""keras_lrs: learning-rate schedules and callbacks for Keras 3."""

from keras_lrs import callbacks, schedules
from keras_lrs.values import schedule_values

__version__ = "0.1.0"

__all__ = ["callbacks", "schedule_values", "schedules"]
