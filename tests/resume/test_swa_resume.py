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


# The callbacks are put in one order whatever the list's (pure Python, the
# same on every backend): "backup-first", where that matters, runs in every
# pass, "swa-first" in CI's first.
ORDER_PARAMS = [pytest.param(ORDERS[0], marks=pytest.mark.once), ORDERS[1]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    # Uninterrupted, "swa-first"; the "backup-first" runs, resumed, end
    # with the same weights (so the order does not matter uninterrupted).
    work_dir = tmp_path_factory.mktemp("reference")
    train(work_dir, "swa-first")
    return weights(work_dir)


def assert_same(got, expected):
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("order", ORDER_PARAMS)
def test_sigkill_during_averaging_then_resume(tmp_path, reference, order):
    killed = train(tmp_path, order, "--kill-at", KILL_EPOCH, KILL_BATCH, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    train(tmp_path, order)  # BackupAndRestore resumes at the start of KILL_EPOCH
    assert_same(weights(tmp_path), reference)


@pytest.mark.parametrize("order", ORDER_PARAMS)
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
