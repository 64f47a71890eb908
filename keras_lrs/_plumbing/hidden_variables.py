"""Variables an optimizer tracks but does not save.

Keras skips loading an optimizer whose saved variable count differs from
its own, and a freshly loaded optimizer has only Keras's variables: a
variable this library adds to an optimizer's state (the scale of
`ScaledSchedule`) is untracked for the time of each save and load.
"""

import contextlib

from keras_lrs import compat

_HIDDEN_ATTRIBUTE = "_keras_lrs_hidden"


def track_but_do_not_save(optimizer, holder, variable):
    """Puts `variable` in the holder's state but not in any saved list.

    The rate holder tracks it; every optimizer from `optimizer` down to the
    holder (a `LossScaleOptimizer` or a `MultiOptimizer` saves the
    variables of the optimizers it wraps too) saves and loads its variables
    with it untracked.
    """
    if any(v is variable for v in holder.variables):
        return
    compat.track_variable(holder, variable)
    hidden = compat.untracked(holder, _HIDDEN_ATTRIBUTE, [])
    compat.set_untracked(holder, _HIDDEN_ATTRIBUTE, [*hidden, variable])
    for wrapper in compat.optimizer_chain(optimizer, holder):
        _save_without_hidden(wrapper)


@contextlib.contextmanager
def _hidden_removed(optimizer):
    """Untracks, for the time of the block, what the holders under
    `optimizer` track but do not save."""
    hidden = [
        (holder, variable)
        for holder in compat.update_optimizers(optimizer)
        for variable in compat.untracked(holder, _HIDDEN_ATTRIBUTE, [])
    ]
    for holder, variable in hidden:
        compat.untrack_variable(holder, variable)
    try:
        yield
    finally:
        for holder, variable in hidden:
            compat.track_variable(holder, variable)


def _save_without_hidden(optimizer):
    """Makes the optimizer save and load with its hidden variables
    untracked (once)."""
    own_class = type(optimizer)

    def save_own_variables(store):
        with _hidden_removed(optimizer):
            own_class.save_own_variables(optimizer, store)

    def load_own_variables(store):
        with _hidden_removed(optimizer):
            own_class.load_own_variables(optimizer, store)

    compat.override_saving(optimizer, save_own_variables, load_own_variables)
