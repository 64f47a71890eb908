"""`ReduceLROnPlateau` against the references it claims to match, on random
arguments and metric sequences (NaN included), hooks driven directly.

- Ours against `keras.callbacks.ReduceLROnPlateau` of the installed Keras,
  arguments given positionally or by keyword: after every epoch the same
  float32 rate (exactly), the same logged rate, and the same `best`, `wait`
  and `cooldown_counter`. With a schedule, the same effective rates.
- `ReduceLROnPlateau.from_torch` against `torch.optim.lr_scheduler.
  ReduceLROnPlateau`: the same rates (rtol=1e-6: PyTorch's are float64) and
  the same `best`, bad-epoch and cooldown counters.

The decisions are Python, the same on every backend; what differs by
backend is reading and lowering the rate, which every case goes through.
"""

import math
import types

import keras
import numpy as np
import pytest
from keras import ops

from keras_lrs import schedules
from keras_lrs.callbacks import ReduceLROnPlateau

CASES = 120
KERAS_ORDER = ("monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown", "min_lr")


def fake_model(learning_rate):
    """All that both callbacks use of a model, without the cost of building one."""
    return types.SimpleNamespace(optimizer=keras.optimizers.SGD(learning_rate))


def make_model(learning_rate, metrics=()):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate), loss="mse", metrics=list(metrics)
    )
    return model


def rate_of(model):
    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


