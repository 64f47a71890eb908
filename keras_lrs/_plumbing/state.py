"""Counters a callback keeps with the optimizer, saved with its weights."""

import warnings
from urllib.parse import quote, unquote

import keras
import numpy as np
from keras import ops

_SCALE_KEY = "scale"


class CallbackState(keras.layers.Layer):
    """Variables a callback keeps with the optimizer, saved with its weights.

    Held as an attribute of the optimizer's rate holder, so Keras's weight
    saving (which walks the optimizer's attributes) stores and restores it:
    `model.save`, `save_weights` and `BackupAndRestore` checkpoints. It is
    the one place a callback's state is saved. `keras.models.load_model`
    builds a fresh optimizer, which has no such attribute, so it restores
    the model and the rate (the `ScaledSchedule`'s config records its
    scale, as an optimizer's config records a float rate) but not the
    counters; `keras_lrs.load_model` gives the fresh optimizer its
    `CallbackState` and reads them back.

    Counters are int32 (a scalar or a vector), created by a callback on
    first use and saved by name, so that a load creates those a fresh
    optimizer's state does not have yet. `scale`, when set, is the
    variable of the rate's `ScaledSchedule`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.counters = {}
        self.scale = None

    def restore(self, values):
        """Creates the counters of `values` ({name: int or list of ints},
        as `values()` gives them) with those values."""
        for name, value in values.items():
            self.counter(name, value)

    def counter(self, name, value):
        """The int32 variable `name`, created with `value` the first time."""
        if name not in self.counters:
            self.counters[name] = self.add_weight(
                shape=np.shape(value),
                initializer=keras.initializers.Constant(value),
                dtype="int32",
                trainable=False,
                name=name.replace("/", "_"),  # Keras rejects "/" in names
            )
        return self.counters[name]

    def values(self):
        """{name: int or list of ints}: every counter's current value."""
        return {
            name: ops.convert_to_numpy(variable).tolist()
            for name, variable in self.counters.items()
        }

    def save_own_variables(self, store):
        if self.scale is not None:
            store[_SCALE_KEY] = self.scale
        for name, variable in self.counters.items():
            # Quoted: a "/" would make a group of the store, not a key.
            store[quote(f"counter:{name}", safe=":")] = variable

    def load_own_variables(self, store):
        keys = list(store.keys())
        if keys and all(key.isdigit() for key in keys):
            self._load_by_position(store, keys)
            return
        for key in keys:
            value = np.asarray(store[key])
            if key == _SCALE_KEY:
                if self.scale is not None:
                    self.scale.assign(value)
            elif key.startswith("counter:"):
                name = unquote(key.removeprefix("counter:"))
                self.counter(name, value.tolist()).assign(value)

    def _load_by_position(self, store, keys):
        # Written by keras_lrs 0.x before the counters were saved by name:
        # the scale first, then the counters in their order of creation.
        variables = [self.scale] if self.scale is not None else []
        variables += list(self.counters.values())
        if len(variables) != len(keys):
            warnings.warn(
                "The learning-rate callbacks' state in this checkpoint was "
                "saved by an earlier keras_lrs and does not match this "
                "model's; it is not read back.",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])


def check_counters(counters):
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
