"""Recompute batch normalization statistics for given weights (PyTorch's update_bn)."""

import collections.abc

import keras
import numpy as np
from keras import ops

from keras_lrs import compat
from keras_lrs.schedules.checks import check_steps

_DEFAULT_BATCH_SIZE = 32


def update_batch_norm(model, x, batch_size=None, steps=None):
    """Sets batch normalization statistics to their mean over `x`.

    Every `BatchNormalization` layer's moving mean and moving variance
    become the mean, over all batches of `x`, of the batch mean and batch
    variance the layer computes in training mode (Keras's, biased), as
    PyTorch's `torch.optim.swa_utils.update_bn` does with momentum `None`.
    The model runs in training mode on each batch (dropout included, as in
    PyTorch), with each layer's momentum set to 0 for the pass so that its
    moving statistics are that batch's; the other weights are unchanged and
    the momenta are put back. Used after weight averaging, whose averaged
    weights have no statistics of their own.


    Args:
        model: a built Keras model.
        x: the inputs: an array (or a dict or list of arrays), `(x, y)` or
            `(x, y, sample_weight)`, or a dataset / iterable of such
            batches (a `tf.data.Dataset`, a `keras.utils.PyDataset`, a
            generator).
        batch_size: batch size for arrays (32 by default); not for datasets.
        steps: use at most this many batches.

    Returns:
        The model.
    """
    if batch_size is not None:
        batch_size = check_steps("batch_size", batch_size)
    if steps is not None:
        steps = check_steps("steps", steps)
    layers = batch_norm_layers(model)
    if not layers:
        return model
    batches = _batches(x, batch_size)
    momenta = [layer.momentum for layer in layers]
    sums = [None] * len(layers)
    count = 0
    try:
        for layer in layers:
            layer.momentum = 0.0
        for batch in batches:
            if steps is not None and count >= steps:
                break
            model(batch, training=True)
            count += 1
            for i, layer in enumerate(layers):
                stats = [
                    ops.convert_to_numpy(layer.moving_mean).astype("float64"),
                    ops.convert_to_numpy(layer.moving_variance).astype("float64"),
                ]
                sums[i] = stats if sums[i] is None else [
                    total + stat for total, stat in zip(sums[i], stats)
                ]
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if count == 0:
        raise ValueError(
            "Argument `x` must hold at least one batch. Received: an empty x"
        )
    for layer, (mean_sum, variance_sum) in zip(layers, sums):
        layer.moving_mean.assign(
            (mean_sum / count).astype(layer.moving_mean.dtype)
        )
        layer.moving_variance.assign(
            (variance_sum / count).astype(layer.moving_variance.dtype)
        )
    return model


def batch_norm_layers(model):
    """The model's `BatchNormalization` layers, nested ones included."""
    return [
        layer
        for layer in compat.all_layers(model)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def _is_array(value):
    return isinstance(value, np.ndarray) or (
        hasattr(value, "shape") and hasattr(value, "dtype")
        and not isinstance(value, collections.abc.Iterator)
        and keras.ops.is_tensor(value)
    )


def _is_arrays(value):
    if isinstance(value, dict):
        return bool(value) and all(map(_is_array, value.values()))
    if isinstance(value, list):
        return bool(value) and all(map(_is_array, value))
    return _is_array(value)


def _inputs(batch):
    """The model's inputs in a batch `x`, `(x, y)` or `(x, y, w)`."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return batch[0]
    return batch


def _batches(x, batch_size):
    if isinstance(x, tuple) and 1 <= len(x) <= 3 and _is_arrays(x[0]):
        x = x[0]
    if _is_arrays(x):
        size = batch_size or _DEFAULT_BATCH_SIZE
        first = next(iter(x.values())) if isinstance(x, dict) else (
            x[0] if isinstance(x, list) else x
        )
        total = int(first.shape[0])
        for begin in range(0, total, size):
            yield _slice(x, begin, begin + size)
        return
    if batch_size is not None:
        raise ValueError(
            "Argument `batch_size` must be None for a dataset (its batches "
            f"are used as they are). Received: batch_size={batch_size!r}"
        )
    if isinstance(x, (str, bytes)) or not isinstance(x, collections.abc.Iterable):
        raise ValueError(
            "Argument `x` must be an array, `(x, y)`, or a dataset of "
            f"batches. Received: x={x!r}"
        )
    if isinstance(x, keras.utils.PyDataset):
        for index in range(len(x)):
            yield _inputs(x[index])
        return
    for batch in x:
        yield _inputs(batch)


def _slice(x, begin, end):
    if isinstance(x, dict):
        return {key: value[begin:end] for key, value in x.items()}
    if isinstance(x, list):
        return [value[begin:end] for value in x]
    return x[begin:end]
