"""Every schedule and combinator against an independent float64 reference.

Each reference below is plain Python (float64) written from SPEC.md, one
function per family, never calling `keras_lrs` and not copying its formulas
(the restarts reference walks the cycles in a loop, as Keras's own tests do).
The package's float32 values, computed with `keras_lrs.schedule_values`, are
compared on a grid that holds every step from 0 to twice the schedule's
length (so step 0, the last warmup step, every boundary and the step before
it, and the end), plus 10x the length and the last int32 steps.
"""

import math

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as lrs
from tests.rate_tolerance import assert_rates_close as assert_matches

MAX_STEP = 2**31 - 1



# --- References: the value at one step `t`, in float64 --------------------
#
# Arguments carry the constructors' names, so a table row passes the same
# arguments to the schedule and to its reference.


def ref_constant(t, learning_rate):
    return learning_rate


def ref_step_decay(
    t, initial_learning_rate, step_size, gamma=0.1, min_learning_rate=0.0
):
    decays = math.floor(t / step_size)
    return max(initial_learning_rate * gamma**decays, min_learning_rate)


def ref_multi_step_decay(t, initial_learning_rate, milestones, gamma=0.1):
    passed = len([m for m in milestones if t >= m])
    return initial_learning_rate * gamma**passed


def ref_piecewise_constant(t, boundaries, values):
    index = 0
    while index < len(boundaries) and t >= boundaries[index]:
        index += 1
    return values[index]


def ref_exponential_decay(
    t,
    initial_learning_rate,
    decay_steps,
    decay_rate,
    staircase=False,
    min_learning_rate=0.0,
):
    exponent = t / decay_steps
    if staircase:
        exponent = math.floor(exponent)
    return max(initial_learning_rate * decay_rate**exponent, min_learning_rate)


def ref_inverse_time_decay(
    t, initial_learning_rate, decay_steps, decay_rate, staircase=False
):
    progress = t / decay_steps
    if staircase:
        progress = math.floor(progress)
    return initial_learning_rate / (1 + decay_rate * progress)


def ref_inverse_sqrt_decay(t, initial_learning_rate, timescale=1):
    return initial_learning_rate / math.sqrt(1 + t / timescale)


def ref_polynomial_decay(
    t,
    initial_learning_rate,
    decay_steps,
    end_learning_rate=0.0,
    power=1.0,
    cycle=False,
):
    # Keras's documented formula, evaluated exactly.
    if cycle:
        span = decay_steps * max(1, math.ceil(t / decay_steps))
    else:
        span = decay_steps
        t = min(t, decay_steps)
    remaining = (span - t) / span
    return (
        end_learning_rate
        + (initial_learning_rate - end_learning_rate) * remaining**power
    )


def half_cosine(fraction):
    """1 at fraction 0, 0 at fraction 1."""
    return (1 + math.cos(math.pi * fraction)) / 2


def ref_cosine_decay(
    t, initial_learning_rate, decay_steps, end_learning_rate=0.0
):
    fraction = min(t, decay_steps) / decay_steps
    return end_learning_rate + (
        initial_learning_rate - end_learning_rate
    ) * half_cosine(fraction)


def ref_cosine_restarts(
    t,
    initial_learning_rate,
    first_decay_steps,
    t_mul=2.0,
    m_mul=1.0,
    end_learning_rate=0.0,
    cycle_limit=None,
):
    if t_mul == 1:
        # Exact in Python integers, and no loop of 2**31 / first iterations.
        cycle, offset = divmod(t, first_decay_steps)
        length = first_decay_steps
    else:
        cycle, start, length = 0, 0, first_decay_steps
        while t >= start + length:  # step t has reached the next restart
            start += length
            length *= t_mul
            cycle += 1
        offset = t - start
    if cycle_limit is not None and cycle >= cycle_limit:
        return end_learning_rate
    peak = initial_learning_rate * m_mul**cycle
    return end_learning_rate + (peak - end_learning_rate) * half_cosine(
        offset / length
    )


