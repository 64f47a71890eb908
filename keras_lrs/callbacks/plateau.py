"""Lower the learning rate when a metric stops improving, with any schedule."""

import sys
import warnings

import keras
import numpy as np
from keras import ops

from keras_lrs import compat
from keras_lrs._plumbing.ordering import run_before_checkpoints
from keras_lrs._plumbing.rates import OptimizerRates, callback_state, enable_scaling
from keras_lrs.callbacks.plateau_rules import FRESH, Counters, KerasRule, TorchRule
from keras_lrs.schedules.checks import check_steps


class ReduceLROnPlateau(keras.callbacks.Callback):
    """Reduces the learning rate when a metric has stopped improving.

    A drop-in for `keras.callbacks.ReduceLROnPlateau`: the same arguments,
    in the same order, reduce on the same epochs to the same rates (Keras's
    rule, as the installed Keras has it). It also works when the learning
    rate is a `LearningRateSchedule` (Keras's raises `TypeError`): the
    schedule keeps its shape and is multiplied by a scale that this callback
    lowers inside the compiled train step, without recompiling it; the
    effective rates are those of the float-rate run, and `min_lr` bounds the
    effective rate at a reduction. With a `keras.optimizers.MultiOptimizer`
    every optimizer's rate is lowered. `ReduceLROnPlateau.from_torch(...)`
    decides as PyTorch's `torch.optim.lr_scheduler.ReduceLROnPlateau`.

    Unlike Keras's, the counters (`best`, `wait`, `cooldown_counter`) are
    kept with the optimizer's weights: they survive a
    `keras.callbacks.BackupAndRestore` resumption and a `.keras` file loaded
    with `keras_lrs.load_model`, and carry over to the next `fit`. Epochs before `start_from_epoch`, and epochs that end while the
    schedule is still warming up, are not counted. Wherever it is listed, it
    runs before `BackupAndRestore` and `ModelCheckpoint`, so their epoch-end
    checkpoints hold its decision. Writes `logs["learning_rate"]`, the rate
    before any reduction.

    Args:
        monitor: the metric to watch, e.g. `"val_loss"`.
        factor: the rate is multiplied by this, in (0, 1).
        patience: bad epochs after which the rate is reduced.
        verbose: 1 prints a line at each reduction.
        mode: `"min"`, `"max"` or `"auto"` (decided from the metric, as
            Keras decides it).
        min_delta: how much better than `best` a value must be to count.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate is not reduced below this.
        start_from_epoch: epochs before this one are not counted.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        *,
        start_from_epoch=0,
    ):
        super().__init__()
        if not isinstance(monitor, str):
            raise ValueError(
                f"Argument `monitor` must be a string. Received: monitor={monitor!r}"
            )
        self.monitor = monitor
        self.verbose = verbose
        self.start_from_epoch = check_steps(
            "start_from_epoch", start_from_epoch, minimum=0
        )
        # The rule's arguments (`factor`, `patience`, ...) read as the
        # callback's attributes (`__getattr__`).
        self.rule = KerasRule(monitor, factor, patience, mode, min_delta, cooldown, min_lr)
        self._warned_missing = False

    @classmethod
    def from_torch(
        cls,
        monitor="val_loss",
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
        verbose=0,
        start_from_epoch=0,
    ):
        """A `ReduceLROnPlateau` that decides as PyTorch's, argument for argument.

        An epoch improves on `best` when, in "min" mode, it is below
        `best * (1 - threshold)` ("rel") or `best - threshold` ("abs") (in
        "max" mode, above `best * (1 + threshold)` or `best + threshold`);
        when the bad epochs exceed `patience`, each rate `old` becomes
        `max(old * factor, min_lr)` unless that lowers it by no more than
        `eps`, and the cooldown starts. `min_lr` is one number for every
        rate (PyTorch also takes one per parameter group).
        """
        callback = cls(monitor, verbose=verbose, start_from_epoch=start_from_epoch)
        callback.rule = TorchRule(
            mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
        )
        return callback

    def __getattr__(self, name):
        arguments = vars(self).get("rule") and vars(self)["rule"].arguments
        if arguments and name in arguments:
            return arguments[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    # --- state, kept in a variable saved with the optimizer ----------------

    def set_model(self, model):
        super().set_model(model)
        if getattr(model, "optimizer", None) is None:
            return  # not compiled yet; Keras calls set_model again in fit
        self._scales = enable_scaling(model)
        # Keyed by rule and metric: a callback created again for the same
        # model and metric (a resumed run) continues where the last one was.
        name = f"plateau_{type(self.rule).__name__}_{self.monitor}"
        self._state = callback_state(model.optimizer).counter(name, _encode(FRESH))

    def _stored(self):
        return ops.convert_to_numpy(self._state).tolist()

    def _counters(self):
        return _decode(self._stored())

    def _set_counters(self, counters):
        encoded = _encode(counters)
        # Written only when changed: each write is a copy to the device.
        if encoded != self._stored():
            self._state.assign(encoded)

    @property
    def best(self):
        """The best value so far (Keras 3.11+: None before the first)."""
        best = self._counters().best
        return self.rule.worst if best is None else best

    @best.setter
    def best(self, value):
        self._set_counters(self._counters()._replace(best=value))

    @property
    def wait(self):
        """Bad epochs since the last improvement or reduction."""
        return self._counters().wait

    @wait.setter
    def wait(self, value):
        self._set_counters(self._counters()._replace(wait=value))

    @property
    def cooldown_counter(self):
        """Epochs of cooldown left."""
        return self._counters().cooldown_counter

    @cooldown_counter.setter
    def cooldown_counter(self, value):
        self._set_counters(self._counters()._replace(cooldown_counter=value))

    # --- the decision ------------------------------------------------------

    def on_train_begin(self, logs=None):
        run_before_checkpoints(self)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer_rates = OptimizerRates(self.model.optimizer)
        rates = optimizer_rates.current_values()
        names = [rate.name for rate in optimizer_rates]
        multipliers = [rate.multiplier for rate in optimizer_rates]
        logs.update(zip(names, rates))
        if logs.get(self.monitor) is None:
            self._warn_missing(logs)
            return
        if epoch < self.start_from_epoch or self._warming_up(optimizer_rates):
            return
        self.rule.resolve(self.model)

        def reduce(new_rate):
            lowered = [
                self._reduce(epoch, name, scale, rate, multiplier, new_rate(rate))
                for name, scale, rate, multiplier in zip(
                    names, self._scales, rates, multipliers
                )
            ]
            return any(lowered)

        value = float(logs[self.monitor])
        self._set_counters(self.rule.epoch_end(value, self._counters(), reduce))

    def _reduce(self, epoch, name, scale, old, multiplier, new):
        if new is None:
            return False
        # `scale` is the rate itself (a float rate) or its multiplier.
        scale.assign(multiplier * new / old)
        if self.verbose and compat.is_first_process(self.model):
            which = "" if name == "learning_rate" else " " + name.removeprefix("learning_rate_")
            _print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{which} "
                f"learning rate to {new}."
            )
        return True

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


def _print_msg(message):
    # Where Keras's own callbacks print: stdout, or absl's log once
    # `keras.config.disable_interactive_logging()` was called.
    if keras.config.is_interactive_logging_enabled():
        sys.stdout.write(message + "\n")
        sys.stdout.flush()
    else:
        from absl import logging

        logging.info(message)


# The counters as int32 words: [wait, cooldown_counter, has_best, best as a
# float64 in two words] (JAX has no 64-bit variables by default).


def _encode(counters):
    best = 0.0 if counters.best is None else counters.best
    words = np.array([best], dtype=np.float64).view(np.int32).tolist()
    return [counters.wait, counters.cooldown_counter, int(counters.best is not None), *words]


def _decode(words):
    words = np.asarray(words, dtype=np.int32)
    best = float(words[3:5].view(np.float64)[0]) if words[2] else None
    return Counters(best, int(words[0]), int(words[1]))
