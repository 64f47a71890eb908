"""`schedule_values`: counts, arrays of steps, Keras's own schedules."""

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as s


def test_count_and_array_of_steps_agree():
    schedule = s.CosineDecay(1.0, 10)
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(schedule, 6),
        keras_lrs.schedule_values(schedule, np.arange(6)),
    )
    values = keras_lrs.schedule_values(schedule, [[0, 5], [10, 20]])
    assert values.shape == (2, 2) and values.dtype == np.float32
    expected = [[1.0, 0.5], [0.0, 0.0]]
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-7)


def test_keras_schedule_with_scalar_only_branching():
    # Keras's CosineDecay with a warmup uses `ops.cond`, defined for a scalar
    # step only; its values still come out, step by step.
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, 10, warmup_target=1.0, warmup_steps=4
    )
    values = keras_lrs.schedule_values(schedule, 16)
    expected = np.concatenate(
        [np.arange(4) / 4, (1 + np.cos(np.pi * np.minimum(np.arange(12), 10) / 10)) / 2]
    )
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("steps", [-1, 2.5, "10", [0, -3]])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match="`steps`"):
        keras_lrs.schedule_values(s.Constant(0.1), steps)
