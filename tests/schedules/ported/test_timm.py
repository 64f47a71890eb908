"""timm's scheduler tests, ported to keras_lrs.

Source: huggingface/pytorch-image-models, `tests/test_scheduler.py` at
commit 0514e98dfb5cef2abdd48d1810197df7911cf248. Cases and expected values
are the authors' (each test keeps its name and tolerance); the code that
evaluates them is ours. timm's value after `step(t)` is ours at step `t`.

Our equivalents: `CosineLRScheduler` -> `CosineDecay` (`CosineRestarts`
with `t_mul=1` for `cycle_limit`), `StepLRScheduler` -> `StepDecay`,
`MultiStepLRScheduler` -> `MultiStepDecay`, `PolyLRScheduler` ->
`PolynomialDecay`; `warmup_t`, `warmup_lr_init` and `warmup_prefix=True`
-> `Warmup(schedule, warmup_t, initial_learning_rate=warmup_lr_init)`
(our warmup is always a prefix: the schedule counts from its end).
No adaptation of values: `lr_min` is already an absolute rate, and timm's
milestones apply at `t >= b`, as ours.

Counts: of the file's 52 cases (parametrized ones counted one by one), 18
are ported, none adapted; 34 are left out, with why: every case of `TanhLRScheduler` (9: no tanh schedule
here) and `PlateauLRScheduler` (3: another file); `test_scheduler_init`
(constructors only); `test_get_cycle_length`,
`TestStateDict`, `TestStepUpdate`, `TestMultipleParamGroups` (timm's
scheduler API: state, `t_in_epochs`, parameter groups; a keras_lrs
schedule is a stateless function of the step); `TestNoise` and `TestKDecay`
(no noise or k-decay option here).

Backend-independent arithmetic on tiny schedules: cheap on any backend.
"""

import math

import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as lrs

BASE_LR = 0.1
LR_MIN = 0.001

# timm's parametrization, less TanhLRScheduler: name -> our schedule.
FAMILIES = {
    "CosineLRScheduler": lambda decay_rate: lrs.CosineDecay(BASE_LR, 100),
    "StepLRScheduler": lambda decay_rate: lrs.StepDecay(BASE_LR, 10, gamma=decay_rate),
    "MultiStepLRScheduler": lambda decay_rate: lrs.MultiStepDecay(
        BASE_LR, [10, 20, 30], gamma=decay_rate
    ),
    "PolyLRScheduler": lambda decay_rate: lrs.PolynomialDecay(BASE_LR, 100),
}


def values_at(schedule, steps):
    return keras_lrs.schedule_values(schedule, np.asarray(steps))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_scheduler_step(family):
    schedule = FAMILIES[family](0.1)  # timm's default decay_rate
    values = values_at(schedule, [0, 9])
    assert values[1] <= values[0]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_warmup_lr_increases(family):
    warmup_lr_init, warmup_t = 0.001, 5
    schedule = lrs.Warmup(
        FAMILIES[family](0.1), warmup_t, initial_learning_rate=warmup_lr_init
    )
    values = values_at(schedule, range(warmup_t))
    assert values[0] == pytest.approx(warmup_lr_init, rel=1e-5)
    assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_warmup_prefix_reaches_target_lr(family):
    warmup_lr_init, warmup_t = 0.001, 5
    schedule = lrs.Warmup(
        FAMILIES[family](0.5), warmup_t, initial_learning_rate=warmup_lr_init
    )
    assert values_at(schedule, [warmup_t])[0] == pytest.approx(BASE_LR, rel=1e-5)


def test_cosine_decay():
    t_initial = 100
    schedule = lrs.CosineDecay(BASE_LR, t_initial, end_learning_rate=LR_MIN)
    start, mid, end = values_at(schedule, [0, t_initial // 2, t_initial])
    assert start == pytest.approx(BASE_LR, rel=1e-5)
    expected_mid = LR_MIN + 0.5 * (BASE_LR - LR_MIN) * (1 + math.cos(math.pi * 0.5))
    assert mid == pytest.approx(expected_mid, rel=1e-2)
    assert end == pytest.approx(LR_MIN, rel=1e-5)


def test_cosine_cycles():
    t_initial, cycle_limit = 50, 2
    schedule = lrs.CosineRestarts(
        BASE_LR, t_initial, t_mul=1.0, end_learning_rate=LR_MIN, cycle_limit=cycle_limit
    )
    assert values_at(schedule, [t_initial - 1])[0] < BASE_LR * 0.5
    after = values_at(schedule, range(t_initial * cycle_limit, t_initial * cycle_limit + 10))
    assert after[-1] == pytest.approx(LR_MIN, rel=1e-5)


def test_step_decay():
    decay_t, decay_rate = 10, 0.5
    schedule = lrs.StepDecay(BASE_LR, decay_t, gamma=decay_rate)
    values = values_at(schedule, [decay_t - 1, decay_t, 2 * decay_t])
    expected = [BASE_LR, BASE_LR * decay_rate, BASE_LR * decay_rate**2]
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_multistep_decay_boundary():
    decay_rate = 0.5
    schedule = lrs.MultiStepDecay(BASE_LR, [10, 20], gamma=decay_rate)
    values = values_at(schedule, [9, 10, 19, 20])
    expected = [BASE_LR, BASE_LR * decay_rate, BASE_LR * decay_rate, BASE_LR * decay_rate**2]
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_multistep_decay():
    decay_rate = 0.5
    schedule = lrs.MultiStepDecay(BASE_LR, [10, 20, 30], gamma=decay_rate)
    values = values_at(schedule, [8, 11, 21, 31])
    expected = [BASE_LR * decay_rate**k for k in range(4)]
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_poly_decay():
    t_initial = 100
    schedule = lrs.PolynomialDecay(BASE_LR, t_initial, LR_MIN, power=1.0)
    start, end = values_at(schedule, [0, t_initial])
    assert start == pytest.approx(BASE_LR, rel=1e-5)
    assert end == pytest.approx(LR_MIN, rel=1e-5)
