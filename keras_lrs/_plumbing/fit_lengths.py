"""Schedules sized to the training when `fit` starts.

A schedule with lengths left to the training (`keras_lrs.schedules.lengths`)
is resolved against the `fit` that trains it: `epochs * steps_per_epoch`
steps of the counter Keras calls a schedule with. That counter counts
batches, with gradient accumulation too (the update `k` of an optimizer
with `gradient_accumulation_steps=A` uses the value at batch
`k*A + A - 1`), so the schedule spans the whole training, every update
included; `steps_per_execution` changes neither.

A schedule already resolved (a later `fit`, a resumed or reloaded model,
whose saved config holds integers) is never resolved again. A `fit` of
unknown length with a schedule left to it stops at its start.
"""

from keras_lrs import compat
from keras_lrs._plumbing.rates import rate_holders
from keras_lrs.schedules.introspection import lengths_left, resolve_lengths


def size_schedules_to_fit(model, params):
    """Resolves the lengths left to the training in the model's optimizer
    (its learning rates, a plateau's `ScaledSchedule` included, and
    `keras_lrs.optimizers`' hyperparameter schedules); compiles the step
    again if any was."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    holders = rate_holders(optimizer)
    if not any(map(_left, holders)):
        return
    total = _total_steps(params)
    for holder in holders:
        rate = compat.held_rate(holder)
        compat.hold_rate(holder, resolve_lengths(rate, total))
        if hasattr(holder, "resolve_lengths"):
            holder.resolve_lengths(total)
    compat.rebuild_train_function(model)


def _left(holder):
    schedules = [compat.held_rate(holder)]
    schedules += getattr(holder, "_hyperparameter_schedules", {}).values()
    schedules += getattr(holder, "learning_rate_multipliers", {}).values()
    return any(map(lengths_left, schedules))


def _total_steps(params):
    epochs, steps = params.get("epochs"), params.get("steps")
    if not steps:
        raise ValueError(
            "The optimizer's schedule has lengths left to the training (None "
            "or a fraction), and this `fit` does not know its length: the "
            "dataset's size is unknown. Pass `steps_per_epoch` to `fit`, or "
            "integer lengths to the schedule. Received: steps_per_epoch=None"
        )
    return epochs * steps
