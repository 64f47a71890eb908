"""Lower the learning rate when a metric stops improving, with any schedule."""

import math
import warnings

import keras
import numpy as np
from keras import ops

from keras_lrs._plumbing.ordering import run_before_checkpoints
from keras_lrs._plumbing.rates import OptimizerRates, callback_state, enable_scaling
from keras_lrs.schedules.checks import (
    check_choice,
    check_in,
    check_non_negative,
    check_steps,
)

_MAX_METRICS = ("acc", "auc", "precision", "recall")


class ReduceLROnPlateau(keras.callbacks.Callback):
    """Lowers the learning rate when a monitored metric has stopped improving.

    A drop-in replacement for `keras.callbacks.ReduceLROnPlateau` that also
    works when the optimizer's learning rate is a `LearningRateSchedule`
    (Keras's raises `TypeError` there): the schedule keeps its shape and is
    multiplied by a scale that this callback lowers, inside the compiled
    train step and without recompiling it, on every backend.

    Decision rule (PyTorch's `ReduceLROnPlateau`): `best` starts at +inf
    ("min") or -inf ("max"). An epoch's value `a` improves when, in "min"
    mode, `a < best * (1 - threshold)` ("rel") or `a < best - threshold`
    ("abs"); in "max" mode, `a > best * (1 + threshold)` or
    `a > best + threshold`. Otherwise the epoch is bad (a NaN value is bad).
    An epoch inside the cooldown counts the cooldown down and resets the bad
    epochs. When the bad epochs exceed `patience`, the effective rate `old`
    becomes `max(old * factor, min_lr)` if that lowers it by more than
    `eps`; the cooldown starts and the bad epochs reset. Note: Keras's own
    callback reduces after `patience` bad epochs, this one (like PyTorch's)
    after `patience + 1`.

    Epochs before `start_from_epoch`, and epochs that end while the
    schedule is still warming up (`t < schedule.warmup_steps`, as with
    `Warmup`, `WarmupStableDecay` or Keras's `CosineDecay`), are not
    counted. The reduced rate and, with a schedule, the counters (best, bad
    epochs, cooldown) are saved with the model (`model.save`); the counters
    are also kept with the optimizer and saved with its weights, so they
    survive a resumption with `keras.callbacks.BackupAndRestore`, and carry
    over from one `fit` to the next, as a PyTorch scheduler's would. In
    whichever order it is listed, the callback runs before
    `BackupAndRestore` and `ModelCheckpoint` (it moves itself there when
    `fit` starts), so a checkpoint taken at the end of an epoch includes
    that epoch's decision. With a float learning rate, `model.save` keeps
    the reduced rate but not the counters. Writes `logs["learning_rate"]`,
    the rate of the step after the epoch, before any reduction.

    With a `keras.optimizers.MultiOptimizer`, every optimizer's rate is
    lowered by the same factor (each bounded by `min_lr`, each skipped if
    lowered by no more than `eps`), and the logs get
    `learning_rate_{name}` per optimizer, as Keras's own callback writes.

    Args:
        monitor: the metric to watch, e.g. "val_loss".
        mode: "min", "max", or "auto" ("max" for names containing "acc",
            "auc", "precision" or "recall", else "min").
        factor: the rate is multiplied by this, in (0, 1).
        patience: bad epochs tolerated before a reduction, an integer >= 0.
        threshold: how much better a value must be to count as better.
        threshold_mode: "rel" or "abs".
        cooldown: epochs to wait after a reduction, an integer >= 0.
        min_lr: the effective rate is never reduced below this, >= 0.
        eps: reductions smaller than this are skipped.
        start_from_epoch: epochs before this one are not counted.
        verbose: 1 prints a line at each reduction.
        min_delta: Keras's argument; if given, sets `threshold=min_delta`
            and `threshold_mode="abs"`.
    """

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
        start_from_epoch=0,
        verbose=0,
        min_delta=None,
    ):
        super().__init__()
        if not isinstance(monitor, str):
            raise ValueError(
                f"Argument `monitor` must be a string. Received: monitor={monitor!r}"
            )
        self.monitor = monitor
        check_choice("mode", mode, {"auto", "min", "max"})
        if mode == "auto":
            lowered = monitor.lower()
            mode = "max" if any(k in lowered for k in _MAX_METRICS) else "min"
        self.mode = mode
        self.factor = check_in("factor", factor, "(0, 1)")
        self.patience = check_steps("patience", patience, minimum=0)
        if min_delta is not None:
            threshold, threshold_mode = min_delta, "abs"
            self.threshold = check_non_negative("min_delta", min_delta)
        else:
            self.threshold = check_non_negative("threshold", threshold)
        self.threshold_mode = check_choice(
            "threshold_mode", threshold_mode, {"rel", "abs"}
        )
        self.cooldown = check_steps("cooldown", cooldown, minimum=0)
        self.min_lr = check_non_negative("min_lr", min_lr)
        self.eps = check_non_negative("eps", eps)
        self.start_from_epoch = check_steps(
            "start_from_epoch", start_from_epoch, minimum=0
        )
        self.verbose = verbose
        self.min_delta = min_delta
        self._warned_missing = False

    # --- state, kept in variables saved with the optimizer ----------------

    def set_model(self, model):
        super().set_model(model)
        if getattr(model, "optimizer", None) is None:
            return  # not compiled yet; Keras calls set_model again in fit
        self._scales = enable_scaling(model)
        state = callback_state(model.optimizer)
        worst = math.inf if self.mode == "min" else -math.inf
        # `best` is a float64 kept bit for bit in two int32 words (JAX has no
        # 64-bit variables by default).
        # Keyed by what is monitored: a callback created again for the same
        # model and metric (a resumed run) continues where the last one was.
        key = f"plateau_{self.mode}_{self.monitor}"
        self._best = state.counter(f"{key}_best", _float64_words(worst).tolist())
        self._bad_epochs = state.counter(f"{key}_bad_epochs", 0)
        self._cooldown_left = state.counter(f"{key}_cooldown_left", 0)

    @property
    def best(self):
        return _float64_from_words(ops.convert_to_numpy(self._best))

    @property
    def bad_epochs(self):
        return int(ops.convert_to_numpy(self._bad_epochs))

    @property
    def cooldown_left(self):
        return int(ops.convert_to_numpy(self._cooldown_left))

    # --- the decision ------------------------------------------------------

    def is_better(self, value, best):
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (1 + self.threshold)
        return value > best + self.threshold

    def on_train_begin(self, logs=None):
        run_before_checkpoints(self)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer_rates = OptimizerRates(self.model.optimizer)
        rates = optimizer_rates.current_values()
        names = [rate.name for rate in optimizer_rates]
        logs.update(zip(names, rates))
        if self.monitor not in logs:
            self._warn_missing(logs)
            return
        if epoch < self.start_from_epoch or self._warming_up(optimizer_rates):
            return
        value = float(logs[self.monitor])
        old = (self.best, self.bad_epochs, self.cooldown_left)
        best, bad_epochs, cooldown_left = old
        if self.is_better(value, best):
            best, bad_epochs = value, 0
        else:
            bad_epochs += 1
        if cooldown_left > 0:
            cooldown_left -= 1
            bad_epochs = 0
        if bad_epochs > self.patience:
            for name, scale, rate, held in zip(
                names, self._scales, rates, optimizer_rates
            ):
                self._reduce(epoch, name, scale, rate, held.multiplier)
            cooldown_left, bad_epochs = self.cooldown, 0
        # Written only when changed: each write is a copy to the device.
        if best != old[0]:
            self._best.assign(_float64_words(best))
        if bad_epochs != old[1]:
            self._bad_epochs.assign(bad_epochs)
        if cooldown_left != old[2]:
            self._cooldown_left.assign(cooldown_left)

    def _reduce(self, epoch, name, scale, old, multiplier):
        # In float32, as the rate is held: a rate already at `min_lr` must
        # not count as lowered by float64's view of the same number.
        new = float(np.float32(max(old * self.factor, self.min_lr)))
        if old - new <= self.eps:
            return
        # `scale` is the rate itself (a float rate) or its multiplier.
        scale.assign(multiplier * new / old)
        if self.verbose:
            what = "learning rate" if name == "learning_rate" else name
            print(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing {what} "
                f"to {new:.6g}."
            )

    def _warming_up(self, optimizer_rates):
        # The warmup the schedule states, forwarded by the wrappers around it.
        return optimizer_rates.warming_up()

    def _warn_missing(self, logs):
        if self._warned_missing:
            return
        self._warned_missing = True
        warnings.warn(
            f"ReduceLROnPlateau monitors `{self.monitor}`, which is not in the "
            f"logs; the learning rate is left as it is. Available metrics: "
            f"{', '.join(sorted(logs)) or 'none'}.",
            stacklevel=2,
        )


def _float64_words(value):
    return np.array([value], dtype=np.float64).view(np.int32)


def _float64_from_words(words):
    return float(np.asarray(words, dtype=np.int32).view(np.float64)[0])
