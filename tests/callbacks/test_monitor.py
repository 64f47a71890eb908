"""LearningRateMonitor: epoch logs and one TensorBoard point per step."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as s
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau
from keras_lrs._plumbing import rates as rates_module
from keras_lrs.callbacks import monitor as monitor_module
from tests.callbacks.helpers import logged_points, ones, rate_recording_model

ROOT = Path(__file__).resolve().parents[2]
STEPS_PER_EPOCH = 10  # not a multiple of steps_per_execution=4


def _schedule():
    return s.Warmup(s.CosineRestarts(0.1, 7, t_mul=1.5), 5)


@pytest.mark.compiled_step
def test_one_point_per_optimizer_step(tmp_path):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()))
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    model.fit(*ones(STEPS_PER_EPOCH), batch_size=1, epochs=3, verbose=0, callbacks=[monitor])

    steps, values = logged_points(tmp_path)
    np.testing.assert_array_equal(steps, np.arange(3 * STEPS_PER_EPOCH))
    expected = keras_lrs.schedule_values(_schedule(), 3 * STEPS_PER_EPOCH)
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    # ...and those are the rates the compiled step applied.
    np.testing.assert_allclose(
        -model.get_weights()[0][0, 0], values.astype("float64").sum(), rtol=1e-5
    )


def test_points_carry_plateau_reductions_whatever_the_callback_order(tmp_path):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()), jit_compile=False)
    # Listed before the monitor, the plateau callback lowers the scale at the
    # end of each epoch before the monitor writes that epoch's points.
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    model.fit(*ones(STEPS_PER_EPOCH), batch_size=1, epochs=4, verbose=0, callbacks=[plateau, monitor])

    _, values = logged_points(tmp_path)
    scales = np.repeat([1.0, 1.0, 0.5, 0.25], STEPS_PER_EPOCH)
    expected = keras_lrs.schedule_values(_schedule(), 4 * STEPS_PER_EPOCH) * scales
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    np.testing.assert_allclose(
        -model.get_weights()[0][0, 0], expected.astype("float64").sum(), rtol=1e-5
    )


def test_epoch_logs_reach_history_and_csv_logger(tmp_path):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()), jit_compile=False)
    csv_path = tmp_path / "log.csv"
    history = model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=3, verbose=0,
        callbacks=[LearningRateMonitor(log_momentum=True), keras.callbacks.CSVLogger(str(csv_path))],
    )
    # The rate of the next step, as for Keras's own `learning_rate` log.
    expected = keras_lrs.schedule_values(_schedule(), [10, 20, 30])
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)
    assert history.history["momentum"] == [0.0, 0.0, 0.0]  # SGD's default
    with open(csv_path) as file:
        rows = list(csv.DictReader(file))
    np.testing.assert_allclose([float(r["learning_rate"]) for r in rows], expected, rtol=1e-6)


def test_epoch_frequency_and_float_rate(tmp_path):
    model = rate_recording_model(keras.optimizers.Adam(0.01), jit_compile=False)
    model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=3, verbose=0,
        callbacks=[LearningRateMonitor(tmp_path, update_freq="epoch", log_momentum=True)],
    )
    steps, values = logged_points(tmp_path)
    np.testing.assert_array_equal(steps, [0, 1, 2])
    np.testing.assert_allclose(values, 0.01, rtol=1e-6)
    _, momentum = logged_points(tmp_path, "momentum")
    np.testing.assert_allclose(momentum, 0.9)  # Adam's beta_1


def test_reads_the_step_once_per_write_not_per_step(tmp_path, monkeypatch):
    reads = []
    real_current_step = monitor_module.current_step

    def counted(optimizer):
        reads.append(1)
        return real_current_step(optimizer)

    monkeypatch.setattr(monitor_module, "current_step", counted)
    monkeypatch.setattr(rates_module, "current_step", counted)
    model = rate_recording_model(keras.optimizers.SGD(_schedule()))
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    monitor.write_interval = 3600.0
    model.fit(*ones(STEPS_PER_EPOCH), batch_size=1, epochs=3, verbose=0, callbacks=[monitor])
    assert len(reads) == 2 * 3  # at each epoch's begin and end
    assert len(logged_points(tmp_path)[0]) == 3 * STEPS_PER_EPOCH
    # The batch-end hook is Keras's own, so Keras may dispatch the batch-end
    # callbacks asynchronously.
    assert LearningRateMonitor.on_train_batch_end is keras.callbacks.Callback.on_train_batch_end


class _ReadBack(keras.callbacks.Callback):
    """At each batch's begin, reads the points that are on disk."""

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = log_dir
        self.seen = []  # (steps taken, steps on disk)

    def on_train_batch_begin(self, batch, logs=None):
        taken = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        try:
            on_disk = len(logged_points(self.log_dir)[0])
        except KeyError:  # no point written yet
            on_disk = 0
        self.seen.append((taken, on_disk))


