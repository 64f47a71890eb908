"""Which optimizers' rates the updates use, and the rate each update applies.

Wrappers and options change which schedule value an update uses, and every
reader of the rate goes through `rate_holders` and `OptimizerRates`:
- A `LossScaleOptimizer` (what `mixed_float16` compiles into) holds a rate
  of its own that it never uses; the rate is its inner optimizer's.
- A `MultiOptimizer` holds none: each of its optimizers has its own rate.
- With `gradient_accumulation_steps=A`, Keras calls the schedule with the
  number of batches seen, and since Keras 3.5 update `k` (the step
  `optimizer.iterations` counts) is made at batch `k*A + A - 1`; in Keras
  3.3 and 3.4 `iterations` counts the batches themselves.

The Keras internals this relies on are read through `keras_lrs.compat`.
"""

import numpy as np
from keras import ops

from keras_lrs import compat
from keras_lrs._plumbing.hidden_variables import track_but_do_not_save
from keras_lrs._plumbing.rate_cache import schedule_values_at, update_batches
from keras_lrs._plumbing.scaled_schedule import ScaledSchedule
from keras_lrs._plumbing.state import CallbackState
from keras_lrs.schedules.introspection import warmup_steps
from keras_lrs.schedules.step_math import LearningRateSchedule

_STATE_ATTRIBUTE = "_keras_lrs_state"


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


def current_step(optimizer):
    """The optimizer's update count (`iterations`), as an int.

    Read from its rate holder: in Keras 3.3 a `LossScaleOptimizer` has an
    `iterations` of its own that its updates never increment.
    """
    return int(ops.convert_to_numpy(rate_holder(optimizer).iterations))


def callback_state(optimizer):
    """The `CallbackState` of the optimizer's first rate holder, where the
    callbacks keep their counters."""
    return holder_state(rate_holder(optimizer))


def holder_state(holder):
    """The `CallbackState` a rate holder saves with its weights, created on
    first use: its `ScaledSchedule`'s own when it holds one (the state
    holds the scale)."""
    state = getattr(holder, _STATE_ATTRIBUTE, None)
    if state is None:
        rate = compat.held_rate(holder)
        if isinstance(rate, ScaledSchedule):
            state = rate.state
        else:
            state = CallbackState(name="keras_lrs_state")
        setattr(holder, _STATE_ATTRIBUTE, state)
    return state


def attach_states(optimizer):
    """Gives every rate holder of `optimizer` its `CallbackState`, so that
    a weights load (`keras_lrs.load_model`) has a place to read it into."""
    for holder in rate_holders(optimizer):
        holder_state(holder)


class Rate:
    """A rate as `schedule * multiplier` (schedule None for a float rate),
    read from its holder once, and its value at any update."""

    def __init__(self, holder, schedule, multiplier=1.0, name="learning_rate"):
        self.holder = holder
        self.name = name
        self.schedule = schedule
        self.multiplier = multiplier
        self.batches_per_update = compat.accumulation_per_update(holder)

    @classmethod
    def learning_rate(cls, holder, name="learning_rate"):
        """The holder's learning rate, its `ScaledSchedule` split apart."""
        rate = compat.held_rate(holder)
        if isinstance(rate, ScaledSchedule):
            return cls(holder, rate.schedule, rate.scale, name)
        if isinstance(rate, LearningRateSchedule):
            return cls(holder, rate, 1.0, name)
        if compat.is_variable(rate):
            return cls(holder, None, float(ops.convert_to_numpy(rate)), name)
        raise ValueError(
            "keras_lrs needs an optimizer whose learning rate is a float or a "
            f"LearningRateSchedule. Received: learning_rate={rate!r}"
        )

    def schedule_steps(self, updates):
        """The steps at which the schedule is called for `updates`."""
        return update_batches(updates, self.batches_per_update)

    def at(self, updates):
        """The effective rates of `updates` (a float32 array)."""
        updates = np.asarray(updates, dtype=np.int64)
        if self.schedule is None:
            return np.full(updates.shape, self.multiplier, dtype="float32")
        values = schedule_values_at(self.schedule, self.batches_per_update, updates)
        return values.astype("float32") * np.float32(self.multiplier)

    def at_update(self, update):
        """The effective rate of update `update`, a float."""
        return float(self.at(np.array([update]))[0])

    def warming_up(self, update):
        """Whether update `update` is inside the schedule's warmup."""
        return int(self.schedule_steps(update)) < warmup_steps(self.schedule)


class GroupRate:
    """The rate of a group of variables (`learning_rate_multipliers` of a
    `keras_lrs.optimizers` class): its holder's `Rate` times the group's
    multiplier, a float or a schedule called as the holder calls its rate's.
    Named `{rate name}/{expression}`: TensorBoard groups the tags by what
    comes before the first "/", so the groups show beside the base rate."""

    def __init__(self, rate, expression, multiplier):
        self.name = f"{rate.name}/{expression}"
        self.rate = rate
        if isinstance(multiplier, LearningRateSchedule):
            self.multiplier = Rate(rate.holder, multiplier)
        else:
            self.multiplier = Rate(rate.holder, None, multiplier)

    def at(self, updates):
        """The effective rates of `updates` (a float32 array)."""
        return self.rate.at(updates) * self.multiplier.at(updates)


class OptimizerRates:
    """The learning rates of an optimizer's updates, one `Rate` per rate
    holder (named as `rate_names` says), a `GroupRate` per group of
    variables with a multiplier, and the optimizer's step, read once: built
    anew for each use (an epoch's end), as a callback may have changed them
    since."""

    def __init__(self, optimizer):
        self.step = current_step(optimizer)
        self.rates = [
            Rate.learning_rate(holder, name)
            for holder, name in zip(rate_holders(optimizer), rate_names(optimizer))
        ]
        # Keras's own optimizers have no groups.
        self.groups = [
            GroupRate(rate, expression, multiplier)
            for rate in self.rates
            for expression, multiplier in (
                getattr(rate.holder, "learning_rate_multipliers", None) or {}
            ).items()
        ]

    def __iter__(self):
        return iter(self.rates)

    def current_values(self):
        """The effective rate of the next update, per rate holder."""
        return [rate.at_update(self.step) for rate in self.rates]

    def current(self):
        """{name: the effective rate of the next update}."""
        return dict(zip((rate.name for rate in self.rates), self.current_values()))

    def group_values(self, updates):
        """{group name: the effective rates of `updates`}."""
        return {group.name: group.at(updates) for group in self.groups}

    def warming_up(self):
        """Whether any of the rates is inside its schedule's warmup."""
        return any(rate.warming_up(self.step) for rate in self.rates)


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
    Rate.learning_rate(holder)  # validates the kind of rate
    if not isinstance(rate, ScaledSchedule):
        rate = ScaledSchedule(rate)
        compat.hold_rate(holder, rate)
        compat.reset_train_function(model)
    track_but_do_not_save(model.optimizer, holder, rate.scale_variable)
    holder_state(holder)  # saves the scale with the weights
    return rate.scale_variable
