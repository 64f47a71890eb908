"""Step arithmetic shared by the formulas, in `keras.ops`.

A formula receives the step as an integer tensor (the optimizer's
`iterations`) or a float32 one (a fractional step, e.g. epochs from
`FromEpochs`), of any shape. These helpers keep the whole part of a step in
integers where it matters (periodic phases stay exact at any step up to
2**31 - 1), and avoid what costs a compiled train step on one backend or
another (see each helper).
"""

import math

import keras
import numpy as np
from keras import ops

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule


def is_integer(tensor):
    return "int" in keras.backend.standardize_dtype(tensor.dtype)


def as_float(step):
    return ops.cast(step, "float32")


def as_tensor(value, dtype="float32"):
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
        period = as_tensor(int(period), step.dtype)
        cycles = ops.floor_divide(step, period)
        offset = step - cycles * period
    else:
        step = as_float(step)
        # A float remainder is exact; `step - floor(step / period) * period`
        # is not, and falls outside [0, period) at large steps.
        period = as_tensor(period)
        offset = ops.mod(step, period)
        cycles = ops.round((step - offset) / period)
    return cycles, as_float(offset)


# An integer exponent is split as `high * 2**16 + low`: both parts are exact
# float32 numbers for any exponent up to 2**31 - 1, and so are their
# products with a log-factor cut to 24 - 15 and 24 - 16 significant bits.
_LOW_BITS = 16


def power(base, exponent, scale=1.0):
    """`base ** (exponent * scale)`, right to float32 rounding at any step.

    `base` is a Python float in (0, 1], `scale` a Python float > 0 and
    `exponent` a step-like tensor >= 0 (integer, or float32 for a
    fractional step). `ops.power(base, t)` in float32 is not exact: `base`
    is rounded to float32 first (`t * 6e-8` relative: 1.4e-2 at `t = 10**6`
    for `base = 0.99999`), and `exp(t * log(base))` rounds an argument of
    up to 69 in size (while the value is above 1e-30) to float32, up to
    `69 * 2**-24 = 4e-6` relative in the value.

    Here `c = scale * log(base)` is taken in float64 at construction, and
    `x = t * c` is computed in float64 on PyTorch (see below) and elsewhere
    (JAX has no float64 by default, and XLA's is slow or missing on GPUs
    and TPUs) summed in float32 with its rounding errors kept. With
    `t = high * 2**16 + low` (both exact in float32 for `t < 2**31`),
    `2**16 * c = C + C'` and `c = L + L'`, where `C` and `L` are `c` cut
    towards zero to 9 and 8 significant bits,

        x = high * C + low * L + (high * C' + low * L' + f * c),

    `f` the fraction of a fractional step. `high * C` (15 + 9 bits) and
    `low * L` (16 + 8 bits) are exact float32 products; the rest is at most
    `2**-8 * |x| + |c|` in size, so its own rounding costs a few
    `2**-24 * (0.3 + f * |c|)`. The three terms are added with the error of
    each addition kept (Knuth's TwoSum, exact in IEEE arithmetic), so
    `x = s + e` with `s` a float32 number and `|e| <= 2**-24 * |s|`, and the
    value is `exp(s) * (1 + e)` (`e**2 / 2 < 1e-11` left out): one rounding
    in `exp` and two more, under 3e-7 relative in all, while `f * |c| < 8`
    (any integer step; for a fractional one, a base above 1e-3 per step).
    Every term is <= 0 (the cuts are towards zero), so `exp` never
    overflows. One `exp` of a sum, not a product of `exp`s: XLA rewrites
    `exp(a) * exp(b)` as `exp(a + b)`, which would round `a + b`.
    """
    log_factor = math.log(base) * scale
    if _torch_float64(exponent):
        # PyTorch runs its default train step op by op, where each op costs
        # a call (the float32 sum below is 20 of them, +100 to 180 µs a
        # call on a CPU); its float64 is exact enough in 3 ops, on every
        # device but Apple's MPS, which has no float64.
        return (exponent.double() * log_factor).exp().float()
    if is_integer(exponent):
        span = as_tensor(2**_LOW_BITS, exponent.dtype)
        high = ops.floor_divide(exponent, span)
        low = as_float(exponent - high * span)
        high = as_float(high)
        fraction = None
    else:
        whole = ops.floor(exponent)
        high = ops.floor(whole / 2**_LOW_BITS)
        low = whole - high * 2**_LOW_BITS
        fraction = exponent - whole
    high_cut, high_rest = _cut(log_factor * 2**_LOW_BITS, 24 - 15)
    low_cut, low_rest = _cut(log_factor, 24 - _LOW_BITS)
    rest = high * high_rest + low * low_rest
    if fraction is not None:
        rest = rest + fraction * log_factor
    partial, error = _two_sum(high * high_cut, low * low_cut)
    total, last_error = _two_sum(partial, rest)
    return ops.exp(total) * (1.0 + (error + last_error))


def _torch_float64(tensor):
    return keras.backend.backend() == "torch" and tensor.device.type != "mps"


def _two_sum(a, b):
    """`a + b` rounded, and its rounding error, exactly (Knuth)."""
    total = a + b
    b_part = total - a
    a_part = total - b_part
    return total, (a - a_part) + (b - b_part)


def _cut(value, bits):
    """`value` cut towards zero to `bits` significant bits, and the rest."""
    mantissa, exponent = math.frexp(value)
    cut = math.ldexp(math.trunc(math.ldexp(mantissa, bits)), exponent - bits)
    return cut, value - cut


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