def same(a, b):
    """Equal, NaN equal to NaN (a NaN can become Keras 3.11+'s `best`)."""
    if a is None or b is None:
        return a is b
    a, b = float(a), float(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def metric_sequence(rng, size):
    """A walk on a 1/8 grid (ties at `best -+ min_delta` happen) or of any
    floats; NaN at random epochs, the first one included sometimes."""
    if rng.random() < 0.5:
        values = 4.0 + np.cumsum(rng.integers(-2, 3, size)) / 8
    else:
        values = 1.0 + np.cumsum(rng.normal(0.0, 0.05, size))
    values = [float(v) for v in values]
    for position in rng.choice(size, rng.integers(0, 4), replace=False):
        values[position] = math.nan
    return values


def keras_arguments(rng):
    return dict(
        monitor="val_loss",
        factor=float(rng.choice([0.1, 0.5, 0.9, rng.uniform(0.05, 0.95)])),
        patience=int(rng.integers(0, 5)),
        verbose=0,
        mode=str(rng.choice(["auto", "min", "max"])),
        min_delta=float(rng.choice([0.0, 0.125, 0.25, 1e-4, rng.uniform(0, 0.1)])),
        cooldown=int(rng.integers(0, 4)),
        min_lr=float(rng.choice([0.0, 0.01, 0.05, rng.uniform(0, 0.2)])),
    )


def both_callbacks(arguments, positional, rate):
    """(ours, Keras's), each on its own fresh model."""
    if positional:
        args = [arguments[name] for name in KERAS_ORDER]
        ours, theirs = ReduceLROnPlateau(*args), keras.callbacks.ReduceLROnPlateau(*args)
    else:
        ours = ReduceLROnPlateau(**arguments)
        theirs = keras.callbacks.ReduceLROnPlateau(**arguments)
    ours.set_model(fake_model(rate))
    theirs.set_model(fake_model(1.0))
    theirs.on_train_begin()  # Keras's sets its counters there
    return ours, theirs


def drive_and_compare(ours, theirs, values, rtol=0.0):
    for epoch, value in enumerate(values):
        our_logs, their_logs = {"val_loss": value}, {"val_loss": value}
        ours.on_epoch_end(epoch, our_logs)
        theirs.on_epoch_end(epoch, their_logs)
        where = f"epoch {epoch}, values {values[: epoch + 1]}"
        mine, reference = rate_of(ours.model), rate_of(theirs.model)
        assert mine == pytest.approx(reference, rel=rtol, abs=0), where
        assert our_logs["learning_rate"] == pytest.approx(
            their_logs["learning_rate"], rel=rtol, abs=0
        ), where
        assert same(ours.best, theirs.best), (where, ours.best, theirs.best)
        assert (ours.wait, ours.cooldown_counter) == (
            theirs.wait,
            theirs.cooldown_counter,
        ), where


@pytest.mark.parametrize("block", range(4))
def test_same_as_keras_on_random_arguments_and_sequences(block):
    reductions = 0
    for seed in range(block * CASES // 4, (block + 1) * CASES // 4):
        rng = np.random.default_rng(seed)
        arguments = keras_arguments(rng)
        ours, theirs = both_callbacks(arguments, positional=seed % 2 == 0, rate=1.0)
        drive_and_compare(ours, theirs, metric_sequence(rng, int(rng.integers(5, 40))))
        reductions += rate_of(theirs.model) < 1.0
    # The comparison is about reductions: most cases make some.
    assert reductions > CASES // 8


@pytest.mark.parametrize("seed", range(6))
def test_same_effective_rates_as_keras_with_a_schedule(seed):
    """A constant schedule of 1.0 under our scale: the rates Keras's float run has."""
    rng = np.random.default_rng(1000 + seed)
    arguments = keras_arguments(rng)
    ours, theirs = both_callbacks(arguments, positional=False, rate=schedules.Constant(1.0))
    values = metric_sequence(rng, 30)
    drive_and_compare(ours, theirs, values, rtol=1e-6)


def test_mode_auto_follows_keras_for_a_metric_of_its_name():
    """`val_accuracy` rises (Keras 3.11+ asks the metric, older Kerases the
    name); `val_mean_absolute_error` falls."""
    rng = np.random.default_rng(5)
    for monitor in ("val_accuracy", "val_mean_absolute_error"):
        kwargs = dict(monitor=monitor, factor=0.5, patience=1)
        ours, theirs = ReduceLROnPlateau(**kwargs), keras.callbacks.ReduceLROnPlateau(**kwargs)
        for callback in (ours, theirs):
            model = make_model(1.0, metrics=["accuracy", "mean_absolute_error"])
            model.evaluate(np.ones((1, 1)), np.ones((1, 1)), verbose=0)  # builds them
            callback.set_model(model)
        theirs.on_train_begin()
        values = [float(v) for v in rng.uniform(0, 1, 20)]
        for epoch, value in enumerate(values):
            ours.on_epoch_end(epoch, {monitor: value})
            theirs.on_epoch_end(epoch, {monitor: value})
            assert rate_of(ours.model) == rate_of(theirs.model), (monitor, epoch)
            assert same(ours.best, theirs.best)
        assert rate_of(theirs.model) < 1.0


# --- from_torch against PyTorch -----------------------------------------------


def torch_arguments(rng):
    return dict(
        mode=str(rng.choice(["min", "max"])),
        factor=float(rng.choice([0.1, 0.5, rng.uniform(0.05, 0.95)])),
        patience=int(rng.integers(0, 5)),
        threshold=float(rng.choice([0.0, 1e-4, 0.01, rng.uniform(0, 0.2)])),
        threshold_mode=str(rng.choice(["rel", "abs"])),
        cooldown=int(rng.integers(0, 4)),
        min_lr=float(rng.choice([0.0, 0.01, rng.uniform(0, 0.2)])),
        eps=float(rng.choice([1e-8, 0.0, 0.05])),
    )


@pytest.mark.parametrize("rate_kind", ["float", "schedule"])
def test_from_torch_same_as_pytorch_on_random_arguments(rate_kind):
    torch = pytest.importorskip("torch")
    cases = CASES if rate_kind == "float" else 10
    for seed in range(cases):
        rng = np.random.default_rng(2000 + seed)
        arguments = torch_arguments(rng)
        values = metric_sequence(rng, int(rng.integers(5, 40)))
        ours = ReduceLROnPlateau.from_torch("val_loss", **arguments)
        ours.set_model(fake_model(1.0 if rate_kind == "float" else schedules.Constant(1.0)))
        parameter = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([parameter], lr=1.0)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **arguments)
        for epoch, value in enumerate(values):
            ours.on_epoch_end(epoch, {"val_loss": value})
            theirs.step(value)
            where = f"seed {seed}, epoch {epoch}, {arguments}"
            assert rate_of(ours.model) == pytest.approx(
                optimizer.param_groups[0]["lr"], rel=1e-6, abs=0
            ), where
            assert same(ours.best, theirs.best), where
            assert (ours.wait, ours.cooldown_counter) == (
                theirs.num_bad_epochs,
                theirs.cooldown_counter,
            ), where
