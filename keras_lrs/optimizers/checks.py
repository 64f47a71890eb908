"""The argument checks of `keras_lrs.optimizers`."""

import re

import numpy as np

from keras_lrs.schedules.checks import MAX_STEP
from keras_lrs.schedules.step_math import LearningRateSchedule
from keras_lrs.values import schedule_values

# Where a momentum or beta_1 schedule is checked to stay in [0, 1]: every
# step up to 2**16, then 4096 log-spaced steps up to the largest step.
_CHECKED_STEPS = np.unique(
    np.concatenate(
        [
            np.arange(2**16),
            np.geomspace(2**16, MAX_STEP, 4096).astype(np.int64),
        ]
    )
)


def reject_schedules(class_name, arguments, schedulable):
    for name, value in arguments.items():
        if name in schedulable or name == "learning_rate":
            continue
        if isinstance(value, LearningRateSchedule):
            allowed = ", ".join(f"`{n}`" for n in ("learning_rate", *schedulable))
            raise ValueError(
                f"Argument `{name}` must be a float: {class_name} takes a "
                f"schedule only for {allowed}. Received: {name}={value!r}"
            )


def check_schedule(name, schedule):
    """A momentum or beta_1 schedule stays in [0, 1], a weight decay >= 0.

    Checked on every step up to 2**16 and on 4096 log-spaced steps up to
    2**31 - 1 (one vectorized evaluation): a schedule is a function of the
    step that this library cannot bound otherwise.
    """
    values = schedule_values(schedule, _CHECKED_STEPS)
    if name.endswith("weight_decay"):
        bad = ~(values >= 0)
        bounds = ">= 0"
    else:
        bad = ~((values >= 0) & (values <= 1))
        bounds = "in [0, 1]"
    if bad.any():
        step = int(_CHECKED_STEPS[np.argmax(bad)])
        raise ValueError(
            f"Argument `{name}` must be a schedule with values {bounds}; its "
            f"value at step {step} is {float(values[np.argmax(bad)])!r}. "
            f"Received: {name}={schedule!r}"
        )
    return schedule


def check_multipliers(multipliers):
    """`learning_rate_multipliers`: {compiled expression: float or schedule}.

    A multiplier is a finite float >= 0, or a schedule whose values (on the
    steps `check_schedule` uses) are.
    """
    if multipliers is None:
        return {}
    if not isinstance(multipliers, dict):
        raise ValueError(
            "Argument `learning_rate_multipliers` must be a dict from a "
            "regular expression to a float or a schedule. Received: "
            f"learning_rate_multipliers={multipliers!r}"
        )
    checked = {}
    for pattern, multiplier in multipliers.items():
        checked[_compiled(pattern)] = _multiplier(pattern, multiplier)
    return checked


def _compiled(pattern):
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as error:
        raise ValueError(
            "Argument `learning_rate_multipliers` must have regular "
            f"expressions as keys; {pattern!r} is not one ({error}). "
            f"Received: learning_rate_multipliers[{pattern!r}]"
        ) from None


def _multiplier(pattern, multiplier):
    if isinstance(multiplier, LearningRateSchedule):
        values = schedule_values(multiplier, _CHECKED_STEPS)
        bad = ~(np.isfinite(values) & (values >= 0))
        if bad.any():
            step = int(_CHECKED_STEPS[np.argmax(bad)])
            raise ValueError(
                "Argument `learning_rate_multipliers` must have schedules "
                f"with finite values >= 0; the one of {pattern!r} is "
                f"{float(values[np.argmax(bad)])!r} at step {step}. Received: "
                f"learning_rate_multipliers[{pattern!r}]={multiplier!r}"
            )
        return multiplier
    if (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, (int, float, np.floating, np.integer))
        or not np.isfinite(multiplier)
        or multiplier < 0
    ):
        raise ValueError(
            "Argument `learning_rate_multipliers` must have values that are "
            f"finite floats >= 0 or schedules. Received: "
            f"learning_rate_multipliers[{pattern!r}]={multiplier!r}"
        )
    return float(multiplier)
