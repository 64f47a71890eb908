"""The rates of many updates at once, from the schedule, cached in blocks.

Evaluating a schedule costs about the same for 1 step as for thousands
(0.4-9 ms in eager mode on a CPU, by backend and schedule), so the steps
asked for are evaluated in whole blocks, and the blocks last evaluated are
kept.
"""

import weakref

import numpy as np

from keras_lrs import compat
from keras_lrs.callbacks.optimizer_rates import (
    current_step,
    rate_holder,
    schedule_and_scale,
    update_batches,
)
from keras_lrs.values import schedule_values

_BLOCK = 4096
_KEPT_BLOCKS = 4  # per schedule and accumulation
_blocks = weakref.WeakKeyDictionary()  # schedule -> {(batches, first): values}


def applied_rates(optimizer, steps, schedule_and_multiplier=None):
    """The effective rates of updates `steps` (float32 array).

    `schedule_and_multiplier` is the pair `schedule_and_scale` returns,
    read now when None.
    """
    schedule, multiplier = schedule_and_multiplier or schedule_and_scale(optimizer)
    steps = np.asarray(steps, dtype=np.int64)
    if schedule is None:
        return np.full(steps.shape, multiplier, dtype="float32")
    # A backend's vectorized math may round an element differently (by one
    # ulp) depending on where it sits in the array. Evaluated in whole
    # blocks aligned to multiples of `_BLOCK`, a step gets the same value
    # whichever range it is asked for in: a resumed run rewrites the same
    # points.
    batches_per_update = compat.accumulation_per_update(rate_holder(optimizer))
    firsts, which = np.unique(steps // _BLOCK * _BLOCK, return_inverse=True)
    blocks = np.stack(
        [_block(schedule, batches_per_update, first) for first in firsts]
    )
    values = blocks[which.reshape(steps.shape), steps % _BLOCK]
    return values.astype("float32") * np.float32(multiplier)


def _block(schedule, batches_per_update, first):
    """The schedule's values for updates `first .. first + _BLOCK - 1`.

    Kept for the next calls: a schedule is a function of the step (as
    Keras's and ours are; the compiled train step also takes it as one).
    """
    try:
        kept = _blocks.setdefault(schedule, {})
    except TypeError:  # a schedule that cannot be weakly referenced
        kept = {}
    key = (batches_per_update, first)
    if key not in kept:
        if len(kept) >= _KEPT_BLOCKS:
            del kept[next(iter(kept))]  # the oldest
        updates = np.arange(first, first + _BLOCK)
        kept[key] = schedule_values(
            schedule, update_batches(updates, batches_per_update)
        )
    return kept[key]


def current_rate(optimizer, step=None, schedule_and_multiplier=None):
    """The effective learning rate of the optimizer's next update, a float.

    `step` (`current_step`) and `schedule_and_multiplier`
    (`schedule_and_scale`) are read now when None; a caller that needs them
    too passes them in, sparing each a read from the device.
    """
    if step is None:
        step = current_step(optimizer)
    rates = applied_rates(optimizer, np.array([step]), schedule_and_multiplier)
    return float(rates[0])