def test_points_are_on_disk_before_the_epoch_ends(tmp_path):
    model = rate_recording_model(keras.optimizers.SGD(_schedule()), jit_compile=False)
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    monitor.write_interval = 0.0  # write at every batch's begin
    read_back = _ReadBack(tmp_path)
    x, y = ones(STEPS_PER_EPOCH)
    model.fit(x, y, batch_size=1, epochs=2, verbose=0, callbacks=[monitor, read_back])
    taken, on_disk = np.array(read_back.seen).T
    np.testing.assert_array_equal(on_disk, taken)
    assert taken.max() > STEPS_PER_EPOCH  # mid-epoch, second epoch included


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"update_freq": "step"}, "update_freq"), ({"log_dir": 3}, "log_dir"),
     ({"log_momentum": "yes"}, "log_momentum")],
)
def test_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`.*Received:"):
        LearningRateMonitor(**kwargs)


def test_works_without_tensorflow(tmp_path):
    script = f"""
import sys
sys.modules["tensorflow"] = None  # importing it now fails
import numpy as np, keras, keras_lrs
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(keras_lrs.schedules.CosineDecay(0.1, 20)), loss="mse")
monitor = keras_lrs.callbacks.LearningRateMonitor({str(tmp_path)!r}, update_freq="batch")
model.fit(np.ones((12, 1)), np.ones((12, 1)), batch_size=4, epochs=2, verbose=0, callbacks=[monitor])
accumulator = EventAccumulator({str(tmp_path / "train")!r}); accumulator.Reload()
print(len(accumulator.Scalars("learning_rate")))
"""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        backend = "jax"  # the point is a backend without TensorFlow
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "6"


class CountingCosine(s.CosineDecay):
    """Counts the evaluations made outside the train step (arrays of steps)."""

    evaluations = 0

    def __call__(self, step):
        if np.ndim(step) > 0:
            type(self).evaluations += 1
        return super().__call__(step)


def test_callbacks_evaluate_a_schedule_once_per_block(tmp_path):
    # Each epoch end, the plateau callback and the monitor both need the
    # rate, and the monitor the rates of the epoch's steps: one evaluation
    # of a block of 4096 steps serves them all, epoch after epoch.
    CountingCosine.evaluations = 0
    schedule = CountingCosine(0.1, 100)
    model = rate_recording_model(keras.optimizers.SGD(schedule))
    monitor = LearningRateMonitor(tmp_path, update_freq="batch")
    plateau = ReduceLROnPlateau(monitor="loss", patience=100)
    model.fit(*ones(24), batch_size=1, epochs=3, verbose=0, callbacks=[plateau, monitor])
    assert CountingCosine.evaluations == 1
    steps, values = logged_points(tmp_path)
    np.testing.assert_array_equal(steps, np.arange(72))
    np.testing.assert_allclose(
        values, 0.05 * (1 + np.cos(np.pi * np.minimum(np.arange(72), 100) / 100)),
        rtol=1e-6, atol=1e-8,
    )
