"""Powers of a factor are right to float32 rounding at any step (SPEC.md).

Every schedule that raises a factor to a step or a count, against its
float64 reference (`keras_lrs/_power_cases.py`), at 0, 10**3, 10**6,
2**31 - 1 and 200 log-spaced steps, `rtol=1e-6` wherever the value is above
1e-30. Run on every backend, eagerly and compiled: the exponentials behind
the powers are each backend's own (and, compiled, its compiler's).
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_lrs
from keras_lrs._power_cases import checked_steps, power_cases, relative_errors
from keras_lrs.schedules.step_math import power

RTOL = 1e-6
CASES = power_cases()


@pytest.mark.parametrize("name", list(CASES))
def test_power_based_schedule_matches_float64(name):
    schedule, reference = CASES[name]
    steps = checked_steps()
    errors = relative_errors(keras_lrs.schedule_values(schedule, steps), reference(steps))
    worst = int(np.argmax(errors))
    assert errors[worst] <= RTOL, f"step {steps[worst]}: {errors[worst]:.2e}"


def _compiled(function):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=True)
    import torch

    return torch.compile(function, fullgraph=True)


def test_power_based_schedules_match_float64_when_compiled():
    steps = checked_steps()
    schedules = [schedule for schedule, _ in CASES.values()]
    values = _compiled(lambda step: ops.stack([s(step) for s in schedules]))(
        ops.convert_to_tensor(steps.astype("int32"))
    )
    values = ops.convert_to_numpy(values)
    for row, (name, (_, reference)) in zip(values, CASES.items()):
        errors = relative_errors(row, reference(steps))
        assert errors.max() <= RTOL, f"{name}: {errors.max():.2e}"


@pytest.mark.parametrize("base", [0.99999, 0.5, 1e-3])
def test_power_of_a_fractional_exponent(base):
    # Steps counted in epochs (`FromEpochs`) arrive as float32 fractions;
    # checked up to a value of about 1e-30.
    scale = 1 / 3
    last = 69 / (-np.log(base) * scale)
    exponents = np.linspace(0, last, 3001).astype("float32")
    expected = base ** (exponents.astype(np.float64) * scale)
    values = ops.convert_to_numpy(power(base, ops.convert_to_tensor(exponents), scale))
    assert relative_errors(values, expected).max() <= RTOL
