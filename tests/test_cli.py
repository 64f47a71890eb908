"""`python -m keras_lrs plot|table` on every schedule, and on bad input."""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs.__main__ import main
from keras_lrs._cases import CASE_NAMES, make

# The command line: its parsing, Keras deserialization and printing; the
# values themselves are checked on each backend in tests/schedules/.
pytestmark = pytest.mark.once_per_keras

ROOT = Path(__file__).resolve().parents[1]


def _config(name):
    return json.dumps(keras.optimizers.schedules.serialize(make(name)))


def _png_size(path):
    header = Path(path).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("name", CASE_NAMES)
def test_table_prints_the_schedule_values(name, capsys):
    assert main(["table", _config(name), "--steps", "30", "--every", "7"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "step\tlearning_rate"
    steps = [int(line.split("\t")[0]) for line in lines[1:]]
    values = [float(line.split("\t")[1]) for line in lines[1:]]
    assert steps == [0, 7, 14, 21, 28]
    np.testing.assert_allclose(values, keras_lrs.schedule_values(make(name), steps), rtol=1e-7)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_plot_writes_a_png_of_the_requested_size(name, tmp_path, capsys):
    out = tmp_path / "lr.png"
    config_file = tmp_path / "schedule.json"
    config_file.write_text(_config(name))  # a path works as well as JSON
    assert main(["plot", str(config_file), "--steps", "40", "--out", str(out), "--size", "640x360", "--epochs-of", "10"]) == 0
    assert _png_size(out) == (640, 360)


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-m", "keras_lrs", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )


def _error_lines(result):
    # TensorFlow may log its own start-up lines; ours is the one naming us.
    return [line for line in result.stderr.splitlines() if "keras_lrs" in line]


BAD = {
    "invalid JSON": (["table", "{not json", "--steps", "5"], "valid JSON"),
    "unknown class": (["table", '{"class_name": "Nope", "config": {}}', "--steps", "5"], "unknown schedule class"),
    "bad value": (
        ["table", '{"class_name": "keras_lrs>CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0}}', "--steps", "5"],
        "Argument `decay_steps` must be > 0",
    ),
    "zero steps": (["table", '{"class_name": "keras_lrs>Constant", "config": {"learning_rate": 0.1}}', "--steps", "0"], "argument --steps: must be an integer > 0. Received: '0'"),
    "bad size": (["plot", '{"class_name": "keras_lrs>Constant", "config": {"learning_rate": 0.1}}', "--steps", "5", "--out", "x.png", "--size", "big"], "argument --size: must be WIDTHxHEIGHT in pixels, both > 0. Received: 'big'"),
    "zero width": (["plot", '{"class_name": "keras_lrs>Constant", "config": {"learning_rate": 0.1}}', "--steps", "5", "--out", "x.png", "--size", "0x500"], "Received: '0x500'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_exit_code_2(case):
    args, expected = BAD[case]
    result = _run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = _error_lines(result)
    assert len(lines) == 1 and expected in lines[0], result.stderr
