"""Mixed precision and gradient accumulation: the rate applied is the documented one.

- `mixed_float16` compiles the optimizer into a `LossScaleOptimizer`, whose
  own learning rate is unused: the callbacks must read and lower the inner
  optimizer's, and a saved model must keep the optimizer's variables.
- `mixed_bfloat16` keeps float32 variables and a float32 rate.
- With `gradient_accumulation_steps=A`, Keras calls the schedule with the
  number of batches seen: update k applies `schedule(k*A + A - 1)`.

The model's kernel records the rates applied (see `helpers.py`): the
gradient is exactly 1, and powers of two (loss scaling, averaging two
gradients of 1) keep it exact.
"""

import warnings

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as s
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau
from tests.callbacks.helpers import (
    applied_total,
    logged_points,
    ones,
    rate_recording_model,
)

STEPS_PER_EPOCH = 8
EPOCHS = 3
# torch.compile recompiles the loss-scaling and accumulation branches for
# minutes on a CPU; the compiled step on torch is tested elsewhere.
JIT_COMPILE = keras.backend.backend() != "torch"


def _schedule():
    return s.Warmup(s.CosineRestarts(0.1, 5, t_mul=1.5), 3)


@pytest.fixture
def policy(request):
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy("float32")


def _fit(model, tmp_path, epochs=EPOCHS):
    # The plateau callback halves the rate at the end of every epoch after
    # warmup (a loss that never falls in "max" mode never improves).
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    return model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=epochs, verbose=0,
        callbacks=[plateau, monitor],
    )


def _expected_rates(schedule_steps, epoch_of_update, epochs):
    """Rates of the updates, with the halving after epochs 1, 2, ..."""
    values = keras_lrs.schedule_values(_schedule(), schedule_steps)
    # Epoch 0 ends inside the warmup (3 steps < 8), so it does not count;
    # every later epoch halves the rate for the next one.
    scales = np.array([0.5 ** max(epoch - 1, 0) for epoch in range(epochs)])
    return values * scales[epoch_of_update].astype("float32")


def _assert_applied_and_logged(
    model, history, log_dir, updates, expected, next_batches, applied=None
):
    """The weights moved by `expected` (or `applied`) at `updates`, which
    the monitor logged; the epoch logs hold the rate of the update after
    each epoch, made at `next_batches`, after the epoch's reduction."""
    logged_steps, logged = logged_points(log_dir)
    np.testing.assert_array_equal(logged_steps, updates)
    np.testing.assert_allclose(logged, expected, rtol=1e-6)
    applied = expected if applied is None else applied
    np.testing.assert_allclose(applied_total(model), applied.astype("float64").sum(), rtol=1e-5)
    np.testing.assert_allclose(
        history.history["learning_rate"],
        keras_lrs.schedule_values(_schedule(), next_batches) * np.float32([1, 0.5, 0.25]),
        rtol=1e-6,
    )


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"], indirect=True)
def test_mixed_precision_applies_and_logs_the_scheduled_rate(tmp_path, policy):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()), JIT_COMPILE)
    if policy == "mixed_float16":
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.layers[0].compute_dtype == policy.split("_")[1]
    history = _fit(model, tmp_path)

    total = EPOCHS * STEPS_PER_EPOCH
    steps = np.arange(total)
    expected = _expected_rates(steps, steps // STEPS_PER_EPOCH, EPOCHS)
    _assert_applied_and_logged(model, history, tmp_path, steps, expected, [8, 16, 24])


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_loss_scale_optimizer_saves_and_reloads_everything(tmp_path, policy):
    model = rate_recording_model(keras.optimizers.Adam(_schedule()), JIT_COMPILE)
    _fit(model, tmp_path / "logs")
    path = tmp_path / "model.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns when it skips variables
        loaded = keras_lrs.load_model(path)
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(saved), keras.ops.convert_to_numpy(restored)
        )
    inner = loaded.optimizer.inner_optimizer
    assert inner._learning_rate.scale == 0.25  # halved after epochs 1 and 2
    assert inner._learning_rate.counters == model.optimizer.inner_optimizer._learning_rate.counters


def test_accumulation_applies_the_schedule_at_the_last_batch_of_each_update(tmp_path):
    every = 2
    model = rate_recording_model(
        keras.optimizers.SGD(_schedule(), gradient_accumulation_steps=every),
        JIT_COMPILE,
    )
    history = _fit(model, tmp_path)

    batches = EPOCHS * STEPS_PER_EPOCH
    updates = batches // every
    update_steps = np.arange(updates)
    expected = _expected_rates(
        update_steps * every + every - 1,
        update_steps * every // STEPS_PER_EPOCH,
        EPOCHS,
    )
    if not hasattr(model.optimizer, "_iterations"):
        # Keras 3.3 and 3.4: `iterations` counts batches, and the monitor logs the
        # schedule at each; the updates (at every second batch) apply the
        # same values as in later Keras.
        assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == batches
        steps = np.arange(batches)
        logged = _expected_rates(steps, steps // STEPS_PER_EPOCH, EPOCHS)
        np.testing.assert_allclose(logged[every - 1 :: every], expected, rtol=0)
        _assert_applied_and_logged(
            model, history, tmp_path, steps, logged, [8, 16, 24],
            applied=expected,
        )
        return
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == updates
    # Update 4, the first after epoch 0, is made at batch 9.
    _assert_applied_and_logged(
        model, history, tmp_path, update_steps, expected, [9, 17, 25]
    )


def test_counting_updates_instead_of_batches():
    # FromEpochs(schedule, A, staircase=True) makes update k use schedule(k).
    every = 4
    schedule = s.FromEpochs(_schedule(), every, staircase=True)
    batches = np.arange(64)
    update_batches = batches[batches % every == every - 1]
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(schedule, update_batches),
        keras_lrs.schedule_values(_schedule(), update_batches // every),
    )
