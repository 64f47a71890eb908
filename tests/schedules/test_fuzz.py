"""Property-based tests (hypothesis) over every schedule and combinator.

Any valid arguments give finite, non-negative values within the schedule's
documented range at any step in [0, 2**31 - 1], and rebuild from their
config; any invalid argument raises a `ValueError` naming it, at construction.

Valid numbers are drawn from generous but real ranges (rates in [1e-8, 10],
spans up to 10**6 steps, `t_mul` in [1, 4]) plus chosen extremes: 0, float32
subnormals and float64 ones (0 in float32), 1e30 and the largest float32 for
rates; factors down to 5e-324; spans and boundaries of 2**31 - 1. Numbers a
float32 computation cannot hold (beyond the largest float32, a positive
divisor below the smallest normal float32) are invalid arguments.

Runs are deterministic (`derandomize=True`, no example database). The number
of examples each test runs is a constant below; `EXAMPLES_PER_RUN` is their
total for one run of this file on one backend.
"""

import json
import math
from typing import NamedTuple

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import keras_lrs
from keras_lrs import schedules as s
from tests.schedules.arguments import KINDS

MAX_STEP = 2**31 - 1
FLOAT32_MAX = float(np.finfo("float32").max)
FLOAT32_TINY = float(np.finfo("float32").tiny)  # smallest normal float32

settings.register_profile(
    "keras_lrs",
    deadline=None,  # a first call on a backend compiles its ops
    derandomize=True,  # the same examples on every CI run
    database=None,  # nothing written to the working tree
)
PROFILE = settings.get_profile("keras_lrs")

# Examples per test and per parametrized class.
VALUES_EXAMPLES = 30  # each of the 13 schedules
COMBINATOR_VALUES_EXAMPLES = 50  # each of the 3 combinators
ROUND_TRIP_EXAMPLES = 10  # each of the 16 classes
INVALID_EXAMPLES = 80  # each of the 16 classes

STEPS_PER_EXAMPLE = 32  # one array shape, so JAX compiles each op once
# Float32 rounding allowed beyond a bound: `x**y` is off by up to |y ln x|
# ulps, and a geometric warmup's ln(rate) reaches 104 in float32's range.
RTOL = 2e-5


class Case(NamedTuple):
    """A schedule (or a constant rate), the range of its values, key steps."""

    schedule: object
    low: float
    high: float
    steps: tuple

    def __repr__(self):
        return (
            f"Case({_describe(self.schedule)}, low={self.low!r}, "
            f"high={self.high!r})"
        )


def _describe(schedule):
    """A repr that shows Keras's own schedules by their config."""
    if isinstance(schedule, s.Schedule):
        arguments = ", ".join(
            f"{name}={_describe(value)}"
            for name, value in schedule._arguments().items()
        )
        return f"{type(schedule).__name__}({arguments})"
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return f"keras.{type(schedule).__name__}(**{schedule.get_config()})"
    if isinstance(schedule, list):
        return "[" + ", ".join(_describe(item) for item in schedule) + "]"
    return repr(schedule)


# --- Valid arguments ------------------------------------------------------

_TYPICAL_RATES = st.floats(1e-8, 10.0)
_EXTREME_RATES = st.sampled_from(
    [0.0, 5e-324, 1e-300, 1e-45, 1e-40, FLOAT32_TINY, 1e30, FLOAT32_MAX]
)
RATES = _TYPICAL_RATES | _TYPICAL_RATES | _EXTREME_RATES
POSITIVE_RATES = _TYPICAL_RATES | st.sampled_from([1e-45, 1e-30, 1e30])
FLOORS = st.just(0.0) | RATES  # min_ and end_learning_rate
FACTORS = (
    st.floats(1e-3, 1.0)
    | st.floats(0.5, 1.0)
    | st.sampled_from([1.0, 1e-30, 1e-40, 5e-324])
)
SPANS = (  # short spans too: float rounding shows at large step / span
    st.integers(1, 10**6) | st.integers(1, 12) | st.sampled_from([1, MAX_STEP])
)
STEP_LISTS = st.lists(
    st.integers(0, 10**6) | st.just(MAX_STEP), max_size=4, unique=True
).map(sorted)
NAMES = st.none() | st.none() | st.text(max_size=6)
NORMAL_RATES = st.floats(1e-8, 10.0)  # for Keras's own schedules


