"""Argument checks, in Keras's wording.

Each returns the value, converted (a Python float or int, a list), or
raises ``ValueError: Argument `name` must be ... Received: name=value``.
"""

import collections.abc
import math
import numbers

import numpy as np

from keras_lrs.schedules.step_math import LearningRateSchedule

# Periodic schedules are exact up to this step (the largest int32 step).
MAX_STEP = 2**31 - 1

# Schedules compute in float32: a larger number would be inf there, and a
# positive one below the smallest normal float32 may be flushed to 0.
FLOAT32_MAX = float(np.finfo("float32").max)
FLOAT32_TINY = float(np.finfo("float32").tiny)


def _received(name, value):
    return f"Received: {name}={value!r}"


def check_number(name, value):
    """A real number (not a bool) finite in float32, as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, numbers.Real
    ):
        raise ValueError(
            f"Argument `{name}` must be a number. {_received(name, value)}"
        )
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(
            f"Argument `{name}` must be finite. {_received(name, value)}"
        )
    if abs(number) > FLOAT32_MAX:
        raise ValueError(
            f"Argument `{name}` must be finite in float32 (at most "
            f"{FLOAT32_MAX:.8g} in magnitude). {_received(name, value)}"
        )
    return number


def check_in(name, value, interval):
    """A number in `interval`, written as in the message: "(0, 1]", "[0, 1)",
    "> 1", ">= 0" (a bracket is closed, a parenthesis open)."""
    number = check_number(name, value)
    if interval.startswith((">", "<")):
        operator, bound = interval.split()
        inside = {">": number > float(bound), ">=": number >= float(bound),
                  "<": number < float(bound), "<=": number <= float(bound)}[operator]
    else:
        low, high = (float(part) for part in interval[1:-1].split(","))
        inside = (low < number or (interval[0] == "[" and low == number)) and (
            number < high or (interval[-1] == "]" and number == high)
        )
    if not inside:
        where = interval if interval[0] in "<>" else f"in {interval}"
        raise ValueError(
            f"Argument `{name}` must be {where}. {_received(name, value)}"
        )
    return number


def check_non_negative(name, value):
    """A finite number >= 0, such as a learning rate."""
    return check_in(name, value, ">= 0")


def check_positive(name, value):
    """A number > 0 that stays > 0 in float32."""
    value = check_in(name, value, "> 0")
    if value < FLOAT32_TINY:
        raise ValueError(
            f"Argument `{name}` must be >= {FLOAT32_TINY:.8g}, the smallest "
            f"normal float32. {_received(name, value)}"
        )
    return value


def check_factor(name, value):
    """A decay factor in (0, 1]: one that cannot make a rate grow."""
    return check_in(name, value, "(0, 1]")


def check_steps(name, value, minimum=1):
    """A whole number of steps in [`minimum`, MAX_STEP], as a Python int."""
    number = check_number(name, value)
    if not number.is_integer():
        raise ValueError(
            f"Argument `{name}` must be an integer. {_received(name, value)}"
        )
    if number < minimum:
        bound = "> 0" if minimum == 1 else f">= {minimum}"
        raise ValueError(
            f"Argument `{name}` must be {bound}. {_received(name, value)}"
        )
    if number > MAX_STEP:
        raise ValueError(
            f"Argument `{name}` must be <= 2**31 - 1 = {MAX_STEP}, the "
            f"largest step. {_received(name, value)}"
        )
    return int(number)


def check_steps_total(total, meaning, **arguments):
    """Checks that `total`, a step made of `arguments`, is at most MAX_STEP.

    `arguments` are the received values, named, for the message.
    """
    if total > MAX_STEP:
        names = " and ".join(f"`{name}`" for name in arguments)
        received = ", ".join(
            f"{name}={value!r}" for name, value in arguments.items()
        )
        raise ValueError(
            f"Arguments {names} must add up to at most 2**31 - 1 = {MAX_STEP} "
            f"({meaning}). Received: {received}"
        )


def check_list(name, values, items):
    """A list, tuple, range or 1-D array (ordered, unlike a set), as a list."""
    if (
        isinstance(values, collections.abc.Sequence)
        and not isinstance(values, (str, bytes))
    ) or (isinstance(values, np.ndarray) and values.ndim == 1):
        return list(values)
    raise ValueError(
        f"Argument `{name}` must be a list of {items}. "
        f"{_received(name, values)}"
    )


def check_increasing_steps(name, values, minimum=0):
    """A list of strictly increasing whole steps in [`minimum`, MAX_STEP]."""
    values = check_list(name, values, "integers")
    try:
        steps = [check_steps(name, value, minimum) for value in values]
    except ValueError:
        raise ValueError(
            f"Argument `{name}` must be a list of integers in [{minimum}, "
            f"2**31 - 1]. {_received(name, values)}"
        ) from None
    if any(later <= earlier for earlier, later in zip(steps, steps[1:])):
        raise ValueError(
            f"Argument `{name}` must be strictly increasing. "
            f"{_received(name, values)}"
        )
    return steps


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Argument `{name}` must be one of {sorted(choices)}. "
            f"{_received(name, value)}"
        )
    return value


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(
            f"Argument `{name}` must be a bool. {_received(name, value)}"
        )
    return bool(value)


def check_schedule(name, value):
    """A nested schedule: any `LearningRateSchedule`, or a constant rate."""
    if isinstance(value, LearningRateSchedule):
        return value
    try:
        return check_non_negative(name, value)
    except ValueError:
        raise ValueError(
            f"Argument `{name}` must be a LearningRateSchedule or a "
            f"learning rate >= 0. {_received(name, value)}"
        ) from None


def check_momenta(base_momentum, max_momentum):
    """`(base, max)` momenta of a cycle: both in [0, 1], max >= base."""
    base = check_in("base_momentum", base_momentum, "[0, 1]")
    top = check_in("max_momentum", max_momentum, "[0, 1]")
    if top < base:
        raise ValueError(
            f"Argument `max_momentum` must be >= base_momentum ({base}). "
            f"Received: max_momentum={max_momentum!r}"
        )
    return base, top
