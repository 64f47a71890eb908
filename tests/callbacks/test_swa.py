"""StochasticWeightAveraging and update_batch_norm, in real `fit`s."""

import math
import warnings

import keras
import numpy as np
import pytest
import torch

import keras_lrs
from keras_lrs import schedules as s
from keras_lrs.callbacks import (
    LearningRateMonitor,
    ReduceLROnPlateau,
    ScaledSchedule,
    StochasticWeightAveraging,
    SWASchedule,
)
from tests import compiled
from tests.callbacks.helpers import (
    logged_points,
    ones,
    rate_recording_model,
    steps_per_execution,
)

SWA = StochasticWeightAveraging
STEPS_PER_EPOCH = 6


def regression_data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (np.sin(x @ rng.normal(size=(5, 1))) + 0.1).astype("float32")
    return x, y


def mlp(batch_norm=False, rate=0.05, jit_compile=None):
    keras.utils.set_random_seed(3)
    layers = [keras.Input((5,)), keras.layers.Dense(8, activation="tanh")]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization(momentum=0.9))
    layers.append(keras.layers.Dense(1))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.SGD(rate, momentum=0.9),
        loss="mse",
        jit_compile=compiled.jit_compile(jit_compile),
        steps_per_execution=steps_per_execution(3),
    )
    return model


class RecordEpochEnds(keras.callbacks.Callback):
    """Copies every weight at each epoch end (listed anywhere: it only reads)."""

    def __init__(self):
        super().__init__()
        self.weights = {}
        self.functions = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = [np.array(w, dtype="float64") for w in self.model.get_weights()]
        self.functions.append(self.model.train_function)


def expected_mean(record, epochs):
    return [np.mean(layer, axis=0) for layer in zip(*(record.weights[e] for e in epochs))]


def assert_weights(got, expected):
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7 * max(1.0, np.abs(e).max()))


@pytest.mark.parametrize(
    "start_epoch, average_every, averaged",
    [(3, 1, [3, 4, 5, 6]), (0.5, 2, [3, 5]), (0, 3, [0, 3, 6])],
)
def test_weights_are_the_mean_of_the_averaged_epoch_ends(start_epoch, average_every, averaged):
    model = mlp()
    record = RecordEpochEnds()
    for order in ([record, SWA(start_epoch, average_every=average_every)],):
        model.fit(*regression_data(), batch_size=8, epochs=7, shuffle=False, verbose=0, callbacks=order)
    assert_weights(model.get_weights(), expected_mean(record, averaged))
    # Training itself is not changed: the last epoch's weights are those of
    # a run without the callback.
    plain, plain_record = mlp(), RecordEpochEnds()
    plain.fit(*regression_data(), batch_size=8, epochs=7, shuffle=False, verbose=0, callbacks=[plain_record])
    assert_weights(record.weights[6], plain_record.weights[6])
    assert all(f is record.functions[0] for f in record.functions)


def test_each_fit_starts_its_own_average():
    model, record = mlp(), RecordEpochEnds()
    swa = SWA(1)
    model.fit(*regression_data(), batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[swa])
    model.fit(*regression_data(), batch_size=8, epochs=3, shuffle=False, verbose=0,
              callbacks=[record, swa])
    assert_weights(model.get_weights(), expected_mean(record, [1, 2]))


def test_callback_order_does_not_matter():
    results = []
    for swa_first in (True, False):
        model, record = mlp(), RecordEpochEnds()
        swa = SWA(2, swa_learning_rate=0.01, annealing_epochs=1)
        model.fit(
            *regression_data(), batch_size=8, epochs=5, shuffle=False, verbose=0,
            callbacks=[swa, record] if swa_first else [record, swa],
        )
        assert_weights(model.get_weights(), expected_mean(record, [2, 3, 4]))
        results.append(model.get_weights())
    assert_weights(results[0], results[1])


class _CountingConstant(s.Constant):
    calls = 0

    def __call__(self, step):
        type(self).calls += 1
        return super().__call__(step)


