"""Staircase schedules: decay by a factor every few steps, or at milestones."""

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import (
    check_factor,
    check_increasing_steps,
    check_list,
    check_non_negative,
    check_steps,
)
from keras_lrs.schedules.step_math import (
    as_tensor,
    count_reached,
    gather,
    power,
    split_period,
)


@register
class StepDecay(Schedule):
    """Multiplies the rate by `gamma` every `step_size` steps.

    Formula: `max(initial_learning_rate * gamma**floor(t / step_size),
    min_learning_rate)`. PyTorch's `StepLR`, with a floor.

    >>> schedule = keras_lrs.schedules.StepDecay(0.1, step_size=2, gamma=0.5)
    >>> keras_lrs.schedule_values(schedule, 5)
    array([0.1  , 0.1  , 0.05 , 0.05 , 0.025], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        step_size: the number of steps between two decays, an integer > 0.
        gamma: the factor applied at each decay, in (0, 1].
        min_learning_rate: the rate never goes below this absolute value.
        name: optional name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        step_size,
        gamma=0.1,
        min_learning_rate=0.0,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.step_size = check_steps("step_size", step_size)
        self.gamma = check_factor("gamma", gamma)
        self.min_learning_rate = check_non_negative(
            "min_learning_rate", min_learning_rate
        )

    def formula(self, step):
        decays, _ = split_period(step, self.step_size)
        value = self.initial_learning_rate * power(self.gamma, decays)
        return ops.maximum(value, as_tensor(self.min_learning_rate))


@register
class MultiStepDecay(Schedule):
    """Multiplies the rate by `gamma` at each milestone.

    Formula: `initial_learning_rate * gamma**k`, `k` the number of milestones
    `<= t`. PyTorch's `MultiStepLR`.

    >>> schedule = keras_lrs.schedules.MultiStepDecay(1.0, [1, 3], gamma=0.1)
    >>> np.round(keras_lrs.schedule_values(schedule, 4), 6)
    array([1.  , 0.1 , 0.1 , 0.01], dtype=float32)

    (Unrounded, a value may be one float32 step away: `gamma**k` is
    computed as an exponential, exact to float32 rounding at any `k`.)

    Args:
        initial_learning_rate: the rate before the first milestone, >= 0.
        milestones: strictly increasing steps (integers >= 0); the decay
            applies from the milestone on.
        gamma: the factor applied at each milestone, in (0, 1].
        name: optional name of the schedule.
    """

    def __init__(self, initial_learning_rate, milestones, gamma=0.1, name=None):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.milestones = check_increasing_steps("milestones", milestones)
        self.gamma = check_factor("gamma", gamma)

    def formula(self, step):
        decays = count_reached(step, self.milestones)
        return self.initial_learning_rate * power(self.gamma, decays)


@register
class PiecewiseConstant(Schedule):
    """A constant rate between boundaries.

    Formula: `values[k]`, `k` the number of boundaries `<= t`. Like Keras's
    `PiecewiseConstantDecay`, except that the new value applies *at* the
    boundary (Keras switches one step later).

    >>> schedule = keras_lrs.schedules.PiecewiseConstant([2], [0.1, 0.01])
    >>> keras_lrs.schedule_values(schedule, 4)
    array([0.1 , 0.1 , 0.01, 0.01], dtype=float32)

    Args:
        boundaries: strictly increasing steps (integers >= 0).
        values: the rates, floats >= 0, one more than `boundaries`.
        name: optional name of the schedule.
    """

    def __init__(self, boundaries, values, name=None):
        super().__init__(name=name)
        self.boundaries = check_increasing_steps("boundaries", boundaries)
        self.values = [
            check_non_negative("values", value)
            for value in check_list("values", values, "learning rates")
        ]
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(
                "Argument `values` must have one element more than "
                f"`boundaries` ({len(self.boundaries)} boundaries). "
                f"Received: values={values!r}"
            )

    def formula(self, step):
        return gather(self.values, count_reached(step, self.boundaries))
