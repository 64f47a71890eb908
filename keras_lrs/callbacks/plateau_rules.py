"""The two decision rules of `ReduceLROnPlateau`: Keras's and PyTorch's.

A rule is a state machine over `Counters`, called once per counted epoch
with the monitored value and a `reduce` function (which lowers every rate
with the rule's `new_rate` and says whether any was lowered). It holds its
arguments, checked, in `arguments` (the callback's attributes).
"""

import collections
import math

import numpy as np

from keras_lrs import compat
from keras_lrs.schedules.checks import (
    check_choice,
    check_in,
    check_non_negative,
    check_steps,
)

# `best` is None until an epoch is counted.
Counters = collections.namedtuple("Counters", "best wait cooldown_counter")
FRESH = Counters(None, 0, 0)

# Keras 3.11 moved the comparison into `MonitorCallback`: the first value
# is always an improvement, the comparison is in float32 (`keras.ops`), and
# `mode="auto"` asks the compiled metrics for their direction. Before, `best`
# started at +-inf, the comparison was NumPy's float64, and "auto" meant
# "max" for a name containing "acc".
KERAS_MONITOR_CALLBACK = compat.KERAS_VERSION >= (3, 11)


def _common_arguments(factor, patience, cooldown, min_lr):
    return dict(
        factor=check_in("factor", factor, "(0, 1)"),
        patience=check_steps("patience", patience, minimum=0),
        cooldown=check_steps("cooldown", cooldown, minimum=0),
        min_lr=check_non_negative("min_lr", min_lr),
    )


def _worst(direction):
    return math.inf if direction == "min" else -math.inf


class KerasRule:
    """`keras.callbacks.ReduceLROnPlateau`'s rule, as the installed Keras has it."""

    def __init__(self, monitor, factor, patience, mode, min_delta, cooldown, min_lr):
        self.arguments = dict(
            _common_arguments(factor, patience, cooldown, min_lr),
            mode=check_choice("mode", mode, {"auto", "min", "max"}),
            min_delta=check_non_negative("min_delta", min_delta),
        )
        vars(self).update(self.arguments)
        self.monitor = monitor
        self.direction = None if mode == "auto" else mode
        if self.direction is None and not KERAS_MONITOR_CALLBACK:
            self.direction = "max" if "acc" in monitor else "min"
        self.worst = None if KERAS_MONITOR_CALLBACK else _worst(self.direction)

    def resolve(self, model):
        """Decides `mode="auto"` from the model's metrics, as Keras 3.11+
        does at the first epoch end."""
        if self.direction is not None:
            return
        name = self.monitor.removeprefix("val_")
        self.direction = compat.metric_direction(model, name) or (
            "min" if name == "loss" else None
        )
        if self.direction is None:
            raise ValueError(
                f"ReduceLROnPlateau callback received monitor={self.monitor}, "
                "but Keras isn't able to automatically determine whether that "
                "metric should be maximized or minimized. Pass `mode='max'` "
                "or `mode='min'`."
            )

    def improves(self, value, best):
        best = self.worst if best is None else best
        if best is None:  # Keras 3.11+: the first value counted is the best
            return True
        if KERAS_MONITOR_CALLBACK:
            # Keras compares `value -+ min_delta` with `best` in float32.
            if self.direction == "min":
                return bool(np.float32(value + self.min_delta) < np.float32(best))
            return bool(np.float32(value - self.min_delta) > np.float32(best))
        if self.direction == "min":
            return value < best - self.min_delta
        return value > best + self.min_delta

    def epoch_end(self, value, counters, reduce):
        best, wait, cooldown_counter = counters
        if cooldown_counter > 0:
            cooldown_counter, wait = cooldown_counter - 1, 0
        if self.improves(value, best):
            return Counters(value, 0, cooldown_counter)
        if cooldown_counter > 0:
            return Counters(best, wait, cooldown_counter)
        wait += 1
        # Keras starts the cooldown only when a rate was lowered: at
        # `min_lr`, each further bad epoch tries again.
        if wait >= self.patience and reduce(self.new_rate):
            return Counters(best, 0, self.cooldown)
        return Counters(best, wait, cooldown_counter)

    def new_rate(self, old):
        """The lowered rate, or None to leave `old` (a float32 value) as it is."""
        if old > np.float32(self.min_lr):
            return max(old * self.factor, self.min_lr)
        return None


class TorchRule:
    """`torch.optim.lr_scheduler.ReduceLROnPlateau`'s rule."""

    def __init__(
        self, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
    ):
        self.arguments = dict(
            _common_arguments(factor, patience, cooldown, min_lr),
            mode=check_choice("mode", mode, {"min", "max"}),
            threshold=check_non_negative("threshold", threshold),
            threshold_mode=check_choice("threshold_mode", threshold_mode, {"rel", "abs"}),
            eps=check_non_negative("eps", eps),
        )
        vars(self).update(self.arguments)
        self.direction = mode
        self.worst = _worst(mode)

    def resolve(self, model):
        pass

    def improves(self, value, best):
        best = self.worst if best is None else best
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1.0 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (self.threshold + 1.0)
        return value > best + self.threshold

    def epoch_end(self, value, counters, reduce):
        best, wait, cooldown_counter = counters
        if self.improves(value, best):
            best, wait = value, 0
        else:
            wait += 1
        if cooldown_counter > 0:
            cooldown_counter, wait = cooldown_counter - 1, 0
        if wait > self.patience:
            reduce(self.new_rate)  # the cooldown starts even if nothing was lowered
            return Counters(best, 0, self.cooldown)
        return Counters(best, wait, cooldown_counter)

    def new_rate(self, old):
        # Rounded to float32, as the rate is held: a rate already at
        # `min_lr` must not count as lowered by float64's view of it.
        new = float(np.float32(max(old * self.factor, self.min_lr)))
        return new if old - new > self.eps else None
