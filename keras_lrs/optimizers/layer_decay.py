"""`layer_decay`: the multipliers of layer-wise learning-rate decay."""

import math
import os
import re

import keras


def layer_decay(model, decay):
    """The `learning_rate_multipliers` of layer-wise rate decay.

    The layers that own trainable weights, in the model's order (a nested
    model, such as a pretrained backbone used as a layer, is replaced by
    its own layers), get the multipliers `decay**(n - 1)`, ..., `decay**2`,
    `decay`, `1`: the last layer (the head) trains at the optimizer's rate,
    each layer before it at `decay` times the rate of the next, as in
    ELECTRA's and BEiT's fine-tuning (Clark et al., 2020; Bao et al., 2021)
    and timm's `param_groups_layer_decay`.

    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
    ...     8, name="body"), keras.layers.Dense(2, name="head")])
    >>> multipliers = keras_lrs.optimizers.layer_decay(model, 0.7)
    >>> list(multipliers.values())
    [0.7, 1.0]

    Args:
        model: a built Keras model.
        decay: a float in (0, 1]; 1 gives every layer the same rate.

    Returns:
        An ordered dict from an expression matching exactly the paths of one
        layer's trainable weights to that layer's multiplier.
    """
    if not (isinstance(decay, (int, float)) and 0 < decay <= 1) or isinstance(decay, bool):
        raise ValueError(f"Argument `decay` must be in (0, 1]. Received: decay={decay!r}")
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError(
            f"Argument `model` must be a built Keras model. Received: model={model!r}"
        )
    owners = [layer for layer in _leaf_layers(model) if layer.trainable_weights]
    paths = [variable.path for variable in model.trainable_weights]
    n = len(owners)
    return {
        _expression(layer, paths): math.pow(decay, n - 1 - i)
        for i, layer in enumerate(owners)
    }


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _expression(layer, all_paths):
    """The layer's weights' common folder and anything under it, or where
    that would match another layer's weight, their paths one by one."""
    paths = [variable.path for variable in layer.trainable_weights]
    folder = os.path.commonpath([path.rpartition("/")[0] or "." for path in paths])
    expression = re.escape(folder) + "/.+"
    matched = [path for path in all_paths if re.fullmatch(expression, path)]
    if folder in ("", ".") or sorted(matched) != sorted(paths):
        expression = "|".join(re.escape(path) for path in paths)
    return expression