class _CountCalls(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.functions, self.calls = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._before = _CountingConstant.calls

    def on_epoch_end(self, epoch, logs=None):
        self.functions.append(self.model.train_function)
        self.calls.append(_CountingConstant.calls - self._before)


def swalr_reference(rate_at_start, swa_rate, annealing_steps, shape, steps):
    """PyTorch's SWALR itself, stepped once per step, in float64."""
    weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=rate_at_start)
    scheduler = torch.optim.swa_utils.SWALR(
        optimizer, swa_lr=swa_rate, anneal_epochs=annealing_steps,
        anneal_strategy={"cosine": "cos", "linear": "linear"}[shape],
    )
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("shape, annealing_epochs", [("cosine", 2), ("linear", 1), ("cosine", 0)])
def test_rate_phase_is_pytorchs_swalr_per_step(tmp_path, shape, annealing_epochs):
    epochs, start = 6, 3
    inner = keras.optimizers.schedules.CosineDecay(0.1, epochs * STEPS_PER_EPOCH)
    model = rate_recording_model(keras.optimizers.SGD(inner))
    count = _CountCalls()
    model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=epochs, shuffle=False, verbose=0,
        callbacks=[
            count,
            SWA(start, swa_learning_rate=0.02, annealing_epochs=annealing_epochs,
                annealing_shape=shape),
            LearningRateMonitor(tmp_path, update_freq="batch"),
        ],
    )
    steps, values = logged_points(tmp_path)
    total = epochs * STEPS_PER_EPOCH
    np.testing.assert_array_equal(steps, np.arange(total))
    start_step = start * STEPS_PER_EPOCH
    # Keras's own CosineDecay before the phase, in float64.
    t = np.arange(total, dtype="float64")
    expected = 0.1 * 0.5 * (1 + np.cos(np.pi * t / total))
    expected[start_step:] = swalr_reference(
        expected[start_step], 0.02, annealing_epochs * STEPS_PER_EPOCH, shape,
        total - start_step,
    )
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    assert isinstance(model.optimizer._learning_rate, SWASchedule)


@pytest.mark.compiled_step
def test_rate_phase_inside_the_compiled_step_traced_once():
    counting = _CountingConstant(0.1)
    model = rate_recording_model(keras.optimizers.SGD(counting))
    record, weights = _CountCalls(), RecordEpochEnds()
    model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=5, shuffle=False, verbose=0,
        callbacks=[record, weights, SWA(2, swa_learning_rate=0.01, annealing_epochs=1, annealing_shape="linear")],
    )
    # The compiled step applied the phase: the kernel moved by the sum.
    ramp = 0.1 + (0.01 - 0.1) * np.minimum(np.arange(18) / 6, 1.0)
    expected = 0.1 * 12 + ramp.sum()
    # The last epoch's weights (the model now has the average).
    np.testing.assert_allclose(-weights.weights[4][0][0, 0], expected, rtol=1e-5)
    assert all(f is record.functions[0] for f in record.functions)
    assert record.calls[0] > 0
    assert record.calls[2:] == [record.calls[1]] * 3


