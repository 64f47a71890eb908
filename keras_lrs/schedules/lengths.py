"""Lengths left to `fit`: `None` (the rest of training) and fractions of it.

A `*_steps` argument may be given as a float in (0, 1), a fraction of the
whole training, and `total_steps`, `decay_steps` and `stable_steps` as
None, the rest of it. Such a schedule is resolved (`Schedule.resolve`)
into an equal one with integer lengths once the training's length is
known: by `fit` when it starts, by `schedule_values` and the plots for a
preview. A fraction is rounded to the nearest whole step (at least 1);
"the rest" is what the schedule's own other lengths, and its combinator's
(`Warmup`, `Sequential`), leave of the whole, so the pieces add up exactly.

The whole is counted in the steps Keras calls a schedule with: batches,
even under `gradient_accumulation_steps=A` (Keras's optimizer docstring:
schedules "look at 'real' iterations value"), where update `k` applies the
schedule at batch `k*A + A - 1`. `fit` resolves to `epochs *
steps_per_epoch` batches so that the schedule ends at the last update;
the number of updates (batches / A) would end it at the first 1/A.

A wrapper resolves the schedule it wraps (`Schedule._resolved_arguments`
forwards `whole` and `rest` to its nested schedules, in its own steps);
callers ask `keras_lrs.schedules.introspection` (`lengths_left`,
`resolve_lengths`), as they ask it of warmups.
"""

import math
import numbers

import numpy as np

from keras_lrs.schedules.checks import check_steps
from keras_lrs.schedules.introspection import lengths_left

# The lengths that may be None: the one a schedule ends with.
REST_OF_TRAINING = ("total_steps", "decay_steps", "stable_steps")


def check_length(name, value, minimum=1):
    """A `*_steps` argument: a whole number of steps (checked as
    `check_steps`), a fraction of the training in (0, 1) kept as a float,
    or None (the rest of training) where `name` allows it."""
    if value is None and name in REST_OF_TRAINING:
        return None
    fraction = (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_, numbers.Integral))
        and 0 < float(value) < 1
    )
    if fraction:
        return float(value)
    try:
        return check_steps(name, value, minimum)
    except ValueError as error:
        if isinstance(value, (bool, np.bool_, numbers.Integral)) or not isinstance(
            value, numbers.Real
        ) or math.isinf(value) or float(value).is_integer():
            raise  # Keras's wording: "must be > 0", "must be <= 2**31 - 1"
        bound = "> 0" if minimum == 1 else f">= {minimum}"
        kinds = [f"an integer {bound} (steps)", "a fraction of the training in (0, 1)"]
        if name in REST_OF_TRAINING:
            kinds.append("None (the rest of training)")
        raise ValueError(
            f"Argument `{name}` must be {', '.join(kinds[:-1])} or {kinds[-1]}. "
            f"Received: {name}={value!r}"
        ) from error


def is_left(value):
    """Whether a length is left to the training: None or a fraction."""
    return value is None or isinstance(value, float)


def resolved(value, whole, rest):
    """`value` (a schedule, a constant or a list of them) with its lengths
    resolved: fractions of `whole` steps, None as `rest` steps."""
    if isinstance(value, (list, tuple)):
        return [resolved(item, whole, rest) for item in value]
    if not lengths_left(value):
        return value
    return value._resolve(whole, rest)


def resolve_length(schedule, name, value, whole, rest, minimum=1):
    """One length as an integer: a fraction of `whole` (at least 1 step),
    None as `rest`; raises where the rest is under `minimum` (the other
    lengths take more than the whole)."""
    if not is_left(value):
        return value
    if value is not None:
        return max(1, math.floor(value * whole + 0.5))
    steps = math.floor(rest + 0.5)
    if steps < minimum:
        raise ValueError(
            f"{type(schedule).__name__}'s `{name}=None` (the rest of training) "
            f"is left {steps} steps of a {round(whole)}-step training: the "
            "other lengths add up to more than the whole. Pass smaller "
            "fractions or lengths, or train for longer."
        )
    return steps


def unresolved_error(schedule):
    """The error of a schedule called with lengths left to the training."""
    left = ", ".join(f"{k}={v!r}" for k, v in schedule.own_lengths_left().items())
    return ValueError(
        f"{type(schedule).__name__} has lengths left to the training ({left}) "
        "and was called before they were resolved. `model.fit` resolves "
        "them when it starts, from its epochs and steps per epoch; "
        "`schedule.resolve(total_steps)` resolves them by hand, and "
        "`keras_lrs.schedule_values(schedule, n)` previews an n-step training."
    )
