"""Every bad argument raises a Keras-style ValueError at construction."""

import inspect
import math

import numpy as np
import pytest

from keras_lrs import schedules as s

from tests.schedules.arguments import KINDS, SPECIAL, VALID

NOT_NUMBERS = [float("nan"), float("inf"), -float("inf"), "0.1", None, True]
NOT_STEPS = [-5, 2.5, *NOT_NUMBERS[:-2], True]


def _with_item(valid, item):
    """The valid list with its first item replaced."""
    return [item, *valid[1:]]


def bad_examples(kind, valid):
    """Invalid values of an argument of `kind`, whose valid value is `valid`."""
    if isinstance(kind, tuple):  # ("choice", values)
        return ["nonexistent", None, sorted(kind[1])[0].upper()]
    lists = {
        "milestones": [-1, 2.5, "5"],
        "boundaries": [-1, 2.5, "5"],
        "boundaries_1": [0, -1, 2.5],
        "values": [-0.01, float("nan"), "0.1"],
        "schedules": [-0.1, "cosine", None],
    }
    if kind in lists:
        not_a_list = [5, "5", {5}] if kind != "schedules" else ["cosine", 0.1]
        return [_with_item(valid, item) for item in lists[kind]] + not_a_list
    return {
        "rate": [-0.1, *NOT_NUMBERS],
        "positive": [0, -1.0, 1e-45, *NOT_NUMBERS],
        "factor": [0.0, -0.5, 1.5, *NOT_NUMBERS],
        "steps": [0, *NOT_STEPS],
        "steps_0": NOT_STEPS,
        "optional_steps": [0, *NOT_STEPS[:-3], True],
        "bool": ["no", 1, None],
        "name": [3, b"name"],
        "schedule": ["cosine", -0.1, None],
        "t_mul": [0.5, 0.0, *NOT_NUMBERS],
        "fraction": [0.0, 1.0, -0.5, *NOT_NUMBERS],
    }[kind]


def _cases():
    cases = [
        (cls, arg, value)
        for cls, kinds in KINDS.items()
        for arg, kind in kinds.items()
        for value in bad_examples(kind, VALID[cls].get(arg))
    ]
    return [
        pytest.param(cls, arg, value, id=f"{cls.__name__}-{arg}={value!r}")
        for cls, arg, value in cases + SPECIAL
    ]


def _build(cls, arg, value):
    kwargs = dict(VALID[cls], **{arg: value})
    if cls is s.Warmup and arg == "initial_learning_rate" and value == 0.0:
        kwargs["shape"] = "exponential"
    return cls(**kwargs)


@pytest.mark.once
@pytest.mark.parametrize("cls", list(VALID))
def test_valid_arguments_construct(cls):
    cls(**VALID[cls])


@pytest.mark.once
@pytest.mark.parametrize("cls", list(VALID))
def test_the_table_has_every_argument(cls):
    arguments = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert set(KINDS[cls]) == arguments
    assert set(VALID[cls]) <= arguments


@pytest.mark.once
@pytest.mark.parametrize("cls, arg, value", _cases())
def test_bad_argument_raises_value_error_naming_it(cls, arg, value):
    with pytest.raises(ValueError) as error:
        _build(cls, arg, value)
    message = str(error.value)
    assert f"`{arg}`" in message, message
    assert "Received:" in message, message


@pytest.mark.once
def test_message_has_keras_wording():
    with pytest.raises(ValueError) as error:
        s.CosineDecay(0.1, decay_steps=0)
    assert str(error.value) == (
        "Argument `decay_steps` must be > 0. Received: decay_steps=0"
    )


@pytest.mark.once
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