def test_rate_phase_with_a_float_rate_and_reduce_on_plateau(tmp_path):
    scales = {}

    class Scale(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            scales[epoch] = self.model.optimizer._learning_rate.scale

    for plateau_first in (True, False):
        model = rate_recording_model(keras.optimizers.SGD(0.1))
        plateau = ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
        swa = SWA(2, swa_learning_rate=0.02, annealing_epochs=2)
        weights = RecordEpochEnds()
        log_dir = tmp_path / str(plateau_first)
        model.fit(
            *ones(STEPS_PER_EPOCH), batch_size=1, epochs=6, shuffle=False, verbose=0,
            callbacks=[
                *([plateau, swa] if plateau_first else [swa, plateau]), Scale(), weights,
                LearningRateMonitor(log_dir, update_freq="batch"),
            ],
        )
        rate = model.optimizer._learning_rate
        assert isinstance(rate, ScaledSchedule) and isinstance(rate.schedule, SWASchedule)
        assert rate.scale < 1.0  # a reduction took effect
        phase = np.full(36, 0.1)
        phase[12:] = swalr_reference(0.1, 0.02, 12, "cosine", 24)
        # A float rate is its own scale: relative to the rate at the start.
        relative = [scales[e] / scales[0] for e in range(6)]
        assert min(relative) < 1.0
        expected = phase * np.repeat(relative, STEPS_PER_EPOCH)
        np.testing.assert_allclose(logged_points(log_dir)[1], expected, rtol=1e-6)
        np.testing.assert_allclose(-weights.weights[5][0][0, 0], expected.sum(), rtol=1e-5)


def test_rate_phase_saved_with_the_model(tmp_path):
    model = mlp()
    model.fit(*regression_data(), batch_size=8, epochs=4, verbose=0,
              callbacks=[SWA(2, swa_learning_rate=0.01, annealing_epochs=1)])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    rate, saved = loaded.optimizer._learning_rate, model.optimizer._learning_rate
    # A float rate 0.05: 0.05 * SWASchedule(1.0, ..., 0.01 / 0.05).
    assert isinstance(rate, ScaledSchedule) and isinstance(rate.schedule, SWASchedule)
    assert rate.get_config() == saved.get_config()
    np.testing.assert_allclose(rate.scale, 0.05, rtol=1e-7)
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(rate, 40), keras_lrs.schedule_values(saved, 40)
    )
    np.testing.assert_allclose(keras_lrs.schedule_values(rate, 40)[30:], 0.01, rtol=1e-6)
    # The float rate's variable (now the scale) is tracked but not saved:
    # the loaded optimizer, built with a schedule, loaded all the others.
    saved_variables = [v for v in model.optimizer.variables if v is not saved.scale_variable]
    assert len(loaded.optimizer.variables) == len(saved_variables) == 5
    for got, expected in zip(loaded.optimizer.variables, saved_variables):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    # A second `fit` of the loaded model installs the phase again, with the
    # same values (the target relative to the float rate, read from the
    # structure: nothing marks the float rate in the config).
    loaded.fit(*regression_data(), batch_size=8, epochs=4, verbose=0,
               callbacks=[SWA(2, swa_learning_rate=0.01, annealing_epochs=1)])
    np.testing.assert_allclose(
        keras_lrs.schedule_values(loaded.optimizer._learning_rate, 40),
        keras_lrs.schedule_values(saved, 40), rtol=1e-7,
    )


