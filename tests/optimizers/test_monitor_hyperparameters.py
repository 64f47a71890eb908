"""LearningRateMonitor logs the scheduled momentum and weight decay per step."""

import keras
import numpy as np

import keras_lrs
from keras_lrs import optimizers, schedules
from keras_lrs.callbacks import LearningRateMonitor
from tests import compiled
from tests.callbacks.helpers import logged_points, ones, steps_per_execution


def test_logs_the_momentum_and_weight_decay_each_step_used(tmp_path):
    cycle = schedules.OneCycle(0.01, 20)
    momentum = cycle.momentum_schedule()
    decay = schedules.CosineDecay(0.1, 20)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=optimizers.SGD(cycle, momentum=momentum, weight_decay=decay),
        loss="mse", jit_compile=compiled.jit_compile(),
        steps_per_execution=steps_per_execution(4),
    )
    monitor = LearningRateMonitor(
        tmp_path, update_freq="batch", log_momentum=True, log_weight_decay=True
    )
    x, y = ones(12)
    history = model.fit(x, y, batch_size=1, epochs=2, verbose=0, callbacks=[monitor])
    for tag, schedule in (("momentum", momentum), ("weight_decay", decay)):
        steps, values = logged_points(tmp_path, tag)
        np.testing.assert_array_equal(steps, np.arange(24))
        # The schedule's own float32 values at those steps.
        np.testing.assert_allclose(
            values, keras_lrs.schedule_values(schedule, steps), rtol=1e-6
        )
    np.testing.assert_allclose(
        history.history["momentum"],
        keras_lrs.schedule_values(momentum, [12, 24]), rtol=1e-6,
    )


def test_float_hyperparameters_and_no_weight_decay(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(beta_1=0.8), loss="mse")
    monitor = LearningRateMonitor(log_momentum=True, log_weight_decay=True)
    x, y = ones(4)
    history = model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    np.testing.assert_allclose(history.history["momentum"], [0.8])
    assert history.history["weight_decay"] == [0.0]
