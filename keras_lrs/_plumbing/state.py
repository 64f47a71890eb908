"""Counters a callback keeps with the optimizer, saved with its weights."""

import keras
import numpy as np
from keras import ops


class CallbackState(keras.layers.Layer):
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