def _keys(*steps):
    """Valid key steps: clipped to [0, MAX_STEP], without duplicates."""
    return tuple(sorted({min(max(int(t), 0), MAX_STEP) for t in steps}))


def _around(*points):
    return _keys(*(t + d for t in points for d in (-1, 0, 1)))


@st.composite
def constant(draw):
    rate = draw(RATES)
    kwargs = dict(learning_rate=rate, name=draw(NAMES))
    return kwargs, rate, rate, _keys(0)


@st.composite
def step_decay(draw):
    init, size = draw(RATES), draw(SPANS)
    minimum = draw(FLOORS)
    kwargs = dict(
        initial_learning_rate=init,
        step_size=size,
        gamma=draw(FACTORS),
        min_learning_rate=minimum,
    )
    return kwargs, minimum, max(init, minimum), _around(0, size, 2 * size)


@st.composite
def multi_step_decay(draw):
    init, milestones = draw(RATES), draw(STEP_LISTS)
    kwargs = dict(
        initial_learning_rate=init, milestones=milestones, gamma=draw(FACTORS)
    )
    return kwargs, 0.0, init, _around(0, *milestones)


@st.composite
def piecewise_constant(draw):
    boundaries = draw(STEP_LISTS)
    values = draw(st.lists(RATES, min_size=len(boundaries) + 1,
                           max_size=len(boundaries) + 1))
    kwargs = dict(boundaries=boundaries, values=values)
    return kwargs, min(values), max(values), _around(0, *boundaries)


@st.composite
def exponential_decay(draw):
    init, steps, minimum = draw(RATES), draw(SPANS), draw(FLOORS)
    kwargs = dict(
        initial_learning_rate=init,
        decay_steps=steps,
        decay_rate=draw(FACTORS),
        staircase=draw(st.booleans()),
        min_learning_rate=minimum,
    )
    return kwargs, minimum, max(init, minimum), _around(0, steps, 2 * steps)


@st.composite
def inverse_time_decay(draw):
    init, steps = draw(RATES), draw(SPANS)
    kwargs = dict(
        initial_learning_rate=init,
        decay_steps=steps,
        decay_rate=draw(
            st.floats(0.0, 100.0) | st.sampled_from([0.0, 1e30, FLOAT32_MAX])
        ),
        staircase=draw(st.booleans()),
    )
    return kwargs, 0.0, init, _around(0, steps, 2 * steps)


@st.composite
def inverse_sqrt_decay(draw):
    init = draw(RATES)
    timescale = draw(
        st.floats(1e-3, 1e6)
        | st.sampled_from([FLOAT32_TINY, 1e-30, 1.0, 1e30, FLOAT32_MAX])
    )
    kwargs = dict(initial_learning_rate=init, timescale=timescale)
    return kwargs, 0.0, init, _keys(0, 1, timescale)


@st.composite
def polynomial_decay(draw):
    init, steps, end = draw(RATES), draw(SPANS), draw(FLOORS)
    kwargs = dict(
        initial_learning_rate=init,
        decay_steps=steps,
        end_learning_rate=end,
        power=draw(
            st.floats(0.0, 10.0) | st.sampled_from([0.0, 1e-30, 1e30])
        ),
        cycle=draw(st.booleans()),
    )
    keys = _around(0, steps, 2 * steps, 3 * steps)
    return kwargs, min(init, end), max(init, end), keys


