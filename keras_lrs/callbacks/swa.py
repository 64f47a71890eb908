"""Stochastic weight averaging (Izmailov et al., 2018) for Keras 3 `fit`."""

import math
import warnings

import keras

from keras_lrs import compat
from keras_lrs.callbacks.swa_batch_norm import batch_norm_layers, update_batch_norm
from keras_lrs.callbacks.swa_average import averaged_weights, averaging_state
from keras_lrs.callbacks.swa_rate_phase import float_rates_as_scales, install_rate_phase
from keras_lrs.schedules.checks import (
    check_bool,
    check_choice,
    check_non_negative,
    check_number,
    check_steps,
)


class StochasticWeightAveraging(keras.callbacks.Callback):
    """Averages the weights along the end of training (SWA).

    From epoch `start_epoch` on, at the end of every `average_every`-th
    epoch, the model's weights join a running arithmetic mean. At the end
    of `fit` the average replaces the weights; with `batch_norm_data`,
    batch normalization statistics are then recomputed by
    `keras_lrs.update_batch_norm` (without it, they are averaged like the
    other weights, and a warning says so once). With `swa_learning_rate`,
    the rate moves from the first step of `start_epoch` to that value over
    `annealing_epochs` and stays there (PyTorch's `SWALR` per step, see
    `SWASchedule`), around any schedule and `ReduceLROnPlateau`.

    The average is saved with the optimizer's weights: `BackupAndRestore`
    resumes it exactly, and a `.keras` file keeps it for
    `keras_lrs.load_model` (not `keras.models.load_model`, which warns that
    the average starts again). Memory: one float32 copy of the weights.

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.1), "mse")
    >>> swa = StochasticWeightAveraging(start_epoch=2, swa_learning_rate=0.05)
    >>> history = model.fit(np.ones((4, 2)), np.ones(4), batch_size=2,
    ...                     epochs=4, callbacks=[swa], verbose=0)
    >>> float(model.optimizer.learning_rate)  # the SWA rate since epoch 2
    0.05

    Args:
        start_epoch: an integer >= 0 (0-based epoch), or a float in (0, 1):
            the fraction of `fit`'s epochs, `floor(start_epoch * epochs)`.
        swa_learning_rate: None keeps the optimizer's rate; a float >= 0 is
            the rate of the averaging phase.
        annealing_epochs: epochs to move from the rate at the start to
            `swa_learning_rate`, an integer >= 0.
        annealing_shape: "cosine" or "linear".
        average_every: average every this many epochs, an integer >= 1.
        batch_norm_data: data to recompute batch normalization statistics
            with at the end (a dataset, an array, or `(x, y)`), or None.
        batch_size: batch size for `batch_norm_data` given as arrays.
        swap_for_validation: validate with the average (the current epoch
            included) once averaging has begun, as Keras's `SwapEMAWeights`
            does; the training weights come back after it.
        verbose: 1 prints a line when averaging starts and at the swap.
    """

    def __init__(
        self,
        start_epoch=0.8,
        swa_learning_rate=None,
        annealing_epochs=0,
        annealing_shape="cosine",
        average_every=1,
        batch_norm_data=None,
        batch_size=None,
        swap_for_validation=False,
        verbose=0,
    ):
        super().__init__()
        number = check_number("start_epoch", start_epoch)
        if isinstance(start_epoch, float) and not number.is_integer():
            if not 0 < number < 1:
                raise ValueError(
                    "Argument `start_epoch` must be an integer >= 0 or a "
                    "fraction in (0, 1). "
                    f"Received: start_epoch={start_epoch!r}"
                )
        else:
            check_steps("start_epoch", start_epoch, minimum=0)
            number = int(number)
        self.start_epoch = start_epoch
        self._start_number = number
        if swa_learning_rate is not None:
            swa_learning_rate = check_non_negative(
                "swa_learning_rate", swa_learning_rate
            )
        self.swa_learning_rate = swa_learning_rate
        self.annealing_epochs = check_steps(
            "annealing_epochs", annealing_epochs, minimum=0
        )
        self.annealing_shape = check_choice(
            "annealing_shape", annealing_shape, {"cosine", "linear"}
        )
        self.average_every = check_steps("average_every", average_every)
        self.batch_norm_data = batch_norm_data
        if batch_size is not None:
            batch_size = check_steps("batch_size", batch_size)
        self.batch_size = batch_size
        self.swap_for_validation = check_bool(
            "swap_for_validation", swap_for_validation
        )
        if verbose not in (0, 1):
            raise ValueError(
                f"Argument `verbose` must be 0 or 1. Received: verbose={verbose!r}"
            )
        self.verbose = verbose
        self._state = None
        self._epoch = None
        self._swapped = None
        self._warned_batch_norm = False

    # --- set up, before the train step is compiled -------------------------

    def set_model(self, model):
        super().set_model(model)
        if getattr(model, "optimizer", None) is None:
            return  # not compiled yet; Keras calls set_model again in fit
        # The average, its count and the last averaged epoch are variables
        # the optimizer holds (attribute `_keras_lrs_swa`), saved with its
        # weights but not among its own variables; Keras's internals are
        # read through `keras_lrs.compat`.
        self._state = averaging_state(model)
        if self.swa_learning_rate is not None:
            # A float rate becomes `ScaledSchedule(SWASchedule(1.0, ...))`
            # whose scale is the rate variable itself (so a plateau cut of
            # the float still applies), with the target `swa_learning_rate /
            # rate`.
            float_rates_as_scales(model)

    def set_params(self, params):
        super().set_params(params)
        if self._state is None or not params:
            return
        epochs = params.get("epochs")
        self.resolved_start_epoch = self._resolve_start(epochs)
        # Whether this `fit` continues an average or starts its own is
        # decided at its first epoch, once `BackupAndRestore` (in
        # `on_train_begin`) has brought back an interrupted run's.
        self._epoch = None
        if self.swa_learning_rate is not None:
            self._install_rate_phase(params.get("steps"))

    def _install_rate_phase(self, steps):
        if not steps:
            raise ValueError(
                "StochasticWeightAveraging's `swa_learning_rate` needs the "
                "number of steps per epoch: pass `steps_per_epoch` to `fit` "
                "for a dataset of unknown size. Received: steps=None"
            )
        # `SWASchedule` around the optimizer's schedule, counting from step 0
        # at epoch 0, installed before the train step is compiled and saved
        # with the model. With `ReduceLROnPlateau` the two nest as
        # `ScaledSchedule(SWASchedule(...))` in either callback order: the
        # plateau's scale multiplies the whole rate, SWA phase included.
        install_rate_phase(
            self.model,
            start_step=self.resolved_start_epoch * steps,
            annealing_steps=self.annealing_epochs * steps,
            swa_learning_rate=self.swa_learning_rate,
            shape=self.annealing_shape,
        )

    def _resolve_start(self, epochs):
        if isinstance(self._start_number, float):
            start = math.floor(self._start_number * epochs)
        else:
            start = self._start_number
        if epochs is not None and start >= epochs:
            raise ValueError(
                "Argument `start_epoch` must be less than `fit`'s epochs "
                f"({epochs}); averaging would never start. "
                f"Received: start_epoch={self.start_epoch!r}"
            )
        return start

    # --- averaging ----------------------------------------------------------

    def on_train_begin(self, logs=None):
        if self.batch_norm_data is None and batch_norm_layers(self.model):
            self._warn_batch_norm()

    def on_epoch_begin(self, epoch, logs=None):
        self._swap_back()
        if self._epoch is None:
            self._begin(epoch)
        self._epoch = epoch
        # An epoch whose end a checkpoint (`BackupAndRestore` listed first)
        # saw before this callback averaged it is averaged now, from the
        # restored weights: the resumed average is exact in either order.
        self._catch_up(epoch - 1)

    def on_test_begin(self, logs=None):
        if self._epoch is None or not self.swap_for_validation:
            return  # not validation inside `fit`
        self._catch_up(self._epoch)
        if self._state.count_value() > 0:
            self._swapped = self._state.swap_into(self.model)

    def on_test_end(self, logs=None):
        self._swap_back()

    def on_epoch_end(self, epoch, logs=None):
        self._swap_back()
        self._catch_up(epoch)

    def on_train_end(self, logs=None):
        self._swap_back()
        if self._epoch is None:
            return  # no epoch ran in this `fit`
        self._catch_up(self._epoch)
        self._epoch = None
        if self._state.count_value() == 0:
            return
        self._state.swap_into(self.model)
        if self.verbose and compat.is_first_process(self.model):
            print(
                "\nStochasticWeightAveraging: the model has the average of "
                f"{self._state.count_value()} epochs."
            )
        if self.batch_norm_data is not None:
            update_batch_norm(
                self.model, self.batch_norm_data, batch_size=self.batch_size
            )

    def _averages(self, epoch):
        start = self.resolved_start_epoch
        return epoch >= start and (epoch - start) % self.average_every == 0

    def _catch_up(self, epoch):
        """Averages epoch `epoch`'s end weights if due and not done yet."""
        if epoch < 0 or not self._averages(epoch):
            return
        if self._state.last_epoch_value() >= epoch:
            return
        # `average_k = average_{k-1} + (w - average_{k-1}) / k`, computed in
        # float64 on the host and stored in float32 variables.
        self._state.add(self.model, epoch)
        first = self._state.count_value() == 1
        if self.verbose and first and compat.is_first_process(self.model):
            print(f"\nStochasticWeightAveraging: averaging from epoch {epoch + 1}.")

    def _swap_back(self):
        if self._swapped is not None:
            for variable, value in zip(averaged_weights(self.model), self._swapped):
                variable.assign(value)
            self._swapped = None

    def _begin(self, epoch):
        """Continues the average there is, or starts a new one at `epoch`.

        A `fit` whose first epoch comes after the start continues the
        average it finds (from `BackupAndRestore` or
        `keras_lrs.load_model`) if that average ends before the epoch;
        `keras.models.load_model` builds a fresh optimizer with no place for
        the average (the rate phase and the step count are restored), so
        the average starts again, with a warning.
        """
        state = self._state
        if (
            epoch > self.resolved_start_epoch
            and state.count_value() > 0
            and state.last_epoch_value() < epoch
        ):
            return
        state.reset()
        if epoch > self.resolved_start_epoch:
            warnings.warn(
                f"StochasticWeightAveraging: `fit` starts at epoch {epoch}, "
                "after averaging should have started "
                f"({self.resolved_start_epoch}), with no average to "
                "continue: the average starts from here. (A model loaded by "
                "`keras.models.load_model` does not bring the average back; "
                "`keras_lrs.load_model` and `BackupAndRestore` do.)",
                stacklevel=3,
            )

    def _warn_batch_norm(self):
        if self._warned_batch_norm:
            return
        self._warned_batch_norm = True
        warnings.warn(
            "StochasticWeightAveraging: the model has BatchNormalization "
            "layers and no `batch_norm_data` was given; their moving "
            "statistics are averaged like the weights. Pass "
            "`batch_norm_data` to recompute them for the averaged weights.",
            stacklevel=2,
        )