def ref_one_cycle(
    t,
    max_learning_rate,
    total_steps,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal_strategy="cos",
    three_phase=False,
):
    # PyTorch's OneCycleLR: phases end at (fractional) steps, a phase covers
    # the steps up to and including its end, values held after the last step.
    initial = max_learning_rate / div_factor
    final = initial / final_div_factor
    peak_step = pct_start * total_steps - 1
    if three_phase:
        phases = [
            (peak_step, initial, max_learning_rate),
            (2 * peak_step, max_learning_rate, initial),
            (total_steps - 1, initial, final),
        ]
    else:
        phases = [
            (peak_step, initial, max_learning_rate),
            (total_steps - 1, max_learning_rate, final),
        ]
    t = min(t, total_steps - 1)
    phase_start = 0
    for phase_end, start_rate, end_rate in phases:
        if t <= phase_end or phase_end == total_steps - 1:
            fraction = (t - phase_start) / (phase_end - phase_start)
            if anneal_strategy == "cos":
                remaining = half_cosine(fraction)
            else:
                remaining = 1 - fraction
            return end_rate + (start_rate - end_rate) * remaining
        phase_start = phase_end
    raise AssertionError("unreachable")


def ref_cyclical(
    t,
    base_learning_rate,
    max_learning_rate,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
):
    # PyTorch's CyclicLR, with the phase taken in exact integers.
    up = step_size_up
    down = up if step_size_down is None else step_size_down
    cycle, position = divmod(t, up + down)
    if position <= up:
        height = position / up
    else:
        height = (up + down - position) / down
    if mode == "triangular2":
        height *= 0.5**cycle
    elif mode == "exp_range":
        height *= gamma**t
    amplitude = max_learning_rate - base_learning_rate
    return base_learning_rate + amplitude * height


def ref_warmup_stable_decay(
    t,
    peak_learning_rate,
    warmup_steps,
    stable_steps,
    decay_steps,
    end_learning_rate=0.0,
    decay_shape="linear",
    initial_learning_rate=0.0,
):
    peak, end = peak_learning_rate, end_learning_rate
    if t < warmup_steps:
        return initial_learning_rate + (peak - initial_learning_rate) * (
            t / warmup_steps
        )
    if t < warmup_steps + stable_steps:
        return peak
    q = min((t - warmup_steps - stable_steps) / decay_steps, 1.0)
    remaining = {
        "linear": 1 - q,
        "cosine": half_cosine(q),
        "sqrt": 1 - math.sqrt(q),
    }[decay_shape]
    return end + (peak - end) * remaining


def value_of(piece, t):
    """A reference (a function of the step) or a constant rate."""
    return piece(t) if callable(piece) else piece


def ref_warmup(
    t, schedule, warmup_steps, initial_learning_rate=0.0, shape="linear"
):
    if t >= warmup_steps:
        return value_of(schedule, t - warmup_steps)
    start, target = initial_learning_rate, value_of(schedule, 0)
    fraction = t / warmup_steps
    if shape == "linear":
        return start + (target - start) * fraction
    if shape == "cosine":
        return start + (target - start) * (1 - half_cosine(fraction))
    return start * (target / start) ** fraction  # exponential: geometric


def ref_sequential(t, schedules, boundaries):
    starts = [0, *boundaries]
    index = len([b for b in boundaries if t >= b])
    return value_of(schedules[index], t - starts[index])


def ref_from_epochs(t, schedule, steps_per_epoch, staircase=False):
    epoch = t // steps_per_epoch if staircase else t / steps_per_epoch
    return value_of(schedule, epoch)


# --- The table: (schedule, reference, length) -----------------------------


def ref(function, *args, **kwargs):
    """`function` with its arguments bound, as a function of the step."""
    return lambda t: function(t, *args, **kwargs)


def same_args(schedule_class, reference, *args, length, id, **kwargs):
    """A case whose schedule and reference take the same arguments."""
    return pytest.param(
        lambda: schedule_class(*args, **kwargs),
        ref(reference, *args, **kwargs),
        length,
        id=id,
    )


def case(make_schedule, reference, length, id):
    return pytest.param(make_schedule, reference, length, id=id)


keras_exponential = keras.optimizers.schedules.ExponentialDecay