@st.composite
def cosine_decay(draw):
    init, steps, end = draw(RATES), draw(SPANS), draw(FLOORS)
    kwargs = dict(
        initial_learning_rate=init, decay_steps=steps, end_learning_rate=end
    )
    keys = _around(0, steps // 2, steps)
    return kwargs, min(init, end), max(init, end), keys


def _cycle_starts(first, t_mul, count=5):
    starts, length = [0.0], float(first)
    for _ in range(count):
        starts.append(starts[-1] + length)
        length *= t_mul
    return [math.ceil(start) for start in starts if start <= MAX_STEP]


@st.composite
def cosine_restarts(draw):
    init, first, end = draw(RATES), draw(SPANS), draw(FLOORS)
    # t_mul in (1, 1.01) may need more than 10_000 cycles before MAX_STEP,
    # which the constructor rejects: see `_restarts_too_many_cycles`.
    t_mul = draw(
        st.just(1.0) | st.floats(1.01, 4.0) | st.sampled_from([1.5, 2.0])
    )
    m_mul = draw(FACTORS)
    kwargs = dict(
        initial_learning_rate=init,
        first_decay_steps=first,
        t_mul=t_mul,
        m_mul=m_mul,
        end_learning_rate=end,
        cycle_limit=draw(
            st.none() | st.integers(1, 20) | st.sampled_from([MAX_STEP])
        ),
    )
    low = min(init, end) if m_mul == 1 else 0.0
    keys = _around(*_cycle_starts(first, t_mul))
    return kwargs, low, max(init, end), keys


@st.composite
def one_cycle(draw):
    peak = draw(RATES)
    total = draw(st.integers(2, 10**6) | st.sampled_from([2, 3, MAX_STEP]))
    three_phase = draw(st.booleans())
    # PyTorch's phases must each have steps: pct * total > 1, and with three
    # phases 2 * (pct * total - 1) < total - 1.
    upper = (total + 1) / (2 * total) if three_phase else 1.0
    pct = draw(st.floats(1.0 / total, upper, exclude_min=True,
                         exclude_max=True))
    peak_step = pct * total - 1
    assume(peak_step > 0 and (not three_phase or 2 * peak_step < total - 1))
    div = draw(st.floats(1.0, 1e4) | st.sampled_from([1e-3, 0.5, 1e30]))
    final_div = draw(st.floats(1.0, 1e5) | st.sampled_from([1e-3, 1e30]))
    initial = peak / div
    final = initial / final_div
    assume(max(initial, final) <= FLOAT32_MAX)
    kwargs = dict(
        max_learning_rate=peak,
        total_steps=total,
        pct_start=pct,
        div_factor=div,
        final_div_factor=final_div,
        anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
        three_phase=three_phase,
    )
    rates = (initial, peak, final)
    keys = _around(0, peak_step, 2 * peak_step, total - 1)
    return kwargs, min(rates), max(rates), keys


@st.composite
def cyclical(draw):
    base, top = sorted([draw(RATES), draw(RATES)])
    up = draw(st.integers(1, 10**6) | st.integers(1, 12) | st.just(2**30 - 1))
    down = draw(st.none() | st.integers(1, 10**6) | st.integers(1, 12))
    kwargs = dict(
        base_learning_rate=base,
        max_learning_rate=top,
        step_size_up=up,
        step_size_down=down,
        mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        gamma=draw(FACTORS),
    )
    period = up + (down or up)
    return kwargs, base, top, _around(0, up, period, period + up, 2 * period)


@st.composite
def warmup_stable_decay(draw):
    peak, end, init = draw(RATES), draw(FLOORS), draw(FLOORS)
    warmup = draw(st.integers(0, 10**6) | st.sampled_from([0, 1, MAX_STEP]))
    stable = draw(st.integers(0, 10**6) | st.just(0))
    assume(warmup + stable <= MAX_STEP)
    decay = draw(SPANS)
    kwargs = dict(
        peak_learning_rate=peak,
        warmup_steps=warmup,
        stable_steps=stable,
        decay_steps=decay,
        end_learning_rate=end,
        decay_shape=draw(st.sampled_from(["linear", "cosine", "sqrt"])),
        initial_learning_rate=init,
    )
    rates = (peak, end, init)
    keys = _around(0, warmup, warmup + stable, warmup + stable + decay)
    return kwargs, min(rates), max(rates), keys


# class -> strategy of (valid keyword arguments, low, high, key steps).
SCHEDULES = {
    s.Constant: constant(),
    s.StepDecay: step_decay(),
    s.MultiStepDecay: multi_step_decay(),
    s.PiecewiseConstant: piecewise_constant(),
    s.ExponentialDecay: exponential_decay(),
    s.InverseTimeDecay: inverse_time_decay(),
    s.InverseSqrtDecay: inverse_sqrt_decay(),
    s.PolynomialDecay: polynomial_decay(),
    s.CosineDecay: cosine_decay(),
    s.CosineRestarts: cosine_restarts(),
    s.OneCycle: one_cycle(),
    s.Cyclical: cyclical(),
    s.WarmupStableDecay: warmup_stable_decay(),
}


def _case(cls, strategy):
    return strategy.map(lambda drawn: Case(cls(**drawn[0]), *drawn[1:]))


LEAF_CASES = {cls: _case(cls, strategy) for cls, strategy in SCHEDULES.items()}


@st.composite
def keras_schedules(draw):
    """Keras's own schedules, with arguments that keep their rates bounded.

    Not Keras's `CosineDecay` with its own warmup: its `ops.cond` takes one
    step at a time, about 2 s for 32 steps on JAX (`test_references` checks
    `Warmup` against it).
    """
    schedules = keras.optimizers.schedules
    init, steps = draw(NORMAL_RATES), draw(st.integers(1, 10**6))
    kind = draw(st.sampled_from(
        ["cosine", "exponential", "piecewise", "polynomial", "inverse_time",
         "restarts"]
    ))
    if kind == "cosine":
        alpha = draw(st.floats(0.0, 1.0))
        return Case(schedules.CosineDecay(init, steps, alpha), 0.0, init,
                    _around(0, steps))
    if kind == "exponential":
        schedule = schedules.ExponentialDecay(
            init, steps, draw(st.floats(1e-3, 1.0)), draw(st.booleans())
        )
        return Case(schedule, 0.0, init, _around(0, steps))
    if kind == "piecewise":
        boundaries = draw(st.lists(st.integers(0, 10**6), min_size=1,
                                   max_size=3, unique=True).map(sorted))
        values = draw(st.lists(NORMAL_RATES, min_size=len(boundaries) + 1,
                               max_size=len(boundaries) + 1))
        return Case(schedules.PiecewiseConstantDecay(boundaries, values),
                    min(values), max(values), _around(0, *boundaries))
    if kind == "polynomial":
        # Not cycle=True: Keras's float32 `1 - t / (D * ceil(t / D))` goes
        # below 0 at large steps, NaN for a fractional power (Keras 3.15:
        # PolynomialDecay(1.0, 227, 0.0, 0.5, cycle=True)(2**31 - 2)).
        end = draw(NORMAL_RATES)
        schedule = schedules.PolynomialDecay(
            init, steps, end, draw(st.floats(0.1, 4.0))
        )
        return Case(schedule, min(init, end), max(init, end),
                    _around(0, steps, 2 * steps))
    if kind == "inverse_time":
        schedule = schedules.InverseTimeDecay(
            init, steps, draw(st.floats(0.0, 10.0)), draw(st.booleans())
        )
        return Case(schedule, 0.0, init, _around(0, steps))
    schedule = schedules.CosineDecayRestarts(
        init, steps, draw(st.floats(1.0, 4.0)), draw(st.floats(0.1, 1.0)),
        draw(st.floats(0.0, 1.0)),
    )
    return Case(schedule, 0.0, init, _around(0, steps))


CONSTANTS = RATES.map(lambda rate: Case(rate, rate, rate, _keys(0)))


@st.composite
def warmups(draw, inner):
    target = draw(inner)
    shape = draw(st.sampled_from(["linear", "cosine", "exponential"]))
    init = draw(POSITIVE_RATES if shape == "exponential" else RATES)
    steps = draw(SPANS)
    schedule = s.Warmup(target.schedule, steps, init, shape, draw(NAMES))
    keys = _around(0, steps // 2, steps, *(steps + t for t in target.steps))
    return Case(schedule, min(init, target.low), max(init, target.high), keys)


@st.composite
def sequentials(draw, inner):
    pieces = draw(st.lists(inner, min_size=1, max_size=3))
    boundaries = draw(st.lists(
        st.integers(1, 10**6) | st.just(MAX_STEP),
        min_size=len(pieces) - 1, max_size=len(pieces) - 1, unique=True,
    ).map(sorted))
    schedule = s.Sequential([piece.schedule for piece in pieces], boundaries)
    starts = [0, *boundaries]
    keys = _around(*starts, *(
        start + t for start, piece in zip(starts, pieces) for t in piece.steps
    ))
    return Case(schedule, min(piece.low for piece in pieces),
                max(piece.high for piece in pieces), keys)


PER_EPOCH = st.integers(1, 10**4) | st.integers(1, 12) | st.just(MAX_STEP)


@st.composite
def from_epochs(draw, inner, per_epoch=PER_EPOCH, staircase=st.booleans()):
    epochs = draw(inner)
    per_epoch = draw(per_epoch)
    schedule = s.FromEpochs(epochs.schedule, per_epoch, draw(staircase))
    keys = _around(*(per_epoch * t for t in epochs.steps))
    return Case(schedule, epochs.low, epochs.high, keys)


def _combinators(inner):
    return warmups(inner) | sequentials(inner) | from_epochs(inner)


# What a combinator wraps: a constant, any schedule, one of Keras's own, or
# another combinator (nests of up to three schedules).
INNER = st.recursive(
    CONSTANTS | keras_schedules() | st.one_of(*LEAF_CASES.values()),
    _combinators,
    max_leaves=3,
)
COMBINATORS = {
    s.Warmup: warmups(INNER),
    s.Sequential: sequentials(INNER),
    s.FromEpochs: from_epochs(INNER),
}
CASES = {**LEAF_CASES, **COMBINATORS}


# Steps beyond 2**24, where float32 no longer holds every integer, spread
# over [2**24, MAX_STEP]; hypothesis's own draws favour small and edge values.
LARGE_STEPS = tuple(
    np.random.default_rng(0).integers(2**24, MAX_STEP, 6).tolist()
)


def _steps(data, case):
    """0, MAX_STEP, key steps, `LARGE_STEPS`, random ones near the keys or
    anywhere: always `STEPS_PER_EXAMPLE` of them."""
    keys = [0, MAX_STEP, *_keys(*case.steps)[:14], *LARGE_STEPS]
    span = min(4 * max(case.steps, default=10), MAX_STEP)
    count = STEPS_PER_EXAMPLE - len(keys)
    randoms = data.draw(
        st.lists(
            st.integers(0, span) | st.integers(0, MAX_STEP),
            min_size=count,
            max_size=count,
        ),
        label="random steps",
    )
    return np.array([*keys, *randoms], dtype="int64")


def _at(steps, values, wrong):
    """{step: value} where `wrong`, for an assertion message."""
    return {int(t): float(v) for t, v in zip(steps[wrong], values[wrong])}


def _check_values(case, data):
    steps = _steps(data, case)
    values = keras_lrs.schedule_values(case.schedule, steps)
    assert values.shape == steps.shape
    values = values.astype("float64")  # bounds may be beyond float32
    not_finite = ~np.isfinite(values)
    assert not not_finite.any(), _at(steps, values, not_finite)
    assert not (values < 0).any(), _at(steps, values, values < 0)
    # Never above the documented top (training at a wrong, larger rate) nor
    # below the documented bottom, up to float32 rounding at the scale of
    # the top: `end + (init - end) * w` (Keras's form) is 0, not init, where
    # init is below the rounding of a much larger end. Below the smallest
    # normal float32 a rate may be flushed to 0.
    low = case.low - RTOL * case.high - FLOAT32_TINY
    high = case.high * (1 + RTOL) + FLOAT32_TINY
    outside = (values < low) | (values > high)
    assert not outside.any(), _at(steps, values, outside)


@pytest.mark.parametrize("cls", list(LEAF_CASES), ids=lambda c: c.__name__)
@settings(PROFILE, max_examples=VALUES_EXAMPLES)
@given(data=st.data())
def test_valid_arguments_give_values_in_range(cls, data):
    case = data.draw(LEAF_CASES[cls], label="case")
    _check_values(case, data)
    # The same schedule at fractional steps, as `FromEpochs` passes them;
    # few steps per epoch give many epochs, where float32 is coarse.
    in_epochs = from_epochs(st.just(case), st.integers(1, 12), st.just(False))
    _check_values(data.draw(in_epochs, label="in epochs"), data)


@pytest.mark.parametrize("cls", list(COMBINATORS), ids=lambda c: c.__name__)
@settings(PROFILE, max_examples=COMBINATOR_VALUES_EXAMPLES)
@given(data=st.data())
def test_combinators_give_values_in_range(cls, data):
    _check_values(data.draw(COMBINATORS[cls], label="case"), data)


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
@settings(PROFILE, max_examples=ROUND_TRIP_EXAMPLES)
@given(data=st.data())
def test_config_round_trip(cls, data):
    schedule = data.draw(CASES[cls], label="case").schedule
    steps = np.array([0, 1, 7, 1000, 10**6, 2**24 + 1, MAX_STEP - 1, MAX_STEP])
    expected = keras_lrs.schedule_values(schedule, steps)
    config = schedule.get_config()
    serialized = keras.optimizers.schedules.serialize(schedule)
    rebuilt = [
        type(schedule).from_config(config),
        type(schedule).from_config(json.loads(json.dumps(config))),
        keras.optimizers.schedules.deserialize(serialized),
        keras.optimizers.schedules.deserialize(
            json.loads(json.dumps(serialized))
        ),
    ]
    for other in rebuilt:
        assert type(other) is type(schedule)
        assert other.get_config() == config
        np.testing.assert_array_equal(
            keras_lrs.schedule_values(other, steps), expected
        )


# --- Invalid arguments ----------------------------------------------------

NOT_NUMBERS = st.sampled_from(
    [math.nan, math.inf, -math.inf, np.float32("nan"), "0.1", "", None,
     True, False, np.bool_(True), [0.1], (1,), {}, {"value": 1}, 1j, b"1",
     np.array([0.1, 0.2]), np.array(0.1)]
) | st.text(max_size=4)
HUGE = st.floats(min_value=FLOAT32_MAX, exclude_min=True) | st.integers(
    min_value=2**128
) | st.sampled_from([10**400, -(10**400), -1e39])
NEGATIVE = st.floats(max_value=0.0, exclude_max=True) | st.integers(
    max_value=-1
)
BAD_RATES = NEGATIVE | HUGE | NOT_NUMBERS
BAD_POSITIVES = BAD_RATES | st.sampled_from([0, 0.0, -0.0]) | st.floats(
    0.0, FLOAT32_TINY, exclude_max=True
)
NON_INTEGRAL = st.floats(-1e12, 1e12).filter(lambda x: not x.is_integer())
BAD_STEPS_0 = (
    st.integers(max_value=-1)
    | st.integers(min_value=MAX_STEP + 1)
    | st.sampled_from([-1.0, 2.0**31, 1e30, 2**31])
    | NON_INTEGRAL
    | NOT_NUMBERS
    | HUGE
)
BAD_STEPS = BAD_STEPS_0 | st.sampled_from([0, 0.0, -0.0, np.int64(0)])
BAD_OPTIONAL_STEPS = BAD_STEPS.filter(lambda value: value is not None)


def _not_a_fraction(value):
    """Not a fraction of the training in (0, 1), which a length may be."""
    return not (
        isinstance(value, (float, np.floating)) and 0 < value < 1
    )


BAD_LENGTHS = BAD_STEPS.filter(_not_a_fraction)
BAD_LENGTHS_0 = BAD_STEPS_0.filter(_not_a_fraction)
BAD_FACTORS = (  # a factor may be tiny: 5e-324 is valid
    BAD_RATES
    | st.sampled_from([0, 0.0, -0.0])
    | st.floats(min_value=1.0, exclude_min=True)
    | st.integers(min_value=2)
)
NOT_BOOLS = st.sampled_from(
    [0, 1, 1.0, "True", "yes", None, [True], np.int64(1)]
) | st.text(max_size=3)
NOT_NAMES = st.integers() | st.floats() | st.sampled_from(
    [b"name", ["name"], {}, True]
)
NOT_LISTS = st.sampled_from(
    [None, 5, 5.0, "5", "", b"5", {5}, {5, 10}, {5: 1}, np.array(5),
     np.array([[5, 10]]), True]
)
BAD_SCHEDULES = BAD_RATES | st.sampled_from(
    ["cosine", "CosineDecay", {"class_name": "CosineDecay", "config": {}},
     s.CosineDecay]
)


def _choices(valid):
    return st.text(max_size=12).filter(lambda x: x not in valid) | (
        st.sampled_from([None, 1, ["linear"], ("cos",), {"linear": 1}, b"cos"])
    ) | st.sampled_from(sorted(valid)).map(str.upper)


@st.composite
def bad_lists(draw, valid, bad_item, increasing_from=None):
    """Not a list, a list with one bad item or, for steps, not increasing."""
    steps = increasing_from is not None
    way = draw(st.sampled_from(["type", "item"] + ["order"] * steps))
    if way == "type":
        return draw(NOT_LISTS)
    items = list(valid)
    if way == "item":
        at = draw(st.integers(0, max(len(items) - 1, 0)))
        items[at : at + 1] = [draw(bad_item)]
        return items
    if len(items) < 2:
        items = [draw(st.integers(increasing_from, 10**6))] * 2
    at = draw(st.integers(0, len(items) - 2))
    items[at + 1] = draw(st.integers(increasing_from, items[at]))
    return items


@st.composite
def wrong_length(draw, valid, item):
    length = draw(st.integers(0, 5).filter(lambda n: n != len(valid)))
    return draw(st.lists(item, min_size=length, max_size=length))


def _kinds(cls, kwargs):
    """Argument -> strategy of invalid values, given the valid `kwargs`, by
    the kind the table (`tests/schedules/arguments.py`) gives it."""
    return {
        arg: _bad_values(kind, kwargs.get(arg))
        for arg, kind in KINDS[cls].items()
    }


def _bad_values(kind, valid):
    if isinstance(kind, tuple):  # ("choice", values)
        return _choices(kind[1])
    if kind in ("milestones", "boundaries"):
        return bad_lists(valid, BAD_STEPS_0, 0)
    if kind == "boundaries_1":
        return bad_lists(valid, BAD_STEPS, 1)
    if kind == "values":
        return bad_lists(valid, BAD_RATES) | wrong_length(valid, RATES)
    if kind == "schedules":
        return bad_lists(valid, BAD_SCHEDULES) | wrong_length(valid, RATES)
    return {
        "rate": BAD_RATES,
        "positive": BAD_POSITIVES,
        "factor": BAD_FACTORS,
        "steps": BAD_STEPS,
        "steps_0": BAD_STEPS_0,
        "optional_steps": BAD_OPTIONAL_STEPS,
        "length": BAD_LENGTHS,
        "length_0": BAD_LENGTHS_0,
        "length_or_rest": BAD_LENGTHS.filter(lambda value: value is not None),
        "length_0_or_rest": BAD_LENGTHS_0.filter(lambda value: value is not None),
        "bool": NOT_BOOLS,
        "name": NOT_NAMES,
        "schedule": BAD_SCHEDULES,
        "t_mul": st.floats(max_value=1.0, exclude_max=True) | NOT_NUMBERS | HUGE,
        "fraction": st.floats(max_value=0.0) | st.floats(min_value=1.0)
        | NOT_NUMBERS,
    }[kind]


# Invalid combinations of valid-looking arguments: class -> function of the
# valid `kwargs` and `draw`, returning the changed kwargs and the argument
# the error must name.
def _cyclical_inverted(kwargs, draw):
    assume(kwargs["base_learning_rate"] > 0)
    top = draw(st.floats(0.0, kwargs["base_learning_rate"], exclude_max=True))
    return dict(kwargs, max_learning_rate=top), "max_learning_rate"


def _cyclical_too_long(kwargs, draw):
    up = draw(st.integers(2**30, MAX_STEP))
    down = draw(st.none() | st.integers(MAX_STEP - up + 1, MAX_STEP))
    return dict(kwargs, step_size_up=up, step_size_down=down), "step_size_up"


def _wsd_too_long(kwargs, draw):
    warmup = draw(st.integers(2**30, MAX_STEP))
    stable = draw(st.integers(MAX_STEP - warmup + 1, MAX_STEP))
    changed = dict(kwargs, warmup_steps=warmup, stable_steps=stable)
    return changed, "stable_steps"


def _restarts_too_many_cycles(kwargs, draw):
    t_mul = draw(st.floats(1.0, 1.001, exclude_min=True))
    changed = dict(kwargs, t_mul=t_mul, first_decay_steps=1, cycle_limit=None)
    return changed, "t_mul"


def _one_cycle_empty_phase(kwargs, draw):
    total = draw(st.integers(1, 1000))
    pct = draw(st.floats(0.0, 1.0 / total, exclude_min=True))
    assume(pct * total - 1 <= 0)  # PyTorch's first phase would have no step
    return dict(kwargs, total_steps=total, pct_start=pct), "pct_start"


def _one_cycle_overflow(kwargs, draw):
    peak = draw(st.floats(1e30, FLOAT32_MAX))
    div = draw(st.floats(FLOAT32_TINY, 1e-9))
    return dict(kwargs, max_learning_rate=peak, div_factor=div), "div_factor"


def _one_cycle_final_overflow(kwargs, draw):
    final_div = draw(st.floats(FLOAT32_TINY, 1.4e-38))
    changed = dict(kwargs, max_learning_rate=10.0, div_factor=1.0,
                   final_div_factor=final_div)
    return changed, "final_div_factor"


def _exponential_warmup_from_zero(kwargs, draw):
    changed = dict(kwargs, shape="exponential", initial_learning_rate=0.0)
    return changed, "initial_learning_rate"


COMBINATIONS = {
    s.Cyclical: [_cyclical_inverted, _cyclical_too_long],
    s.WarmupStableDecay: [_wsd_too_long],
    s.CosineRestarts: [_restarts_too_many_cycles],
    s.OneCycle: [
        _one_cycle_empty_phase, _one_cycle_overflow, _one_cycle_final_overflow
    ],
    s.Warmup: [_exponential_warmup_from_zero],
}


def _kwargs(strategy):
    return strategy.map(lambda drawn: drawn[0])


COMBINATOR_KWARGS = {
    s.Warmup: INNER.flatmap(lambda case: st.fixed_dictionaries(dict(
        schedule=st.just(case.schedule),
        warmup_steps=SPANS,
        initial_learning_rate=POSITIVE_RATES,
        shape=st.sampled_from(["linear", "cosine", "exponential"]),
        name=NAMES,
    ))),
    s.Sequential: st.integers(1, 3).flatmap(lambda n: st.fixed_dictionaries(
        dict(
            schedules=st.lists(RATES, min_size=n, max_size=n),
            boundaries=st.lists(st.integers(1, 10**6), min_size=n - 1,
                                max_size=n - 1, unique=True).map(sorted),
        )
    )),
    s.FromEpochs: st.fixed_dictionaries(dict(
        schedule=RATES | INNER.map(lambda case: case.schedule),
        steps_per_epoch=SPANS,
        staircase=st.booleans(),
    )),
}
VALID_KWARGS = {
    **{cls: _kwargs(strategy) for cls, strategy in SCHEDULES.items()},
    **COMBINATOR_KWARGS,
}


@pytest.mark.parametrize("cls", list(VALID_KWARGS), ids=lambda c: c.__name__)
@settings(PROFILE, max_examples=INVALID_EXAMPLES)
@given(data=st.data())
def test_invalid_argument_raises_value_error_naming_it(cls, data):
    kwargs = dict(data.draw(VALID_KWARGS[cls], label="valid"))
    kwargs.setdefault("name", None)
    combinations = COMBINATIONS.get(cls, [])
    choice = data.draw(
        st.sampled_from(sorted(kwargs) + [f.__name__ for f in combinations]),
        label="argument",
    )
    if choice in kwargs:
        arg = choice
        kwargs[arg] = data.draw(_kinds(cls, kwargs)[arg], label="bad value")
    else:
        combination = {f.__name__: f for f in combinations}[choice]
        kwargs, arg = combination(kwargs, data.draw)
    with pytest.raises(ValueError) as error:
        cls(**kwargs)
    message = str(error.value)
    assert message.startswith(("Argument `", "Arguments `")), message
    assert f"`{arg}`" in message, message
    assert "Received:" in message, message


EXAMPLES_PER_RUN = (
    VALUES_EXAMPLES * len(LEAF_CASES)
    + COMBINATOR_VALUES_EXAMPLES * len(COMBINATORS)
    + ROUND_TRIP_EXAMPLES * len(CASES)
    + INVALID_EXAMPLES * len(VALID_KWARGS)
)
