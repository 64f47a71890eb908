"""examples/fashion_mnist.py trains, saves, reloads, and rejects bad inputs.

Each test runs the script in a subprocess on the backend that
`KERAS_BACKEND` selects, as a user would.
"""

import gzip
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from tests import scripts

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "fashion_mnist.py"
DEBIAN_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
# One quick epoch (6000 images) reaches 0.6 to 0.65 on every backend (three
# reach 0.84); chance is 0.1.
ONE_EPOCH_ACCURACY_FLOOR = 0.5


def run_script(*args):
    return scripts.run_script(SCRIPT, *args)


def fashion_mnist_dir():
    """$FASHION_MNIST_DIR when set, else Debian's copy when installed."""
    if os.environ.get("FASHION_MNIST_DIR"):
        return Path(os.environ["FASHION_MNIST_DIR"])
    if DEBIAN_DATA_DIR.is_dir():
        return DEBIAN_DATA_DIR
    pytest.skip(
        "Fashion-MNIST not found: set FASHION_MNIST_DIR to a directory with "
        f"its four .gz files, or install Debian's copy in {DEBIAN_DATA_DIR}"
    )


def test_quick_run_with_swa_trains_saves_and_reloads(tmp_path):
    # Two epochs of the default schedule: both averaged (the last third, at
    # least 2), then batch normalization recomputed; the averaged model
    # saves and reloads (one run for both: the plain run, without
    # `--swa`, is the plateau test's below).
    saved = tmp_path / "model.keras"
    result = run_script(
        "--quick", "--epochs", 2, "--swa", "--data-dir", fashion_mnist_dir(),
        "--save", saved,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    reload_lines = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("reload check")
    ]
    assert len(reload_lines) == 1, result.stdout
    assert saved.is_file()
    assert "StochasticWeightAveraging: averaging from epoch 1." in result.stdout
    assert "the model has the average of 2 epochs" in result.stdout
    assert "batch_norm_data" not in result.stderr  # no warning: data given
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["swa"] is True and summary["epochs"] == 2
    assert summary["schedule"] == "warmup_cosine"
    if "KERAS_BACKEND" in os.environ:
        assert summary["backend"] == os.environ["KERAS_BACKEND"]
    assert summary["test_accuracy"] >= ONE_EPOCH_ACCURACY_FLOOR


# The run differs with TensorFlow installed or not, not between JAX and
# PyTorch: the callbacks and the range test inside each backend's compiled
# step are tests/callbacks' and tests/test_finder.py's, the example's
# training on PyTorch is the SWA run's above.
@pytest.mark.once_without_tensorflow
def test_plateau_range_test_and_per_step_logging(tmp_path):
    from tests.callbacks.helpers import logged_points

    data_dir = fashion_mnist_dir()
    plot, log_dir = tmp_path / "range_test.png", tmp_path / "logs"
    # Keras's TensorBoard callback writes through TensorFlow: on the JAX and
    # PyTorch backends the run is made as where TensorFlow is not installed
    # (the GPU machine has none), and the example writes the epoch logs.
    without_tensorflow = os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow"
    result = scripts.run_script(
        SCRIPT, "--quick", "--epochs", 1, "--schedule", "plateau", "--data-dir",
        data_dir, "--find-lr", plot, "--log-dir", log_dir,
        without_tensorflow=without_tensorflow,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "range test: 40 steps" in result.stdout  # --quick's sweep
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["schedule"] == "plateau"
    assert ("needs TensorFlow, which is not installed" in result.stdout) == (
        without_tensorflow
    )
    steps, _ = logged_points(log_dir)
    np.testing.assert_array_equal(steps, np.arange(47))  # 6000 images / 128 per batch, 1 epoch
    # The epoch's scalars, by Keras's callback or in its stead: at x = 0.
    for tag in ("epoch_loss", "epoch_accuracy", "epoch_learning_rate"):
        epochs, values = logged_points(log_dir, tag)
        np.testing.assert_array_equal(epochs, [0])
        assert np.isfinite(values).all()


def write_idx(path, array):
    """Writes `array` (uint8) as a gzip-compressed IDX file."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_data_dir(tmp_path):
    """A valid Fashion-MNIST directory of 4 train and 2 test images."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for prefix, count in (("train", 4), ("t10k", 2)):
        write_idx(
            data_dir / f"{prefix}-images-idx3-ubyte.gz",
            np.zeros((count, 28, 28), np.uint8),
        )
        write_idx(
            data_dir / f"{prefix}-labels-idx1-ubyte.gz",
            np.arange(count, dtype=np.uint8),
        )
    return data_dir


def remove_file(data_dir):
    (data_dir / "t10k-labels-idx1-ubyte.gz").unlink()


def write_not_gzip(data_dir):
    (data_dir / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip data")


def truncate_gzip(data_dir):
    path = data_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])


def write_bad_magic(data_dir):
    # Images where labels belong: a 3-d IDX file, magic number 0x803.
    write_idx(
        data_dir / "train-labels-idx1-ubyte.gz", np.zeros((4, 28, 28))
    )


def write_bad_image_shape(data_dir):
    write_idx(data_dir / "t10k-images-idx3-ubyte.gz", np.zeros((2, 28, 27)))


def write_short_data(data_dir):
    path = data_dir / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as file:
        file.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 28, 28))


def write_label_count_mismatch(data_dir):
    write_idx(data_dir / "train-labels-idx1-ubyte.gz", np.zeros(3))


def write_label_out_of_range(data_dir):
    write_idx(data_dir / "t10k-labels-idx1-ubyte.gz", np.array([0, 10]))


@pytest.mark.once
@pytest.mark.parametrize(
    "break_data, message",
    [
        (remove_file, "missing data file"),
        (write_not_gzip, "cannot decompress"),
        (truncate_gzip, "cannot decompress"),
        (write_bad_magic, "magic number"),
        (write_bad_image_shape, "shape"),
        (write_short_data, "bytes of data"),
        (write_label_count_mismatch, "labels"),
        (write_label_out_of_range, "label"),
    ],
)
def test_bad_data_is_one_line_and_exit_code_2(
    tiny_data_dir, break_data, message
):
    break_data(tiny_data_dir)
    result = run_script("--data-dir", tiny_data_dir)
    scripts.assert_one_line_usage_error(result, SCRIPT, message)


@pytest.mark.once
@pytest.mark.parametrize(
    "args, message",
    [
        (["--data-dir", "{tmp}/absent"], "no data directory"),
        (["--epochs", "0"], "--epochs"),
        (["--epochs", "1.5"], "--epochs"),
        (["--batch-size", "-1"], "--batch-size"),
        (["--learning-rate", "0"], "--learning-rate"),
        (["--learning-rate", "nan"], "--learning-rate"),
        (["--seed", "-1"], "--seed"),
        (["--schedule", "nope"], "--schedule"),
        (["--optimizer", "adam"], "--optimizer"),
        (["--save", "{tmp}/model.h5"], "--save"),
        (["--save", "{tmp}/absent/model.keras"], "--save"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_code_2(tmp_path, args, message):
    result = run_script(*(arg.format(tmp=tmp_path) for arg in args))
    scripts.assert_one_line_usage_error(result, SCRIPT, message)
