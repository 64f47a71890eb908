"""Lengths resolved by `fit`: per-step rates equal the schedule written
with the resolved integers; saved and resumed with them; unknown length."""

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as S

BATCHES = 5  # per epoch: 40 samples, batches of 8


def _data():
    rng = np.random.default_rng(0)
    return rng.random((40, 3), "float32"), rng.random((40, 1), "float32")


def _model(schedule, accumulation=None, steps_per_execution=1):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    options = {"gradient_accumulation_steps": accumulation} if accumulation else {}
    model.compile(
        keras_lrs.optimizers.SGD(schedule, **options),
        "mse",
        steps_per_execution=steps_per_execution,
    )
    return model


def _fit(model, epochs=3, initial_epoch=0, callbacks=()):
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch,
              shuffle=False, verbose=0, callbacks=list(callbacks))
    return [np.array(w) for w in model.get_weights()]


CASES = [
    (S.OneCycle(0.1), S.OneCycle(0.1, 15)),
    (S.Warmup(S.CosineDecay(0.1), 0.2), S.Warmup(S.CosineDecay(0.1, 12), 3)),
    (
        S.WarmupStableDecay(0.1, 0.2, None, 0.4),
        S.WarmupStableDecay(0.1, 3, 6, 6),
    ),
]


@pytest.mark.parametrize("given, written", CASES)
@pytest.mark.parametrize(
    "accumulation, steps_per_execution",
    [(None, 1), (None, 2), (3, 1)],
)
def test_fit_trains_as_the_schedule_written_with_integers(
    given, written, accumulation, steps_per_execution
):
    if steps_per_execution > 1 and keras.backend.backend() == "torch":
        pytest.skip("Keras has no steps_per_execution > 1 on PyTorch")
    sized_model = _model(given, accumulation, steps_per_execution)
    sized = _fit(sized_model)
    reference = _fit(_model(written, accumulation, steps_per_execution))
    held = sized_model.optimizer._learning_rate
    assert held.get_config() == written.get_config()
    for a, b in zip(sized, reference):
        np.testing.assert_array_equal(a, b)


def test_momentum_schedule_follows_the_same_length():
    cycle = S.OneCycle(0.1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras_lrs.optimizers.SGD(cycle, momentum=cycle.momentum_schedule()), "mse")
    _fit(model)
    assert model.optimizer.momentum.get_config() == S.OneCycleMomentum(15).get_config()


class _Interrupt(keras.callbacks.Callback):
    """Saves the model (when given a path) and stops the fit at the end of
    epoch 1, as a crash would."""

    def __init__(self, path=None):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            if self.path:
                self.model.save(self.path)
            raise RuntimeError("interrupted")


def test_load_model_and_fit_from_initial_epoch_keep_the_lengths(tmp_path):
    whole = _fit(_model(S.OneCycle(0.1)), epochs=4)
    path = tmp_path / "m.keras"
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(_model(S.OneCycle(0.1)), epochs=4, callbacks=[_Interrupt(path)])
    loaded = keras.models.load_model(path)
    assert loaded.optimizer._learning_rate.total_steps == 4 * BATCHES
    resumed = _fit(loaded, epochs=4, initial_epoch=2)
    for a, b in zip(resumed, whole):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_backup_and_restore_keeps_the_lengths(tmp_path):
    whole = _fit(_model(S.Warmup(S.CosineDecay(0.1), 0.2)), epochs=4)
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(_model(S.Warmup(S.CosineDecay(0.1), 0.2)), epochs=4,
             callbacks=[backup, _Interrupt()])
    model = _model(S.Warmup(S.CosineDecay(0.1), 0.2))
    resumed = _fit(model, epochs=4, callbacks=[backup])
    assert model.optimizer._learning_rate.warmup_steps == 4
    for a, b in zip(resumed, whole):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_unknown_length_stops_at_the_start():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("a dataset of unknown size: tf.data")
    import tensorflow as tf

    x, y = _data()
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).filter(lambda a, b: True)
    model = _model(S.OneCycle(0.1))
    with pytest.raises(ValueError, match="Pass `steps_per_epoch` to `fit`"):
        model.fit(data, epochs=2, verbose=0)
