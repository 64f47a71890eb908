"""`ReduceLROnPlateau`'s decision rules, driven through its hooks (no `fit`).

- `from_torch`: chosen metric sequences fed to ours and to PyTorch's
  `torch.optim.lr_scheduler.ReduceLROnPlateau` give the same learning rate
  after every epoch (rtol=1e-6: ours is float32), and the same `best`,
  bad-epoch and cooldown counters; with a float rate and with a schedule.
  (Random ones, and Keras's rule against Keras's callback, are in
  test_plateau_differential.py.)
- Keras's rule spelled out: its timing, its cooldown only after a reduction.
- `start_from_epoch`, a missing metric, argument checks.
"""

import math
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from keras_lrs import schedules
from keras_lrs.callbacks import ReduceLROnPlateau

RTOL = 1e-6
INITIAL_RATE = 1.0


# --- helpers -----------------------------------------------------------------


def make_model(learning_rate=INITIAL_RATE):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse"
    )
    return model


def rate_of(model):
    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


def attached(model, rule="torch", **kwargs):
    if rule == "torch":
        callback = ReduceLROnPlateau.from_torch(**kwargs)
    else:
        callback = ReduceLROnPlateau(**kwargs)
    callback.set_model(model)
    return callback


def state_of(callback):
    return (callback.best, callback.wait, callback.cooldown_counter)


def learning_rate(kind, initial_rate=INITIAL_RATE):
    """A float rate, or the same rate as a schedule."""
    if kind == "schedule":
        return schedules.Constant(initial_rate)
    return initial_rate


def ours_trace(
    values, rate="float", monitor="val_loss", initial_rate=INITIAL_RATE, **kw
):
    """Per epoch: (rate after the epoch, best, bad epochs, cooldown left)."""
    model = make_model(learning_rate(rate, initial_rate))
    callback = attached(model, monitor=monitor, **kw)
    trace = []
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {monitor: value})
        trace.append((rate_of(model), *state_of(callback)))
    return trace


def torch_trace(values, initial_rate=INITIAL_RATE, **kwargs):
    """The same, from PyTorch's scheduler over a one-parameter SGD."""
    torch = pytest.importorskip("torch")
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=initial_rate)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
    trace = []
    for value in values:
        scheduler.step(value)
        trace.append(
            (
                optimizer.param_groups[0]["lr"],
                float(scheduler.best),
                scheduler.num_bad_epochs,
                scheduler.cooldown_counter,
            )
        )
    return trace


def assert_same_trace(ours, theirs, values):
    """Equal rates (rtol) and equal counters at every epoch."""
    assert len(ours) == len(theirs)
    for epoch, (mine, reference) in enumerate(zip(ours, theirs)):
        where = f"epoch {epoch}, value {values[epoch]!r}"
        assert mine[0] == pytest.approx(reference[0], rel=RTOL, abs=0), (
            f"rate at {where}: ours {mine[0]!r}, PyTorch's {reference[0]!r}"
        )
        assert mine[1:] == reference[1:], (
            f"(best, bad_epochs, cooldown) at {where}: "
            f"ours {mine[1:]}, PyTorch's {reference[1:]}"
        )


def reductions(trace):
    rates = [INITIAL_RATE] + [row[0] for row in trace]
    return sum(later < earlier for earlier, later in zip(rates, rates[1:]))


# --- metric sequences --------------------------------------------------------


def random_walk(seed, size, scale=0.05, drift=0.0, start=1.0):
    rng = np.random.default_rng(seed)
    steps = rng.normal(drift, scale, size)
    return [float(v) for v in start + np.cumsum(steps)]


def with_nans(values, positions):
    values = list(values)
    for position in positions:
        values[position] = math.nan
    return values


def staircase():
    """Improves, stalls, improves again: several separate plateaus."""
    values = []
    for level in (1.0, 0.6, 0.4, 0.3, 0.25):
        values += [level] + [level + 0.01 * (i % 3) for i in range(1, 10)]
    return values


def creeping(size=40):
    """Improves by 2e-4 an epoch: better each epoch in "abs" 1e-4, every
    sixth in "rel" 1e-4 (which asks for 1e-3 at 10)."""
    return [10.0 - 2e-4 * epoch for epoch in range(size)]


def rising_accuracy(seed=1, size=50):
    rng = np.random.default_rng(seed)
    values = np.clip(0.5 + np.cumsum(rng.normal(0.005, 0.02, size)), 0, 1)
    return [float(v) for v in values]


