"""The effective learning rate of an optimizer, and a scale that lowers it.

`ReduceLROnPlateau` must lower the rate of an optimizer whose learning rate
is a schedule, without changing the schedule's shape and without rebuilding
the compiled train step. It wraps the schedule in `ScaledSchedule`, whose
`scale` is a variable that the optimizer tracks: on JAX the compiled step is
a pure function of the optimizer's variables, and a variable it does not
track would be frozen into it as a constant.

A freshly loaded optimizer has only Keras's own variables, so the scale is
kept out of the optimizer's saved list (Keras skips loading an optimizer
whose variable count differs). It is saved instead, with the counters of
the callbacks, by the `ScaledSchedule`'s config (`model.save`) and by a
`RateState` held by the optimizer (weights checkpoints such as
`BackupAndRestore`).

Wrappers and options change which schedule value an update uses, and every
reader of the rate here goes through `rate_holders` and `schedule_steps`:
- A `LossScaleOptimizer` (what `mixed_float16` compiles into) holds a rate
  of its own that it never uses; the rate is its inner optimizer's.
- A `MultiOptimizer` holds none: each of its optimizers has its own rate
  (and its own state here, keyed to its place).
- With `gradient_accumulation_steps=A`, Keras calls the schedule with the
  number of batches seen, and since Keras 3.4 update `k` (the step
  `optimizer.iterations` counts) is made at batch `k*A + A - 1`; in Keras
  3.3 `iterations` counts the batches themselves.

The Keras internals this relies on are read through `keras_lrs.compat`.
"""

import contextlib
import weakref

import keras
import numpy as np
from keras import ops

from keras_lrs import compat
from keras_lrs.schedules.base import (
    LearningRateSchedule,
    Schedule,
    check_non_negative,
    check_schedule,
    evaluate,
    register,
)
from keras_lrs.values import schedule_values

_STATE_ATTRIBUTE = "_keras_lrs_state"
# Steps evaluated together by `applied_rates`: evaluating a schedule costs
# about the same for 1 step as for thousands (0.4-9 ms in eager mode on a
# CPU, by backend and schedule), and the blocks last evaluated are kept.
_BLOCK = 4096
_KEPT_BLOCKS = 4  # per schedule and accumulation
_blocks = weakref.WeakKeyDictionary()  # schedule -> {(every, first): values}


@register
class ScaledSchedule(Schedule):
    """A schedule multiplied by a scale that can change during training.

    Value: `schedule(t) * scale`. `scale` is held in a non-trainable
    variable (`scale_variable`); the config records its current value and
    the callbacks' counters (`state`), so a saved model reloads with the
    reduced rate and a plateau callback continues where it was.
    `ReduceLROnPlateau` puts one around the optimizer's schedule; it is
    rarely built by hand.

    Args:
        schedule: any `LearningRateSchedule`, or a constant rate.
        scale: the initial multiplier, a float >= 0.
        counters: the callbacks' counters, `{name: int or list of ints}`,
            as `get_config` records them; None for none yet.
        name: optional name of the schedule.
    """

    def __init__(self, schedule, scale=1.0, counters=None, name=None):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.scale_variable = keras.Variable(
            check_non_negative("scale", scale),
            dtype="float32",
            trainable=False,
            name="learning_rate_scale",
        )
        self.state = RateState(
            initial_values=_check_counters(counters), name="keras_lrs_state"
        )
        self.state.scale = self.scale_variable

    @property
    def scale(self):
        return float(ops.convert_to_numpy(self.scale_variable))

    @property
    def counters(self):
        return self.state.values()

    def formula(self, step):
        return evaluate(self.schedule, step) * ops.cast(
            self.scale_variable, "float32"
        )


