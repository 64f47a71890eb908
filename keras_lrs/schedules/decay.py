"""Smooth decays: exponential, inverse time, inverse square root, polynomial."""

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.lengths import check_length
from keras_lrs.schedules.checks import (
    check_bool,
    check_factor,
    check_non_negative,
    check_positive,
)
from keras_lrs.schedules.step_math import as_float, as_tensor, power, split_period


def _decay_progress(step, decay_steps, staircase):
    """`t / decay_steps`, floored when `staircase`."""
    if staircase:
        return as_float(split_period(step, decay_steps)[0])
    return as_float(step) / decay_steps


@register
class ExponentialDecay(Schedule):
    """Multiplies the rate by `decay_rate` every `decay_steps` steps, smoothly.

    Formula: `max(initial_learning_rate * decay_rate**p, min_learning_rate)`
    with `p = t / decay_steps` (floored when `staircase`). Right to float32
    rounding at any step up to 2**31 - 1, where Keras's `ExponentialDecay`
    (a float32 factor raised to the step) drifts: 1.3e-2 relative at step
    10**6 for `decay_rate=0.99999`.

    >>> schedule = keras_lrs.schedules.ExponentialDecay(1.0, 2, 0.25)
    >>> keras_lrs.schedule_values(schedule, 3)
    array([1.  , 0.5 , 0.25], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: the number of steps over which the rate is multiplied
            by `decay_rate`, an integer > 0, a fraction of the training in
            (0, 1), or None (the rest of it).
        decay_rate: the factor, in (0, 1].
        staircase: decay at whole multiples of `decay_steps` only.
        min_learning_rate: the rate never goes below this absolute value.
        name: optional name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        min_learning_rate=0.0,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_length("decay_steps", decay_steps)
        self.decay_rate = check_factor("decay_rate", decay_rate)
        self.staircase = check_bool("staircase", staircase)
        self.min_learning_rate = check_non_negative(
            "min_learning_rate", min_learning_rate
        )

    def formula(self, step):
        if self.staircase:
            decays, _ = split_period(step, self.decay_steps)
            decayed = power(self.decay_rate, decays)
        else:
            decayed = power(self.decay_rate, step, scale=1 / self.decay_steps)
        value = self.initial_learning_rate * decayed
        return ops.maximum(value, as_tensor(self.min_learning_rate))


@register
class InverseTimeDecay(Schedule):
    """Divides the rate by `1 + decay_rate * t / decay_steps`.

    Formula: `initial_learning_rate / (1 + decay_rate * p)` with
    `p = t / decay_steps` (floored when `staircase`). Keras's
    `InverseTimeDecay`.

    >>> schedule = keras_lrs.schedules.InverseTimeDecay(1.0, 1, 1.0)
    >>> keras_lrs.schedule_values(schedule, 3)
    array([1.        , 0.5       , 0.33333334], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: an integer > 0, a fraction of the training in
            (0, 1), or None (the rest of it).
        decay_rate: a float >= 0.
        staircase: decay at whole multiples of `decay_steps` only.
        name: optional name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_length("decay_steps", decay_steps)
        self.decay_rate = check_non_negative("decay_rate", decay_rate)
        self.staircase = check_bool("staircase", staircase)

    def formula(self, step):
        progress = _decay_progress(step, self.decay_steps, self.staircase)
        return self.initial_learning_rate / (1.0 + self.decay_rate * progress)


@register
class InverseSqrtDecay(Schedule):
    """Decays the rate as the inverse square root of the step.

    Formula: `initial_learning_rate * sqrt(timescale / (t + timescale))`.
    The Transformer's "rsqrt" decay (Vaswani et al., 2017), without its
    warmup: combine with `Warmup` for that.

    >>> schedule = keras_lrs.schedules.InverseSqrtDecay(1.0, timescale=1)
    >>> keras_lrs.schedule_values(schedule, 4)
    array([1.        , 0.70710677, 0.57735026, 0.5       ], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        timescale: the step scale of the decay, a float > 0.
        name: optional name of the schedule.
    """

    def __init__(self, initial_learning_rate, timescale=1, name=None):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.timescale = check_positive("timescale", timescale)

    def formula(self, step):
        ratio = self.timescale / (as_float(step) + self.timescale)
        return self.initial_learning_rate * ops.sqrt(ratio)


@register
class PolynomialDecay(Schedule):
    """Decays the rate to `end_learning_rate` along `(1 - p)**power`.

    Formula (Keras's `PolynomialDecay`):
    `end + (init - end) * (1 - p)**power`, `p = min(t, D) / D`; with
    `cycle=True`, `D` grows to the first multiple of `decay_steps` that is
    `>= t` instead of holding the end value.

    >>> schedule = keras_lrs.schedules.PolynomialDecay(1.0, 4, power=2.0)
    >>> keras_lrs.schedule_values(schedule, 5)
    array([1.    , 0.5625, 0.25  , 0.0625, 0.    ], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: an integer > 0, a fraction of the training in
            (0, 1), or None (the rest of it).
        end_learning_rate: the rate at the end, a float >= 0.
        power: the exponent, a float >= 0.
        cycle: restart the decay every `decay_steps` steps, over an ever
            longer span (see the formula).
        name: optional name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps=None,
        end_learning_rate=0.0,
        power=1.0,
        cycle=False,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_length("decay_steps", decay_steps)
        self.end_learning_rate = check_non_negative(
            "end_learning_rate", end_learning_rate
        )
        self.power = check_non_negative("power", power)
        self.cycle = check_bool("cycle", cycle)

    def formula(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            # The span is decay_steps * multiplier; 1 - p is taken as
            # (span - t) / span, exact in integers at any step.
            whole, offset = split_period(step, decay_steps)
            started = ops.logical_or(offset > 0, ops.equal(step, 0))
            multiplier = as_float(whole) + ops.cast(offset > 0, "float32")
            span = decay_steps * ops.maximum(multiplier, 1.0)
            remaining = ops.where(started, decay_steps - offset, 0.0)
        else:
            span = decay_steps
            remaining = decay_steps - ops.minimum(as_float(step), decay_steps)
        decayed = ops.power(remaining / span, self.power)
        return (
            self.end_learning_rate
            + (self.initial_learning_rate - self.end_learning_rate) * decayed
        )
