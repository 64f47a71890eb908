"""The d2l schedule comparison: its schedules against the chapter's loop, a
small run end to end in a subprocess, and its one-line errors.

The run uses the backend that `KERAS_BACKEND` selects, as a user would.
"""

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from tests import scripts

from tests.test_example import fashion_mnist_dir

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "compare_schedules.py"
EPOCHS = 30
STEPS_PER_EPOCH = 3


def run_script(*args):
    return scripts.run_script(SCRIPT, *args)


@pytest.fixture(scope="module")
def compare_schedules():
    return scripts.import_script(SCRIPT)


# The chapter's scheduler classes (PyTorch tab), as a reference.
class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.base_lr = base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


class CosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0,
                 warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.warmup_steps = warmup_steps
        self.warmup_begin_lr = warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps

    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) \
            * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            progress = (epoch - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (
                self.base_lr_orig - self.final_lr
            ) * (1 + math.cos(math.pi * progress)) / 2
        return self.base_lr


def pytorch_tab_rates(initial_rate, scheduler):
    """The rate of each epoch in the chapter's loop, a custom scheduler's."""
    rates, rate = [], initial_rate
    for epoch in range(EPOCHS):
        rates.append(rate)
        rate = scheduler(epoch)
    return rates


def multi_step_rates(plotted_steps):
    """MultiStepLR(0.5, [15, 30], 0.5) per epoch, after the plot's steps."""
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.zeros(1))
    trainer = torch.optim.SGD([weight], lr=0.5)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        trainer, milestones=[15, 30], gamma=0.5
    )
    rates = []
    for step in range(plotted_steps + EPOCHS):
        if step >= plotted_steps:
            rates.append(trainer.param_groups[0]["lr"])
        trainer.step()
        scheduler.step()
    return rates


REFERENCES = {
    "constant": lambda: [0.3] * EPOCHS,
    # The chapter sets the rate to 0.1 just before this run.
    "square_root": lambda: pytorch_tab_rates(0.1, SquareRootScheduler(0.1)),
    # Trained by no tab; the plotted one with the chapter's rate, 0.3.
    "factor": lambda: pytorch_tab_rates(
        0.3, FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=0.3)
    ),
    "multi_factor": lambda: multi_step_rates(plotted_steps=30),
    "multi_factor_intended": lambda: multi_step_rates(plotted_steps=0),
    "cosine": lambda: pytorch_tab_rates(
        0.3, CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)
    ),
    "warmup_cosine": lambda: pytorch_tab_rates(
        0.3, CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
    ),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_d2l_schedules_are_the_pytorch_tabs_rates(compare_schedules, name):
    import keras_lrs

    assert set(REFERENCES) == set(compare_schedules.D2L_SCHEDULES)
    plan = compare_schedules.StepPlan(STEPS_PER_EPOCH, EPOCHS)
    schedule = compare_schedules.build_schedule(name, 0.3, plan)
    values = keras_lrs.schedule_values(schedule, plan.total_steps)
    expected = np.repeat(REFERENCES[name](), STEPS_PER_EPOCH)
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-9)


def png_size(path):
    """(width, height) of a PNG file, from its IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def table_rows(markdown):
    """The cells of each data row of the markdown table."""
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("| ") and not line.startswith("| schedule")
    ]
    return rows


def test_small_run_writes_table_json_and_plot(tmp_path):
    data_dir = fashion_mnist_dir()
    out = tmp_path / "out"
    result = run_script(
        "--schedules", "warmup_cosine,plateau", "--epochs", 2,
        "--train-images", 1024, "--test-images", 512,
        "--data-dir", data_dir, "--out", out,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "backend: " in result.stdout and "device: " in result.stdout

    rows = table_rows((out / "results.md").read_text())
    assert [row[0] for row in rows] == ["warmup_cosine", "plateau"]
    assert rows[0][5] == "0.181 / 0.934 / 0.901"  # d2l's PyTorch tab
    assert rows[1][5] == "—"
    for row in rows:
        loss, train_accuracy, test_accuracy, seconds = map(float, row[1:5])
        assert 0 < loss < 10 and seconds >= 0  # 0.0 for a run under 0.05 s
        assert 0 <= train_accuracy <= 1 and 0 <= test_accuracy <= 1

    summary = json.loads((out / "results.json").read_text())
    assert summary["setup"]["train_images"] == 1024
    assert summary["setup"]["test_images"] == 512
    assert summary["setup"]["steps_per_epoch"] == 4
    for entry in summary["results"]:
        per_epoch = entry["per_epoch"]
        assert all(len(values) == 2 for values in per_epoch.values())
        assert entry["test_accuracy"] == per_epoch["test_accuracy"][-1]
        assert math.isfinite(entry["train_loss"]) and entry["train_loss"] > 0
        assert entry["wall_time_s"] > 0
        for key in ("train_accuracy", "test_accuracy"):
            assert 0 <= entry[key] <= 1
        rates = per_epoch["learning_rate"]
        assert all(0 <= rate <= 0.3 + 1e-6 for rate in rates)
    # warmup_cosine, as the PyTorch tab runs it: 0.3, then 0.
    warmup_cosine_rates = summary["results"][0]["per_epoch"]["learning_rate"]
    assert warmup_cosine_rates == pytest.approx([0.3, 0.0])
    assert png_size(out / "compare_schedules.png") == (1200, 500)


@pytest.mark.once
@pytest.mark.parametrize(
    "args, message",
    [
        (["--schedules", "constant,nope"], "unknown schedule 'nope'"),
        (["--schedules", "cosine,cosine"], "more than once"),
        (["--epochs", "0"], "--epochs"),
        (["--data-dir", "{tmp}/absent"], "no data directory"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_code_2(tmp_path, args, message):
    result = run_script(*(arg.format(tmp=tmp_path) for arg in args))
    scripts.assert_one_line_usage_error(result, SCRIPT, message)


# How the script reports its averaging rows is Python (SWA's phase in a
# fit is checked on every backend in tests/callbacks/test_swa.py).
@pytest.mark.once_per_keras
def test_weight_averaging_rows(tmp_path):
    out = tmp_path / "out"
    result = run_script(
        "--schedules", "constant_swa,constant_ema", "--epochs", 4,
        "--train-images", 512, "--test-images", 256,
        "--data-dir", fashion_mnist_dir(), "--out", out,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = table_rows((out / "results.md").read_text())
    assert [row[0] for row in rows] == ["constant_swa", "constant_ema"]
    swa, ema = json.loads((out / "results.json").read_text())["results"]
    # SWA's rate phase went into the optimizer: from epoch floor(0.75 * 4)
    # = 3 of 2 steps, annealed to 0.05 over 2 epochs.
    config = swa["config"]["config"]
    assert swa["config"]["class_name"] == "SWASchedule"
    assert (config["start_step"], config["annealing_steps"]) == (6, 4)
    assert config["swa_learning_rate"] == pytest.approx(0.05)
    assert swa["per_epoch"]["learning_rate"] == pytest.approx([0.3] * 4)
    assert (swa["source"], ema["source"]) == ("keras_lrs", "keras")
    assert ema["config"]["class_name"] == "FromEpochs"
