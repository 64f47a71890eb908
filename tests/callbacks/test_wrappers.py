"""Optimizer wrappers: every reader of an optimizer sees the rates its updates use.

- `MultiOptimizer` (Keras >= 3.15) gives each layer its own optimizer and
  rate: the monitor logs one series per optimizer, the plateau callback
  lowers each rate, the range test sweeps one multiplier of all of them.
- `use_ema=True` keeps moving averages of the weights in the optimizer.

The model has two kernels, `slow` and `fast`, each fed ones: the loss is
the mean of their sum, so each kernel's gradient is exactly 1 and plain SGD
moves it by minus its own optimizer's rate at each step (see `helpers.py`).
"""

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as s
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau
from keras_lrs._plumbing.rates import rate_holders
from tests import compiled
from tests.callbacks.helpers import logged_points, mean_prediction, steps_per_execution

STEPS_PER_EPOCH = 8
EPOCHS = 3
MultiOptimizer = getattr(keras.optimizers, "MultiOptimizer", None)
needs_multi_optimizer = pytest.mark.skipif(
    MultiOptimizer is None,
    reason=f"keras.optimizers.MultiOptimizer is new in Keras 3.15 (found {keras.__version__})",
)


def _schedules():
    return {
        "slow": s.Warmup(s.CosineDecay(0.01, 20), 3),
        "fast": s.CosineRestarts(0.2, 5, t_mul=1.5),
    }


def _two_kernel_model(optimizer):
    inputs = keras.Input((1,))
    outputs = keras.layers.Add()(
        [
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name=name)(inputs)
            for name in ("slow", "fast")
        ]
    )
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=optimizer, loss=mean_prediction, jit_compile=compiled.jit_compile(),
        steps_per_execution=steps_per_execution(4),
    )
    return model


def _multi_optimizer():
    schedules = _schedules()
    slow = keras.optimizers.SGD(schedules["slow"], name="slow_sgd")
    fast = keras.optimizers.SGD(schedules["fast"], name="fast_sgd")
    return MultiOptimizer(
        keras.optimizers.OptimizerMap(default_optimizer=slow, optimizer_map={"fast/.*": fast})
    )


def _kernels(model):
    return {name: -float(model.get_layer(name).get_weights()[0][0, 0]) for name in ("slow", "fast")}


def _ones(steps):
    x = np.ones((steps, 1), "float32")
    return x, x


def _fit(model, callbacks, epochs=EPOCHS):
    return model.fit(
        *_ones(STEPS_PER_EPOCH), batch_size=1, epochs=epochs, verbose=0,
        callbacks=callbacks,
    )


def _halved_each_epoch_after_the_first(steps):
    """Scales when the plateau callback, in "max" mode on a falling loss,
    halves the rates after each epoch but the first (whose loss is the
    first best)."""
    epoch = steps // STEPS_PER_EPOCH
    return (0.5 ** np.maximum(epoch - 1, 0)).astype("float32")


@needs_multi_optimizer
def test_monitor_logs_one_series_per_optimizer(tmp_path):
    model = _two_kernel_model(_multi_optimizer())
    history = _fit(model, [LearningRateMonitor(tmp_path, update_freq="batch")])

    total = EPOCHS * STEPS_PER_EPOCH
    for name, schedule in _schedules().items():
        steps, logged = logged_points(tmp_path, f"learning_rate_{name}_sgd")
        np.testing.assert_array_equal(steps, np.arange(total))
        expected = keras_lrs.schedule_values(schedule, total)
        np.testing.assert_allclose(logged, expected, rtol=1e-6)
        # What the monitor logged is what the updates applied.
        np.testing.assert_allclose(_kernels(model)[name], expected.astype("float64").sum(), rtol=1e-5)
        np.testing.assert_allclose(
            history.history[f"learning_rate_{name}_sgd"],
            keras_lrs.schedule_values(schedule, [8, 16, 24]),
            rtol=1e-6,
        )
    assert "learning_rate" not in history.history


@needs_multi_optimizer
def test_plateau_lowers_every_optimizers_rate(tmp_path):
    model = _two_kernel_model(_multi_optimizer())
    # A loss that never rises, watched in "max" mode, never improves.
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    history = _fit(model, [plateau, LearningRateMonitor(tmp_path, update_freq="batch")])

    total = EPOCHS * STEPS_PER_EPOCH
    steps = np.arange(total)
    scales = _halved_each_epoch_after_the_first(steps)
    for name, schedule in _schedules().items():
        expected = keras_lrs.schedule_values(schedule, steps) * scales
        np.testing.assert_allclose(_kernels(model)[name], expected.astype("float64").sum(), rtol=1e-5)
        np.testing.assert_allclose(logged_points(tmp_path, f"learning_rate_{name}_sgd")[1], expected, rtol=1e-6)
        # After each epoch's reduction: the monitor, listed after the
        # plateau callback, writes the rate of the next step last.
        np.testing.assert_allclose(
            history.history[f"learning_rate_{name}_sgd"],
            keras_lrs.schedule_values(schedule, [8, 16, 24]) * np.float32([1, 0.5, 0.25]),
            rtol=1e-6,
        )


