"""Combinators: warm up any schedule, chain schedules, count in epochs."""

import math

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import (
    check_bool,
    check_choice,
    check_increasing_steps,
    check_list,
    check_non_negative,
    check_schedule,
    check_steps,
)
from keras_lrs.schedules.introspection import warmup_steps
from keras_lrs.schedules.step_math import anneal, as_float, evaluate, split_period


def join(step, pieces, boundaries):
    """Chains functions of a local step: `pieces[i](t - boundaries[i-1])`.

    Piece `i` applies from `boundaries[i-1]` on (piece 0 before the first
    boundary); each piece counts its steps from where it starts.
    """
    value = pieces[0](step)
    for piece, boundary in zip(pieces[1:], boundaries):
        local_step = ops.maximum(step - boundary, 0)
        value = ops.where(step >= boundary, piece(local_step), value)
    return value


def ramp(step, steps, start, end, shape="linear"):
    """From `start` at step 0 to `end` at `steps`, along `shape`."""
    return anneal(shape, start, end, as_float(step) / steps)


@register
class Warmup(Schedule):
    """Ramps up to a schedule's first value, then follows the schedule.

    For `t < W`: from `initial_learning_rate` to `target = schedule(0)`,
    along `shape`: "linear", "cosine" (`(1 - cos(pi t / W)) / 2` of the way)
    or "exponential" (geometric, needs `initial_learning_rate > 0`). For
    `t >= W`: `schedule(t - W)`, so the wrapped schedule starts its own
    count when the warmup ends.

    >>> schedule = keras_lrs.schedules.Warmup(
    ...     keras_lrs.schedules.CosineDecay(1.0, 2), warmup_steps=2)
    >>> keras_lrs.schedule_values(schedule, 5).round(3)
    array([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)

    Args:
        schedule: any `LearningRateSchedule` (Keras's own included) or a
            constant rate.
        warmup_steps: `W`, an integer > 0.
        initial_learning_rate: the rate at step 0, a float >= 0.
        shape: "linear", "cosine" or "exponential".
        name: optional name of the schedule.

    Reference: Goyal et al., "Accurate, Large Minibatch SGD: Training
    ImageNet in 1 Hour" (2017).
    """

    def __init__(
        self,
        schedule,
        warmup_steps,
        initial_learning_rate=0.0,
        shape="linear",
        name=None,
    ):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.warmup_steps = check_steps("warmup_steps", warmup_steps)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.shape = check_choice(
            "shape", shape, {"linear", "cosine", "exponential"}
        )
        if self.shape == "exponential" and self.initial_learning_rate == 0:
            raise ValueError(
                "Argument `initial_learning_rate` must be > 0 for an "
                "exponential warmup (a geometric ramp cannot start at 0). "
                f"Received: initial_learning_rate={initial_learning_rate!r}"
            )

    def formula(self, step):
        # One evaluation of the schedule serves both phases: before the
        # warmup ends, it is taken at step max(t - W, 0) = 0, which is the
        # ramp's target.
        followed = evaluate(
            self.schedule, ops.maximum(step - self.warmup_steps, 0)
        )
        warming = ramp(
            step,
            self.warmup_steps,
            self.initial_learning_rate,
            followed,
            self.shape,
        )
        return ops.where(step < self.warmup_steps, warming, followed)


@register
class Sequential(Schedule):
    """Runs schedules one after the other.

    Between `boundaries[i-1]` and `boundaries[i]` the value is
    `schedules[i](t - boundaries[i-1])`: each schedule counts its own steps
    from where it starts. optax's `join_schedules`.

    >>> schedule = keras_lrs.schedules.Sequential(
    ...     [0.1, keras_lrs.schedules.CosineDecay(0.1, 2)], boundaries=[2])
    >>> keras_lrs.schedule_values(schedule, 5)
    array([0.1 , 0.1 , 0.1 , 0.05, 0.  ], dtype=float32)

    Args:
        schedules: a list of `LearningRateSchedule`s or constant rates.
        boundaries: strictly increasing steps (integers > 0), one fewer
            than `schedules`.
        name: optional name of the schedule.
    """

    def __init__(self, schedules, boundaries, name=None):
        super().__init__(name=name)
        self.schedules = [
            check_schedule("schedules", schedule)
            for schedule in check_list("schedules", schedules, "schedules")
        ]
        self.boundaries = check_increasing_steps("boundaries", boundaries, 1)
        if len(self.schedules) != len(self.boundaries) + 1:
            raise ValueError(
                "Argument `schedules` must have one element more than "
                f"`boundaries` ({len(self.boundaries)} boundaries). "
                f"Received: schedules={schedules!r}"
            )

    def formula(self, step):
        pieces = [
            lambda local, schedule=schedule: evaluate(schedule, local)
            for schedule in self.schedules
        ]
        return join(step, pieces, self.boundaries)

    @property
    def warmup_steps(self):
        """The first schedule's warmup, up to where it ends."""
        return min([warmup_steps(self.schedules[0]), *self.boundaries[:1]])


@register
class FromEpochs(Schedule):
    """Lets a schedule written in epochs drive a per-step optimizer.

    Value: `schedule(t / steps_per_epoch)`, the epoch floored when
    `staircase` (the rate then changes only at epoch boundaries, as with a
    per-epoch callback); otherwise it moves every step.

    >>> schedule = keras_lrs.schedules.FromEpochs(
    ...     keras_lrs.schedules.StepDecay(1.0, 1, 0.5), steps_per_epoch=2)
    >>> keras_lrs.schedule_values(schedule, 5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25], dtype=float32)

    Args:
        schedule: a `LearningRateSchedule` counting epochs, or a constant.
        steps_per_epoch: an integer > 0.
        staircase: pass whole epochs only.
        name: optional name of the schedule.
    """

    def __init__(self, schedule, steps_per_epoch, staircase=False, name=None):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.steps_per_epoch = check_steps("steps_per_epoch", steps_per_epoch)
        self.staircase = check_bool("staircase", staircase)

    def formula(self, step):
        if self.staircase:
            epoch, _ = split_period(step, self.steps_per_epoch)
        else:
            epoch = as_float(step) / self.steps_per_epoch
        return evaluate(self.schedule, epoch)

    @property
    def warmup_steps(self):
        """The schedule's warmup, in steps: the first step whose epoch (a
        whole one with `staircase`) has left it."""
        epochs = warmup_steps(self.schedule)
        if self.staircase:
            epochs = math.ceil(epochs)
        return math.ceil(epochs * self.steps_per_epoch)
