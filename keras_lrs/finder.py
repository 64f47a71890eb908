"""The learning-rate range test (Smith, 2017; fastai's `lr_find`)."""

import contextlib
import dataclasses
import itertools
import math

import keras
import numpy as np
from keras import ops

from keras_lrs import compat
from keras_lrs._plumbing.rates import OptimizerRates, rate_holders
from keras_lrs.optimizers.multipliers import held_multipliers
from keras_lrs.schedules.checks import (
    check_choice,
    check_in,
    check_positive,
    check_steps,
)
from keras_lrs.schedules.combinators import Warmup
from keras_lrs.values import schedule_values


@dataclasses.dataclass
class LRFinderResult:
    """What `find_learning_rate` recorded, one entry per step it took.

    Attributes:
        learning_rates: the rate of each step.
        losses: the loss of each step's batch (not Keras's running mean).
        smoothed_losses: their bias-corrected exponential moving average.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray

    def suggestion(self, method="steepest"):
        """A learning rate to train with.

        Methods: "steepest", the rate where the smoothed loss falls fastest
        against log(rate), before its minimum and after the first tenth of
        the steps; "minimum", the rate of the smoothed loss's minimum
        divided by 10; "valley", the middle of the longest stretch over which
        the smoothed loss keeps falling (fastai's "valley").
        """
        check_choice("method", method, {"steepest", "minimum", "valley"})
        finite = np.isfinite(self.smoothed_losses)
        rates, losses = self.learning_rates[finite], self.smoothed_losses[finite]
        if len(rates) < 3:
            raise ValueError(
                "The range test recorded fewer than 3 finite losses; run it "
                f"with more steps or a lower start rate. Received: {len(rates)} "
                "finite losses."
            )
        if method == "minimum":
            return float(rates[np.argmin(losses)] / 10)
        if method == "steepest":
            # Only up to the minimum: past it the loss is diverging, and a
            # dip in that tail is no place to train. Nor in the first tenth
            # of the steps (as fastai's `lr_find` skips them): there the
            # bias-corrected average follows the noise of a few batches.
            falling = int(np.argmin(losses)) + 1
            if falling < 2:
                return float(rates[0])
            slope = np.gradient(losses[:falling], np.log(rates[:falling]))
            skipped = min(len(rates) // 10, falling - 1)
            return float(rates[skipped + np.argmin(slope[skipped:])])
        start, end = _longest_descent(losses)
        return float(rates[(start + end) // 2])

    def plot(self, ax=None):
        """The smoothed loss against the rate (log scale), suggestions marked."""
        from keras_lrs.plotting import pyplot

        if ax is None:
            _, ax = pyplot().subplots()
        ax.plot(self.learning_rates, self.losses, alpha=0.3, label="loss")
        ax.plot(self.learning_rates, self.smoothed_losses, label="smoothed loss")
        for method, marker in (("steepest", "o"), ("valley", "s")):
            try:
                rate = self.suggestion(method)
            except ValueError:
                continue
            index = np.argmin(np.abs(self.learning_rates - rate))
            ax.plot(rate, self.smoothed_losses[index], marker, label=f"{method}: {rate:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        return ax


def _longest_descent(losses):
    """First and last index of the longest strictly decreasing subsequence."""
    length = np.ones(len(losses), dtype=int)
    start = np.arange(len(losses))
    for i in range(1, len(losses)):
        earlier = np.flatnonzero(losses[:i] > losses[i])
        if len(earlier):
            j = earlier[np.argmax(length[earlier])]
            length[i], start[i] = length[j] + 1, start[j]
    end = int(np.argmax(length))
    return int(start[end]), end


def find_learning_rate(
    model,
    x,
    y=None,
    *,
    batch_size=None,
    start_learning_rate=1e-7,
    end_learning_rate=10.0,
    num_steps=100,
    mode="exponential",
    smoothing=0.98,
    divergence_threshold=4.0,
    verbose=1,
):
    """Trains briefly with a rising rate and records the loss of each batch.

    The rate goes from `start_learning_rate` to `end_learning_rate` over
    `num_steps` steps, geometrically ("exponential") or linearly. The test
    stops early once the smoothed loss exceeds `divergence_threshold` times
    its minimum, or is NaN. Afterwards the model is exactly as it was: its
    weights, the optimizer's variables and `optimizer.iterations` are
    restored bit for bit, and so is the optimizer's learning rate.

    With a `keras.optimizers.MultiOptimizer`, the test sweeps one
    multiplier of all its optimizers' rates (each optimizer's rate at step
    `k` is its current rate times the multiplier): `start_learning_rate`
    and `end_learning_rate` bound the multiplier, and the result's
    `learning_rates` and suggestions are multipliers. With
    `learning_rate_multipliers` (`keras_lrs.optimizers`), the base rate is
    swept and each group keeps the ratio it has at the current step.

    Args:
        model: a compiled Keras model.
        x: input arrays (with `y`), or an iterable of `(x, y)` batches such
            as a `tf.data.Dataset`; cycled through if shorter than
            `num_steps` batches.
        y: target arrays, when `x` holds arrays.
        batch_size: the batch size for arrays (default 32).
        start_learning_rate: the first rate, > 0.
        end_learning_rate: the last rate, > `start_learning_rate`.
        num_steps: the number of steps, an integer >= 2.
        mode: "exponential" or "linear".
        smoothing: the factor of the loss's moving average, in [0, 1).
        divergence_threshold: stop once the smoothed loss exceeds this many
            times its minimum, > 1.
        verbose: 1 shows a progress bar.

    Returns:
        An `LRFinderResult`.

    Reference: Smith, "Cyclical Learning Rates for Training Neural
    Networks", WACV 2017, section 3.3.
    """
    start = check_positive("start_learning_rate", start_learning_rate)
    end = check_positive("end_learning_rate", end_learning_rate)
    if start >= end:
        raise ValueError(
            "Argument `start_learning_rate` must be < end_learning_rate "
            f"({end}). Received: start_learning_rate={start_learning_rate!r}"
        )
    num_steps = check_steps("num_steps", num_steps, minimum=2)
    check_choice("mode", mode, {"exponential", "linear"})
    smoothing = check_in("smoothing", smoothing, "[0, 1)")
    threshold = check_in("divergence_threshold", divergence_threshold, "> 1")
    if getattr(model, "optimizer", None) is None:
        raise ValueError(
            "The model must be compiled before the range test. "
            f"Received: model={model.name!r} with no optimizer"
        )

    # Under a `tf.distribute` strategy, the optimizer's variables (built
    # here if not yet) and the train step belong in its scope.
    with compat.distribution_scope(model):
        batches = _batches(x, y, batch_size or 32)
        first = next(batches)
        batches = itertools.chain([first], batches)
        if not model.built:
            model(first[0])
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        ramp = Warmup(end, num_steps - 1, start, shape=mode)
        rates = schedule_values(ramp, num_steps)
        holders = rate_holders(optimizer)
        # One multiplier of every optimizer's rate with a MultiOptimizer; for
        # one optimizer its rate itself (the multiplier of 1).
        multipliers = (
            OptimizerRates(optimizer).current_values()
            if compat.is_multi_optimizer(optimizer)
            else [1.0]
        )

        saved_weights = [ops.convert_to_numpy(v) for v in model.variables]
        saved_optimizer = [ops.convert_to_numpy(v) for v in optimizer.variables]
        saved_rates = [compat.held_rate(holder) for holder in holders]
        saved_steps_per_execution = model.steps_per_execution
        losses = []
        held = contextlib.ExitStack()  # the groups' ratios (multipliers), as now
        try:
            # One batch per call: Keras 3.3's TensorFlow `train_on_batch` with
            # `steps_per_execution > 1` asks for more batches than it is given.
            model.steps_per_execution = 1
            # After a `fit` with `use_ema=True`, JAX's weights and their moving
            # averages can share buffers (Keras's final swap), which a train
            # step may not donate twice: the weights are given buffers of
            # their own, with the same values.
            _assign_all(model.variables, saved_weights)
            for holder, multiplier in zip(holders, multipliers):
                held.enter_context(held_multipliers(holder))
                compat.hold_rate(
                    holder,
                    Warmup(end * multiplier, num_steps - 1, start * multiplier, shape=mode),
                )
                compat.batch_counter(holder).assign(0)
            compat.reset_train_function(model)
            progress = None
            if verbose and compat.is_first_process(model):
                # Stateful: show each step's own loss, not a running mean.
                progress = keras.utils.Progbar(
                    num_steps, stateful_metrics=["loss", "learning_rate"]
                )
            smoothed, best = [], math.inf
            average = 0.0
            for step in range(num_steps):
                batch_x, batch_y = next(batches)
                # Recent Keras resets the metrics in `train_on_batch`; Keras 3.3
                # to 3.9 return the running mean of every call since the last
                # reset (of `evaluate` calls too).
                model.reset_metrics()
                logs = _train_on_batch(model, batch_x, batch_y)
                loss = float(logs["loss"])
                losses.append(loss)
                average = smoothing * average + (1 - smoothing) * loss
                smoothed.append(average / (1 - smoothing ** (step + 1)))
                best = min(best, smoothed[-1])
                if progress is not None:
                    progress.update(step + 1, [("loss", loss), ("learning_rate", rates[step])])
                if not math.isfinite(smoothed[-1]) or smoothed[-1] > threshold * best:
                    break
        finally:
            held.close()
            for holder, rate in zip(holders, saved_rates):
                compat.hold_rate(holder, rate)
            model.steps_per_execution = saved_steps_per_execution
            _assign_all(model.variables, saved_weights)
            _assign_all(optimizer.variables, saved_optimizer)
            compat.reset_train_function(model)
    count = len(losses)
    return LRFinderResult(
        learning_rates=rates[:count].astype("float64"),
        losses=np.array(losses),
        smoothed_losses=np.array(smoothed),
    )


def _train_on_batch(model, x, y):
    # Keras 3.8's (and older) JAX `train_on_batch` under a distribution lays out
    # each of (x, y, sample_weight), a missing sample weight included
    # ("'NoneType' object has no attribute 'shape'"): weights of 1 are
    # given there, which change no loss.
    weights = None
    if keras.backend.backend() == "jax" and keras.distribution.distribution() and y is not None:
        weights = np.ones(len(keras.tree.flatten(y)[0]), "float32")
    return model.train_on_batch(x, y, sample_weight=weights, return_dict=True)


def _assign_all(variables, values):
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def _batches(x, y, batch_size):
    """An endless iterator of (x, y) batches."""
    if y is not None or isinstance(x, np.ndarray):
        arrays = [np.asarray(x)] + ([] if y is None else [np.asarray(y)])
        count = len(arrays[0])
        position = 0
        while True:
            index = np.arange(position, position + batch_size) % count
            position = (position + batch_size) % count
            batch = [array[index] for array in arrays]
            yield batch[0], (batch[1] if len(batch) > 1 else None)
    while True:
        empty = True
        for batch in x:
            empty = False
            if isinstance(batch, (tuple, list)):
                yield batch[0], (batch[1] if len(batch) > 1 else None)
            else:
                yield batch, None
        if empty:
            raise ValueError("Argument `x` yielded no batches.")