@needs_multi_optimizer
def test_plateau_bounds_each_rate_by_min_lr():
    model = _two_kernel_model(_multi_optimizer())
    # After epoch 1 the `fast` rate halves; `slow`'s would fall below
    # min_lr, so it stops there. (A MultiOptimizer lists the optimizers of
    # its map before its default one.)
    slow_at_16 = float(keras_lrs.schedule_values(_schedules()["slow"], [16])[0])
    plateau = ReduceLROnPlateau(
        monitor="loss", mode="max", patience=0, factor=0.5, min_lr=slow_at_16 * 0.8
    )
    _fit(model, [plateau], epochs=2)
    holders = {h.name: h for h in rate_holders(model.optimizer)}
    assert holders["slow_sgd"]._learning_rate.scale == pytest.approx(0.8, rel=1e-6)
    assert holders["fast_sgd"]._learning_rate.scale == 0.5


@needs_multi_optimizer
def test_multi_optimizer_with_plateau_saves_and_reloads(tmp_path):
    model = _two_kernel_model(_multi_optimizer())
    _fit(model, [ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    # The plateau callback's scales, tracked by the first model's
    # optimizers, are saved with the schedules' configs instead.
    saved_variables = [v for v in model.optimizer.variables if v.name != "learning_rate_scale"]
    for saved, restored in zip(saved_variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(saved), keras.ops.convert_to_numpy(restored)
        )
    holders = {h.name: h for h in rate_holders(loaded.optimizer)}
    assert holders["fast_sgd"]._learning_rate.scale == 0.25  # halved after epochs 1 and 2
    # After epoch 2 `slow`'s rate is 0 (its decay ended at step 23): no
    # reduction lowers it by more than `eps`.
    assert holders["slow_sgd"]._learning_rate.scale == 0.5


@needs_multi_optimizer
def test_multi_optimizer_scales_ride_the_weights(tmp_path):
    # `BackupAndRestore`'s path: `save_weights`, then `load_weights` into
    # the running model, restores every optimizer's scale.
    model = _two_kernel_model(_multi_optimizer())
    _fit(model, [ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)])
    holders = rate_holders(model.optimizer)
    path = tmp_path / "backup.weights.h5"
    model.save_weights(path)
    for holder in holders:
        holder._learning_rate.scale_variable.assign(1.0)
    model.load_weights(path)
    scales = {holder.name: holder._learning_rate.scale for holder in holders}
    assert scales == {"fast_sgd": 0.25, "slow_sgd": 0.5}


@needs_multi_optimizer
def test_range_test_sweeps_one_multiplier_and_restores_everything():
    model = _two_kernel_model(_multi_optimizer())
    _fit(model, [], epochs=1)  # the optimizers are at step 8, rates not at 0
    for name in ("slow", "fast"):  # a loss that stays positive
        model.get_layer(name).set_weights([np.full((1, 1), 50.0, "float32")])
    optimizer = model.optimizer
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.variables + optimizer.variables]
    holders = rate_holders(optimizer)
    held = [holder._learning_rate for holder in holders]
    rates_at_8 = sum(float(keras_lrs.schedule_values(schedule, [8])[0]) for schedule in _schedules().values())
    kernels = sum(_kernels(model).values())

    result = keras_lrs.find_learning_rate(
        model, *_ones(16), batch_size=1, start_learning_rate=0.1,
        end_learning_rate=10.0, num_steps=6, divergence_threshold=1e9, verbose=0,
    )

    # The loss of step k is the kernels' sum: minus the rates applied so
    # far, each optimizer's rate at step 8 times the multiplier.
    multipliers = np.geomspace(0.1, 10.0, 6)
    np.testing.assert_allclose(result.learning_rates, multipliers, rtol=1e-6)
    applied = np.concatenate([[0.0], np.cumsum(multipliers[:-1])]) * rates_at_8
    np.testing.assert_allclose(result.losses, -(kernels + applied), rtol=1e-5)
    after = [keras.ops.convert_to_numpy(v) for v in model.variables + optimizer.variables]
    for got, expected in zip(after, before, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert [holder._learning_rate for holder in holders] == held


def _ema_model():
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(_schedules()["fast"], use_ema=True, ema_momentum=0.5),
        loss=mean_prediction, jit_compile=compiled.jit_compile(),
        steps_per_execution=steps_per_execution(4),
    )
    return model


