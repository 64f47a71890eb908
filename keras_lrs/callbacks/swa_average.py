"""The running average of stochastic weight averaging, saved with the optimizer."""

import keras
from keras import ops

_STATE_ATTRIBUTE = "_keras_lrs_swa"


class AveragingState(keras.layers.Layer):
    """The average of the weights, its count and the last averaged epoch.

    Held by the optimizer, so Keras's weight saving stores it with the
    optimizer's weights (`model.save`, `save_weights`, `BackupAndRestore`);
    `keras_lrs.load_model` gives a loaded optimizer the place for it.
    """

    def __init__(self, weights, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32",
            trainable=False, name="count",
        )
        self.last_epoch = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(-1),
            dtype="int32", trainable=False, name="last_epoch",
        )
        self.average = [
            self.add_weight(
                shape=weight.shape, initializer="zeros", dtype="float32",
                trainable=False, name=f"average_{i}",
            )
            for i, weight in enumerate(weights)
        ]

    def load_own_variables(self, store):
        # Weights saved without an average (before averaging was set up)
        # leave it empty instead of failing the whole load.
        if not list(store.keys()):
            self.reset()
            return
        super().load_own_variables(store)

    def reset(self):
        self.count.assign(0)
        self.last_epoch.assign(-1)

    def count_value(self):
        return int(ops.convert_to_numpy(self.count))

    def last_epoch_value(self):
        return int(ops.convert_to_numpy(self.last_epoch))

    def add(self, model, epoch):
        count = self.count_value() + 1
        for average, weight in zip(self.average, averaged_weights(model)):
            old = ops.convert_to_numpy(average).astype("float64")
            new = ops.convert_to_numpy(weight).astype("float64")
            average.assign((old + (new - old) / count).astype("float32"))
        self.count.assign(count)
        self.last_epoch.assign(epoch)

    def swap_into(self, model):
        """Puts the average in the model; returns the weights it replaced."""
        replaced = []
        for average, weight in zip(self.average, averaged_weights(model)):
            replaced.append(ops.convert_to_numpy(weight))
            # A copy: on JAX the same buffer in two variables would be
            # deleted from both when the train step donates the weight's.
            weight.assign(ops.convert_to_numpy(average).astype(weight.dtype))
        return replaced


def averaged_weights(model):
    """The model's weights that are averaged: all of its float weights."""
    return [
        weight for weight in model.weights
        if "float" in keras.backend.standardize_dtype(weight.dtype)
    ]


def averaging_state(model):
    """The `AveragingState` held by the model's optimizer, made on first use."""
    optimizer = model.optimizer
    state = getattr(optimizer, _STATE_ATTRIBUTE, None)
    weights = averaged_weights(model)
    if state is None or [tuple(v.shape) for v in state.average] != [
        tuple(w.shape) for w in weights
    ]:
        state = AveragingState(weights, name="keras_lrs_swa")
        setattr(optimizer, _STATE_ATTRIBUTE, state)
    return state
