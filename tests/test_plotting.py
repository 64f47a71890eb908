"""`plot_schedule`: the line it draws, the axes it draws on, the missing extra."""

import struct
import sys

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as s


# Matplotlib drawing values that tests/schedules/ checks on each backend.
pytestmark = pytest.mark.once_per_keras


def _schedule():
    return s.Warmup(s.CosineDecay(0.1, 40, end_learning_rate=0.001), 10)


def _only_line(ax):
    lines = ax.get_lines()
    assert len(lines) == 1
    return lines[0]


def test_count_of_steps(pyplot):
    from matplotlib.axes import Axes

    schedule = _schedule()
    ax = keras_lrs.plot_schedule(schedule, 60)
    assert isinstance(ax, Axes)
    line = _only_line(ax)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(60))
    np.testing.assert_array_equal(
        line.get_ydata(), keras_lrs.schedule_values(schedule, 60)
    )
    assert line.get_label() == "Warmup"


def test_array_of_steps(pyplot):
    schedule = _schedule()
    steps = np.array([0, 9, 10, 11, 30, 50, 49, 1000])
    line = _only_line(keras_lrs.plot_schedule(schedule, steps))
    np.testing.assert_array_equal(line.get_xdata(), steps)
    np.testing.assert_array_equal(
        line.get_ydata(), keras_lrs.schedule_values(schedule, steps)
    )


def test_keras_schedule(pyplot):
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, 10, warmup_target=1.0, warmup_steps=4
    )
    line = _only_line(keras_lrs.plot_schedule(schedule, 16))
    assert line.get_label() == "CosineDecay"
    np.testing.assert_array_equal(
        line.get_ydata(), keras_lrs.schedule_values(schedule, 16)
    )


def test_draws_on_the_given_axes_with_the_label(pyplot):
    figure, ax = pyplot.subplots()
    first = keras_lrs.plot_schedule(s.Constant(0.05), 20, ax=ax, label="constant")
    second = keras_lrs.plot_schedule(_schedule(), 20, ax=ax, label="warmup + cosine")
    assert first is ax and second is ax
    assert len(figure.axes) == 1
    assert [line.get_label() for line in ax.get_lines()] == [
        "constant",
        "warmup + cosine",
    ]
    np.testing.assert_array_equal(
        ax.get_lines()[0].get_ydata(), np.full(20, 0.05, "float32")
    )


def _png_size(path):
    with open(path, "rb") as file:
        header = file.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


def test_saved_figure_has_the_requested_pixel_size(pyplot, tmp_path):
    import matplotlib.image

    figure, ax = pyplot.subplots(figsize=(4.0, 3.0))
    keras_lrs.plot_schedule(_schedule(), 60, ax=ax)
    path = tmp_path / "lr.png"
    figure.savefig(path, dpi=50)
    assert _png_size(path) == (200, 150)
    assert matplotlib.image.imread(path).shape[:2] == (150, 200)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"keras_lrs\[plot\]"):
        keras_lrs.plot_schedule(_schedule(), 10)
    result = keras_lrs.LRFinderResult(
        learning_rates=np.geomspace(1e-4, 1.0, 5),
        losses=np.array([2.0, 1.8, 1.2, 1.5, 3.0]),
        smoothed_losses=np.array([2.0, 1.9, 1.6, 1.6, 2.0]),
    )
    with pytest.raises(ImportError, match=r"keras_lrs\[plot\]"):
        result.plot()