def _stopped_in_averaging(tmp_path):
    """A model saved at the end of epoch 3 of 6, averaging since epoch 1."""

    class Save(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 3:
                self.model.save(tmp_path / "m.keras")
                self.model.stop_training = True

    model = mlp()
    model.fit(*regression_data(), batch_size=8, epochs=6, shuffle=False, verbose=0,
              callbacks=[SWA(1), Save()])
    return model


def test_keras_lrs_load_model_reads_the_average_back(tmp_path):
    saved = _stopped_in_averaging(tmp_path).optimizer._keras_lrs_swa
    # (stop_training ends fit after epoch 3: the model now holds the average
    # of epochs 1 to 3, the file the weights before the swap.)
    plain = keras.models.load_model(tmp_path / "m.keras")
    loaded = keras_lrs.load_model(tmp_path / "m.keras")
    state = loaded.optimizer._keras_lrs_swa
    assert (state.count_value(), state.last_epoch_value()) == (3, 3)
    for got, expected in zip(state.average, saved.average, strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    # Everything else is what Keras loads by itself.
    for got, expected in zip(
        loaded.weights + loaded.optimizer.variables,
        plain.weights + plain.optimizer.variables,
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert not hasattr(plain.optimizer, "_keras_lrs_swa")


def test_a_reloaded_fit_continues_the_average_only_from_keras_lrs_load_model(tmp_path):
    _stopped_in_averaging(tmp_path)
    continued, record = keras_lrs.load_model(tmp_path / "m.keras"), RecordEpochEnds()
    record.weights = {
        e: [np.array(w, dtype="float64") for w in ws]
        for e, ws in _epoch_end_weights(tmp_path).items()
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "StochasticWeightAveraging")
        continued.fit(*regression_data(), batch_size=8, epochs=6, initial_epoch=4,
                      shuffle=False, verbose=0, callbacks=[record, SWA(1)])
    assert_weights(continued.get_weights(), expected_mean(record, [1, 2, 3, 4, 5]))

    restarted = keras.models.load_model(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="keras_lrs.load_model"):
        restarted.fit(*regression_data(), batch_size=8, epochs=6, initial_epoch=4,
                      shuffle=False, verbose=0, callbacks=[SWA(1)])


def _epoch_end_weights(tmp_path):
    """The weights at the end of epochs 1 to 3 of `_stopped_in_averaging`'s run."""
    record = RecordEpochEnds()
    mlp().fit(*regression_data(), batch_size=8, epochs=4, shuffle=False, verbose=0,
              callbacks=[record])
    return {e: record.weights[e] for e in (1, 2, 3)}


def test_keras_lrs_load_model_without_an_average(tmp_path):
    model = mlp()
    model.fit(*regression_data(), batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "plain.keras")
    loaded = keras_lrs.load_model(tmp_path / "plain.keras")
    assert loaded.optimizer._keras_lrs_swa.count_value() == 0
    for got, expected in zip(loaded.weights, model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    uncompiled = keras_lrs.load_model(tmp_path / "plain.keras", compile=False)
    assert getattr(uncompiled, "optimizer", None) is None


def batch_norm_model():
    keras.utils.set_random_seed(5)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(6)(inputs)
    normed = keras.layers.BatchNormalization(momentum=0.7, epsilon=1e-3)(hidden)
    outputs = keras.layers.Dense(1)(keras.layers.Activation("relu")(normed))
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.05), loss="mse",
        jit_compile=compiled.jit_compile(),
    )
    return model


def numpy_batch_stats(model, x, batch_size):
    kernel, bias = (np.asarray(w, dtype="float64") for w in model.layers[1].get_weights())
    means, variances = [], []
    for begin in range(0, len(x), batch_size):
        hidden = x[begin:begin + batch_size].astype("float64") @ kernel + bias
        means.append(hidden.mean(axis=0))
        variances.append(hidden.var(axis=0))  # biased, as Keras's layer
    return np.mean(means, axis=0), np.mean(variances, axis=0)


@pytest.mark.parametrize("form", ["array", "xy", "dataset"])
def test_update_batch_norm_is_the_mean_of_batch_statistics(form):
    model = batch_norm_model()
    x = np.random.default_rng(2).normal(2.0, 3.0, size=(50, 4)).astype("float32")
    y = np.zeros((50, 1), "float32")
    before = model.get_weights()
    if form == "array":
        data, kwargs = x, {"batch_size": 16}
    elif form == "xy":
        data, kwargs = (x, y), {"batch_size": 16}
    else:
        data, kwargs = [(x[b:b + 16], y[b:b + 16]) for b in range(0, 50, 16)], {}
    assert keras_lrs.update_batch_norm(model, data, **kwargs) is model
    mean, variance = numpy_batch_stats(model, x, 16)
    layer = model.layers[2]
    np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.moving_variance), variance, rtol=1e-5)
    assert layer.momentum == 0.7
    after = model.get_weights()
    names = [w.path for w in model.weights]
    for name, b, a in zip(names, before, after):
        if "moving" not in name:
            np.testing.assert_array_equal(a, b)
    # `steps` takes only the first batches.
    keras_lrs.update_batch_norm(model, x, batch_size=16, steps=2)
    mean, variance = numpy_batch_stats(model, x[:32], 16)
    np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.moving_variance), variance, rtol=1e-5)


def test_final_swap_with_batch_norm_refresh():
    x = np.random.default_rng(4).normal(size=(40, 4)).astype("float32")
    y = x[:, :1] ** 2
    model, record = batch_norm_model(), RecordEpochEnds()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # batch_norm_data given: none
        model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                  callbacks=[record, SWA(2, batch_norm_data=(x, y), batch_size=10)])
    names = [w.path for w in model.weights]
    averaged = expected_mean(record, [2, 3])
    for name, got, expected in zip(names, model.get_weights(), averaged):
        if "moving" not in name:
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    mean, variance = numpy_batch_stats(model, x, 10)
    np.testing.assert_allclose(np.asarray(model.layers[2].moving_mean), mean, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(model.layers[2].moving_variance), variance, rtol=1e-5)


