"""examples/time_to_accuracy.py times the example's configuration to
accuracy thresholds: a tiny run in a subprocess on the backend that
`KERAS_BACKEND` selects, its one-line errors, and its summary of made-up
epochs.
"""

import json

import pytest

from keras_lrs import compat
from tests.scripts import (
    SCRIPTS, assert_backend, assert_one_line_usage_error, import_script,
    run_script, table_after,
)

from tests.test_example import fashion_mnist_dir

# Checked on Keras >= 3.8 only, as when these tests were part of
# tests/test_benchmarks.py.
pytestmark = pytest.mark.skipif(
    compat.KERAS_VERSION < (3, 8), reason="checked on Keras >= 3.8 only"
)

TIME_TO_ACCURACY = SCRIPTS["time_to_accuracy"]


@pytest.fixture(scope="module")
def time_to_accuracy():
    return import_script(TIME_TO_ACCURACY)


# The experiment's own code is the same on every backend; the example's
# training on each is tests/test_example.py's.
@pytest.mark.once_per_keras
def test_time_to_accuracy_tiny_run(tmp_path):
    data_dir = fashion_mnist_dir()
    out = tmp_path / "results" / "tta.json"
    # 4 full batches an epoch: no second compilation for a smaller last
    # batch. Every class is among the first 128 test images, so even a net
    # that answers one class for all gets more than 1% right.
    result = run_script(
        TIME_TO_ACCURACY, "--quick", "--train-images", 256, "--test-images",
        128, "--batch-size", 64, "--epochs", 2, "--schedules",
        "constant,warmup_cosine", "--thresholds", "0.01,0.999", "--data-dir",
        data_dir, "--json", out,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    document = json.loads(out.read_text())
    assert_backend(document)
    assert document["device"]
    assert document["config"] == {
        "net": "quick", "epochs": 2, "batch_size": 64, "steps_per_epoch": 4,
        "optimizer": "adamw", "peak_learning_rate": 0.003,
        "weight_decay": 0.05, "train_images": 256, "test_images": 128,
        "data_source": str(data_dir), "seed": 0,
    }
    assert document["thresholds"] == [0.01, 0.999]
    summaries = document["results"]
    assert [summary["schedule"] for summary in summaries] == [
        "constant", "warmup_cosine",
    ]
    for summary in summaries:
        accuracies, times = summary["test_accuracy"], summary["train_time_s"]
        assert len(accuracies) == len(times) == 2
        assert len(summary["eval_time_s"]) == 2
        assert all(0 <= accuracy <= 1 for accuracy in accuracies)
        # Snapped to a count of right answers out of 128.
        assert all((accuracy * 128).is_integer() for accuracy in accuracies)
        assert summary["final_test_accuracy"] == accuracies[-1]
        assert 0 < times[0] < times[1] == summary["total_train_time_s"]
        assert all(seconds > 0 for seconds in summary["eval_time_s"])
        # 1% is reached after the first epoch; 99.9% is not reached.
        reached, unreached = summary["reached"]
        assert reached == {"threshold": 0.01, "epoch": 1, "time_s": times[0]}
        assert 0 < reached["time_s"] <= summary["total_train_time_s"]
        assert unreached == {"threshold": 0.999, "epoch": None, "time_s": None}

    header, rows = table_after(result.stdout, "schedule ")
    assert header.split("  ")[0] == "schedule"
    for column in ("epochs to 1%", "time to 1%", "epochs to 99.9%",
                   "time to 99.9%", "final test acc.", "total train time"):
        assert column in header
    assert len(rows) == 2
    for row, summary in zip(rows, summaries):
        time_to_1 = f"{summary['reached'][0]['time_s']:.1f}"
        assert row.split()[:4] == [summary["schedule"], "1", time_to_1, "s"]
        assert "not reached" in row
        assert f"{summary['final_test_accuracy']:.4f}" in row


@pytest.mark.once
@pytest.mark.parametrize(
    "args, message",
    [
        (["--schedules", "constant,nope"], "--schedules"),
        (["--schedules", "wsd,wsd"], "lists wsd twice"),
        (["--thresholds", "0"], "--thresholds"),
        (["--thresholds", "0.9,1.5"], "--thresholds"),
        (["--thresholds", "nan"], "--thresholds"),
        (["--thresholds", "0.9,0.9"], "--thresholds"),
        (["--epochs", "0"], "--epochs"),
        (["--train-images", "-5"], "--train-images"),
        (["--seed", "-1"], "--seed"),
        (["--json", "{tmp}"], "--json"),
        (["--data-dir", "{tmp}/absent"], "no data directory"),
    ],
)
def test_time_to_accuracy_bad_input(tmp_path, args, message):
    result = run_script(
        TIME_TO_ACCURACY, *(arg.format(tmp=tmp_path) for arg in args)
    )
    assert_one_line_usage_error(result, TIME_TO_ACCURACY, message)


@pytest.mark.once
def test_time_to_accuracy_more_images_than_the_data():
    data_dir = fashion_mnist_dir()
    result = run_script(
        TIME_TO_ACCURACY, "--data-dir", data_dir, "--test-images", 10001
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "time_to_accuracy.py: error: --test-images 10001: the data holds "
        "only 10000"
    ]


@pytest.mark.once
def test_defaults_follow_the_example(time_to_accuracy):
    full = time_to_accuracy.parse_args([])
    assert full.schedules == ("constant", "warmup_cosine", "one_cycle", "wsd")
    assert full.thresholds == (0.93, 0.94)
    assert (full.epochs, full.batch_size, full.optimizer) == (15, 128, "adamw")
    assert full.learning_rate == 3e-3
    quick = time_to_accuracy.parse_args(["--quick"])
    assert quick.thresholds == (0.80, 0.83)
    assert (quick.epochs, quick.train_images, quick.test_images) == (
        3, 6000, 2000,
    )
    chosen = time_to_accuracy.parse_args(["--quick", "--thresholds", "0.5"])
    assert chosen.thresholds == (0.5,)


@pytest.mark.once
def test_results_are_kept_when_a_later_schedule_fails(
    time_to_accuracy, tmp_path, monkeypatch, capsys,
):
    import numpy as np

    out = tmp_path / "tta.json"
    args = time_to_accuracy.parse_args(
        ["--quick", "--epochs", "10", "--train-images", "256", "--test-images",
         "128", "--schedules", "constant,wsd,cosine",
         "--json", str(out)]
    )
    dataset = (
        (np.zeros((256, 28, 28), "uint8"), np.zeros(256, "uint8")),
        (np.zeros((128, 28, 28), "uint8"), np.zeros(128, "uint8")),
    )
    trained = []

    def run_isolated(args, schedule_name, data_dir):
        trained.append(schedule_name)
        if schedule_name == "wsd":
            return None  # as when the training process dies
        return {"device": "cpu", "backend_version": "1.0",
                "epochs": made_up_epochs([0.5, 0.85])}

    monkeypatch.setattr(time_to_accuracy, "run_isolated", run_isolated)
    assert time_to_accuracy.run(args, dataset, "somewhere") == 1
    assert trained == ["constant", "wsd"]
    assert capsys.readouterr().err.splitlines() == [
        f"time_to_accuracy.py: error: training with wsd failed; {out} holds "
        "the schedules trained before it"
    ]
    document = json.loads(out.read_text())
    assert [summary["schedule"] for summary in document["results"]] == [
        "constant"
    ]
    assert document["results"][0]["test_accuracy"] == [0.5, 0.85]
    assert document["config"]["train_images"] == 256
    assert document["device"] == "cpu"


def made_up_epochs(accuracies):
    return [
        {
            "epoch": epoch,
            "test_accuracy": accuracy,
            "train_time_s": 10.0 * epoch,
            "eval_time_s": 1.0,
            "learning_rate": 0.1,
            "train_loss": 1.0,
        }
        for epoch, accuracy in enumerate(accuracies, start=1)
    ]


@pytest.mark.once
def test_summary_takes_the_first_epoch_at_or_above_each_threshold(
    time_to_accuracy,
):
    epochs = made_up_epochs([0.5, 0.93, 0.92, 0.95])
    summary = time_to_accuracy.summarize("wsd", epochs, (0.93, 0.94, 0.96))
    assert summary["reached"] == [
        {"threshold": 0.93, "epoch": 2, "time_s": 20.0},  # equal reaches
        {"threshold": 0.94, "epoch": 4, "time_s": 40.0},
        {"threshold": 0.96, "epoch": None, "time_s": None},
    ]
    assert summary["final_test_accuracy"] == 0.95
    assert summary["total_train_time_s"] == 40.0
    assert summary["total_eval_time_s"] == 4.0
    table = time_to_accuracy.table([summary], (0.93, 0.94, 0.96))
    header, *rows = table.splitlines()
    assert header.split()[:4] == ["schedule", "epochs", "to", "93%"]
    assert rows[0].split() == [
        "wsd", "2", "20.0", "s", "4", "40.0", "s", "-", "not", "reached",
        "0.9500", "40.0", "s", "4.0", "s",
    ]
