"""A model whose weights record the learning rates applied to them, and a
reader of the rates `LearningRateMonitor` logged."""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from keras_lrs import compat
from tests import compiled


@keras.saving.register_keras_serializable(package="keras_lrs_tests")
def mean_prediction(y_true, y_pred):
    # For inputs of ones, d(loss)/d(kernel) is exactly 1: plain SGD moves the
    # kernel by exactly -learning_rate(t) at step t, so the weights show the
    # rates the compiled step really applied.
    return ops.mean(y_pred)


def rate_recording_model(optimizer, jit_compile=None):
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
        ]
    )
    model.compile(
        optimizer=optimizer,
        loss=mean_prediction,
        jit_compile=compiled.jit_compile(jit_compile),
        steps_per_execution=steps_per_execution(4),
    )
    return model


def steps_per_execution(wanted):
    """Keras allows steps_per_execution > 1 on TensorFlow and JAX only.

    On TensorFlow, Keras before 3.8 runs out of data in an epoch whose
    steps `steps_per_execution` does not divide (and, without XLA, counts
    an update too many): 2 there, which divides the tests' epochs.
    """
    if keras.backend.backend() == "torch":
        return 1
    if keras.backend.backend() == "tensorflow" and compat.KERAS_VERSION < (3, 8):
        return min(wanted, 2)
    return wanted


def ones(steps):
    x = np.ones((steps, 1), "float32")
    return x, x


def applied_total(model):
    """The sum of the rates applied so far (the kernel started at 0)."""
    return -float(model.get_weights()[0][0, 0])


def to_float(value):
    return float(ops.convert_to_numpy(value))


def logged_points(log_dir, tag="learning_rate"):
    """(steps, values) of `tag` under `log_dir/train`, as TensorBoard reads them.

    Through the reader of TensorBoard's own plugins, which takes the scalars
    of an `Event`'s `simple_value` (ours) and of TensorFlow's summaries
    (Keras's `TensorBoard` callback) alike.
    """
    from tensorboard.backend.event_processing.plugin_event_accumulator import (
        EventAccumulator,
    )
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(
        str(Path(log_dir) / "train"), size_guidance={"tensors": 0}
    )
    accumulator.Reload()
    events = accumulator.Tensors(tag)
    values = [tensor_util.make_ndarray(e.tensor_proto).item() for e in events]
    return np.array([e.step for e in events]), np.array(values)
