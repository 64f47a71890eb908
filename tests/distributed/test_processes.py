"""Training on several processes on localhost, each started here under a
timeout.

JAX: two processes (`processes.py`) run the range test and train as one
process on the same global batch (the reference, run here), write each
TensorBoard step once,
and resume exactly after one of them is killed: three launches of two
processes (an uninterrupted run, a run whose second process is SIGKILLed
mid-epoch, then the first, and its restart).

TensorFlow: two `MultiWorkerMirroredStrategy` workers (`workers.py`), one
launch. Keras's own `fit` fails there, before any callback runs, on every
Keras/TensorFlow pair CI runs; the test records that failure.
"""

import inspect
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_lrs
from tests.distributed import processes
from keras_lrs import compat
from tests.distributed.processes import EPOCHS, PROCESSES, STEPS_PER_EPOCH

SCRIPT = Path(processes.__file__)
WORKERS = SCRIPT.with_name("workers.py")
TIMEOUT = 240  # seconds, per launch
KILL_AT = 2 * STEPS_PER_EPOCH + 3  # in the middle of the third epoch


def _jax_skip_reason():
    if keras.backend.backend() != "jax":
        return "several processes of one training: JAX's (jax.distributed) here"
    if "auto_shard_dataset" not in inspect.signature(keras.distribution.DataParallel).parameters:
        return (
            "this Keras's DataParallel cannot take each process's own batches "
            "(no `auto_shard_dataset`)"
        )
    try:
        import tensorflow  # noqa: F401  Keras feeds several processes tf.data only
    except ImportError:
        return "Keras feeds several JAX processes from a tf.data.Dataset only"
    return None


jax_processes = pytest.mark.skipif(
    _jax_skip_reason() is not None, reason=str(_jax_skip_reason())
)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _launch(script, *arguments, backend="jax"):
    """Both processes of `script`, each given its index and `arguments`."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    # One CPU device per process, whatever the caller's XLA flags.
    env.pop("XLA_FLAGS", None)
    return [
        subprocess.Popen(
            [sys.executable, str(script), str(index), *map(str, arguments)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for index in range(PROCESSES)
    ]


def _start(work_dir, run):
    return _launch(SCRIPT, _free_port(), work_dir, run)


def _finish(launched):
    """Each process's JSON; all killed if one outlives the timeout."""
    results = []
    try:
        for process in launched:
            out, err = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, err[-3000:]
            results.append({**json.loads(out.strip().splitlines()[-1]), "stdout": out})
    finally:
        for process in launched:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return results


def _logged(work_dir):
    """(steps, rates) of every `learning_rate` point under the log_dir, as
    TensorBoard reads them: all event files, the latest value of a step
    written again (after a restart) replacing the earlier."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(Path(work_dir) / "logs" / "train"), size_guidance={"scalars": 0})
    accumulator.Reload()
    points = accumulator.Scalars("learning_rate")
    return np.array([p.step for p in points]), np.array([p.value for p in points])


@jax_processes
def test_two_processes_train_as_one_and_resume_exactly(tmp_path):
    pytest.importorskip("tensorboard")
    total = EPOCHS * STEPS_PER_EPOCH
    reference = processes.train(tmp_path / "one")
    whole = _finish(_start(tmp_path / "whole", "first"))

    # The same weights, step and rates on both processes, and one process's.
    assert [result["process"] for result in whole] == [0, 1]
    first, second = whole
    for key in ("weights", "steps", "learning_rate", "loss"):
        assert first[key] == second[key], key
    assert first["steps"] == reference["steps"] == total
    for key in ("learning_rate", "loss"):
        np.testing.assert_allclose(first[key], reference[key], rtol=1e-5)
    for ours, theirs in zip(first["weights"], reference["weights"], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)

    # The range test, before: the same losses as one process, the model
    # restored bit for bit, the progress bar on the first process only.
    for result in whole:
        assert result["range_test_restored"]
        np.testing.assert_allclose(
            result["range_test_losses"], reference["range_test_losses"], rtol=1e-5
        )
    assert "6/6" in first["stdout"] and "6/6" not in second["stdout"]

    # Each step once in TensorBoard, with one process's rates.
    steps, rates = _logged(tmp_path / "whole")
    reference_steps, reference_rates = _logged(tmp_path / "one")
    np.testing.assert_array_equal(steps, np.arange(total))
    np.testing.assert_array_equal(reference_steps, np.arange(total))
    np.testing.assert_allclose(rates, reference_rates, rtol=1e-5)
    # The plateau really cut: the schedule's values times 1, 1/2, 1/4, ...
    # (from step 1: the warmup starts at 0).
    unscaled = keras_lrs.schedule_values(processes.schedule(), total)
    cuts = -np.log2(rates[1:] / unscaled[1:])
    np.testing.assert_allclose(cuts, np.round(cuts), atol=1e-5)
    assert cuts[0] == 0 and cuts[-1] >= 1, cuts

    # SIGKILL the second process mid-epoch, then the first (which waits for
    # it), and restart both from their own backups.
    killed = _start(tmp_path / "resumed", KILL_AT)
    try:
        killed[1].communicate(timeout=TIMEOUT)
    finally:
        killed[0].send_signal(signal.SIGKILL)
        killed[0].communicate(timeout=TIMEOUT)
        killed[1].kill()
    assert killed[1].returncode == -signal.SIGKILL
    resumed = _finish(_start(tmp_path / "resumed", "resumed"))
    for result in resumed:
        assert result["steps"] == total
        assert result["weights"] == first["weights"]
    steps, rates = _logged(tmp_path / "resumed")
    reference_steps, reference_rates = _logged(tmp_path / "whole")
    np.testing.assert_array_equal(steps, np.arange(total))
    np.testing.assert_array_equal(rates, reference_rates)


# What Keras's `fit` raises on each worker, from its first train step
# (checked on Keras 3.3.3 + TF 2.16.2, 3.8.0 + 2.18.1, 3.15.1 + 2.21.0).
KERAS_FAILURE = (
    # `_maybe_symbolic_build` builds the compiled metrics from the first
    # batch, which is a `PerReplica` under the strategy.
    "ValueError: Attempt to convert a value (PerReplica"
    if compat.KERAS_VERSION >= (3, 8)
    # `reduce_per_replica` reduces the scalar loss along axis 0.
    else "ValueError: Invalid reduction dimension 0 for input with 0 dimensions"
)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute.MultiWorkerMirroredStrategy is TensorFlow's",
)
def test_multi_worker_mirrored_strategy_fails_in_keras_fit(tmp_path):
    workers = _finish(_launch(WORKERS, _free_port(), _free_port(), tmp_path, backend="tensorflow"))
    # The cluster has no "chief": worker 0 writes.
    assert [worker["first"] for worker in workers] == [True, False]
    if not any("error" in worker for worker in workers):
        pytest.fail(
            f"Keras {keras.__version__} trains under MultiWorkerMirroredStrategy "
            "now: test the callbacks there (identical workers, each step once "
            "in TensorBoard) instead of this failure."
        )
    for worker in workers:
        assert worker["error"].startswith(KERAS_FAILURE), worker["error"][:300]
