"""Killed or saved in the middle of weight averaging, a run ends the same.

Each run is a subprocess of `swa_training.py` on the backend that
`KERAS_BACKEND` selects, with `StochasticWeightAveraging` listed before or
after `BackupAndRestore` and `ModelCheckpoint`. The final averaged weights
must equal those of an uninterrupted run.
"""

import signal
from pathlib import Path

import numpy as np
import pytest

from tests.resume import test_resume as resume
from tests.resume.test_resume import weights

SCRIPT = Path(__file__).with_name("swa_training.py")
ORDERS = ["swa-first", "backup-first"]
# Epoch 5 is the third averaged epoch (averaging starts at epoch 3).
KILL_EPOCH, KILL_BATCH = 5, 3


def train(work_dir, *args, check=True):
    return resume.train(work_dir, *args, check=check, script=SCRIPT)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("reference")
    train(work_dir, "swa-first")
    other = tmp_path_factory.mktemp("reference-backup-first")
    train(other, "backup-first")
    for a, b in zip(weights(work_dir), weights(other), strict=True):
        np.testing.assert_array_equal(a, b)
    return weights(work_dir)


def assert_same(got, expected):
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("order", ORDERS)
def test_sigkill_during_averaging_then_resume(tmp_path, reference, order):
    killed = train(tmp_path, order, "--kill-at", KILL_EPOCH, KILL_BATCH, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    train(tmp_path, order)  # BackupAndRestore resumes at the start of KILL_EPOCH
    assert_same(weights(tmp_path), reference)


@pytest.mark.parametrize("order", ORDERS)
def test_save_to_keras_during_averaging_reload_and_continue(tmp_path, reference, order):
    stopped = train(tmp_path, order, "--stop-after", KILL_EPOCH, check=False)
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr[-3000:]
    # The backup of the killed run is kept; a reload starts from the saved
    # model, so it is removed.
    import shutil

    shutil.rmtree(tmp_path / "backup", ignore_errors=True)
    resumed = train(tmp_path, order, "--reload-from", tmp_path / "model.keras")
    assert "the average starts from here" not in resumed.stderr
    assert_same(weights(tmp_path), reference)
