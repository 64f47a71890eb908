"""The benchmarks run and report what they measured, in a table and in JSON.

The runs are subprocesses on the backend that `KERAS_BACKEND` selects, on
configurations small enough for a CPU.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from keras_lrs import compat
from keras_lrs._cases import CASE_NAMES
from tests.scripts import (
    SCRIPTS, assert_backend, assert_one_line_usage_error, import_script,
    run_script, table_after,
)

from tests.test_example import fashion_mnist_dir

# The benchmarks time the Keras of today: before 3.8, Keras's TensorFlow
# trainer runs out of data when `steps_per_execution` (32 here) does not
# divide an epoch, and it dispatches no batch-end callbacks asynchronously.
pytestmark = pytest.mark.skipif(
    compat.KERAS_VERSION < (3, 8),
    reason="the benchmarks need Keras >= 3.8 (partial executions, async batch ends)",
)

ROOT = Path(__file__).resolve().parents[1]
OVERHEAD = ROOT / "benchmarks" / "overhead.py"
OVERHEAD_TABLE = SCRIPTS["overhead_table"]
GPU_RUN = ROOT / "benchmarks" / "gpu_run.sh"


# --- overhead.py -----------------------------------------------------------


def round_baselines(rows):
    """The baseline's time per step in each round: the mean of the first two
    rows' samples."""
    return [(a + b) / 2 for a, b in zip(rows[0]["samples_us"], rows[1]["samples_us"])]


def assert_rows_follow_three_rounds(document):
    """Each row's figures follow from its samples of 3 rounds and those of the
    baseline, the mean of the first two rows."""
    rows = document["results"]
    baseline = round_baselines(rows)
    assert document["baseline_median_step_us"] == pytest.approx(sorted(baseline)[1])
    for row in rows:
        samples = row["samples_us"]
        assert len(samples) == 3 and all(t > 0 for t in samples)
        assert row["median_step_us"] == sorted(samples)[1]
        ratios = sorted(t / b for t, b in zip(samples, baseline))
        assert row["ratio_to_float_rate"] == pytest.approx(ratios[1])
        # A median of 3 resampled ratios is one of them.
        low, high = row["ratio_interval_95"]
        assert ratios[0] <= low <= row["ratio_to_float_rate"] <= high <= ratios[2]


