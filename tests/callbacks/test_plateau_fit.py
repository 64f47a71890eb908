"""ReduceLROnPlateau in a real `fit`: compiled steps, saving, resumption."""

import warnings

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import compat
from keras_lrs import schedules as s
from keras_lrs.callbacks import ReduceLROnPlateau
from tests.callbacks.helpers import (
    applied_total,
    ones,
    rate_recording_model,
    to_float,
)

STEPS_PER_EPOCH = 8


def _schedule():
    # The warmup spans the first epoch (10 steps > 8): that epoch is not
    # counted by the plateau callback.
    return s.Warmup(s.CosineDecay(0.1, 60, end_learning_rate=0.001), 10)


def _always_worse(**kwargs):
    # The loss of `mean_prediction` falls every epoch, so in "max" mode no
    # epoch after the first counted one improves: a reduction after every
    # `max(patience, 1)` bad epochs (Keras's rule).
    return ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, **kwargs)


class _CountingWarmup(s.Warmup):
    """Counts its calls: in a compiled step, a Python call is a trace."""

    calls = 0

    def __call__(self, step):
        type(self).calls += 1
        return super().__call__(step)


class _RecordCompilation(keras.callbacks.Callback):
    """Train function and schedule calls (= traces) inside each epoch.

    Listed first, so that the calls other callbacks make at the end of an
    epoch (to read the rate) are not counted.
    """

    def __init__(self):
        super().__init__()
        self.functions, self.traces = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._calls_before = _CountingWarmup.calls

    def on_epoch_end(self, epoch, logs=None):
        self.functions.append(self.model.train_function)
        self.traces.append(_CountingWarmup.calls - self._calls_before)


@pytest.mark.compiled_step
def test_reduction_takes_effect_inside_the_compiled_step():
    schedule = _schedule()
    counting = _CountingWarmup(schedule.schedule, schedule.warmup_steps)
    model = rate_recording_model(keras.optimizers.SGD(counting))
    record = _RecordCompilation()
    history = model.fit(
        *ones(STEPS_PER_EPOCH),
        batch_size=1,
        epochs=5,
        shuffle=False,
        verbose=0,
        callbacks=[record, _always_worse(patience=0)],
    )

    # Epoch 0 ends in the warmup (not counted); epoch 1 sets `best`; epochs
    # 2 and 3 are bad, each followed by a reduction.
    scale_per_epoch = [1.0, 1.0, 1.0, 0.5, 0.25]
    rates = keras_lrs.schedule_values(_schedule(), 5 * STEPS_PER_EPOCH + 1)
    scales = np.repeat(scale_per_epoch, STEPS_PER_EPOCH)
    expected = float(np.sum(rates[:-1].astype("float64") * scales))
    np.testing.assert_allclose(applied_total(model), expected, rtol=1e-5)
    # Without the reductions the weights would be elsewhere.
    assert abs(applied_total(model) - rates[:-1].sum()) > 0.05

    # Not rebuilt, not retraced after the reductions of epochs 2 and 3.
    assert all(f is record.functions[0] for f in record.functions)
    # TensorFlow and JAX call the schedule only while tracing (epoch 0);
    # PyTorch's compiled step calls back into it at every step. Either way
    # the epochs after a reduction make no more calls than epoch 1.
    assert record.traces[0] > 0
    assert record.traces[2:] == [record.traces[1]] * 3
    # The logged rate is the one of the epoch's last step, before reduction.
    np.testing.assert_allclose(
        history.history["learning_rate"],
        [rates[8 * (e + 1)] * scale_per_epoch[e] for e in range(5)],
        rtol=1e-6,
    )


def test_float_learning_rate_is_lowered_in_place():
    model = rate_recording_model(keras.optimizers.SGD(0.1))
    model.fit(
        *ones(STEPS_PER_EPOCH),
        batch_size=1,
        epochs=4,
        shuffle=False,
        verbose=0,
        callbacks=[_always_worse(patience=0)],
    )
    # Epoch 0 sets `best`; epochs 1 and 2 are bad: 0.1, 0.1, 0.05, 0.025.
    expected = STEPS_PER_EPOCH * (0.1 + 0.1 + 0.05 + 0.025)
    np.testing.assert_allclose(applied_total(model), expected, rtol=1e-5)
    np.testing.assert_allclose(to_float(model.optimizer.learning_rate), 0.0125)
    assert compat.is_variable(model.optimizer._learning_rate)


def _adamw_model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.AdamW(_schedule()), loss="mse")
    return model


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [2.0], [-1.0]], "float32"))


def test_reduced_rate_survives_save_and_load(tmp_path):
    x, y = _regression_data()
    model = _adamw_model()
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0)
    model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[plateau])
    assert 0 < plateau.wait or to_float(model.optimizer.learning_rate) < 1
    path = tmp_path / "model.keras"
    model.save(path)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = keras.models.load_model(path)
    assert not [w for w in caught if "Skipping" in str(w.message)]
    assert isinstance(restored.optimizer._learning_rate, keras_lrs.callbacks.ScaledSchedule)
    assert restored.optimizer._learning_rate.scale == pytest.approx(0.01)
    assert to_float(restored.optimizer.learning_rate) == to_float(
        model.optimizer.learning_rate
    )
    assert to_float(restored.optimizer.iterations) == 32
    # Adam's moments came back too: both models continue identically.
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for original, reloaded in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(reloaded, original, rtol=1e-6, atol=1e-7)


class _Crash(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("simulated crash")


def _resumable_run(backup_dir, extra_callbacks=()):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()), jit_compile=False)
    plateau = _always_worse(patience=1, cooldown=1)
    backup = keras.callbacks.BackupAndRestore(str(backup_dir))
    model.fit(
        *ones(STEPS_PER_EPOCH),
        batch_size=1,
        epochs=7,
        shuffle=False,
        verbose=0,
        callbacks=[plateau, backup, *extra_callbacks],
    )
    return model, plateau


def test_counters_survive_backup_and_restore(tmp_path):
    reference, reference_plateau = _resumable_run(tmp_path / "uninterrupted")

    with pytest.raises(RuntimeError, match="simulated crash"):
        _resumable_run(tmp_path / "backup", [_Crash(epoch=4)])
    resumed, resumed_plateau = _resumable_run(tmp_path / "backup")

    assert resumed_plateau.best == reference_plateau.best
    assert resumed_plateau.wait == reference_plateau.wait
    assert resumed_plateau.cooldown_counter == reference_plateau.cooldown_counter
    assert to_float(resumed.optimizer.learning_rate) == to_float(
        reference.optimizer.learning_rate
    )
    assert applied_total(resumed) == applied_total(reference)
    # The run did reduce, so the comparison is about a reduced rate.
    assert resumed.optimizer._learning_rate.scale < 1