CASES = [
    same_args(lrs.Constant, ref_constant, 0.1, length=10, id="Constant"),
    # StepDecay / MultiStepDecay / PiecewiseConstant
    same_args(
        lrs.StepDecay, ref_step_decay, 0.1, 30, length=200, id="StepDecay"
    ),
    same_args(
        lrs.StepDecay, ref_step_decay, 1.0, 7, gamma=0.5,
        min_learning_rate=0.02, length=70, id="StepDecay-min",
    ),
    same_args(
        lrs.MultiStepDecay, ref_multi_step_decay, 1.0, [30, 80, 120],
        length=150, id="MultiStepDecay",
    ),
    same_args(
        lrs.MultiStepDecay, ref_multi_step_decay, 0.5, [0, 5, 6], gamma=0.3,
        length=10, id="MultiStepDecay-milestone-0",
    ),
    same_args(
        lrs.PiecewiseConstant, ref_piecewise_constant, [10, 25, 60],
        [1.0, 0.5, 0.1, 0.01], length=70, id="PiecewiseConstant",
    ),
    same_args(
        lrs.PiecewiseConstant, ref_piecewise_constant, [0, 1],
        [0.3, 0.2, 0.1], length=5, id="PiecewiseConstant-boundary-0",
    ),
    # ExponentialDecay / InverseTimeDecay / InverseSqrtDecay
    same_args(
        lrs.ExponentialDecay, ref_exponential_decay, 0.1, 10, 0.5,
        length=200, id="ExponentialDecay",
    ),
    same_args(
        lrs.ExponentialDecay, ref_exponential_decay, 0.1, 10, 0.5,
        staircase=True, length=200, id="ExponentialDecay-staircase",
    ),
    same_args(
        lrs.ExponentialDecay, ref_exponential_decay, 1.0, 20, 0.7,
        min_learning_rate=0.05, length=300, id="ExponentialDecay-min",
    ),
    same_args(
        lrs.ExponentialDecay, ref_exponential_decay, 1.0, 20, 0.7,
        staircase=True, min_learning_rate=0.05, length=300,
        id="ExponentialDecay-staircase-min",
    ),
    same_args(
        lrs.InverseTimeDecay, ref_inverse_time_decay, 1.0, 10, 0.5,
        length=300, id="InverseTimeDecay",
    ),
    same_args(
        lrs.InverseTimeDecay, ref_inverse_time_decay, 1.0, 10, 0.5,
        staircase=True, length=300, id="InverseTimeDecay-staircase",
    ),
    same_args(
        lrs.InverseSqrtDecay, ref_inverse_sqrt_decay, 1.0, length=300,
        id="InverseSqrtDecay",
    ),
    same_args(
        lrs.InverseSqrtDecay, ref_inverse_sqrt_decay, 0.01, timescale=250,
        length=1000, id="InverseSqrtDecay-timescale",
    ),
    # PolynomialDecay
    *[
        same_args(
            lrs.PolynomialDecay, ref_polynomial_decay, 1.0, 100,
            end_learning_rate=end, power=power, cycle=cycle, length=300,
            id=f"PolynomialDecay-power{power}-end{end}-cycle{cycle}",
        )
        for power in (0.5, 1.0, 2.0)
        for end in (0.0, 0.01)
        for cycle in (False, True)
    ],
    # CosineDecay / CosineRestarts
    same_args(
        lrs.CosineDecay, ref_cosine_decay, 1.0, 100, length=100,
        id="CosineDecay",
    ),
    same_args(
        lrs.CosineDecay, ref_cosine_decay, 0.1, 77, 1e-3, length=77,
        id="CosineDecay-end",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 10, t_mul=1.0,
        length=40, id="CosineRestarts-tmul1",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 10, t_mul=2.0,
        length=150, id="CosineRestarts-tmul2",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 4, t_mul=1.5,
        length=150, id="CosineRestarts-tmul1.5",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 7, t_mul=3.0,
        m_mul=0.6, length=280, id="CosineRestarts-tmul3-mmul",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 10, t_mul=1.0,
        m_mul=0.7, length=50, id="CosineRestarts-tmul1-mmul",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 5, t_mul=1.5,
        m_mul=0.8, end_learning_rate=0.05, length=150,
        id="CosineRestarts-tmul1.5-mmul-end",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 0.1, 10, t_mul=2.0,
        end_learning_rate=0.01, length=150, id="CosineRestarts-end",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 10, t_mul=2.0,
        m_mul=0.5, end_learning_rate=0.01, cycle_limit=3, length=70,
        id="CosineRestarts-cycle_limit",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 10, t_mul=1.0,
        end_learning_rate=0.01, cycle_limit=4, length=40,
        id="CosineRestarts-tmul1-cycle_limit",
    ),
    same_args(
        lrs.CosineRestarts, ref_cosine_restarts, 1.0, 3, t_mul=1.5,
        cycle_limit=5, length=25, id="CosineRestarts-tmul1.5-cycle_limit",
    ),
    # OneCycle
    same_args(
        lrs.OneCycle, ref_one_cycle, 1.0, 100, length=100, id="OneCycle-cos"
    ),
    same_args(
        lrs.OneCycle, ref_one_cycle, 1.0, 100, anneal_strategy="linear",
        length=100, id="OneCycle-linear",
    ),
    same_args(
        lrs.OneCycle, ref_one_cycle, 0.1, 77, pct_start=0.25,
        div_factor=10.0, final_div_factor=100.0, three_phase=True,
        length=77, id="OneCycle-cos-three_phase",
    ),
    same_args(
        lrs.OneCycle, ref_one_cycle, 0.1, 77, pct_start=0.25,
        div_factor=10.0, final_div_factor=100.0, anneal_strategy="linear",
        three_phase=True, length=77, id="OneCycle-linear-three_phase",
    ),
    # Cyclical
    same_args(
        lrs.Cyclical, ref_cyclical, 0.001, 0.01, 10, length=60,
        id="Cyclical-triangular",
    ),
    same_args(
        lrs.Cyclical, ref_cyclical, 0.001, 0.01, 10, mode="triangular2",
        length=60, id="Cyclical-triangular2",
    ),
    same_args(
        lrs.Cyclical, ref_cyclical, 0.001, 0.01, 10, mode="exp_range",
        gamma=0.99, length=60, id="Cyclical-exp_range",
    ),
    *[
        same_args(
            lrs.Cyclical, ref_cyclical, 0.0, 1.0, 7, step_size_down=12,
            mode=mode, gamma=0.995, length=57,
            id=f"Cyclical-{mode}-asymmetric",
        )
        for mode in ("triangular", "triangular2", "exp_range")
    ],
    # WarmupStableDecay
    *[
        same_args(
            lrs.WarmupStableDecay, ref_warmup_stable_decay, 1.0, 10, 50, 40,
            end_learning_rate=0.01, decay_shape=shape,
            initial_learning_rate=0.1, length=100,
            id=f"WarmupStableDecay-{shape}",
        )
        for shape in ("linear", "cosine", "sqrt")
    ],
    same_args(
        lrs.WarmupStableDecay, ref_warmup_stable_decay, 1.0, 0, 20, 30,
        length=50, id="WarmupStableDecay-no-warmup",
    ),
    same_args(
        lrs.WarmupStableDecay, ref_warmup_stable_decay, 1.0, 15, 0, 30,
        decay_shape="cosine", length=45, id="WarmupStableDecay-no-stable",
    ),
    # Warmup
    case(
        lambda: lrs.Warmup(lrs.CosineDecay(1.0, 100, 0.01), 20),
        ref(ref_warmup, ref(ref_cosine_decay, 1.0, 100, 0.01), 20),
        120,
        id="Warmup-linear-CosineDecay",
    ),
    case(
        lambda: lrs.Warmup(
            lrs.StepDecay(0.1, 30, 0.5), 25, initial_learning_rate=0.01,
            shape="cosine",
        ),
        ref(
            ref_warmup, ref(ref_step_decay, 0.1, 30, 0.5), 25,
            initial_learning_rate=0.01, shape="cosine",
        ),
        150,
        id="Warmup-cosine-StepDecay",
    ),
    case(
        lambda: lrs.Warmup(
            lrs.CosineRestarts(1.0, 10, t_mul=2.0), 16,
            initial_learning_rate=1e-3, shape="exponential",
        ),
        ref(
            ref_warmup, ref(ref_cosine_restarts, 1.0, 10, t_mul=2.0), 16,
            initial_learning_rate=1e-3, shape="exponential",
        ),
        86,
        id="Warmup-exponential-CosineRestarts",
    ),
    case(
        lambda: lrs.Warmup(0.5, 10),
        ref(ref_warmup, 0.5, 10),
        10,
        id="Warmup-linear-float",
    ),
    case(
        lambda: lrs.Warmup(
            keras_exponential(0.1, 50, 0.5), 20, initial_learning_rate=0.02
        ),
        ref(
            ref_warmup, ref(ref_exponential_decay, 0.1, 50, 0.5), 20,
            initial_learning_rate=0.02,
        ),
        200,
        id="Warmup-linear-keras-ExponentialDecay",
    ),
    case(
        lambda: lrs.Warmup(
            keras_exponential(0.1, 50, 0.5, staircase=True), 20,
            shape="cosine",
        ),
        ref(
            ref_warmup,
            ref(ref_exponential_decay, 0.1, 50, 0.5, staircase=True),
            20,
            shape="cosine",
        ),
        200,
        id="Warmup-cosine-keras-ExponentialDecay-staircase",
    ),
    # Sequential
    case(
        lambda: lrs.Sequential(
            [
                0.01,
                lrs.CosineDecay(0.1, 100, 0.001),
                lrs.StepDecay(0.05, 20, 0.5),
                0.002,
            ],
            boundaries=[10, 110, 200],
        ),
        ref(
            ref_sequential,
            [
                0.01,
                ref(ref_cosine_decay, 0.1, 100, 0.001),
                ref(ref_step_decay, 0.05, 20, 0.5),
                0.002,
            ],
            [10, 110, 200],
        ),
        200,
        id="Sequential-floats-and-schedules",
    ),
    case(
        lambda: lrs.Sequential(
            [
                lrs.Warmup(lrs.Constant(0.1), 5),
                keras_exponential(0.1, 10, 0.5),
                lrs.Cyclical(0.001, 0.01, 4),
            ],
            boundaries=[5, 30],
        ),
        ref(
            ref_sequential,
            [
                ref(ref_warmup, 0.1, 5),
                ref(ref_exponential_decay, 0.1, 10, 0.5),
                ref(ref_cyclical, 0.001, 0.01, 4),
            ],
            [5, 30],
        ),
        50,
        id="Sequential-nested-and-keras",
    ),
    # FromEpochs
    *[
        case(
            lambda staircase=staircase: lrs.FromEpochs(
                lrs.StepDecay(0.1, 3, 0.5), 7, staircase=staircase
            ),
            ref(
                ref_from_epochs, ref(ref_step_decay, 0.1, 3, 0.5), 7,
                staircase=staircase,
            ),
            7 * 12,
            id=f"FromEpochs-StepDecay-staircase{staircase}",
        )
        for staircase in (False, True)
    ],
    *[
        case(
            lambda staircase=staircase: lrs.FromEpochs(
                lrs.CosineDecay(0.1, 10, 0.001), 25, staircase=staircase
            ),
            ref(
                ref_from_epochs, ref(ref_cosine_decay, 0.1, 10, 0.001), 25,
                staircase=staircase,
            ),
            250,
            id=f"FromEpochs-CosineDecay-staircase{staircase}",
        )
        for staircase in (False, True)
    ],
    case(
        lambda: lrs.FromEpochs(lrs.MultiStepDecay(1.0, [2, 5]), 10),
        ref(ref_from_epochs, ref(ref_multi_step_decay, 1.0, [2, 5]), 10),
        60,
        id="FromEpochs-MultiStepDecay",
    ),
]


