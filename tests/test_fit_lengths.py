"""Lengths resolved by `fit`: per-step rates equal the schedule written
with the resolved integers (with gradient accumulation and
`steps_per_execution` too); saved and resumed with them; what the callbacks
and the range test see; unknown length."""

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import compat
from keras_lrs import schedules as S
from keras_lrs.callbacks import (
    LearningRateMonitor,
    ReduceLROnPlateau,
    StochasticWeightAveraging,
)
from keras_lrs.schedules.introspection import lengths_left
from tests.callbacks.helpers import ones, rate_recording_model

BATCHES = 6  # per epoch: 48 samples, batches of 8 (steps_per_execution 2 divides it)


def _data():
    rng = np.random.default_rng(0)
    return rng.random((48, 3), "float32"), rng.random((48, 1), "float32")


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


ONE_CYCLE = (S.OneCycle(0.1), S.OneCycle(0.1, 18))
WARMUP = (S.Warmup(S.CosineDecay(0.1), 0.2), S.Warmup(S.CosineDecay(0.1, 14), 4))
WSD = (S.WarmupStableDecay(0.1, 0.2, None, 0.4), S.WarmupStableDecay(0.1, 4, 7, 7))


# Each schedule as `fit` trains it; gradient accumulation (3) and
# `steps_per_execution` (2) with the schedule of three lengths (the
# arithmetic of every family's resolution is tested once, in
# tests/schedules/test_lengths.py).
@pytest.mark.parametrize(
    "given, written, accumulation, steps_per_execution",
    [(*ONE_CYCLE, None, 1), (*WARMUP, None, 1), (*WSD, None, 1),
     (*WSD, None, 2), (*WSD, 3, 1)],
    ids=["one_cycle", "warmup", "wsd", "wsd-steps_per_execution", "wsd-accumulation"],
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
    batches = compat.batch_counter(sized_model.optimizer)
    assert int(keras.ops.convert_to_numpy(batches)) == 3 * BATCHES
    for a, b in zip(sized, reference):
        np.testing.assert_array_equal(a, b)


class _AppliedRates(keras.callbacks.Callback):
    """The rate each batch applied, from the kernel of `rate_recording_model`
    (its gradient is 1: each update subtracts the rate); 0 where a batch
    only accumulated its gradient."""

    def on_train_begin(self, logs=None):
        self.kernels = [float(self.model.get_weights()[0][0, 0])]

    def on_train_batch_end(self, batch, logs=None):
        self.kernels.append(float(self.model.get_weights()[0][0, 0]))

    @property
    def rates(self):
        return -np.diff(np.array(self.kernels, "float64"))


def _applied_rates(schedule, batches, **options):
    model = rate_recording_model(keras_lrs.optimizers.SGD(schedule, **options))
    model.compile(model.optimizer, model.loss, steps_per_execution=1)
    applied = _AppliedRates()
    model.fit(*ones(batches), batch_size=1, epochs=2, verbose=0, callbacks=[applied])
    return applied.rates, compat.held_rate(model.optimizer)


def test_with_accumulation_the_last_update_applies_the_end_of_the_schedule():
    # 12 batches, an update every 2: Keras calls the schedule with the
    # batch count, so the length is 12 and update k (at batch 2k + 1) uses
    # the schedule at 2k + 1; the last update, at 11, applies its end.
    given = S.OneCycle(0.1, final_div_factor=10.0)
    written = S.OneCycle(0.1, 12, final_div_factor=10.0)
    rates, held = _applied_rates(given, 6, gradient_accumulation_steps=2)
    reference, _ = _applied_rates(written, 6, gradient_accumulation_steps=2)
    assert held.get_config() == written.get_config()
    np.testing.assert_array_equal(rates, reference)
    np.testing.assert_array_equal(rates[0::2], 0.0)
    expected = keras_lrs.schedule_values(written, 12)[1::2]
    np.testing.assert_allclose(rates[1::2], expected, rtol=0, atol=2e-7)
    np.testing.assert_allclose(rates[-1], 0.1 / 25 / 10, rtol=0, atol=2e-7)


def _with_callbacks(schedule, rule):
    if rule == "keras":
        plateau = ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=10.0)
    else:
        plateau = ReduceLROnPlateau.from_torch("loss", factor=0.5, patience=0,
                                               threshold=10.0, threshold_mode="abs")
    swa = StochasticWeightAveraging(start_epoch=2, swa_learning_rate=0.01)
    model = rate_recording_model(keras_lrs.optimizers.SGD(schedule))
    model.compile(model.optimizer, model.loss, steps_per_execution=1)
    applied = _AppliedRates()
    history = model.fit(*ones(5), batch_size=1, epochs=4, verbose=0,
                        callbacks=[plateau, swa, LearningRateMonitor(), applied])
    return applied.rates, history.history, compat.held_rate(model.optimizer)


