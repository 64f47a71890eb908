"""Which optimizers' rates the updates use, and what each of them holds.

Wrappers and options change which schedule value an update uses, and every
reader of the rate goes through `rate_holders` and `schedule_steps`:
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
from keras_lrs.callbacks.hidden_variables import track_but_do_not_save
from keras_lrs.callbacks.scaled_schedule import ScaledSchedule
from keras_lrs.callbacks.state import CallbackState
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


def callback_state(optimizer):
    """The `CallbackState` that goes with the optimizer, created on first use.

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
            state = CallbackState(name="keras_lrs_state")
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
    return update_batches(steps, compat.accumulation_per_update(rate_holder(optimizer)))


def update_batches(updates, batches_per_update):
    """The batch at which each of `updates` is made (see `schedule_steps`)."""
    updates = np.asarray(updates, dtype=np.int64)
    return updates * batches_per_update + (batches_per_update - 1)


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
    track_but_do_not_save(model.optimizer, holder, rate.scale_variable)
    return rate.scale_variable
