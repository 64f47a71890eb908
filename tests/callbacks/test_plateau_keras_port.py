"""Keras's own tests of its `ReduceLROnPlateau`, run against ours.

Ported from keras-team/keras, `keras/src/callbacks/reduce_lr_on_plateau_test.py`
at commit 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60: its cases and expected
values (arguments, epochs, resulting rate, log line), not its code. Our own
model and data stand in for Keras's test helpers: the cases' `min_delta` (10
or 100, far above any change of an MSE loss near 1) makes every epoch after
the first a bad one, whatever the data.

Adaptations (each a difference our docstring states):
- `test_throws_when_optimizer_has_schedule` is turned around: with the same
  `PolynomialDecay`, ours scales the schedule (its rate is the schedule's
  value times 0.1) instead of raising `TypeError`.
- `test_state_reset_across_fit_calls` is turned around: our counters carry
  over to the next `fit` (they are kept with the optimizer), so
  `on_train_begin` leaves them as they were.
Ported: 6 of 6 cases, 2 of them adapted.
"""

import logging

import keras
import numpy as np
from keras import ops

from keras_lrs.callbacks import ReduceLROnPlateau


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(10, 3)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 2, 10), 2)
    return x, y


def _fit(callback, epochs, learning_rate=0.1):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(5), keras.layers.Dense(2)]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate))
    model.fit(
        *_data(0), validation_data=_data(1), callbacks=[callback], epochs=epochs, verbose=0
    )
    return model


def _rate(model):
    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


def test_reduces_lr_with_model_fit():
    callback = ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss", min_delta=100)
    model = _fit(callback, epochs=2)
    assert _rate(model) == np.float32(0.01)


def test_scales_the_schedule_instead_of_throwing():
    schedule = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=0.1, decay_steps=10
    )
    callback = ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss", min_delta=100)
    model = _fit(callback, epochs=2, learning_rate=schedule)
    step = int(ops.convert_to_numpy(model.optimizer.iterations))
    expected = float(ops.convert_to_numpy(schedule(step))) * 0.1
    np.testing.assert_allclose(_rate(model), expected, rtol=1e-6)


def test_verbose_logging(caplog):
    callback = ReduceLROnPlateau(
        patience=1, factor=0.1, monitor="val_loss", min_delta=100, verbose=1
    )
    keras.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO):
            _fit(callback, epochs=2)
    finally:
        keras.config.enable_interactive_logging()
    expected_log = "ReduceLROnPlateau reducing learning rate to 0.01"
    assert any(expected_log in record.getMessage() for record in caplog.records)


def test_honors_min_lr():
    callback = ReduceLROnPlateau(
        patience=1, factor=0.1, monitor="val_loss", min_delta=10, min_lr=0.005
    )
    model = _fit(callback, epochs=4)
    assert _rate(model) == np.float32(0.005)


def test_cooldown():
    callback = ReduceLROnPlateau(
        patience=1, factor=0.1, monitor="val_loss", min_delta=100, cooldown=2
    )
    model = _fit(callback, epochs=4)
    # Reduced at the end of epochs 1 and 3: epoch 2 is in the cooldown.
    np.testing.assert_allclose(_rate(model), 0.001, rtol=1e-6)


def test_state_carries_over_to_the_next_fit():
    callback = ReduceLROnPlateau(patience=1, factor=0.1, monitor="loss", min_delta=0, cooldown=2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.1))
    callback.set_model(model)
    callback.on_train_begin()
    callback.best, callback.wait, callback.cooldown_counter = 0.5, 3, 2
    callback.on_train_begin()
    assert (callback.best, callback.wait, callback.cooldown_counter) == (0.5, 3, 2)


def test_the_stand_in_model_gives_keras_the_expected_rates_too():
    """The cases test the rule, not our data: Keras's own callback reaches
    the same rate with the stand-in model and data."""
    callback = keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100, cooldown=2)
    np.testing.assert_allclose(_rate(_fit(callback, epochs=4)), 0.001, rtol=1e-6)
