"""Counters a callback keeps with the optimizer, saved with its weights."""

import keras
import numpy as np
from keras import ops


class CallbackState(keras.layers.Layer):
    """Variables a callback keeps with the optimizer, saved with its weights.

    Held as an attribute of the optimizer, so Keras's weight saving (which
    walks the optimizer's attributes) stores and restores it: `model.save`,
    `save_weights` and `BackupAndRestore` checkpoints. With a schedule, the
    state is its `ScaledSchedule`'s, whose config records `values()`, so
    that a model loaded from `.keras` by `keras.models.load_model` (a fresh
    optimizer, which Keras gives no place for it) gets it back: one object,
    read from whichever of the two a load has, never merged. The weights
    alone cannot serve `load_model`: Keras's saving skips every attribute
    a plain `Optimizer` has (`_learning_rate`, where the schedule is,
    among them), and the fresh optimizer has none of ours to load into.

    Counters are int32 (a scalar or a vector).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.counters = {}

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
                name=name,
            )
        return self.counters[name]

    def values(self):
        """{name: int or list of ints}: every counter's current value."""
        return {
            name: ops.convert_to_numpy(variable).tolist()
            for name, variable in self.counters.items()
        }


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