# name -> (monitor, PyTorch's mode, values).
SEQUENCES = {
    "improving": ("val_loss", "min", [1.0 / (1 + e) for e in range(40)]),
    "flat": ("val_loss", "min", [1.0] * 50),
    "noisy": ("val_loss", "min", random_walk(seed=0, size=60)),
    "noisy_drifting": (
        "val_loss",
        "min",
        random_walk(seed=7, size=60, scale=0.02, drift=-0.004),
    ),
    "staircase": ("val_loss", "min", staircase()),
    "creeping": ("val_loss", "min", creeping()),
    "nans": (
        "val_loss",
        "min",
        with_nans(random_walk(seed=3, size=45), [0, 5, 6, 7, 20, 44]),
    ),
    "all_nan": ("val_loss", "min", [math.nan] * 30),
    "accuracy": ("val_accuracy", "max", rising_accuracy()),
    "accuracy_nans": (
        "val_accuracy",
        "max",
        with_nans(rising_accuracy(seed=4), [2, 3, 30]),
    ),
    "negative_values": (
        "val_loss",
        "min",
        random_walk(seed=5, size=50, scale=0.3, start=-1.0),
    ),
}

# name -> PyTorch's keyword arguments (also ours, besides mode).
CONFIGS = {
    "patience0": dict(factor=0.5, patience=0),
    "patience2": dict(factor=0.5, patience=2),
    "patience5": dict(factor=0.1, patience=5),
    "defaults": dict(),
    "cooldown": dict(factor=0.5, patience=1, cooldown=3),
    "cooldown_patience0": dict(factor=0.7, patience=0, cooldown=2),
    "min_lr": dict(factor=0.5, patience=1, min_lr=0.05),
    "min_lr_not_a_power": dict(factor=0.5, patience=0, min_lr=0.3),
    "abs": dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs"),
    "abs_zero": dict(
        factor=0.5, patience=1, threshold=0.0, threshold_mode="abs"
    ),
    "rel": dict(factor=0.5, patience=1, threshold=0.05, threshold_mode="rel"),
    "rel_zero": dict(
        factor=0.5, patience=1, threshold=0.0, threshold_mode="rel"
    ),
    "big_eps": dict(factor=0.5, patience=0, eps=0.3),
    "tiny_rates": dict(factor=0.1, patience=0),
    "everything": dict(
        factor=0.2,
        patience=3,
        cooldown=2,
        threshold=1e-3,
        threshold_mode="abs",
        min_lr=1e-3,
    ),
}


# Every config on the sequences that reduce often; a few on the others.
CORE_SEQUENCES = [
    "flat",
    "noisy",
    "noisy_drifting",
    "staircase",
    "nans",
    "accuracy",
]
FEW_CONFIGS = ["patience0", "abs", "rel", "everything"]
PYTORCH_CASES = [
    (sequence, config)
    for sequence in SEQUENCES
    for config in (CONFIGS if sequence in CORE_SEQUENCES else FEW_CONFIGS)
]


@pytest.mark.parametrize("sequence, config", PYTORCH_CASES, ids=str)
def test_same_rates_as_pytorch(sequence, config):
    monitor, mode, values = SEQUENCES[sequence]
    kwargs = CONFIGS[config]
    ours = ours_trace(values, monitor=monitor, mode=mode, **kwargs)
    theirs = torch_trace(values, mode=mode, **kwargs)
    assert_same_trace(ours, theirs, values)


# A schedule is wrapped in `ScaledSchedule`; the effective rate must be the
# same as with a float rate. A selection that covers every feature; a
# schedule at 0.5 as well, where its scale and the rate differ.
SCHEDULE_CASES = [
    ("noisy", "patience2"),
    ("flat", "tiny_rates"),
    ("staircase", "cooldown"),
    ("nans", "min_lr"),
    ("accuracy", "everything"),
    ("creeping", "abs"),
    ("flat", "min_lr_not_a_power"),
    ("flat", "big_eps"),
    ("noisy_drifting", "defaults"),
]


@pytest.mark.parametrize("initial_rate", [1.0, 0.5])
@pytest.mark.parametrize("sequence, config", SCHEDULE_CASES, ids=str)
def test_same_rates_as_pytorch_with_a_schedule(sequence, config, initial_rate):
    monitor, mode, values = SEQUENCES[sequence]
    kwargs = dict(CONFIGS[config], initial_rate=initial_rate)
    ours = ours_trace(values, rate="schedule", monitor=monitor, mode=mode, **kwargs)
    theirs = torch_trace(values, mode=mode, **kwargs)
    assert_same_trace(ours, theirs, values)


