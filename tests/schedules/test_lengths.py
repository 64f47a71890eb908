"""Lengths left to the training: the arithmetic of `resolve`, what the
wrappers forward, previews and bad input. Backend-independent Python: run
once."""

import json

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as S

from keras_lrs.__main__ import main
from keras_lrs.callbacks import ScaledSchedule, SWASchedule
from keras_lrs.schedules.introspection import lengths_left, resolve_lengths

pytestmark = pytest.mark.once


@pytest.mark.parametrize(
    "given, total, expected",
    [
        (S.OneCycle(0.1), 1000, S.OneCycle(0.1, 1000)),
        (S.OneCycle(0.1, 0.5), 1000, S.OneCycle(0.1, 500)),
        (S.CosineDecay(1e-3), 7, S.CosineDecay(1e-3, 7)),
        (S.PolynomialDecay(1.0, 0.25), 10, S.PolynomialDecay(1.0, 3)),
        (S.ExponentialDecay(1.0, None, 0.5), 9, S.ExponentialDecay(1.0, 9, 0.5)),
        (S.CosineRestarts(1.0, 0.1), 100, S.CosineRestarts(1.0, 10)),
        (
            S.Warmup(S.CosineDecay(1e-3), warmup_steps=0.05),
            1001,
            S.Warmup(S.CosineDecay(1e-3, 951), 50),
        ),
        (
            S.WarmupStableDecay(3e-4, 0.05, None, 0.2),
            1001,
            S.WarmupStableDecay(3e-4, 50, 751, 200),
        ),
        (
            S.WarmupStableDecay(3e-4, 10, 100, None),
            300,
            S.WarmupStableDecay(3e-4, 10, 100, 190),
        ),
        (
            S.Sequential([0.1, S.CosineDecay(0.1), 0.0], [10, 20]),
            50,
            S.Sequential([0.1, S.CosineDecay(0.1, 10), 0.0], [10, 20]),
        ),
        (
            S.FromEpochs(S.CosineDecay(1.0), steps_per_epoch=10),
            50,
            S.FromEpochs(S.CosineDecay(1.0, 5), steps_per_epoch=10),
        ),
        (S.OneCycle(0.1, 0.5).momentum_schedule(), 100, S.OneCycleMomentum(50)),
    ],
)
def test_resolve_equals_the_schedule_written_with_integers(given, total, expected):
    sized = given.resolve(total)
    assert sized.get_config() == expected.get_config()
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(sized, total + 5),
        keras_lrs.schedule_values(expected, total + 5),
    )


def test_pieces_add_up_to_the_whole():
    for total in (37, 100, 1001):
        sized = S.WarmupStableDecay(1.0, 0.07, None, 0.33).resolve(total)
        assert sized.warmup_steps + sized.stable_steps + sized.decay_steps == total
        warm = S.Warmup(S.OneCycle(1.0), 0.13).resolve(total)
        assert warm.warmup_steps + warm.schedule.total_steps == total


def test_a_resolved_schedule_is_kept_and_saved_with_integers():
    schedule = S.OneCycle(0.1, 100)
    assert schedule.resolve(50) is schedule
    config = S.OneCycle(0.1).resolve(40).get_config()
    assert config["total_steps"] == 40
    unresolved = S.OneCycle(0.1, 0.5).get_config()
    assert S.OneCycle.from_config(unresolved).get_config() == unresolved


def test_preview_is_an_n_step_training():
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(S.Warmup(S.CosineDecay(1.0), 0.2), 10),
        keras_lrs.schedule_values(S.Warmup(S.CosineDecay(1.0, 8), 2), 10),
    )


def test_plot_and_the_command_line_preview_an_n_step_training(capsys):
    import matplotlib

    matplotlib.use("Agg")
    given = S.WarmupStableDecay(1.0, 0.1, None, 0.3)
    written = S.WarmupStableDecay(1.0, 3, 18, 9)
    ax = keras_lrs.plot_schedule(given, 30)
    np.testing.assert_array_equal(
        ax.get_lines()[0].get_ydata(), keras_lrs.schedule_values(written, 30)
    )
    config = json.dumps(keras.optimizers.schedules.serialize(given))
    # Every 7th row of a 30-step training, not a training of 29 steps.
    assert main(["table", config, "--steps", "30", "--every", "7"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    values = [float(row.split("\t")[1]) for row in rows]
    expected = keras_lrs.schedule_values(written, [0, 7, 14, 21, 28])
    np.testing.assert_allclose(values, expected, rtol=1e-7)


def test_wrappers_forward_the_resolution():
    scaled = ScaledSchedule(S.OneCycle(0.1), scale=0.5)
    variable = scaled.scale_variable
    assert lengths_left(scaled) and not lengths_left(S.OneCycle(0.1, 10))
    # In place: the scale stays the variable the optimizer tracks.
    assert resolve_lengths(scaled, 20) is scaled
    assert scaled.scale_variable is variable
    assert scaled.schedule.get_config() == S.OneCycle(0.1, 20).get_config()
    phase = SWASchedule(S.CosineDecay(0.1), start_step=15, swa_learning_rate=0.01)
    expected = SWASchedule(S.CosineDecay(0.1, 20), 15, 0.01)
    assert resolve_lengths(phase, 20).get_config() == expected.get_config()
    keras_schedule = keras.optimizers.schedules.CosineDecay(0.1, 10)
    assert resolve_lengths(keras_schedule, 20) is keras_schedule
    assert resolve_lengths(0.1, 20) == 0.1


def test_an_unresolved_schedule_raises_when_called():
    with pytest.raises(ValueError, match="total_steps=None.*model.fit"):
        S.OneCycle(0.1)(0)


@pytest.mark.parametrize("bad", [-3, 0.0])
def test_lengths_not_positive(bad):
    with pytest.raises(ValueError, match=r"Argument `decay_steps` must be > 0"):
        S.CosineDecay(1.0, bad)


@pytest.mark.parametrize("bad", [1.5, float("nan"), -0.5, 1.0 + 1e-9])
def test_bad_lengths(bad):
    with pytest.raises(ValueError, match=r"Argument `decay_steps` must be .*"
                       r"fraction of the training in \(0, 1\) or None"):
        S.CosineDecay(1.0, bad)


def test_fractions_over_the_whole():
    with pytest.raises(ValueError, match="must add up to at most 1"):
        S.WarmupStableDecay(1.0, 0.5, None, 0.6)
    with pytest.raises(ValueError, match="cannot both be None"):
        S.WarmupStableDecay(1.0, 0.1, None, None)
    with pytest.raises(ValueError, match=r"`decay_steps=None` .* more than the whole"):
        S.Warmup(S.CosineDecay(1.0), 50).resolve(40)