@pytest.mark.parametrize("rule", ["keras", "torch"])
def test_callbacks_see_the_resolved_schedule(rule):
    # ReduceLROnPlateau scales it, StochasticWeightAveraging ends it with
    # its phase, LearningRateMonitor logs it: as the schedule written with
    # the integers, every step.
    given = S.Warmup(S.CosineDecay(0.1), 0.2)
    written = S.Warmup(S.CosineDecay(0.1, 16), 4)
    rates, history, held = _with_callbacks(given, rule)
    reference_rates, reference_history, _ = _with_callbacks(written, rule)
    assert held.schedule.schedule.get_config() == written.get_config()
    assert held.scale < 1  # the plateau reduced it
    np.testing.assert_array_equal(rates, reference_rates)
    assert history == reference_history


@pytest.mark.once_per_keras
def test_the_range_test_leaves_the_schedule_unresolved():
    cycle = S.OneCycle(0.1)
    model = _model(cycle)
    x, y = _data()
    keras_lrs.find_learning_rate(model, x, y, batch_size=8, num_steps=3, verbose=0)
    assert compat.held_rate(model.optimizer) is cycle and lengths_left(cycle)
    trained = _fit(model)
    for a, b in zip(trained, _fit(_model(S.OneCycle(0.1, 18)))):
        np.testing.assert_array_equal(a, b)


def test_momentum_schedule_follows_the_same_length():
    cycle = S.OneCycle(0.1)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras_lrs.optimizers.SGD(cycle, momentum=cycle.momentum_schedule()), "mse")
    _fit(model)
    assert model.optimizer.momentum.get_config() == S.OneCycleMomentum(18).get_config()


def test_multiplier_schedules_follow_the_same_length():
    def trained(multiplier):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="body"),
                                  keras.layers.Dense(1)])
        model.compile(keras_lrs.optimizers.SGD(
            S.CosineDecay(0.1),
            learning_rate_multipliers={".*/body/.*": multiplier}), "mse")
        return _fit(model)

    # 18 steps: a warmup over half of them, as the same warmup of 9 steps.
    given = trained(S.Warmup(S.Constant(1.0), 0.5))
    for a, b in zip(given, trained(S.Warmup(S.Constant(1.0), 9))):
        np.testing.assert_array_equal(a, b)


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


class _Rates(keras.callbacks.Callback):
    """The rate each batch's update uses (Keras's `optimizer.learning_rate`:
    the schedule at the optimizer's step, before the update)."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


def _assert_resumed(resumed, rates, whole, whole_rates):
    np.testing.assert_array_equal(rates.rates, whole_rates.rates[-len(rates.rates):])
    assert len(rates.rates) == 2 * BATCHES
    for a, b in zip(resumed, whole):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_load_model_and_fit_from_initial_epoch_keep_the_lengths(tmp_path):
    whole_rates, rates = _Rates(), _Rates()
    whole = _fit(_model(S.OneCycle(0.1)), epochs=4, callbacks=[whole_rates])
    path = tmp_path / "m.keras"
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(_model(S.OneCycle(0.1)), epochs=4, callbacks=[_Interrupt(path)])
    loaded = keras.models.load_model(path)
    assert loaded.optimizer._learning_rate.total_steps == 4 * BATCHES
    resumed = _fit(loaded, epochs=4, initial_epoch=2, callbacks=[rates])
    _assert_resumed(resumed, rates, whole, whole_rates)


def test_backup_and_restore_keeps_the_lengths(tmp_path):
    whole_rates, rates = _Rates(), _Rates()
    whole = _fit(_model(S.Warmup(S.CosineDecay(0.1), 0.2)), epochs=4,
                 callbacks=[whole_rates])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(_model(S.Warmup(S.CosineDecay(0.1), 0.2)), epochs=4,
             callbacks=[backup, _Interrupt()])
    model = _model(S.Warmup(S.CosineDecay(0.1), 0.2))
    resumed = _fit(model, epochs=4, callbacks=[backup, rates])
    assert model.optimizer._learning_rate.warmup_steps == 5  # 0.2 * 24
    _assert_resumed(resumed, rates, whole, whole_rates)


def test_unknown_length_stops_at_the_start():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("a dataset of unknown size: tf.data")
    import tensorflow as tf

    x, y = _data()
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).filter(lambda a, b: True)
    model = _model(S.OneCycle(0.1))
    with pytest.raises(ValueError, match="Pass `steps_per_epoch` to `fit`"):
        model.fit(data, epochs=2, verbose=0)
