"""The running `fit` as keras_lrs reaches it (part of `keras_lrs.compat`):
the list of callbacks it calls, and the one patch of a Keras class, at the
start of every `fit`."""

import functools
import gc

import keras


def fit_callbacks(callback):
    """The list of callbacks that the running `fit` calls `callback` with.

    `fit` wraps the callbacks it is given in a `keras.callbacks.CallbackList`
    (public, with a public `callbacks` list); no callback is told about it,
    so it is found among the objects that refer to `callback`. None outside
    of `fit` (callbacks called by hand) or if there is not exactly one.
    """
    found = []
    for referrer in gc.get_referrers(callback):
        if isinstance(referrer, list) and any(item is callback for item in referrer):
            if any(owner.callbacks is referrer for owner in _callback_lists(referrer)):
                found.append(referrer)
    return found[0] if len(found) == 1 else None


def _callback_lists(items):
    """The `CallbackList`s that refer to `items` (directly, or through their
    `__dict__` on Pythons that keep one apart)."""
    for owner in gc.get_referrers(items):
        if isinstance(owner, keras.callbacks.CallbackList):
            yield owner
        elif isinstance(owner, dict):
            for holder in gc.get_referrers(owner):
                if (
                    isinstance(holder, keras.callbacks.CallbackList)
                    and getattr(holder, "__dict__", None) is owner
                ):
                    yield holder


# --- the start of a fit -----------------------------------------------------


def run_at_fit_start(function):
    """Makes every `fit` call `function(model, params)` as it starts.

    Keras has no hook for it, so this is the one patch of a Keras class that
    keras_lrs applies (once, at import): `CallbackList.on_train_begin`,
    called by `fit` alone (in every version and backend) with the
    `CallbackList`'s `params` (`epochs`, `steps` per epoch, None when
    unknown) set, after the train function is made (not yet traced) and
    before any callback's `on_train_begin`.
    """
    original = keras.callbacks.CallbackList.on_train_begin
    if getattr(original, "_keras_lrs_runs", None) is function:
        return

    @functools.wraps(original)
    def on_train_begin(self, logs=None):
        function(self.model, self.params)
        return original(self, logs)

    on_train_begin._keras_lrs_runs = function
    keras.callbacks.CallbackList.on_train_begin = on_train_begin


def rebuild_train_function(model):
    """Makes `model.train_function` again, for a `fit` that has already made
    it and calls it next (it is traced at its first call)."""
    model.train_function = None
    model.make_train_function(force=True)
