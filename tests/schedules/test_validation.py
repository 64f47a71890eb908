"""Every bad argument raises a Keras-style ValueError at construction."""

import math

import numpy as np
import pytest

from keras_lrs import schedules as s

NOT_NUMBERS = [float("nan"), float("inf"), -float("inf"), "0.1", None, True]

# class -> valid keyword arguments; each bad case below overrides one.
VALID = {
    s.Constant: dict(learning_rate=0.1),
    s.StepDecay: dict(initial_learning_rate=0.1, step_size=10),
    s.MultiStepDecay: dict(initial_learning_rate=0.1, milestones=[5, 10]),
    s.PiecewiseConstant: dict(boundaries=[5, 10], values=[0.1, 0.01, 0.001]),
    s.ExponentialDecay: dict(
        initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5
    ),
    s.InverseTimeDecay: dict(
        initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5
    ),
    s.InverseSqrtDecay: dict(initial_learning_rate=0.1, timescale=10),
    s.PolynomialDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    s.CosineDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    s.CosineRestarts: dict(initial_learning_rate=0.1, first_decay_steps=10),
    s.OneCycle: dict(max_learning_rate=0.1, total_steps=100),
    s.Cyclical: dict(base_learning_rate=0.01, max_learning_rate=0.1),
    s.WarmupStableDecay: dict(
        peak_learning_rate=0.1, warmup_steps=5, stable_steps=10, decay_steps=5
    ),
    s.Warmup: dict(schedule=0.1, warmup_steps=5),
    s.Sequential: dict(schedules=[0.1, 0.01], boundaries=[10]),
    s.FromEpochs: dict(schedule=0.1, steps_per_epoch=10),
}

RATES = {
    s.Constant: ["learning_rate"],
    s.StepDecay: ["initial_learning_rate", "min_learning_rate"],
    s.MultiStepDecay: ["initial_learning_rate"],
    s.ExponentialDecay: ["initial_learning_rate", "min_learning_rate"],
    s.InverseTimeDecay: ["initial_learning_rate", "decay_rate"],
    s.InverseSqrtDecay: ["initial_learning_rate"],
    s.PolynomialDecay: ["initial_learning_rate", "end_learning_rate", "power"],
    s.CosineDecay: ["initial_learning_rate", "end_learning_rate"],
    s.CosineRestarts: ["initial_learning_rate", "end_learning_rate"],
    s.OneCycle: ["max_learning_rate"],
    s.Cyclical: ["base_learning_rate", "max_learning_rate"],
    s.WarmupStableDecay: [
        "peak_learning_rate", "end_learning_rate", "initial_learning_rate"
    ],
    s.Warmup: ["initial_learning_rate", "schedule"],
    s.Sequential: [],
    s.FromEpochs: ["schedule"],
}

STEPS = {
    s.StepDecay: ["step_size"],
    s.ExponentialDecay: ["decay_steps"],
    s.InverseTimeDecay: ["decay_steps"],
    s.PolynomialDecay: ["decay_steps"],
    s.CosineDecay: ["decay_steps"],
    s.CosineRestarts: ["first_decay_steps", "cycle_limit"],
    s.OneCycle: ["total_steps"],
    s.Cyclical: ["step_size_up", "step_size_down"],
    s.WarmupStableDecay: ["decay_steps"],
    s.Warmup: ["warmup_steps"],
    s.FromEpochs: ["steps_per_epoch"],
}

FACTORS = {
    s.StepDecay: ["gamma"],
    s.MultiStepDecay: ["gamma"],
    s.ExponentialDecay: ["decay_rate"],
    s.CosineRestarts: ["m_mul"],
    s.Cyclical: ["gamma"],
}


def _cases(table, bad_values):
    return [
        pytest.param(cls, arg, value, id=f"{cls.__name__}-{arg}={value!r}")
        for cls, args in table.items()
        for arg in args
        for value in bad_values
    ]


