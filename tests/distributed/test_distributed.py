"""Two devices apply and log the same learning rates as one.

TensorFlow: `tf.distribute.MirroredStrategy` over two logical CPU devices.
JAX: `keras.distribution.DataParallel` over two host devices. Each case
runs `training.py` in subprocesses (the devices must be configured before
the backend starts) and compares, replica by replica, with one device and
with the schedule's own values.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_lrs
from tests.callbacks.helpers import logged_points
from tests.distributed.training import EPOCHS, STEPS_PER_EPOCH, schedule

SCRIPT = Path(__file__).with_name("training.py")

pytestmark = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras offers no multi-device training for the torch backend "
    "(keras.distribution is JAX only; tf.distribute is TensorFlow's)",
)


def train(devices, log_dir):
    env = dict(os.environ)
    if devices == "two":
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
        ).strip()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), devices, str(log_dir)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_devices_apply_and_log_the_rates_of_one(tmp_path):
    one = train("one", tmp_path / "one")
    two = train("two", tmp_path / "two")
    assert one["devices"] == 1 and two["devices"] == 2

    # The schedule, halved after each epoch from the second on (the first
    # ends inside the warmup): the independent reference.
    total = EPOCHS * STEPS_PER_EPOCH
    scales = np.repeat([1.0, 1.0, 0.5, 0.25], STEPS_PER_EPOCH).astype("float32")
    expected = keras_lrs.schedule_values(schedule(), total) * scales
    for run in ("one", "two"):
        steps, rates = logged_points(tmp_path / run)
        np.testing.assert_array_equal(steps, np.arange(total))
        np.testing.assert_allclose(rates, expected, rtol=1e-6)

    # Every replica's kernel moved by the same rates (a replica at another
    # rate would hold another kernel), and by the expected sum.
    for kernel in two["kernel"]:
        assert kernel == one["kernel"][0]
    np.testing.assert_allclose(
        -one["kernel"][0][0], expected.astype("float64").sum(), rtol=1e-5
    )
    # The plateau decisions: one scale, the same on every replica.
    assert all(scale == [0.125] for scale in two["scale"] + one["scale"])
    assert two["learning_rate"] == one["learning_rate"]
    assert two["steps"] == one["steps"] == total


    # The range test under the strategy or distribution (no scope entered):
    # the model restored bit for bit (the fit above then trained from the
    # start), and the losses of one device.
    assert two["range_test_restored"] == one["range_test_restored"] == [True, True]
    np.testing.assert_allclose(two["range_test_losses"], one["range_test_losses"], rtol=1e-6)
    assert len(one["range_test_losses"][0]) == 8
