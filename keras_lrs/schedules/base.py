"""The thin base class of every keras_lrs schedule, and its shared helpers.

A schedule is its formula plus its argument checks: `Schedule` casts the step,
builds `get_config` from the constructor's arguments and (de)serializes nested
schedules, so subclasses write `__init__` (checks, then one attribute per
argument, under the argument's own name) and `formula(step)`.
"""

import collections.abc
import inspect
import math
import numbers

import keras
import numpy as np
from keras import ops

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule

# Periodic schedules are exact up to this step (the largest int32 step).
MAX_STEP = 2**31 - 1

# Schedules compute in float32: a larger number would be inf there, and a
# positive one below the smallest normal float32 may be flushed to 0.
FLOAT32_MAX = float(np.finfo("float32").max)
FLOAT32_TINY = float(np.finfo("float32").tiny)


def register(cls):
    """Registers a schedule class for saving under the package `keras_lrs`."""
    return keras.saving.register_keras_serializable(package="keras_lrs")(cls)


class _ScheduleType(type):
    """Completes a schedule once its whole constructor has run."""

    def __call__(cls, *args, **kwargs):
        schedule = super().__call__(*args, **kwargs)
        schedule._in_one_piece = _in_one_piece(schedule)
        return schedule


class Schedule(LearningRateSchedule, metaclass=_ScheduleType):
    """Base class: a pure function of the optimizer step, written in `keras.ops`.

    Subclasses implement `formula(step)`. `step` arrives as a tensor, either an
    integer tensor (the optimizer's `iterations`, kept integral so periodic
    phases stay exact at large steps) or a float32 tensor (a fractional step,
    e.g. epochs from `FromEpochs`). It may have any shape: formulas are
    elementwise, which is what lets `schedule_values` evaluate a whole curve at
    once.
    """

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(
                f"Argument `name` must be a string. Received: name={name!r}"
            )
        self.name = name

    def __call__(self, step):
        step = ops.convert_to_tensor(step)
        if self._in_one_piece is not None:
            return self._in_one_piece(step)
        return self._value(step)

    def _value(self, step):
        if not is_integer(step):
            step = ops.cast(step, "float32")
        return ops.cast(self.formula(step), "float32")

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_in_one_piece", None)  # a function made for this very object
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._in_one_piece = _in_one_piece(self)

    def formula(self, step):
        raise NotImplementedError(
            f"Schedule '{type(self).__name__}' must implement `formula(step)`."
        )

    def _arguments(self):
        """The constructor's arguments, each read from its own attribute."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def get_config(self):
        return {
            name: _serialize(value)
            for name, value in self._arguments().items()
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{key: _deserialize(value) for key, value in config.items()})

    def __repr__(self):
        arguments = ", ".join(
            f"{name}={value!r}"
            for name, value in self._arguments().items()
            if name != "name" or value is not None
        )
        return f"{type(self).__name__}({arguments})"


# Modules whose schedules are functions of the step alone, reading no variable.
_STEP_ONLY_MODULES = (
    __name__.rpartition(".")[0] + ".",  # keras_lrs.schedules.*
    LearningRateSchedule.__module__,  # Keras's own schedules
)


def _in_one_piece(schedule):
    """On torch, the schedule's value as one function that torch.compile
    puts in its graph without tracing it; None elsewhere, or where a part of
    the schedule may read a variable.

    torch.compile (Dynamo) checks, before every call of a compiled train
    step, everything that its trace looked at: for a schedule's formula,
    each `keras.ops` function it went through and each number it read, a
    check that costs a small model's step more than the formula's
    arithmetic (`benchmarks/overhead.py`). A function marked with
    `torch.compiler.allow_in_graph` is taken whole instead, and still traced
    into the graph (and fused with the update) by the compiler behind
    Dynamo. That trace takes the tensors a function reads only as its
    arguments: a variable read inside would fail, so schedules that may
    read one (a user's class, `ScaledSchedule`) are traced as usual.
    """
    if keras.backend.backend() != "torch" or not _depends_on_step_only(schedule):
        return None
    import torch

    def value(step):
        return schedule._value(step)

    # Dynamo tells functions apart by their code object, which every closure
    # of this `def` shares: one of its own, so that a compiled step never
    # runs the graph of another schedule of the same class.
    value.__code__ = value.__code__.replace()
    return torch.compiler.allow_in_graph(value)


def _depends_on_step_only(value):
    if isinstance(value, (list, tuple)):
        return all(map(_depends_on_step_only, value))
    if not isinstance(value, LearningRateSchedule):
        return True  # a constant
    if not type(value).__module__.startswith(_STEP_ONLY_MODULES):
        return False
    if isinstance(value, Schedule):
        return all(map(_depends_on_step_only, value._arguments().values()))
    return True


def _serialize(value):
    if isinstance(value, LearningRateSchedule):
        return keras.optimizers.schedules.serialize(value)
    if isinstance(value, (list, tuple)):
        return [_serialize(item) for item in value]
    return value


def _deserialize(value):
    if isinstance(value, dict) and "class_name" in value:
        return keras.optimizers.schedules.deserialize(value)
    if isinstance(value, list):
        return [_deserialize(item) for item in value]
    return value


# --- Step arithmetic shared by the formulas -------------------------------


def is_integer(tensor):
    return "int" in keras.backend.standardize_dtype(tensor.dtype)


def as_float(step):
    return ops.cast(step, "float32")


def argument(value, dtype="float32"):
    """A schedule's argument (a Python number) as a tensor, for Keras ops.

    torch.compile turns a number that differs between two compiled schedules
    (say, two models' `min_learning_rate`) into a symbolic one, and Keras's
    torch ops such as `maximum` cannot trace a symbolic number, only a
    tensor: each would be a graph break in every train step.
    """
    return ops.convert_to_tensor(value, dtype)


def evaluate(schedule, step):
    """Value of a nested schedule (or a constant float) at `step`, as float32."""
    if isinstance(schedule, LearningRateSchedule):
        return ops.cast(schedule(step), "float32")
    return ops.zeros_like(as_float(step)) + schedule


# Up to this many boundaries, JAX compares a step with each one in turn.
UNROLLED_BOUNDARIES = 64


def count_reached(step, boundaries):
    """Number of `boundaries` that are <= `step` (boundaries sorted).

    For an integer step a real boundary `b` is reached at `ceil(b)`, and the
    comparison is done in integers, so it is exact at any step.

    In a function that JAX compiles (its train step), XLA fuses comparisons
    with numbers into the weight updates but runs a sum over a tensor of
    boundaries as kernels of its own: on a CPU, three more per step for the
    48 cycles of `CosineRestarts(t_mul=1.5)`, +5% on a small model's step.
    There, up to `UNROLLED_BOUNDARIES` boundaries are compared one by one.
    Op by op (eagerly, or in TensorFlow's and PyTorch's default train step
    on a CPU), one comparison with a tensor of boundaries costs less.
    """
    if not len(boundaries):
        return ops.zeros_like(step, dtype="int32")
    if is_integer(step):
        boundaries = [math.ceil(b) for b in boundaries]
    else:
        boundaries = [float(b) for b in boundaries]
    dtype = keras.backend.standardize_dtype(step.dtype)
    if _traced_by_jax(step) and len(boundaries) <= UNROLLED_BOUNDARIES:
        count = ops.zeros_like(step, dtype="int32")
        for boundary in boundaries:
            reached = ops.greater_equal(step, np.asarray(boundary, dtype))
            count = count + ops.cast(reached, "int32")
        return count
    reached = ops.greater_equal(
        ops.expand_dims(step, -1), _constant(boundaries, dtype)
    )
    return ops.sum(ops.cast(reached, "int32"), axis=-1)


def _traced_by_jax(tensor):
    if keras.backend.backend() != "jax":
        return False
    import jax

    return isinstance(tensor, jax.core.Tracer)


def gather(values, index, dtype="float32"):
    """`values[index]` for a Python list of constants and an integer tensor."""
    return ops.take(_constant(values, dtype), index)


def _constant(values, dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    if keras.backend.backend() == "torch":
        # Keras's torch converter checks a Python list element by element
        # (0.2 ms for 30 numbers in eager mode) and reads a NumPy array's
        # dtype in a way torch.compile cannot trace: a graph break, so an
        # extra call in every compiled train step, per constant.
        import torch

        return ops.convert_to_tensor(torch.tensor(values, dtype=getattr(torch, dtype)))
    return ops.convert_to_tensor(np.asarray(values, dtype=dtype))


def locate(step, starts):
    """Finds which of consecutive intervals `[starts[i], starts[i+1])` holds `step`.

    `starts` is a sorted Python list with `starts[0] <= step`. Returns the
    interval's index and the float offset `step - starts[index]`; for an
    integer step the whole part of the offset is taken in integers, so it is
    exact at any step.
    """
    index = count_reached(step, starts[1:])
    if not is_integer(step):
        return index, as_float(step) - gather(starts, index)
    reached_at = [math.ceil(start) for start in starts]
    whole = step - gather(reached_at, index, dtype=step.dtype)
    rounding = [at - start for at, start in zip(reached_at, starts)]
    return index, as_float(whole) + gather(rounding, index)


def split_period(step, period):
    """Splits `step` into (number of whole periods, float offset in the period).

    Integer arithmetic for an integer step and period, so the offset is exact
    at any step; otherwise float arithmetic, where the offset is still in
    [0, period) at any step.
    """
    if is_integer(step) and float(period).is_integer():
        period = argument(int(period), step.dtype)
        cycles = ops.floor_divide(step, period)
        offset = step - cycles * period
    else:
        step = as_float(step)
        # A float remainder is exact; `step - floor(step / period) * period`
        # is not, and falls outside [0, period) at large steps.
        period = argument(period)
        offset = ops.mod(step, period)
        cycles = ops.round((step - offset) / period)
    return cycles, as_float(offset)


def anneal(shape, start, end, fraction):
    """Moves from `start` (fraction 0) to `end` (fraction 1) along `shape`.

    Shapes: "linear"; "cosine", a half cosine that is flat at both ends;
    "sqrt", `end + (start - end) * (1 - sqrt(fraction))`; "exponential",
    geometric interpolation (needs `start > 0`).
    """
    fraction = ops.clip(fraction, 0.0, 1.0)
    if shape == "linear":
        return start + (end - start) * fraction
    if shape == "cosine":
        return end + (start - end) * 0.5 * (1.0 + ops.cos(math.pi * fraction))
    if shape == "sqrt":
        return end + (start - end) * (1.0 - ops.sqrt(fraction))
    if shape == "exponential":
        # Not start * (end / start)**fraction: the ratio overflows float32
        # for a tiny start.
        return ops.power(start, 1.0 - fraction) * ops.power(end, fraction)
    raise ValueError(f"Unknown shape: {shape!r}")


# --- Argument checks, in Keras's wording ----------------------------------


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


def check_non_negative(name, value):
    """A finite number >= 0, such as a learning rate."""
    value = check_number(name, value)
    if value < 0:
        raise ValueError(
            f"Argument `{name}` must be >= 0. {_received(name, value)}"
        )
    return value


def check_positive(name, value):
    """A number > 0 that stays > 0 in float32."""
    value = check_number(name, value)
    if value <= 0:
        raise ValueError(
            f"Argument `{name}` must be > 0. {_received(name, value)}"
        )
    if value < FLOAT32_TINY:
        raise ValueError(
            f"Argument `{name}` must be >= {FLOAT32_TINY:.8g}, the smallest "
            f"normal float32. {_received(name, value)}"
        )
    return value


def check_factor(name, value):
    """A decay factor in (0, 1]: one that cannot make a rate grow."""
    value = check_number(name, value)
    if not 0 < value <= 1:
        raise ValueError(
            f"Argument `{name}` must be in (0, 1]. {_received(name, value)}"
        )
    return value


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
