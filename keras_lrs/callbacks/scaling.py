"""The effective learning rate of an optimizer, and a scale that lowers it.

`ReduceLROnPlateau` must lower the rate of an optimizer whose learning rate
is a schedule, without changing the schedule's shape and without rebuilding
the compiled train step. It wraps the schedule in `ScaledSchedule`, whose
`scale` is a variable that the optimizer tracks: on JAX the compiled step is
a pure function of the optimizer's variables, and a variable it does not
track would be frozen into it as a constant.

A freshly loaded optimizer has only Keras's own variables, so the scale is
kept out of the optimizer's saved list (Keras skips loading an optimizer
whose variable count differs). It is saved instead by the `ScaledSchedule`'s
config (`model.save`) and by a `RateState` held by the optimizer
(weights checkpoints such as `BackupAndRestore`).

Keras internals this relies on, guarded by the tests on every backend:
`optimizer._learning_rate` (the schedule or variable it holds) and
`optimizer._track_variable` / `_untrack_variable`.
"""

import contextlib

import keras
import numpy as np
from keras import ops

from keras_lrs.schedules.base import (
    LearningRateSchedule,
    Schedule,
    check_non_negative,
    check_schedule,
    evaluate,
    register,
)

_STATE_ATTRIBUTE = "_keras_lrs_state"


@register
class ScaledSchedule(Schedule):
    """A schedule multiplied by a scale that can change during training.

    Value: `schedule(t) * scale`. `scale` is held in a non-trainable
    variable (`scale_variable`); the config records its current value, so a
    saved model reloads with the reduced rate. `ReduceLROnPlateau` puts one
    around the optimizer's schedule; it is rarely built by hand.

    Args:
        schedule: any `LearningRateSchedule`, or a constant rate.
        scale: the initial multiplier, a float >= 0.
        name: optional name of the schedule.
    """

    def __init__(self, schedule, scale=1.0, name=None):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.scale_variable = keras.Variable(
            check_non_negative("scale", scale),
            dtype="float32",
            trainable=False,
            name="learning_rate_scale",
        )

    @property
    def scale(self):
        return float(ops.convert_to_numpy(self.scale_variable))

    def formula(self, step):
        return evaluate(self.schedule, step) * ops.cast(
            self.scale_variable, "float32"
        )


class RateState(keras.layers.Layer):
    """Variables a callback keeps with the optimizer, saved with its weights.

    Held as an attribute of the optimizer, so Keras's weight saving (which
    walks the optimizer's attributes) stores and restores it: `model.save`,
    `save_weights` and `BackupAndRestore` checkpoints. A freshly loaded model
    has none; the callback creates it again.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.counters = {}

    def counter(self, name, value, dtype):
        """The variable `name`, created with `value` the first time."""
        if name not in self.counters:
            self.counters[name] = self.add_weight(
                shape=np.shape(value),
                initializer=keras.initializers.Constant(value),
                dtype=dtype,
                trainable=False,
                name=name,
            )
        return self.counters[name]


def rate_state(optimizer):
    """The optimizer's `RateState`, created on first use."""
    state = getattr(optimizer, _STATE_ATTRIBUTE, None)
    if state is None:
        state = RateState(name="keras_lrs_state")
        setattr(optimizer, _STATE_ATTRIBUTE, state)
    return state


def schedule_and_scale(optimizer):
    """(schedule or None, multiplier) such that the rate is their product.

    For a float learning rate: (None, the rate).
    """
    rate = optimizer._learning_rate
    if isinstance(rate, ScaledSchedule):
        return rate.schedule, rate.scale
    if isinstance(rate, LearningRateSchedule):
        return rate, 1.0
    if isinstance(rate, keras.Variable):
        return None, float(ops.convert_to_numpy(rate))
    raise ValueError(
        "keras_lrs needs an optimizer whose learning rate is a float or a "
        f"LearningRateSchedule. Received: learning_rate={rate!r}"
    )


def current_rate(optimizer):
    """The effective learning rate of the optimizer's next step, as a float."""
    return float(ops.convert_to_numpy(optimizer.learning_rate))


def current_step(optimizer):
    """The optimizer's step count (`iterations`), as an int."""
    return int(ops.convert_to_numpy(optimizer.iterations))


def enable_scaling(model):
    """Makes the model's learning rate lowerable in place; returns its variable.

    A float rate is its own variable. A schedule is wrapped in
    `ScaledSchedule` (once), whose scale the optimizer then tracks; the train
    function is reset so that the next `fit` compiles the wrapped schedule.
    """
    optimizer = model.optimizer
    rate = optimizer._learning_rate
    if isinstance(rate, keras.Variable):
        return rate
    schedule_and_scale(optimizer)  # validates the kind of rate
    if not isinstance(rate, ScaledSchedule):
        rate = ScaledSchedule(rate)
        optimizer._learning_rate = rate
        model.train_function = None
    _track_but_do_not_save(optimizer, rate.scale_variable)
    rate_state(optimizer).scale = rate.scale_variable
    return rate.scale_variable


def _track_but_do_not_save(optimizer, variable):
    """Puts `variable` in the optimizer's state but not in its saved list."""
    if any(v is variable for v in optimizer.variables):
        return
    optimizer._track_variable(variable)
    hidden = optimizer.__dict__.setdefault("_keras_lrs_hidden", [])
    hidden.append(variable)
    if len(hidden) > 1:
        return
    own_class = type(optimizer)

    @contextlib.contextmanager
    def hidden_removed():
        for variable in hidden:
            optimizer._untrack_variable(variable)
        try:
            yield
        finally:
            for variable in hidden:
                optimizer._track_variable(variable)

    def save_own_variables(store):
        with hidden_removed():
            own_class.save_own_variables(optimizer, store)

    def load_own_variables(store):
        with hidden_removed():
            own_class.load_own_variables(optimizer, store)

    optimizer.__dict__["save_own_variables"] = save_own_variables
    optimizer.__dict__["load_own_variables"] = load_own_variables