def test_the_sequences_make_several_reductions():
    """Guards the comparison above against sequences that never reduce."""
    for sequence in ("flat", "noisy", "staircase", "nans", "accuracy"):
        monitor, mode, values = SEQUENCES[sequence]
        for config in ("patience0", "patience2", "cooldown", "min_lr"):
            trace = torch_trace(values, mode=mode, **CONFIGS[config])
            assert reductions(trace) >= 3, (sequence, config)
    # "creeping" tells "abs" from "rel" at the same threshold of 1e-4.
    _, mode, values = SEQUENCES["creeping"]
    rel = torch_trace(values, mode=mode, patience=2, factor=0.5)
    abs_ = torch_trace(
        values, mode=mode, patience=2, factor=0.5, threshold_mode="abs"
    )
    assert reductions(rel) >= 3 and reductions(abs_) == 0


def test_a_flat_metric_reduces_after_patience_plus_one_epochs():
    """The timing, spelled out: PyTorch's `>`, not Keras's `>=`."""
    trace = ours_trace([1.0] * 8, factor=0.5, patience=2, cooldown=1)
    # epoch 0 improves on +inf; 1, 2 bad; 3 the third bad one: reduce; 4 in
    # cooldown; 5, 6 bad; 7 reduces.
    assert [row[0] for row in trace] == [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert [row[2] for row in trace] == [0, 1, 2, 0, 0, 1, 2, 0]
    assert [row[3] for row in trace] == [0, 0, 0, 1, 0, 0, 0, 1]


def test_verbose_reports_only_the_reductions_that_lower_the_rate(capsys):
    """Once at `min_lr`, PyTorch's rule skips the reduction (`old - new` is 0,
    not > eps): nothing to report, even where `min_lr` is not a float32."""
    model = make_model()
    callback = attached(model, factor=0.5, patience=0, min_lr=0.3, verbose=1)
    for epoch in range(8):
        callback.on_epoch_end(epoch, {"val_loss": 1.0})
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if "ReduceLROnPlateau" in line
    ]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Epoch 2:") and "0.5" in lines[0]
    assert lines[1].startswith("Epoch 3:") and "0.3" in lines[1]


# --- Keras's rule, spelled out ----------------------------------------------


def test_keras_positional_order_and_timing():
    """`ReduceLROnPlateau("val_loss", 0.5, 2)` is Keras's (monitor, factor,
    patience): a flat metric reduces after 2 bad epochs; the cooldown epoch
    resets the bad epochs and the next one counts again."""
    model = make_model()
    callback = ReduceLROnPlateau("val_loss", 0.5, 2, 0, "auto", 1e-4, 1)
    callback.set_model(model)
    rates, waits, cooldowns = [], [], []
    for epoch in range(8):
        callback.on_epoch_end(epoch, {"val_loss": 1.0})
        rates.append(rate_of(model))
        waits.append(callback.wait)
        cooldowns.append(callback.cooldown_counter)
    # 0 sets best; 1, 2 bad: reduce, cooldown 1; 3 ends the cooldown and
    # counts as bad; 4 reduces; 5 ends the cooldown; 6 reduces.
    assert rates == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    assert waits == [0, 1, 0, 1, 0, 1, 0, 1]
    assert cooldowns == [0, 0, 1, 0, 1, 0, 1, 0]


def test_keras_rule_starts_no_cooldown_at_min_lr():
    model = make_model()
    callback = attached(model, rule="keras", factor=0.5, patience=1, cooldown=2, min_lr=0.5)
    trace = []
    for epoch in range(6):
        callback.on_epoch_end(epoch, {"val_loss": 1.0})
        trace.append((rate_of(model), callback.wait, callback.cooldown_counter))
    # Reduced to 0.5 at epoch 1 (cooldown 2); from epoch 3 the rate is at
    # `min_lr`: nothing is lowered, no cooldown starts, the bad epochs grow.
    assert trace == [
        (1.0, 0, 0), (0.5, 0, 2), (0.5, 0, 1), (0.5, 1, 0), (0.5, 2, 0), (0.5, 3, 0)
    ]


# --- start_from_epoch --------------------------------------------------------


@pytest.mark.parametrize("rate", ["float", "schedule"])
def test_epochs_before_start_from_epoch_are_ignored(rate):
    start = 4
    # The ignored epochs would set a best that nothing later beats, and flat
    # stretches that would reduce at once with patience=0.
    ignored = [0.0, 0.0, 5.0, 5.0]
    counted = random_walk(seed=2, size=40)
    kwargs = dict(factor=0.5, patience=1, cooldown=1)
    model = make_model(learning_rate(rate))
    callback = attached(model, start_from_epoch=start, **kwargs)
    initial_state = state_of(callback)
    assert initial_state == (math.inf, 0, 0)
    for epoch, value in enumerate(ignored):
        callback.on_epoch_end(epoch, {"val_loss": value})
        assert state_of(callback) == initial_state, f"epoch {epoch}"
        assert rate_of(model) == INITIAL_RATE
    ours = []
    for epoch, value in enumerate(counted, start=start):
        callback.on_epoch_end(epoch, {"val_loss": value})
        ours.append((rate_of(model), *state_of(callback)))
    theirs = torch_trace(counted, mode="min", **kwargs)
    assert reductions(theirs) >= 2
    assert_same_trace(ours, theirs, counted)