def test_overhead_tiny_run(tmp_path):
    out = tmp_path / "overhead.json"
    # Few configurations: torch.compile compiles each model for seconds.
    plateau = "Warmup(CosineRestarts) + ReduceLROnPlateau"
    chosen = ["float rate (third model)", plateau]
    result = run_script(
        OVERHEAD, "--steps", 8, "--rounds", 3, "--optimizer", "adamw",
        "--out", out, "--configurations", ",".join(chosen),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert_backend(document)
    assert (document["steps_per_epoch"], document["rounds"]) == (8, 3)
    assert (document["optimizer"], document["timing"]) == ("adamw", "epoch")
    assert document["batch_ends"] == "keras"
    rows = document["results"]
    names = [row["configuration"] for row in rows]
    # The baseline's two models come along, and so does the plateau's model
    # timed without its callback.
    assert names == [
        "float rate", "float rate (second model)", *chosen,
        f"{plateau} (callback not called)",
    ]
    assert document["baseline"] == names[:2]
    assert_rows_follow_three_rounds(document)
    # An epoch with the callback minus one without, same round.
    with_callback, without = rows[3]["samples_us"], rows[4]["samples_us"]
    extra = sorted((a - b) * 8 / 1000 for a, b in zip(with_callback, without))
    assert rows[3]["callback_ms_per_epoch"] == pytest.approx(extra[1])
    low, high = rows[3]["callback_ms_interval_95"]
    assert extra[0] <= low <= extra[1] <= high <= extra[2]
    assert all("callback_ms_per_epoch" not in row for row in rows[:3] + rows[4:])
    # The time inside the callback's hooks, per epoch: within the epoch, and
    # as a share of the baseline's epoch in the same round.
    hooks = rows[3]["hooks_ms_samples"]
    assert len(hooks) == 3
    assert all(0 < ms < t * 8 / 1000 for ms, t in zip(hooks, with_callback))
    assert rows[3]["hooks_ms_per_epoch"] == sorted(hooks)[1]
    low_ms, high_ms = rows[3]["hooks_ms_interval_95"]
    assert min(hooks) <= low_ms <= sorted(hooks)[1] <= high_ms <= max(hooks)
    shares = sorted(ms * 1000 / (b * 8) for ms, b in zip(hooks, round_baselines(rows)))
    assert rows[3]["hooks_share_of_epoch"] == pytest.approx(shares[1])
    share_low, share_high = rows[3]["hooks_share_interval_95"]
    assert shares[0] <= share_low <= shares[1] <= share_high <= shares[2]
    assert all("hooks_ms_per_epoch" not in row for row in rows[:3] + rows[4:])
    targets = {row["configuration"]: row["target"] for row in rows}
    assert targets == {
        "float rate": None, "float rate (second model)": None,
        "float rate (third model)": None, plateau: 0.02,
        f"{plateau} (callback not called)": 0.02,
    }
    for row in rows:
        assert row["verdict"] in (("met", "missed", "open") if row["target"] else ("",))

    header, table_rows = table_after(result.stdout, "configuration ")
    assert "median µs/step" in header and "95% interval" in header
    assert [row[:66].rstrip() for row in table_rows[: len(names)]] == names
    assert (
        f"an epoch with the callback minus one without, in {plateau}: "
        f"{extra[1]:.2f} ms per epoch"
    ) in result.stdout
    assert (
        f"time in the hooks of the callback in {plateau}: {sorted(hooks)[1]:.2f} "
        f"ms per epoch ({low_ms:.2f}-{high_ms:.2f}), {shares[1]:.2%} of the "
        f"baseline's epoch ({share_low:.2%}-{share_high:.2%})"
    ) in result.stdout

    # The README's table, from that JSON.
    markdown = run_script(OVERHEAD_TABLE, out)
    assert markdown.returncode == 0, markdown.stderr[-3000:]
    backend = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    assert markdown.stdout.splitlines() == [
        f"| time per step, vs a float rate | {backend[document['backend']]}, adamw |",
        "|---|---|",
        "| float rate (two models), µs per step | "
        f"{document['baseline_median_step_us']:.0f} µs |",
        f"| a third model, same float rate (control) | {_cell(rows[2])} |",
        f"| `Warmup(CosineRestarts)` + `ReduceLROnPlateau` | {_cell(rows[3])} |",
        "| the plateau wrapper alone (that model, callback not called) | "
        f"{_cell(rows[4])} |",
        "| `ReduceLROnPlateau`: an epoch with it minus one without | "
        f"{extra[1]:.1f} ms ({low:.1f}–{high:.1f}) |",
        "| `ReduceLROnPlateau`: time in its hooks per epoch, share of the epoch | "
        f"{sorted(hooks)[1]:.1f} ms ({low_ms:.1f}–{high_ms:.1f}), "
        f"{shares[1]:.1%} ({share_low:.1%}–{share_high:.1%}) |",
    ]


def test_overhead_call_by_call_tiny_run(tmp_path):
    out = tmp_path / "overhead.json"
    plateau = "Warmup(CosineRestarts) + ReduceLROnPlateau"
    result = run_script(
        OVERHEAD, "--timing", "call", "--steps", 8, "--rounds", 3,
        "--out", out, "--configurations", plateau,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert_backend(document)
    assert (document["timing"], document["rounds"]) == ("call", 3)
    rows = document["results"]
    # Only fit calls callbacks: the plateau's model is timed without its
    # callback, and no callback's host time is reported.
    names = [row["configuration"] for row in rows]
    assert names == [
        "float rate", "float rate (second model)", f"{plateau} (callback not called)",
    ]
    assert_rows_follow_three_rounds(document)
    assert all("callback_ms_per_epoch" not in row for row in rows)
    assert rows[2]["target"] == 0.02
    assert rows[2]["verdict"] in ("met", "missed", "open")
    assert "timing=call" in result.stdout

    markdown = run_script(OVERHEAD_TABLE, out)
    assert markdown.returncode == 0, markdown.stderr[-3000:]
    header = markdown.stdout.splitlines()[0]
    assert header.endswith(", sgd, call by call |")


# The rounds loop is the same code on every backend, whose timing the tiny
# runs above check.
@pytest.mark.once
def test_overhead_time_limit_stops_starting_rounds(tmp_path):
    out = tmp_path / "overhead.json"
    result = run_script(
        OVERHEAD, "--timing", "call", "--steps", 8, "--rounds", 10**7,
        "--time-limit", 1, "--out", out,
        "--configurations", "float rate (third model)",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    rounds = document["rounds"]
    assert 1 <= rounds < 10**7
    assert (document["rounds_asked"], document["time_limit_s"]) == (10**7, 1.0)
    assert all(len(row["samples_us"]) == rounds for row in document["results"])
    assert f"rounds={rounds} " in result.stdout


@pytest.mark.once
@pytest.mark.parametrize(
    "args, message",
    [
        (["--rounds", "0"], "--rounds"),
        (["--time-limit", "0"], "--time-limit"),
        (["--steps", "-4"], "--steps"),
        (["--timing", "step"], "--timing"),
    ],
)
def test_overhead_bad_input(args, message):
    assert_one_line_usage_error(
        run_script(OVERHEAD, *args), OVERHEAD, message, after_backend_logs=True
    )


@pytest.mark.once
def test_overhead_unknown_configuration():
    result = run_script(OVERHEAD, "--configurations", "no such")
    # The names come from the schedule cases, built with Keras, whose backend
    # may have logged to stderr by then: the error is the last line.
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last == "overhead.py: error: unknown configurations: no such", last


def test_overhead_clock_hooks():
    import time

    import keras

    overhead = import_script(OVERHEAD)

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.02)
            logs["seen"] = epoch

    class BatchBegin(EpochEnd):
        def on_train_batch_begin(self, batch, logs=None):
            pass

    waits = []

    def wait():  # unclocked
        waits.append(True)
        time.sleep(0.2)

    callback = BatchBegin()
    lap = overhead.clock_hooks([callback], wait)
    # Only the hook the class overrides is wrapped: a batch-end hook left to
    # Keras's default keeps Keras's asynchronous dispatch of batch ends.
    assert set(vars(callback)) >= {"on_epoch_end", "on_train_batch_begin"}
    assert not any(
        name in vars(callback) for name in ("on_train_batch_end", "on_epoch_begin")
    )
    # What Keras decides from the hooks (where its backend is thread-safe):
    # the same as for a callback not wrapped.
    assert (keras.callbacks.CallbackList([callback])._async_train
            == keras.callbacks.CallbackList([BatchBegin()])._async_train)
    assert lap() == 0.0
    callback.on_train_batch_begin(0)  # a batch's hook: no wait
    assert waits == []
    logs = {}
    callback.on_epoch_end(3, logs)  # the hook still does its work
    callback.on_epoch_begin(4)
    assert logs == {"seen": 3}
    assert waits == [True]  # before the epoch's end, not clocked
    first = lap()
    assert 0.02 <= first < 0.2
    assert lap() == 0.0  # each lap starts from zero


def test_overhead_sync_batch_ends():
    import threading

    import keras
    import numpy as np

    overhead = import_script(OVERHEAD)

    class Where(keras.callbacks.Callback):
        async_safe = True  # Keras may call its batch ends on another thread

        def __init__(self):
            super().__init__()
            self.threads = set()

        def on_train_batch_end(self, batch, logs=None):
            self.threads.add(threading.current_thread())

    x, y = np.ones((16, 4), "float32"), np.ones((16, 1), "float32")
    where = Where()
    fast = 1 if keras.backend.backend() == "torch" else 2
    models = {"m": (overhead.build(0.01, fast, 4, "sgd"), [where])}
    threads = {}
    for extra in ([], [overhead.synchronous_batch_ends()]):
        where.threads.clear()
        run, steps = overhead.epochs(models, x, y, 2, 8, {}, extra)["m"]
        run()
        assert steps == 8
        threads[bool(extra)] = set(where.threads)
    # With it, in the training loop; without it, on Keras's own thread where
    # the backend is thread-safe (not TensorFlow).
    assert threads[True] == {threading.current_thread()}
    loop_thread = keras.backend.backend() == "tensorflow"
    assert (threads[False] == {threading.current_thread()}) == loop_thread, threads


@pytest.mark.once
def test_overhead_table_names_the_batch_ends():
    overhead_table = import_script(OVERHEAD_TABLE)
    documents = [
        {"backend": "jax", "optimizer": "sgd", "timing": "epoch",
         "batch_ends": batch_ends, "baseline_median_step_us": 80.4, "results": []}
        for batch_ends in ("keras", "synchronous")
    ]
    lines = overhead_table.table(documents).splitlines()
    assert lines[0] == (
        "| time per step, vs a float rate | JAX, sgd | JAX, sgd, batch ends in "
        "the loop |"
    )
    assert lines[2] == "| float rate (two models), µs per step | 80 µs | 80 µs |"


@pytest.mark.once
def test_overhead_sync_batch_ends_is_for_epochs():
    result = run_script(OVERHEAD, "--timing", "call", "--sync-batch-ends")
    assert_one_line_usage_error(
        result, OVERHEAD, "--sync-batch-ends is for --timing epoch",
        after_backend_logs=True,
    )


def test_overhead_compiles_each_torch_model_alone():
    import keras
    import numpy as np

    if keras.backend.backend() != "torch":
        pytest.skip("torch.compile exists on the torch backend only")
    overhead = import_script(OVERHEAD)
    models = [overhead.build(0.01, 1, 4, "sgd") for _ in range(2)]
    codes = [m.train_function._torchdynamo_orig_callable.__code__ for m in models]
    # Two code objects, so two caches of compiled graphs (Keras would give
    # both models the same one).
    assert codes[0] is not codes[1]
    assert codes[0].co_name == "one_step_on_data"
    x = np.ones((8, 4), "float32")
    before = models[0].get_weights()
    models[0].fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(models[0].optimizer.iterations)) == 1
    assert any((a != b).any() for a, b in zip(before, models[0].get_weights()))


def _cell(row):
    low, high = row["ratio_interval_95"]
    return (
        f"{row['ratio_to_float_rate']:.2f}× ({low:.2f}–{high:.2f}) {row['verdict']}"
    ).rstrip()


@pytest.mark.once
@pytest.mark.parametrize(
    "interval, target, expected",
    [
        ((0.97, 1.019), 0.02, "met"),
        ((0.99, 1.02), 0.02, "met"),
        ((1.01, 1.03), 0.02, "open"),
        ((1.021, 1.05), 0.02, "missed"),
        ((1.021, 1.05), 0.03, "open"),
        ((0.5, 2.0), None, ""),
    ],
)
def test_overhead_verdict(interval, target, expected):
    overhead = import_script(OVERHEAD)
    assert overhead.verdict(interval, target) == expected


@pytest.mark.once
def test_overhead_targets():
    overhead = import_script(OVERHEAD)
    with tempfile.TemporaryDirectory() as log_dir:
        targets = {
            name: config[3]
            for name, config in overhead.configurations(log_dir).items()
        }
    schedules = [name for name in targets if name.startswith("keras_lrs ")]
    assert len(schedules) >= 21
    assert all(targets[name] == 0.02 for name in schedules)
    assert targets["keras CosineDecay"] is None
    assert targets["per-batch Python callback (spe=1)"] is None


# --- schedule_call.py -------------------------------------------------------


def test_schedule_call_tiny_run(tmp_path):
    out = tmp_path / "schedule_call.json"
    result = run_script(
        SCRIPTS["schedule_call"], "--calls", 2, "--repeats", 3, "--out", out
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(out.read_text())
    assert_backend(document)
    assert (document["calls"], document["repeats"]) == (2, 3)
    names = [row["configuration"] for row in document["results"]]
    assert names == [
        "keras CosineDecay", "keras CosineDecay with warmup",
        *(f"keras_lrs {name}" for name in CASE_NAMES),
    ]
    header, rows = table_after(result.stdout, "configuration")
    assert [row.rsplit(None, 2)[0] for row in rows] == names
    for row in document["results"]:
        samples = row["samples_us"]
        assert len(samples) == 3 and all(t > 0 for t in samples)
        assert row["best_us_per_call"] == min(samples)
        assert row["median_us_per_call"] == sorted(samples)[1]


@pytest.mark.once
def test_schedule_call_rejects_no_calls():
    result = run_script(SCRIPTS["schedule_call"], "--calls", 0)
    assert_one_line_usage_error(
        result,
        SCRIPTS["schedule_call"],
        "argument --calls: must be an integer > 0. Received: '0'",
        after_backend_logs=True,
    )


# --- gpu_run.sh ---------------------------------------------------------------

def run_gpu_script(out, *parts, **environment):
    return subprocess.run(
        ["bash", str(GPU_RUN), str(out), *parts],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHON": sys.executable, **environment},
    )


@pytest.fixture
def jax_backend_only():
    # The GPU machine runs the JAX backend (it has no TensorFlow) of the
    # newest Keras (device-prep's wheels); the script's plumbing is checked
    # once, in the JAX pass of the suite on the newest Keras (the example
    # and the timing it runs are checked on older Keras by their own tests).
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "jax":
        pytest.skip("gpu_run.sh runs the JAX backend; checked in the JAX pass")
    if os.environ.get("KERAS_LRS_CI_REPEAT") == "keras":
        pytest.skip(
            "gpu_run.sh runs the newest Keras; checked in CI's JAX pass on it"
        )


def test_gpu_run_writes_each_parts_results(tmp_path, jax_backend_only):
    result = run_gpu_script(
        tmp_path, "example", "calls", GPU_RUN_SMOKE="1",
        FASHION_MNIST_DIR=str(fashion_mnist_dir()),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "example.json", "overhead-calls-jax-gpu.json", "run.log",
    ]
    summary = json.loads((tmp_path / "example.json").read_text())
    assert (summary["backend"], summary["epochs"]) == ("jax", 1)
    assert 0 < summary["test_accuracy"] <= 1
    log = (tmp_path / "run.log").read_text()
    # One epoch of the quick run: 6000 images in 47 batches, a point each.
    assert "TensorBoard: 47 learning_rate points, steps 0..46" in log
    assert "reload check" in log
    assert "=== example: exit code 0" in log and "=== calls: exit code 0" in log
    document = json.loads((tmp_path / "overhead-calls-jax-gpu.json").read_text())
    assert (document["backend"], document["timing"]) == ("jax", "call")
    assert document["rounds"] == 20
    # Last, the README's table of the timing made.
    assert log.rstrip().splitlines()[-1].startswith("| `CosineDecay` alone ")
    assert "| time per step, vs a float rate | JAX, sgd, call by call |" in log


def test_gpu_run_stops_a_part_at_the_budget_and_skips_the_rest(
    tmp_path, jax_backend_only
):
    # The full call-by-call timing (31 models) takes minutes: stopped at 7 s
    # (a part is given more than 5 s, or skipped).
    result = run_gpu_script(tmp_path, "calls", "env", GPU_RUN_SECONDS="7")
    assert result.returncode == 1
    log = (tmp_path / "run.log").read_text()
    assert "=== calls (at most 7 s)" in log
    assert "=== calls: stopped at 7 s" in log
    assert "=== env: skipped, the budget is spent" in log


@pytest.mark.once
def test_gpu_run_rejects_an_unknown_part(tmp_path):
    result = run_gpu_script(tmp_path, "example", "benchmark")
    assert result.returncode == 2
    assert result.stderr == "gpu_run.sh: error: unknown part 'benchmark'\n"
    assert not (tmp_path / "run.log").exists()


# The script's own code is the same on every backend; the averaging on
# each is tests/callbacks/test_swa.py's.
@pytest.mark.once_per_keras
def test_swa_cost_prints_a_table_and_writes_json(tmp_path):
    result = run_script(
        SCRIPTS["swa_cost"], "--epochs", 2, "--steps", 3, "--models", "mlp-small",
        "--out", tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "averaging ms" in result.stdout
    (path,) = tmp_path.glob("swa_cost-*.json")
    row = json.loads(path.read_text())["models"]["mlp-small"]
    # 784*64 + 64 + 64*10 + 10 weights, one average of them.
    assert row["weights"] == 784 * 64 + 64 + 64 * 10 + 10
    assert 0 < row["averaging_ms"] < row["epoch_ms"]


def test_power_accuracy_prints_a_table_and_writes_json(tmp_path):
    path = tmp_path / "power_accuracy.json"
    result = run_script(SCRIPTS["power_accuracy"], "--out", path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "log grid" in result.stdout
    document = json.loads(path.read_text())
    assert_backend(document)
    errors = document["relative_errors"]
    keras_row = errors.pop("keras ExponentialDecay(1, 1, 0.99999)")
    # Ours are right to float32 rounding; Keras's drifts (1.3e-2 at 10**6).
    assert max(max(row.values()) for row in errors.values()) <= 1e-6
    assert keras_row["10**6"] > 1e-3