def test_without_batch_norm_data_the_statistics_are_averaged_with_a_warning():
    x = np.random.default_rng(4).normal(size=(40, 4)).astype("float32")
    model, record = batch_norm_model(), RecordEpochEnds()
    with pytest.warns(UserWarning, match="batch_norm_data") as caught:
        model.fit(x, x[:, :1], batch_size=8, epochs=4, shuffle=False, verbose=0,
                  callbacks=[record, SWA(1)])
    assert len([w for w in caught if "batch_norm_data" in str(w.message)]) == 1
    assert_weights(model.get_weights(), expected_mean(record, [1, 2, 3]))


def test_swap_for_validation_evaluates_the_average():
    x, y = regression_data()
    xv, yv = regression_data(16, seed=1)
    model, record = mlp(), RecordEpochEnds()
    history = model.fit(
        x, y, batch_size=8, epochs=5, shuffle=False, verbose=0, validation_data=(xv, yv),
        callbacks=[record, SWA(2, swap_for_validation=True)],
    )
    assert_weights(model.get_weights(), expected_mean(record, [2, 3, 4]))
    # The training weights were put back after each validation.
    plain, plain_record = mlp(), RecordEpochEnds()
    plain.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0,
              validation_data=(xv, yv), callbacks=[plain_record])
    assert_weights(record.weights[4], plain_record.weights[4])
    probe = mlp()
    for epoch in range(5):
        weights = record.weights[epoch] if epoch < 2 else expected_mean(record, range(2, epoch + 1))
        probe.set_weights([w.astype("float32") for w in weights])
        expected = probe.evaluate(xv, yv, batch_size=8, verbose=0)
        np.testing.assert_allclose(history.history["val_loss"][epoch], expected, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start_epoch": -1}, "start_epoch"),
        ({"start_epoch": 1.5}, "start_epoch"),
        ({"start_epoch": "0.8"}, "start_epoch"),
        ({"start_epoch": True}, "start_epoch"),
        ({"swa_learning_rate": -0.1}, "swa_learning_rate"),
        ({"swa_learning_rate": "0.1"}, "swa_learning_rate"),
        ({"annealing_epochs": -1}, "annealing_epochs"),
        ({"annealing_epochs": 1.5}, "annealing_epochs"),
        ({"annealing_shape": "exponential"}, "annealing_shape"),
        ({"average_every": 0}, "average_every"),
        ({"batch_size": 0}, "batch_size"),
        ({"swap_for_validation": 1}, "swap_for_validation"),
        ({"verbose": 2}, "verbose"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"Argument `{name}`"):
        SWA(**kwargs)


def test_start_epoch_beyond_fit_is_an_error_at_the_start_of_fit():
    model = mlp()
    for start in (5, 7):
        with pytest.raises(ValueError, match="Argument `start_epoch` must be less than"):
            model.fit(*regression_data(), epochs=5, verbose=0, callbacks=[SWA(start)])
    # A fraction resolved at fit: floor(0.9 * 5) = 4 < 5 is fine.
    model.fit(*regression_data(), epochs=5, verbose=0, callbacks=[SWA(0.9)])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"steps": 0}, "steps"),
        ({"x": "data"}, "x"),
        ({"x": np.zeros((0, 4), "float32")}, "x"),
    ],
)
def test_update_batch_norm_bad_arguments(kwargs, name):
    model = batch_norm_model()
    kwargs = {"x": np.zeros((8, 4), "float32"), **kwargs}
    with pytest.raises(ValueError, match=f"Argument `{name}`"):
        keras_lrs.update_batch_norm(model, **kwargs)


def test_swa_schedule_bad_arguments_and_config():
    for kwargs, name in [
        ({"start_step": -1}, "start_step"),
        ({"swa_learning_rate": -1.0}, "swa_learning_rate"),
        ({"annealing_steps": -2}, "annealing_steps"),
        ({"shape": "sqrt"}, "shape"),
    ]:
        arguments = {"schedule": 0.1, "start_step": 3, "swa_learning_rate": 0.01, **kwargs}
        with pytest.raises(ValueError, match=f"Argument `{name}`"):
            SWASchedule(**arguments)
    schedule = SWASchedule(s.CosineDecay(0.1, 20), 5, 0.01, 4, "linear")
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    np.testing.assert_array_equal(keras_lrs.schedule_values(again, 20), keras_lrs.schedule_values(schedule, 20))
    assert math.isclose(float(keras_lrs.schedule_values(schedule, 20)[15]), 0.01, rel_tol=1e-6)