def grid(length):
    """Every step up to twice `length`, then far past the end."""
    far = [10 * length - 1, 10 * length, MAX_STEP - 1, MAX_STEP]
    return np.unique(np.concatenate([np.arange(2 * length + 2), far]))


@pytest.mark.parametrize("make_schedule, reference, length", CASES)
def test_matches_float64_reference(make_schedule, reference, length):
    steps = grid(length)
    expected = [reference(int(t)) for t in steps]
    actual = keras_lrs.schedule_values(make_schedule(), steps)
    assert_matches(actual, expected)


# --- Periodic schedules near the largest int32 step ------------------------


def restart_steps(first_decay_steps, t_mul):
    """Every cycle start up to MAX_STEP, in exact integers."""
    starts, start, length = [], 0, first_decay_steps
    while start <= MAX_STEP:
        starts.append(start)
        start += length
        length *= t_mul
    return starts


def cyclical_steps(step_size_up, step_size_down):
    """The last cycle starts and peaks up to MAX_STEP."""
    period = step_size_up + step_size_down
    last_start = MAX_STEP // period * period
    starts = [last_start - 2 * period, last_start - period, last_start]
    return starts + [start + step_size_up for start in starts]


def near_max(boundaries):
    """The last boundaries, the steps around each, and the last two steps."""
    last = sorted(boundaries)[-3:]
    steps = {MAX_STEP - 1, MAX_STEP}
    for boundary in last:
        steps.update({boundary - 1, boundary, boundary + 1})
    for earlier, later in zip(last, last[1:]):
        steps.add((earlier + later) // 2)
    return sorted(step for step in steps if 0 <= step <= MAX_STEP)


NEAR_MAX_CASES = [
    pytest.param(
        lambda: lrs.CosineRestarts(1.0, 1000, t_mul=1.0),
        ref(ref_cosine_restarts, 1.0, 1000, t_mul=1),
        [k * 1000 for k in range(MAX_STEP // 1000 - 2, MAX_STEP // 1000 + 1)],
        id="CosineRestarts-tmul1-first1000",
    ),
    pytest.param(
        # Cycle i starts at 2**i - 1: the last one exactly at MAX_STEP.
        lambda: lrs.CosineRestarts(1.0, 1, t_mul=2.0),
        ref(ref_cosine_restarts, 1.0, 1, t_mul=2),
        restart_steps(1, 2),
        id="CosineRestarts-tmul2-first1",
    ),
    pytest.param(
        # Cycle i starts at 3**i - 1; the last below 2**31 is 3**19 - 1.
        lambda: lrs.CosineRestarts(1.0, 2, t_mul=3.0, end_learning_rate=0.1),
        ref(ref_cosine_restarts, 1.0, 2, t_mul=3, end_learning_rate=0.1),
        restart_steps(2, 3),
        id="CosineRestarts-tmul3-first2",
    ),
    pytest.param(
        lambda: lrs.Cyclical(0.1, 1.0, 2000, 2000),
        ref(ref_cyclical, 0.1, 1.0, 2000, 2000),
        cyclical_steps(2000, 2000),
        id="Cyclical-triangular-2000-2000",
    ),
    pytest.param(
        lambda: lrs.Cyclical(0.1, 1.0, 3, 5),
        ref(ref_cyclical, 0.1, 1.0, 3, 5),
        cyclical_steps(3, 5),
        id="Cyclical-triangular-3-5",
    ),
    pytest.param(
        lambda: lrs.Cyclical(0.1, 1.0, 2000, 2000, mode="triangular2"),
        ref(ref_cyclical, 0.1, 1.0, 2000, 2000, mode="triangular2"),
        cyclical_steps(2000, 2000),
        id="Cyclical-triangular2-2000-2000",
    ),
]


@pytest.mark.parametrize(
    "make_schedule, reference, boundaries", NEAR_MAX_CASES
)
def test_periodic_schedules_are_right_near_max_step(
    make_schedule, reference, boundaries
):
    """Periodic schedules give the right value at steps near 2**31 - 1.

    The reference takes the phase in Python integers, so it is exact there;
    a phase taken in float32 would be off by up to 64 steps.
    """
    steps = near_max(boundaries)
    expected = [reference(step) for step in steps]
    actual = keras_lrs.schedule_values(make_schedule(), np.array(steps))
    assert_matches(actual, expected)


@pytest.mark.parametrize(
    "first_decay_steps, t_mul, cycle_limit",
    [(1, 1.002, None), (20, 1.0015, None), (3, 1.5, None), (2, 1.0021, 40), (7, 1.37, 5)],
)
def test_cosine_restarts_at_every_restart(first_decay_steps, t_mul, cycle_limit):
    """The steps before, at and after each restart up to 2**31 - 1.

    Here the cycle comes from a float64 search of the restarts (up to 7,645
    of them) and the cycle's length from `t_mul**cycle`, not from the
    schedule's table of cycles, so a step put in the wrong cycle shows.
    """
    starts, start, length = [], 0.0, float(first_decay_steps)
    while start <= MAX_STEP and len(starts) != cycle_limit:
        starts.append(start)
        start += length
        length *= t_mul
    starts = np.array(starts)
    restarts = np.ceil(starts).astype(np.int64)
    steps = np.unique(np.clip(
        np.concatenate([restarts - 1, restarts, restarts + 1, [math.ceil(start), MAX_STEP]]),
        0, MAX_STEP,
    ))
    cycle = np.searchsorted(starts, steps, side="right") - 1
    fraction = (steps - starts[cycle]) / (first_decay_steps * t_mul ** cycle.astype(np.float64))
    expected = 0.5 * (1 + np.cos(np.pi * fraction))
    if cycle_limit is not None:
        expected[steps >= start] = 0.0  # `end_learning_rate` after the last cycle
    schedule = lrs.CosineRestarts(
        1.0, first_decay_steps, t_mul=t_mul, cycle_limit=cycle_limit
    )
    assert_matches(keras_lrs.schedule_values(schedule, steps), expected)
