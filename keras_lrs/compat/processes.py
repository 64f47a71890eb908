"""Which process of a multi-process training this is, and the
`tf.distribute` strategy of a TensorFlow model (part of `keras_lrs.compat`).
"""

import contextlib
import sys

import keras


def is_first_process(model=None):
    """Whether this process writes files and prints: JAX process 0, the
    chief of `model`'s `tf.distribute` strategy (worker 0 if the cluster has
    no "chief"), PyTorch rank 0; True in a one-process training."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.process_index() == 0
    distributed = sys.modules.get("torch.distributed")
    if backend == "torch" and distributed and distributed.is_available():
        return not distributed.is_initialized() or distributed.get_rank() == 0
    resolver = getattr(_strategy(model), "cluster_resolver", None)
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not cluster or resolver.task_type == "chief":
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in cluster


def distribution_scope(model):
    """The scope of the `tf.distribute` strategy `model` was built under
    (`distribute_strategy`), where variables made for it must be made; a
    null context on other backends or inside a strategy's scope already."""
    strategy = _strategy(model)
    if strategy is None or sys.modules["tensorflow"].distribute.has_strategy():
        return contextlib.nullcontext()
    return strategy.scope()


def _strategy(model):
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
