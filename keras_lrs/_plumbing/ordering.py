"""Callbacks whose epoch-end work must reach the checkpoints of that epoch.

`keras.callbacks.BackupAndRestore` and `ModelCheckpoint` save at the end of
an epoch, in the order the callbacks are listed. A callback that changes
the training state at the same moment (a plateau reduction, a weight
average) and is listed after them would miss the checkpoint: a run resumed
from it would train differently from one never interrupted. So such a
callback moves itself, once `fit` has started, to just before the first
checkpointing callback in `fit`'s list; the others keep their order.
"""

import keras

from keras_lrs import compat

CHECKPOINTS = (keras.callbacks.BackupAndRestore, keras.callbacks.ModelCheckpoint)


def run_before_checkpoints(callback):
    """Moves `callback` before the checkpointing callbacks of the running fit.

    Called from `on_train_begin`: `fit`'s `CallbackList` is calling each
    callback's `on_train_begin` in turn, and moving the current one to an
    earlier place makes it neither skip nor repeat any other's. Outside of
    `fit` (hooks called by hand) nothing changes.
    """
    callbacks = compat.fit_callbacks(callback)
    if callbacks is None:
        return
    position = next(i for i, item in enumerate(callbacks) if item is callback)
    first = next(
        (i for i, item in enumerate(callbacks[:position]) if isinstance(item, CHECKPOINTS)),
        None,
    )
    if first is not None:
        callbacks.insert(first, callbacks.pop(position))
