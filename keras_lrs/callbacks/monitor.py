"""Log the effective learning rate: to the epoch logs, and per step to TensorBoard."""

import os

import keras
import numpy as np

from keras_lrs.callbacks.events import EventFile
from keras_lrs.callbacks.scaling import (
    current_rate,
    current_step,
    schedule_and_scale,
)
from keras_lrs.schedules.base import check_bool, check_choice
from keras_lrs.values import schedule_values


class LearningRateMonitor(keras.callbacks.Callback):
    """Records the learning rate the optimizer applies.

    Adds `learning_rate` (the effective rate, including any reduction by
    `ReduceLROnPlateau`) to the epoch logs, so `History`, `CSVLogger` and
    Keras's `TensorBoard` callback record it. With `log_dir`, also writes a
    TensorBoard scalar `learning_rate` under `log_dir/train` (next to the
    run of Keras's `TensorBoard` callback with the same `log_dir`):
    `update_freq="batch"` writes one point per optimizer step, at
    x = the step (`optimizer.iterations`), every step even with
    `steps_per_execution > 1`; `"epoch"` one point per epoch, at x = the
    epoch.

    Per-step values come from the schedule, a pure function of the step:
    the steps an epoch took are read once at its end and their rates
    computed in one vectorized call, so there is no host synchronisation
    per step. The scale of `ReduceLROnPlateau` is read at the start of each
    epoch (it changes only between epochs). A float rate changed by another
    callback in the middle of an epoch is not seen until the epoch's end.
    The events are encoded with NumPy (`keras_lrs.callbacks.events`), about
    1 us per step, and need neither TensorFlow nor the `tensorboard`
    package to be written.

    Args:
        log_dir: where to write TensorBoard events, or None for logs only.
        update_freq: "batch" (one point per step) or "epoch".
        log_momentum: also log the optimizer's `momentum` (SGD, RMSprop) or
            `beta_1` (Adam family) as `momentum`.
    """

    def __init__(self, log_dir=None, update_freq="epoch", log_momentum=False):
        super().__init__()
        if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
            raise ValueError(
                f"Argument `log_dir` must be a path. Received: log_dir={log_dir!r}"
            )
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.update_freq = check_choice(
            "update_freq", update_freq, {"batch", "epoch"}
        )
        self.log_momentum = check_bool("log_momentum", log_momentum)
        self._writer = None
        self._epoch_start = None

    def on_train_begin(self, logs=None):
        if self.log_dir is not None and self._writer is None:
            self._writer = EventFile(os.path.join(self.log_dir, "train"))

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        self._epoch_start = current_step(optimizer)
        self._epoch_rate = schedule_and_scale(optimizer)

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        values = {"learning_rate": current_rate(optimizer)}
        if self.log_momentum:
            values["momentum"] = _momentum(optimizer)
        if logs is not None:
            logs.update(values)
        if self._writer is None:
            return
        if self.update_freq == "epoch":
            for tag, value in values.items():
                self._writer.write_scalars(tag, [epoch], [value])
        else:
            self._write_steps(self._epoch_start, current_step(optimizer))
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write_steps(self, start, end):
        if end <= start:
            return
        steps = np.arange(start, end)
        schedule, multiplier = self._epoch_rate
        if schedule is None:
            rates = np.full(steps.shape, multiplier, dtype="float32")
        else:
            rates = schedule_values(schedule, steps) * np.float32(multiplier)
        self._writer.write_scalars("learning_rate", steps, rates)
        if self.log_momentum:
            momentum = _momentum(self.model.optimizer)
            self._writer.write_scalars("momentum", steps, [momentum] * len(steps))


def _momentum(optimizer):
    for name in ("momentum", "beta_1", "rho"):
        value = getattr(optimizer, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    raise ValueError(
        f"`log_momentum=True`, but optimizer {type(optimizer).__name__} has "
        "no `momentum` or `beta_1`."
    )
