"""A constant learning rate."""

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import check_non_negative
from keras_lrs.schedules.step_math import evaluate


@register
class Constant(Schedule):
    """The same learning rate at every step.

    Formula: `learning_rate`.

    Useful as a piece of `Sequential` or as the target of a `Warmup`.

    >>> import keras_lrs
    >>> keras_lrs.schedule_values(keras_lrs.schedules.Constant(0.1), 3)
    array([0.1, 0.1, 0.1], dtype=float32)

    Args:
        learning_rate: the rate, a float >= 0.
        name: optional name of the schedule.
    """

    def __init__(self, learning_rate, name=None):
        super().__init__(name=name)
        self.learning_rate = check_non_negative("learning_rate", learning_rate)

    def formula(self, step):
        return evaluate(self.learning_rate, step)
