"""A user's schedule that reads a variable: the callbacks see the value the
updates use.

The schedule states nothing (`reads_variables`), so the callbacks do not
cache its values as a function of the step: the monitor logs, and the
plateau callback judges, the rate with the variable's current value.
Caching is backend-independent; on TensorFlow the compiled step reads the
variable (on JAX a variable the optimizer does not track is frozen into
the step), so the rates the weights record are the reference.
"""

import keras
import numpy as np
import pytest
from keras import ops

from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau
from keras_lrs.schedules.introspection import reads_variables
from tests.callbacks.helpers import applied_total, logged_points, ones, rate_recording_model

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the cache is the same on every backend; TensorFlow's step reads "
    "an untracked variable",
)

STEPS_PER_EPOCH = 4


class _VariableRate(keras.optimizers.schedules.LearningRateSchedule):
    """The value of a variable, at every step."""

    def __init__(self, variable):
        self.variable = variable

    def __call__(self, step):
        return ops.cast(self.variable, "float32") + 0.0 * ops.cast(step, "float32")


class _SetVariable(keras.callbacks.Callback):
    """Sets the variable to `value` at the start of epoch `epoch`."""

    def __init__(self, variable, epoch, value):
        super().__init__()
        self.variable, self.epoch, self.value = variable, epoch, value

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.variable.assign(self.value)


def _fit(callbacks, epochs=3):
    variable = keras.Variable(0.1, dtype="float32", trainable=False)
    model = rate_recording_model(
        keras.optimizers.SGD(_VariableRate(variable)), jit_compile=False
    )
    history = model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=epochs, verbose=0,
        callbacks=[_SetVariable(variable, 1, 0.05), *callbacks],
    )
    return model, history


def test_a_schedule_that_states_nothing_may_read_a_variable():
    assert reads_variables(_VariableRate(keras.Variable(0.1)))
    assert not reads_variables(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5))


def test_the_monitor_logs_the_variables_current_value(tmp_path):
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    model, history = _fit([monitor])
    # Each epoch's end logs the rate of the next update (the variable is
    # set when epoch 1 begins).
    np.testing.assert_allclose(
        history.history["learning_rate"], [0.1, 0.05, 0.05], rtol=1e-6
    )
    steps, values = logged_points(tmp_path)
    np.testing.assert_array_equal(steps, np.arange(3 * STEPS_PER_EPOCH))
    expected = [0.1] * STEPS_PER_EPOCH + [0.05] * (2 * STEPS_PER_EPOCH)
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    # What the updates applied (the weights' record).
    assert applied_total(model) == pytest.approx(sum(expected), rel=1e-5)


def test_the_plateau_reduces_the_variables_current_value():
    # Every epoch is bad after the first ("max" on a falling loss): at the
    # end of epoch 1 the rate 0.05 is cut to max(0.05 * 0.5, 0.04) = 0.04,
    # a scale of 0.8. Judged from the stale 0.1 the scale would be 0.5.
    plateau = ReduceLROnPlateau(
        monitor="loss", mode="max", patience=0, factor=0.5, min_lr=0.04
    )
    model, _ = _fit([plateau], epochs=2)
    scale = model.optimizer._learning_rate.scale
    assert scale == pytest.approx(0.8, rel=1e-6)