SPECIAL = [
    (s.MultiStepDecay, "milestones", [10, 5]),
    (s.MultiStepDecay, "milestones", [5, 5]),
    (s.MultiStepDecay, "milestones", [-1, 5]),
    (s.MultiStepDecay, "milestones", [2.5]),
    (s.MultiStepDecay, "milestones", 5),
    (s.PiecewiseConstant, "boundaries", [10, 5]),
    (s.PiecewiseConstant, "values", [0.1, 0.01]),
    (s.PiecewiseConstant, "values", [0.1, 0.01, 0.001, 0.0001]),
    (s.PiecewiseConstant, "values", [0.1, -0.01, 0.001]),
    (s.PiecewiseConstant, "values", [0.1, float("nan"), 0.001]),
    (s.PiecewiseConstant, "values", 0.1),
    (s.Sequential, "boundaries", [0]),
    (s.Sequential, "boundaries", [10, 10]),
    (s.Sequential, "boundaries", [10, 20]),
    (s.Sequential, "schedules", [0.1, "cosine"]),
    (s.Sequential, "schedules", [0.1, -0.1]),
    (s.Sequential, "schedules", "cosine"),
    (s.Warmup, "shape", "quadratic"),
    (s.Warmup, "initial_learning_rate", 0.0),  # with shape="exponential"
    (s.Warmup, "schedule", "cosine"),
    (s.CosineRestarts, "t_mul", 0.5),
    (s.CosineRestarts, "t_mul", 1.0000001),
    (s.OneCycle, "pct_start", 0.0),
    (s.OneCycle, "pct_start", 1.0),
    (s.OneCycle, "pct_start", 0.005),  # first phase without steps
    (s.OneCycle, "div_factor", 0.0),
    (s.OneCycle, "final_div_factor", -1.0),
    (s.OneCycle, "anneal_strategy", "cosine"),
    (s.OneCycle, "three_phase", "yes"),
    (s.Cyclical, "mode", "triangle"),
    (s.Cyclical, "max_learning_rate", 0.001),  # below base_learning_rate
    (s.WarmupStableDecay, "decay_shape", "exp"),
    (s.WarmupStableDecay, "warmup_steps", -1),
    (s.WarmupStableDecay, "stable_steps", 1.5),
    (s.InverseSqrtDecay, "timescale", 0),
    (s.ExponentialDecay, "staircase", "no"),
    (s.FromEpochs, "staircase", 1),
    (s.Constant, "name", 3),
]


def _build(cls, arg, value):
    kwargs = dict(VALID[cls], **{arg: value})
    if cls is s.Warmup and arg == "initial_learning_rate" and value == 0.0:
        kwargs["shape"] = "exponential"
    return cls(**kwargs)


@pytest.mark.parametrize("cls", list(VALID))
def test_valid_arguments_construct(cls):
    cls(**VALID[cls])


@pytest.mark.parametrize(
    "cls, arg, value",
    _cases(RATES, [-0.1, *NOT_NUMBERS])
    + _cases(STEPS, [0, -5, 2.5, *NOT_NUMBERS[:-2], True])
    + _cases(FACTORS, [0.0, -0.5, 1.5, *NOT_NUMBERS])
    + [pytest.param(*case, id=f"{case[0].__name__}-{case[1]}={case[2]!r}")
       for case in SPECIAL],
)
def test_bad_argument_raises_value_error_naming_it(cls, arg, value):
    with pytest.raises(ValueError) as error:
        _build(cls, arg, value)
    message = str(error.value)
    assert f"`{arg}`" in message, message
    assert "Received:" in message, message


def test_message_has_keras_wording():
    with pytest.raises(ValueError) as error:
        s.CosineDecay(0.1, decay_steps=0)
    assert str(error.value) == (
        "Argument `decay_steps` must be > 0. Received: decay_steps=0"
    )


@pytest.mark.parametrize("value", [np.float32(16.0), np.int64(10), 10.0])
def test_numpy_scalars_and_integral_floats_are_accepted(value):
    schedule = s.StepDecay(0.1, step_size=value)
    assert schedule.step_size == int(value)
    assert isinstance(schedule.step_size, int)


def test_no_nan_from_extreme_but_valid_arguments():
    from keras_lrs import schedule_values

    steps = np.array([0, 1, 10, 2**20, 2**31 - 1])
    extreme = [
        s.ExponentialDecay(1e30, 1, 1e-30),
        s.InverseSqrtDecay(1e-30, timescale=1e-30),
        s.PolynomialDecay(1.0, 1, power=0.0, cycle=True),
        s.CosineRestarts(1.0, 1, t_mul=2.0, m_mul=1e-10, cycle_limit=1),
        s.Warmup(0.0, 1, initial_learning_rate=1e-30, shape="exponential"),
        s.Cyclical(0.0, 1e30, 1, mode="exp_range", gamma=1e-30),
    ]
    for schedule in extreme:
        values = schedule_values(schedule, steps)
        assert np.all(np.isfinite(values)) and np.all(values >= 0), schedule
        assert not math.isnan(values.sum())
