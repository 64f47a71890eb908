"""LearningRateMonitor's points, read back through a real TensorBoard server.

The monitor writes event files with the `tensorboard` package's own writer;
this test checks that TensorBoard itself serves them as the user will see
them: run `train`, tag `learning_rate`, one point per optimizer step.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import keras
import numpy as np
import pytest

pytest.importorskip("tensorboard")

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from keras_lrs.callbacks import LearningRateMonitor  # noqa: E402
from tests.callbacks.helpers import ones, rate_recording_model  # noqa: E402

# Our event writer's bytes, served by TensorBoard: written alike on every
# backend, whose own events test_monitor.py reads back on each.
pytestmark = pytest.mark.once

EPOCHS = 3
STEPS_PER_EPOCH = 10  # not a multiple of steps_per_execution=4
SERVER_TIMEOUT = 60  # seconds, for the server to start and load the logs


def _schedule():
    return s.Warmup(s.CosineRestarts(0.1, 7, t_mul=1.5), 5)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


class _Server:
    """A `tensorboard` subprocess over `log_dir`; `stop()` always ends it."""

    def __init__(self, log_dir, output_path):
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.output_path = output_path
        command = [
            sys.executable, "-m", "tensorboard.main",
            "--logdir", str(log_dir), "--host", "127.0.0.1",
            "--port", str(port), "--load_fast=false",
        ]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        with open(output_path, "wb") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=env
            )

    def output(self):
        return self.output_path.read_text(errors="replace")[-3000:]

    def poll_json(self, path, done, timeout=SERVER_TIMEOUT):
        """GETs `path` until `done(answer)` holds; the last answer either way."""
        deadline = time.monotonic() + timeout
        answer = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"tensorboard exited with code {self.process.returncode}:\n"
                    + self.output()
                )
            try:
                answer = _get_json(self.url + path)
            except (urllib.error.URLError, OSError, ValueError):
                answer = None  # not listening yet, or still starting up
            if answer is not None and done(answer):
                return answer
            time.sleep(0.25)
        return answer

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def test_tensorboard_serves_one_point_per_optimizer_step(tmp_path):
    steps = EPOCHS * STEPS_PER_EPOCH
    log_dir = tmp_path / "logs"
    # The compiled path is test_monitor's subject, the server is ours (on
    # PyTorch the model trains eagerly: tests/compiled.py).
    model = rate_recording_model(keras.optimizers.SGD(_schedule()))
    monitor = LearningRateMonitor(log_dir, update_freq="batch")
    model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=EPOCHS, verbose=0,
        callbacks=[monitor],
    )

    server = _Server(log_dir, tmp_path / "tensorboard.out")
    try:
        tags = server.poll_json(
            "/data/plugin/scalars/tags",
            lambda tags: any("learning_rate" in t for t in tags.values()),
        )
        assert tags is not None, "tensorboard never answered:\n" + server.output()
        runs = [run for run, run_tags in tags.items() if "learning_rate" in run_tags]
        assert runs == ["train"], tags

        query = urllib.parse.urlencode({"run": "train", "tag": "learning_rate"})
        # The server may still be reading the file: wait for every step.
        points = server.poll_json(
            f"/data/plugin/scalars/scalars?{query}",
            lambda points: len(points) >= steps,
        )
        assert points is not None, "no learning_rate series:\n" + server.output()
    finally:
        server.stop()

    _, served_steps, values = np.array(points, dtype="float64").T
    np.testing.assert_array_equal(served_steps, np.arange(steps))
    expected = keras_lrs.schedule_values(_schedule(), steps)
    np.testing.assert_allclose(values, expected, rtol=1e-6)
