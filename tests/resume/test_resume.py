"""Killed or saved in the middle of training, a run resumes exactly.

Each run is a subprocess of `training.py` (Warmup(CosineRestarts), Adam,
ReduceLROnPlateau, LearningRateMonitor per step, BackupAndRestore) on the
backend that `KERAS_BACKEND` selects. A reference run goes through all
epochs at once; the others are interrupted and resumed, and must end with
the same weights, the same per-step learning rates in their TensorBoard
events, and the same plateau state after every epoch.
"""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import (
    EventFileLoader,
)

from tests.resume.training import EPOCHS, ORDERS, STEPS_PER_EPOCH

SCRIPT = Path(__file__).with_name("training.py")
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH
KILL_EPOCH, KILL_BATCH = 6, 3
STOP_AFTER = 3


def train(work_dir, *args, check=True, script=SCRIPT):
    result = subprocess.run(
        [sys.executable, str(script), str(work_dir), *map(str, args)],
        capture_output=True, text=True, timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def learning_rates(work_dir):
    """(steps, rates) as TensorBoard's data server shows them.

    Files are read in name (creation) order; a step written again, by a run
    resumed from a checkpoint, replaces the earlier point, as TensorBoard's
    data server does. The repeated points must carry the same values.
    """
    rates = {}
    for path in sorted((work_dir / "logs" / "train").iterdir()):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag != "learning_rate":
                    continue
                rate = value.tensor.float_val[0]  # the loader's data_compat form
                if event.step in rates:
                    assert rates[event.step] == rate, (event.step, rates[event.step], rate)
                rates[event.step] = rate
    steps = np.array(sorted(rates))
    return steps, np.array([rates[step] for step in steps], dtype="float32")


def states(work_dir):
    with open(work_dir / "states.jsonl") as file:
        return [json.loads(line) for line in file]


def weights(work_dir):
    with np.load(work_dir / "weights.npz") as arrays:
        return [arrays[name] for name in sorted(arrays.files)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("reference")
    train(work_dir)
    scales = [state["scale"] for state in states(work_dir)]
    reductions = [epoch for epoch in range(1, EPOCHS) if scales[epoch] < scales[epoch - 1]]
    # Each interruption comes right before a reduction that needs what was
    # carried over: a bad epoch counted, the best value, the scale.
    assert reductions == [STOP_AFTER, KILL_EPOCH], reductions
    return work_dir


def assert_same_run(work_dir, reference):
    steps, rates = learning_rates(work_dir)
    expected_steps, expected_rates = learning_rates(reference)
    np.testing.assert_array_equal(expected_steps, np.arange(TOTAL_STEPS))
    np.testing.assert_array_equal(steps, expected_steps)
    np.testing.assert_array_equal(rates, expected_rates)
    for got, expected in zip(weights(work_dir), weights(reference), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    by_epoch = {state["epoch"]: state for state in states(work_dir)}
    for expected in states(reference):
        got = dict(by_epoch[expected["epoch"]])
        np.testing.assert_allclose(got.pop("best"), expected.pop("best"), rtol=1e-6)
        assert got == {key: expected[key] for key in got}


# `run_before_checkpoints` puts the callbacks in one order whatever the
# list's (pure Python, the same on every backend): "backup-first", where
# that matters, runs in every pass, "plateau-first" in CI's first.
@pytest.mark.parametrize(
    "order", [pytest.param(ORDERS[0], marks=pytest.mark.once), ORDERS[1]]
)
def test_sigkill_in_the_middle_of_an_epoch_then_resume(tmp_path, reference, order):
    # With BackupAndRestore listed first, its checkpoint at the end of epoch
    # KILL_EPOCH - 1 must still hold that epoch's decision (a bad epoch
    # counted), which the reduction after KILL_EPOCH needs.
    killed = train(tmp_path, "--order", order, "--kill-at", KILL_EPOCH, KILL_BATCH, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]

    # What the monitor wrote before the kill is on disk, up to the batch
    # where the process died.
    steps, rates = learning_rates(tmp_path)
    killed_at = KILL_EPOCH * STEPS_PER_EPOCH + KILL_BATCH
    np.testing.assert_array_equal(steps, np.arange(killed_at))
    np.testing.assert_array_equal(rates, learning_rates(reference)[1][:killed_at])
    assert [state["epoch"] for state in states(tmp_path)] == list(range(KILL_EPOCH))

    train(tmp_path, "--order", order)  # BackupAndRestore resumes at the start of KILL_EPOCH
    assert [state["epoch"] for state in states(tmp_path)] == list(range(EPOCHS))
    assert_same_run(tmp_path, reference)


def test_save_to_keras_reload_and_continue_with_initial_epoch(tmp_path, reference):
    train(tmp_path, "--stop-after", STOP_AFTER)
    # The backup of the finished first fit is deleted; the reloaded model
    # carries the schedule's step in `optimizer.iterations`.
    train(tmp_path, "--reload-from", tmp_path / "model.keras")
    assert_same_run(tmp_path, reference)
