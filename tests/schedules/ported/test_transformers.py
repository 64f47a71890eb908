"""Hugging Face transformers' schedule tests, ported to keras_lrs.

Source: huggingface/transformers, `tests/optimization/test_optimization.py`
at commit 1001bb00bfeeac965908cdb4ab5c3d7ebe0c774f: `ScheduleInitTest.
test_schedulers`, the `get_*_schedule` value lists (10 steps, rate 10.0,
2 warmup steps of 10 unless said), through our equivalents, at the authors'
tolerance (1e-2 absolute). Its second half, the same values after a save
and reload in the middle, is a config round trip here (a keras_lrs schedule
is a function of the step: no state to save).

Our equivalents (the warmup is a `Warmup`, linear from 0, and the schedule
after it counts its steps from the end of the warmup):
- `get_constant_schedule` -> `Constant(10.0)`;
- `get_constant_schedule_with_warmup(4)` -> `Warmup(10.0, 4)`;
- `get_linear_schedule_with_warmup` -> `Warmup(PolynomialDecay(10.0, 8), 2)`;
- `get_cosine_schedule_with_warmup` -> `Warmup(CosineDecay(10.0, 8), 2)`;
- `get_cosine_with_hard_restarts_schedule_with_warmup(num_cycles=2)` ->
  `Warmup(CosineRestarts(10.0, 4, t_mul=1, cycle_limit=2), 2)`;
- `get_polynomial_decay_schedule_with_warmup(power=2, lr_end=1e-7)` ->
  `Warmup(PolynomialDecay(10.0, 8, 1e-7, power=2.0), 2)`.
No adaptation of values: `lr_end` is already an absolute rate.

Counts: of the file's 3 tests, `test_schedulers` is ported (its 6 cases,
none adapted); 2 are left out: `OptimizationTest`'s `test_adam_w` and
`test_adafactor` (optimizers, not schedules).

Backend-independent arithmetic on tiny schedules: cheap on any backend.
"""

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as lrs

NUM_STEPS = 10

SCHEDULES = {
    "get_constant_schedule": (
        lambda: lrs.Constant(10.0),
        [10.0] * NUM_STEPS,
    ),
    "get_constant_schedule_with_warmup": (
        lambda: lrs.Warmup(10.0, 4),
        [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0],
    ),
    "get_linear_schedule_with_warmup": (
        lambda: lrs.Warmup(lrs.PolynomialDecay(10.0, 8), 2),
        [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25],
    ),
    "get_cosine_schedule_with_warmup": (
        lambda: lrs.Warmup(lrs.CosineDecay(10.0, 8), 2),
        [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38],
    ),
    "get_cosine_with_hard_restarts_schedule_with_warmup": (
        lambda: lrs.Warmup(lrs.CosineRestarts(10.0, 4, t_mul=1.0, cycle_limit=2), 2),
        [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46],
    ),
    "get_polynomial_decay_schedule_with_warmup": (
        lambda: lrs.Warmup(lrs.PolynomialDecay(10.0, 8, 1e-7, power=2.0), 2),
        [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156],
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedulers(name):
    make, expected_learning_rates = SCHEDULES[name]
    learning_rates = keras_lrs.schedule_values(make(), NUM_STEPS)
    np.testing.assert_allclose(learning_rates, expected_learning_rates, atol=1e-2, rtol=0)

    # "save and reload": the same values from the schedule rebuilt from its config.
    config = keras.optimizers.schedules.serialize(make())
    reloaded = keras.optimizers.schedules.deserialize(config)
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(reloaded, NUM_STEPS), learning_rates
    )