def test_use_ema_applies_logs_and_lowers_the_scheduled_rate(tmp_path):
    model = _ema_model()
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    history = _fit(model, [plateau, LearningRateMonitor(tmp_path, update_freq="batch")])

    steps = np.arange(EPOCHS * STEPS_PER_EPOCH)
    scales = _halved_each_epoch_after_the_first(steps)
    expected = keras_lrs.schedule_values(_schedules()["fast"], steps) * scales
    np.testing.assert_allclose(logged_points(tmp_path)[1], expected, rtol=1e-6)
    # At the end of `fit` Keras puts the moving average in the weights: its
    # first value is the weight after the first update, then
    # `average = m * average + (1 - m) * weight` after each update.
    weights = -np.cumsum(expected.astype("float64"))
    average = weights[0]
    for weight in weights[1:]:
        average = 0.5 * average + 0.5 * weight
    np.testing.assert_allclose(float(model.get_weights()[0][0, 0]), average, rtol=1e-5)
    assert len(history.history["learning_rate"]) == EPOCHS


def test_use_ema_range_test_restores_the_averages():
    model = _ema_model()
    _fit(model, [], epochs=1)
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.optimizer.variables]
    keras_lrs.find_learning_rate(
        model, *_ones(16), batch_size=1, num_steps=5, divergence_threshold=1e9, verbose=0
    )
    for got, expected in zip(model.optimizer.variables, before, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(got), expected)
    # The test runs one batch per call; the model's own setting is back.
    assert model.steps_per_execution == steps_per_execution(4)


@needs_multi_optimizer
def test_multi_optimizer_under_mixed_precision(tmp_path):
    # `mixed_float16` wraps the MultiOptimizer in a LossScaleOptimizer.
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = _two_kernel_model(_multi_optimizer())
    finally:
        keras.config.set_dtype_policy("float32")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    _fit(model, [plateau, LearningRateMonitor(tmp_path, update_freq="batch")])

    steps = np.arange(EPOCHS * STEPS_PER_EPOCH)
    scales = _halved_each_epoch_after_the_first(steps)
    for name, schedule in _schedules().items():
        expected = keras_lrs.schedule_values(schedule, steps) * scales
        np.testing.assert_allclose(logged_points(tmp_path, f"learning_rate_{name}_sgd")[1], expected, rtol=1e-6)
        # float16 activations, float32 kernels: the updates are exact to
        # float32 rounding.
        np.testing.assert_allclose(_kernels(model)[name], expected.astype("float64").sum(), rtol=1e-5)


@needs_multi_optimizer
def test_multi_optimizer_with_a_scheduled_momentum(tmp_path):
    # keras_lrs.optimizers.SGD with a cycled momentum for one kernel, Keras's
    # SGD for the other. Each kernel's gradient is 1, so Keras's rule
    # `velocity = momentum * velocity - rate; kernel += velocity` gives the
    # kernel in a float64 loop.
    cycle = s.OneCycle(0.05, EPOCHS * STEPS_PER_EPOCH)
    momentum = cycle.momentum_schedule()
    slow = keras_lrs.optimizers.SGD(cycle, momentum=momentum, name="slow_sgd")
    fast = keras.optimizers.SGD(_schedules()["fast"], momentum=0.5, name="fast_sgd")
    model = _two_kernel_model(
        MultiOptimizer(keras.optimizers.OptimizerMap(slow, {"fast/.*": fast}))
    )
    monitor = LearningRateMonitor(tmp_path, update_freq="batch", log_momentum=True)
    _fit(model, [monitor])

    steps = np.arange(EPOCHS * STEPS_PER_EPOCH)
    for name, rates, momenta in (
        ("slow", keras_lrs.schedule_values(cycle, steps), keras_lrs.schedule_values(momentum, steps)),
        ("fast", keras_lrs.schedule_values(_schedules()["fast"], steps), np.full(len(steps), 0.5)),
    ):
        velocity = kernel = 0.0
        for rate, value in zip(rates.astype("float64"), momenta.astype("float64")):
            velocity = value * velocity - rate
            kernel += velocity
        np.testing.assert_allclose(-_kernels(model)[name], kernel, rtol=1e-5)
        np.testing.assert_allclose(logged_points(tmp_path, f"momentum_{name}_sgd")[1], momenta, rtol=1e-6)