class RateState(keras.layers.Layer):
    """Variables a callback keeps with the optimizer, saved with its weights.

    Held as an attribute of the optimizer, so Keras's weight saving (which
    walks the optimizer's attributes) stores and restores it: `model.save`,
    `save_weights` and `BackupAndRestore` checkpoints. A model loaded from
    `.keras` gets its `ScaledSchedule`'s (or, with a float rate, a new one).

    Counters are int32 (a scalar or a vector). `initial_values` are the
    values recorded by a `ScaledSchedule`'s config: a counter created again
    under the same name starts from its recorded value.
    """

    def __init__(self, initial_values=None, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.initial_values = dict(initial_values or {})
        self.counters = {}

    def counter(self, name, value):
        """The int32 variable `name`, created with `value` the first time."""
        if name not in self.counters:
            value = self.initial_values.get(name, value)
            self.counters[name] = self.add_weight(
                shape=np.shape(value),
                initializer=keras.initializers.Constant(value),
                dtype="int32",
                trainable=False,
                name=name,
            )
        return self.counters[name]

    def values(self):
        """{name: int or list of ints}: every counter's current value."""
        current = {
            name: ops.convert_to_numpy(variable).tolist()
            for name, variable in self.counters.items()
        }
        return {**self.initial_values, **current}


def _check_counters(counters):
    if counters is None:
        return {}
    if not isinstance(counters, dict) or not all(
        isinstance(name, str) and _is_int_or_ints(value)
        for name, value in counters.items()
    ):
        raise ValueError(
            "Argument `counters` must be a dict of names to ints or lists of "
            f"ints. Received: counters={counters!r}"
        )
    return counters


def _is_int_or_ints(value):
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def rate_holders(optimizer):
    """The optimizers whose learning rates the updates apply, in order.

    A `LossScaleOptimizer` delegates its updates, and its `learning_rate`
    and `iterations`, to the optimizer it wraps; a `MultiOptimizer` to each
    of its optimizers.
    """
    return compat.update_optimizers(optimizer)


def rate_holder(optimizer):
    """The first (for most optimizers, the only) of `rate_holders`."""
    return rate_holders(optimizer)[0]


def rate_names(optimizer):
    """The log name of each holder's rate: `learning_rate`, or with a
    `MultiOptimizer` `learning_rate_{name}` per optimizer, as Keras's own
    callbacks name them."""
    holders = rate_holders(optimizer)
    if not compat.is_multi_optimizer(optimizer):
        return ["learning_rate"] * len(holders)
    return [f"learning_rate_{holder.name}" for holder in holders]


def rate_state(optimizer):
    """The `RateState` that goes with the optimizer, created on first use.

    It is held by the first rate holder: the `ScaledSchedule`'s own when it
    holds one, so that `model.save` records the counters with the
    schedule's config.
    """
    holder = rate_holder(optimizer)
    state = getattr(holder, _STATE_ATTRIBUTE, None)
    if state is None:
        rate = compat.held_rate(holder)
        if isinstance(rate, ScaledSchedule):
            state = rate.state
        else:
            state = RateState(name="keras_lrs_state")
        setattr(holder, _STATE_ATTRIBUTE, state)
    return state


def schedule_and_scale(optimizer):
    """(schedule or None, multiplier) such that the rate is their product.

    For a float learning rate: (None, the rate). `optimizer` is a rate
    holder (a wrapper stands for its first).
    """
    rate = compat.held_rate(rate_holder(optimizer))
    if isinstance(rate, ScaledSchedule):
        return rate.schedule, rate.scale
    if isinstance(rate, LearningRateSchedule):
        return rate, 1.0
    if compat.is_variable(rate):
        return None, float(ops.convert_to_numpy(rate))
    raise ValueError(
        "keras_lrs needs an optimizer whose learning rate is a float or a "
        f"LearningRateSchedule. Received: learning_rate={rate!r}"
    )


def schedule_steps(optimizer, steps):
    """The steps at which the schedule is called for updates `steps`.

    Keras calls a schedule with the number of batches the optimizer has
    seen. With `gradient_accumulation_steps=A` that is `A` per update, and
    update `k` is made at batch `k*A + A - 1`; otherwise it is `k`.
    """
    return _batches(steps, compat.accumulation_per_update(rate_holder(optimizer)))


def _batches(updates, every):
    updates = np.asarray(updates, dtype=np.int64)
    return updates * every + (every - 1)


def applied_rates(optimizer, steps, rate=None):
    """The effective rates of updates `steps` (float32 array).

    `rate` is a `(schedule, multiplier)` pair from `schedule_and_scale`,
    read now when None.
    """
    schedule, multiplier = rate or schedule_and_scale(optimizer)
    steps = np.asarray(steps, dtype=np.int64)
    if schedule is None:
        return np.full(steps.shape, multiplier, dtype="float32")
    # A backend's vectorized math may round an element differently (by one
    # ulp) depending on where it sits in the array. Evaluated in whole
    # blocks aligned to multiples of `_BLOCK`, a step gets the same value
    # whichever range it is asked for in: a resumed run rewrites the same
    # points.
    every = compat.accumulation_per_update(rate_holder(optimizer))
    firsts, which = np.unique(steps // _BLOCK * _BLOCK, return_inverse=True)
    blocks = np.stack([_block(schedule, every, first) for first in firsts])
    values = blocks[which.reshape(steps.shape), steps % _BLOCK]
    return values.astype("float32") * np.float32(multiplier)


def _block(schedule, every, first):
    """The schedule's values for updates `first .. first + _BLOCK - 1`.

    Kept for the next calls: a schedule is a function of the step (as
    Keras's and ours are; the compiled train step also takes it as one).
    """
    try:
        kept = _blocks.setdefault(schedule, {})
    except TypeError:  # a schedule that cannot be weakly referenced
        kept = {}
    key = (every, first)
    if key not in kept:
        if len(kept) >= _KEPT_BLOCKS:
            del kept[next(iter(kept))]  # the oldest
        updates = np.arange(first, first + _BLOCK)
        kept[key] = schedule_values(schedule, _batches(updates, every))
    return kept[key]


def current_rate(optimizer, step=None, rate=None):
    """The effective learning rate of the optimizer's next update, a float.

    `step` (`current_step`) and `rate` (`schedule_and_scale`) are read now
    when None; a caller that needs them too passes them in, sparing each a
    read from the device.
    """
    if step is None:
        step = current_step(optimizer)
    return float(applied_rates(optimizer, np.array([step]), rate)[0])


def current_step(optimizer):
    """The optimizer's update count (`iterations`), as an int.

    Read from its rate holder: in Keras 3.3 a `LossScaleOptimizer` has an
    `iterations` of its own that its updates never increment.
    """
    return int(ops.convert_to_numpy(rate_holder(optimizer).iterations))


def enable_scaling(model):
    """Makes the model's learning rates lowerable in place.

    Returns one variable per rate holder (`rate_holders`): a float rate is
    its own variable; a schedule is wrapped in `ScaledSchedule` (once),
    whose scale the holder then tracks, and the train function is reset so
    that the next `fit` compiles the wrapped schedule.
    """
    return [
        _enable_scaling(model, holder)
        for holder in rate_holders(model.optimizer)
    ]


def _enable_scaling(model, holder):
    rate = compat.held_rate(holder)
    if compat.is_variable(rate):
        return rate
    schedule_and_scale(holder)  # validates the kind of rate
    if not isinstance(rate, ScaledSchedule):
        rate = ScaledSchedule(rate)
        compat.hold_rate(holder, rate)
        model.train_function = None
    _track_but_do_not_save(model.optimizer, holder, rate.scale_variable)
    return rate.scale_variable


_HIDDEN_ATTRIBUTE = "_keras_lrs_hidden"


def _track_but_do_not_save(optimizer, holder, variable):
    """Puts `variable` in the holder's state but not in any saved list.

    The rate holder tracks it; every optimizer from `optimizer` down to the
    holder (a `LossScaleOptimizer` or a `MultiOptimizer` saves the
    variables of the optimizers it wraps too) saves and loads its variables
    with it untracked.
    """
    if any(v is variable for v in holder.variables):
        return
    compat.track_variable(holder, variable)
    holder.__dict__.setdefault(_HIDDEN_ATTRIBUTE, []).append(variable)
    for wrapper in compat.optimizer_chain(optimizer, holder):
        if "save_own_variables" not in wrapper.__dict__:
            _save_without_hidden(wrapper)


@contextlib.contextmanager
def _hidden_removed(optimizer):
    """Untracks, for the time of the block, what the holders under
    `optimizer` track but do not save."""
    hidden = [
        (holder, variable)
        for holder in rate_holders(optimizer)
        for variable in holder.__dict__.get(_HIDDEN_ATTRIBUTE, [])
    ]
    for holder, variable in hidden:
        compat.untrack_variable(holder, variable)
    try:
        yield
    finally:
        for holder, variable in hidden:
            compat.track_variable(holder, variable)


def _save_without_hidden(optimizer):
    own_class = type(optimizer)

    def save_own_variables(store):
        with _hidden_removed(optimizer):
            own_class.save_own_variables(optimizer, store)

    def load_own_variables(store):
        with _hidden_removed(optimizer):
            own_class.load_own_variables(optimizer, store)

    optimizer.__dict__["save_own_variables"] = save_own_variables
    optimizer.__dict__["load_own_variables"] = load_own_variables