def test_start_from_epoch_zero_counts_the_first_epoch():
    callback = attached(make_model(), start_from_epoch=0, patience=0)
    callback.on_epoch_end(0, {"val_loss": 2.0})
    assert callback.best == 2.0


# --- a missing metric --------------------------------------------------------


def test_a_missing_metric_warns_once_and_changes_nothing():
    model = make_model()
    callback = attached(model, monitor="val_loss", factor=0.5, patience=0)
    # Counted as bad epochs, these would reduce the rate at once.
    callback.on_epoch_end(0, {"val_loss": 1.0})
    state = state_of(callback)
    with pytest.warns(UserWarning) as record:
        for epoch in range(1, 4):
            logs = {"loss": 0.5, "accuracy": 0.75}
            callback.on_epoch_end(epoch, logs)
            assert state_of(callback) == state
            assert rate_of(model) == INITIAL_RATE
            assert logs["loss"] == 0.5 and logs["accuracy"] == 0.75
    ours = [w for w in record if "val_loss" in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in record]
    message = str(ours[0].message)
    assert "loss" in message.replace("val_loss", "")
    assert "accuracy" in message
    # Once the metric is back, the rule picks up where it left off.
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        callback.on_epoch_end(4, {"val_loss": 1.0})
    assert not [w for w in later if "val_loss" in str(w.message)]
    assert rate_of(model) == 0.5


def test_a_missing_metric_with_empty_logs_warns_and_changes_nothing():
    model = make_model()
    callback = attached(model, patience=0)
    with pytest.warns(UserWarning, match="val_loss"):
        callback.on_epoch_end(0, {})
        callback.on_epoch_end(1, None)
    assert state_of(callback) == (math.inf, 0, 0)
    assert rate_of(model) == INITIAL_RATE


def test_writes_the_rate_of_the_epoch_to_the_logs():
    model = make_model()
    callback = attached(model, factor=0.5, patience=0)
    rates = []
    for epoch in range(4):
        logs = {"val_loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    # The rate during the epoch: a reduction at the end of epoch 1 shows in
    # epoch 2's logs.
    assert rates == [1.0, 1.0, 0.5, 0.25]


# --- argument checks ---------------------------------------------------------


KERAS_ONLY, TORCH_ONLY = {"min_delta"}, {"threshold", "threshold_mode", "eps"}


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(mode="maximize"), "mode"),
        (dict(mode=None), "mode"),
        (dict(threshold_mode="relative"), "threshold_mode"),
        (dict(factor=1.0), "factor"),
        (dict(factor=1.5), "factor"),
        (dict(factor=0.0), "factor"),
        (dict(factor=-0.5), "factor"),
        (dict(factor=math.nan), "factor"),
        (dict(patience=-1), "patience"),
        (dict(patience=1.5), "patience"),
        (dict(cooldown=-1), "cooldown"),
        (dict(min_lr=-0.1), "min_lr"),
        (dict(threshold=math.nan), "threshold"),
        (dict(threshold=-1e-4), "threshold"),
        (dict(eps=-1.0), "eps"),
        (dict(start_from_epoch=-1), "start_from_epoch"),
        (dict(min_delta=-0.1), "min_delta"),
        (dict(min_delta=math.nan), "min_delta"),
        (dict(monitor=None), "monitor"),
        (dict(monitor=3), "monitor"),
        (dict(monitor=["val_loss"]), "monitor"),
    ],
    ids=str,
)
def test_bad_arguments_raise(kwargs, argument):
    """Each constructor that takes the argument checks it."""
    makers = []
    if argument not in TORCH_ONLY:
        makers.append(ReduceLROnPlateau)
    if argument not in KERAS_ONLY:
        makers.append(ReduceLROnPlateau.from_torch)
    for make in makers:
        with pytest.raises(ValueError) as error:
            make(**kwargs)
        message = str(error.value)
        assert f"`{argument}`" in message, message
        assert f"Received: {argument}=" in message, message


def test_from_torch_has_no_auto_mode():
    with pytest.raises(ValueError, match="Received: mode='auto'"):
        ReduceLROnPlateau.from_torch(mode="auto")
