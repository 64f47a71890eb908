"""Log the effective learning rate: to the epoch logs, and per step to TensorBoard."""

import os
import time

import keras
import numpy as np

from keras_lrs import compat
from keras_lrs._plumbing.events import EventFile
from keras_lrs._plumbing.rates import OptimizerRates, Rate, current_step, rate_holder
from keras_lrs.schedules.checks import check_bool, check_choice


class LearningRateMonitor(keras.callbacks.Callback):
    """Records the learning rate the optimizer applies.

    At each epoch end, adds `learning_rate` to the logs (so `History`,
    `CSVLogger` and Keras's `TensorBoard` see it): the effective rate, any
    `ReduceLROnPlateau` reduction included, at the step
    `optimizer.iterations` has reached, which the next update applies. With
    a `keras.optimizers.MultiOptimizer`, one `learning_rate_{name}` per
    optimizer (Keras's names). With `learning_rate_multipliers`
    (`keras_lrs.optimizers`), also one `learning_rate/{expression}` per
    group, its effective rate (TensorBoard shows them in the card group
    `learning_rate`, beside the base rate). With `log_dir`, it also writes the TensorBoard
    scalar `learning_rate` under `log_dir/train`, beside the run of Keras's
    `TensorBoard` callback: `update_freq="batch"` one point per optimizer
    step at x = the step, every step even with `steps_per_execution > 1`;
    `"epoch"` one point per epoch. It adds no host synchronisation per step
    and needs neither TensorFlow nor the `tensorboard` package. When several
    processes train, the first one writes (`compat.is_first_process`).

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> schedule = keras_lrs.schedules.StepDecay(0.1, step_size=2, gamma=0.5)
    >>> model.compile(keras.optimizers.SGD(schedule), "mse")
    >>> history = model.fit(np.ones((4, 2)), np.ones(4), batch_size=2, epochs=3,
    ...                     callbacks=[LearningRateMonitor()], verbose=0)
    >>> np.round(history.history["learning_rate"], 4)
    array([0.05  , 0.025 , 0.0125])

    Args:
        log_dir: where to write TensorBoard events, or None for logs only.
        update_freq: "batch" (one point per step) or "epoch".
        log_momentum: also log the optimizer's `momentum` (SGD, RMSprop) or
            `beta_1` (Adam family) as `momentum`: a schedule's value at
            each step (`keras_lrs.optimizers`).
        log_weight_decay: also log the optimizer's `weight_decay` (0 for
            None), a schedule's value at each step.
    """

    # Per-step values come from the schedule, a pure function of the step:
    # the steps taken are read from the optimizer once at each epoch end and,
    # within an epoch, at the first batch begin `write_interval` seconds after
    # the last write; their rates are computed in one vectorized call and
    # written and flushed at once. So no host synchronisation per step, and
    # a process killed mid-epoch leaves every point up to the last write. A
    # resumed run writes the steps it repeats again, with the same values
    # (TensorBoard shows the latest). `benchmarks/overhead.py` times the hooks.
    write_interval = 2.0  # seconds between writes inside an epoch

    def __init__(
        self,
        log_dir=None,
        update_freq="epoch",
        log_momentum=False,
        log_weight_decay=False,
    ):
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
        self.log_weight_decay = check_bool("log_weight_decay", log_weight_decay)
        self._writer = None
        self._written_until = 0  # points are on disk for the steps before
        self._last_write = 0.0
        self._epoch_rates = None

    def on_train_begin(self, logs=None):
        # Every process computes the same values (and adds them to its
        # logs); one writes them, so that each step is in TensorBoard once.
        if (
            self.log_dir is not None
            and self._writer is None
            and compat.is_first_process(self.model)
        ):
            self._writer = EventFile(os.path.join(self.log_dir, "train"))

    def on_epoch_begin(self, epoch, logs=None):
        # The plateau's scale changes only between epochs, so it is read
        # here; a float rate another callback changes mid-epoch is seen at
        # the next write.
        self._epoch_rates = OptimizerRates(self.model.optimizer)
        self._written_until = self._epoch_rates.step
        self._last_write = time.monotonic()

    def on_train_batch_begin(self, batch, logs=None):
        # A batch's begin, not its end: overriding `on_train_batch_end` would
        # turn off Keras's asynchronous dispatch of the batch-end callbacks.
        if self._writer is None or self.update_freq != "batch":
            return
        if time.monotonic() - self._last_write < self.write_interval:
            return
        self._write_steps(current_step(self.model.optimizer))
        self._writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        rates = OptimizerRates(self.model.optimizer)
        step = rates.step
        values = rates.current()
        now = np.array([step])
        for tag, points in {
            **rates.group_values(now), **self._hyperparameters(rates, now)
        }.items():
            values[tag] = float(points[0])
        if logs is not None:
            logs.update(values)
        if self._writer is None:
            return
        # Encoded with NumPy (`events.py`): no TensorFlow, no `tensorboard`.
        if self.update_freq == "epoch":
            for tag, value in values.items():
                self._writer.write_scalars(tag, [epoch], [value])
        else:
            self._write_steps(step)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write_steps(self, end):
        """Writes the points of the steps from the last written up to `end`."""
        self._last_write = time.monotonic()
        if end <= self._written_until:
            return
        steps = np.arange(self._written_until, end)
        # The rate of a step is the one its update applies: under
        # `gradient_accumulation_steps=A`, update `k` applies the schedule at
        # `k*A + A - 1` (the batch count Keras calls it with); under a
        # `LossScaleOptimizer`, the inner optimizer's rate.
        for rate in self._epoch_rates:
            self._writer.write_scalars(rate.name, steps, rate.at(steps))
        for tag, points in {
            **self._epoch_rates.group_values(steps),
            **self._hyperparameters(self._epoch_rates, steps),
        }.items():
            self._writer.write_scalars(tag, steps, points)
        self._written_until = end

    def _hyperparameters(self, rates, steps):
        """{tag: values at updates `steps`} of the logged hyperparameters
        of the holders of `rates` (with a MultiOptimizer, `momentum_{name}`
        per optimizer, as the rates are named)."""
        values = {}
        for rate in rates:
            holder = rate.holder
            suffix = rate.name[len("learning_rate"):]
            if self.log_momentum:
                values["momentum" + suffix] = _hyperparameter(holder, _MOMENTA, steps)
            if self.log_weight_decay:
                values["weight_decay" + suffix] = _hyperparameter(
                    holder, ("weight_decay",), steps
                )
        return values


_MOMENTA = ("momentum", "beta_1", "rho")


def _hyperparameter(holder, names, steps):
    """The first of `names` the rate holder has, at updates `steps`.

    A schedule (`keras_lrs.optimizers`) is evaluated like the learning
    rate, at the step Keras calls it with; a float is the same at every step.
    """
    schedules = getattr(holder, "_hyperparameter_schedules", {})
    for name in names:
        if name in schedules:
            return Rate(holder, schedules[name]).at(steps)
        value = getattr(holder, name, None)
        if name == "weight_decay" and value is None:
            value = 0.0
        if isinstance(value, (int, float)):
            return np.full(np.shape(steps), float(value), dtype="float32")
    return np.full(np.shape(steps), _momentum(holder), dtype="float32")


def _momentum(optimizer):
    optimizer = rate_holder(optimizer)
    for name in ("momentum", "beta_1", "rho"):
        value = getattr(optimizer, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    raise ValueError(
        f"`log_momentum=True`, but optimizer {type(optimizer).__name__} has "
        "no `momentum` or `beta_1`."
    )
