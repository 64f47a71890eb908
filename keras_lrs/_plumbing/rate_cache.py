"""The values of a schedule at many updates at once, cached in blocks.

Evaluating a schedule costs about the same for 1 step as for thousands
(0.4-9 ms in eager mode on a CPU, by backend and schedule), so the steps
asked for are evaluated in whole blocks, and the blocks last evaluated are
kept: for a schedule that says it reads no variable
(`keras_lrs.schedules.introspection.reads_variables`), a function of the
step alone. A schedule that may read one is evaluated at the steps asked
for, each time, with the variables' current values.
"""

import weakref

import numpy as np

from keras_lrs.schedules.introspection import reads_variables
from keras_lrs.values import schedule_values

_BLOCK = 4096
_KEPT_BLOCKS = 4  # per schedule and accumulation
_blocks = weakref.WeakKeyDictionary()  # schedule -> {(batches, first): values}


def update_batches(updates, batches_per_update):
    """The batch at which each of `updates` is made: Keras calls a schedule
    with the number of batches the optimizer has seen, `A` per update under
    `gradient_accumulation_steps=A`, and update `k` is made at batch
    `k*A + A - 1`; otherwise it is `k`."""
    updates = np.asarray(updates, dtype=np.int64)
    return updates * batches_per_update + (batches_per_update - 1)


def schedule_values_at(schedule, batches_per_update, updates):
    """The schedule's values (float32) at the batches of `updates`."""
    updates = np.asarray(updates, dtype=np.int64)
    if reads_variables(schedule):
        return schedule_values(schedule, update_batches(updates, batches_per_update))
    # A backend's vectorized math may round an element differently (by one
    # ulp) depending on where it sits in the array. Evaluated in whole
    # blocks aligned to multiples of `_BLOCK`, a step gets the same value
    # whichever range it is asked for in: a resumed run rewrites the same
    # points.
    firsts, which = np.unique(updates // _BLOCK * _BLOCK, return_inverse=True)
    blocks = np.stack(
        [_block(schedule, batches_per_update, first) for first in firsts]
    )
    return blocks[which.reshape(updates.shape), updates % _BLOCK]


def _block(schedule, batches_per_update, first):
    """The schedule's values for updates `first .. first + _BLOCK - 1`,
    kept for the next calls."""
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
