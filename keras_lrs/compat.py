"""Everything keras_lrs reads or writes of Keras beyond its public API.

The library supports every Keras from 3.3 (what TensorFlow 2.16 installs)
to the newest; each private attribute it touches, and each difference
between those versions that matters to it, is here and nowhere else:

- `optimizer._learning_rate`: the schedule or variable an optimizer holds
  (its public `learning_rate` is the value at the current step).
- The batch counter a schedule is called with. Since Keras 3.5 an optimizer
  with `gradient_accumulation_steps=A` counts batches in `_iterations` and
  updates in `iterations` (`_iterations // A`); in Keras 3.3 and 3.4 `iterations`
  counts batches and there is no `_iterations`.
- `optimizer._track_variable` / `_untrack_variable`: put a variable in the
  optimizer's state (so that JAX's compiled step reads it as a variable).
- `keras.Variable`: in Keras 3.3 the exported name is not a base class of
  the backend's variables, so `isinstance` needs the real base class.
- `Layer._flatten_layers`: a model's layers, nested ones included.
- SGD's `momentums` / RMSprop's `_momentums` and
  `optimizer._get_variable_index`: a variable's momentum slot.
- `model.train_function`: reset so that the next `fit` compiles its train
  step again (`reset_train_function`).
- Attributes set past a Keras object's `__setattr__`, which tracks what it
  is given (`set_untracked`, `untracked`, `untracked_set`), and an
  optimizer's own `save_own_variables` / `load_own_variables`
  (`override_saving`).
- The class a Keras optimizer class builds on the running backend (its
  `__new__` swaps in a fused class on PyTorch).
- The list of callbacks that `fit` runs (`keras.callbacks.CallbackList`'s
  public `callbacks` attribute), found from a callback in it.
- Which process of a multi-process training this is, and the
  `tf.distribute` strategy a TensorFlow model was built under (its public
  `distribute_strategy`), whose scope must hold any variable made for it.

Overridden, not read, by `keras_lrs.optimizers` (its module docstring says
which): `_backend_apply_gradients`, `_apply_weight_decay`,
`_backend_update_step`.

Optimizer wrappers are public in every version: a `LossScaleOptimizer`'s
`inner_optimizer`, a `MultiOptimizer`'s `optimizers` (Keras >= 3.15).
"""

import contextlib
import gc
import re
import sys

import keras

KERAS_VERSION = tuple(
    int(part) for part in re.match(r"(\d+)\.(\d+)", keras.__version__).groups()
)
if KERAS_VERSION < (3, 3):
    raise ImportError(
        "keras_lrs needs Keras 3, version 3.3 or newer "
        f"(`pip install -U keras`). Found Keras {keras.__version__}"
        + (" (Keras 2; tf_keras is not supported)." if KERAS_VERSION < (3, 0) else ".")
    )

MultiOptimizer = getattr(keras.optimizers, "MultiOptimizer", None)


def is_variable(value):
    """Whether `value` is a Keras variable (on any backend and version).

    In Keras 3.3, `keras.Variable` is not a base class of the backends'
    variables; their common base is named `KerasVariable` in every version.
    """
    return isinstance(value, keras.Variable) or any(
        cls.__name__ == "KerasVariable" and cls.__module__.startswith("keras.")
        for cls in type(value).__mro__
    )


# --- the learning rate an optimizer holds ----------------------------------


def held_rate(optimizer):
    """The optimizer's learning rate as it holds it: a schedule or a variable."""
    return optimizer._learning_rate


def hold_rate(optimizer, rate):
    """Makes the optimizer hold `rate` (a schedule, or its own variable)."""
    optimizer._learning_rate = rate


def batch_counter(optimizer):
    """The variable a schedule is called with: the batches the optimizer saw."""
    return getattr(optimizer, "_iterations", optimizer.iterations)


def accumulation_per_update(optimizer):
    """Batches per increment of `optimizer.iterations` (1 before Keras 3.5)."""
    if not hasattr(optimizer, "_iterations"):
        return 1
    return optimizer.gradient_accumulation_steps or 1


def track_variable(optimizer, variable):
    optimizer._track_variable(variable)


def untrack_variable(optimizer, variable):
    optimizer._untrack_variable(variable)


# --- the optimizers that make the updates ----------------------------------


def wrapped_optimizers(optimizer):
    """The optimizers `optimizer` hands its updates to: a
    `LossScaleOptimizer`'s `inner_optimizer`, a `MultiOptimizer`'s
    `optimizers`; none for any other optimizer."""
    inner = getattr(optimizer, "inner_optimizer", None)
    if isinstance(inner, keras.optimizers.Optimizer):
        return [inner]
    if MultiOptimizer is not None and isinstance(optimizer, MultiOptimizer):
        return list(optimizer.optimizers)
    return []


def update_optimizers(optimizer):
    """The optimizers whose learning rates the updates use, in order: those
    that wrap no other."""
    wrapped = wrapped_optimizers(optimizer)
    if not wrapped:
        return [optimizer]
    return [holder for inner in wrapped for holder in update_optimizers(inner)]


def optimizer_chain(optimizer, holder):
    """The optimizers from `optimizer` down to `holder`, which it wraps."""
    for inner in wrapped_optimizers(optimizer):
        rest = optimizer_chain(inner, holder)
        if rest[-1] is holder:
            return [optimizer, *rest]
    return [optimizer]


def is_multi_optimizer(optimizer):
    """Whether the updates are shared among a `MultiOptimizer`'s optimizers."""
    chain = optimizer_chain(optimizer, update_optimizers(optimizer)[0])
    return MultiOptimizer is not None and any(
        isinstance(link, MultiOptimizer) for link in chain
    )


def all_layers(model):
    """The model's layers, nested ones included (the model first)."""
    return list(model._flatten_layers())


def metric_direction(model, name):
    """"max", "min" or None: the direction the compiled model's metric
    `name` declares (its private `_direction`, "up" or "down"), as Keras
    3.11+ reads it for `mode="auto"`; None when no metric of that name has
    one. The last metric of that name decides, as in Keras."""
    direction = None
    for tracker in getattr(model, "metrics", []):
        # Keras's `CompileMetrics` and `MetricsList` hold the compiled
        # metrics in a `metrics` list; the loss tracker holds none.
        for metric in getattr(tracker, "metrics", None) or []:
            if metric.name == name and hasattr(metric, "_direction"):
                direction = "max" if metric._direction == "up" else "min"
    return direction
def momentum_slots(optimizer, variables):
    """The momentum slot of each of `variables` in SGD (`momentums`) or
    RMSprop (`_momentums`)."""
    slots = getattr(optimizer, "momentums", None)
    if slots is None:
        slots = optimizer._momentums
    return [slots[optimizer._get_variable_index(v)] for v in variables]


def reset_train_function(model):
    """Makes the next `fit` compile the train step again, with what the
    optimizer holds now (a new schedule object)."""
    model.train_function = None


# --- attributes past Keras's tracking ---------------------------------------


def set_untracked(obj, name, value):
    """Sets `obj.name` as it is: a Keras object's `__setattr__` would track
    the variables in it (and wrap a list or a dict)."""
    obj.__dict__[name] = value


def untracked(obj, name, default=None):
    """`obj.name` if set by `set_untracked` (or on the instance), else
    `default`; never the class's attribute."""
    return obj.__dict__.get(name, default)


@contextlib.contextmanager
def untracked_set(obj, values):
    """Sets the attributes in `values` (`set_untracked`) for the block,
    then puts back those they replaced."""
    saved = {name: obj.__dict__[name] for name in values}
    obj.__dict__.update(values)
    try:
        yield
    finally:
        obj.__dict__.update(saved)


def override_saving(optimizer, save_own_variables, load_own_variables):
    """Makes this optimizer (not its class) save and load its variables
    with the given functions of a store; once: False if it already does."""
    if "save_own_variables" in optimizer.__dict__:
        return False
    set_untracked(optimizer, "save_own_variables", save_own_variables)
    set_untracked(optimizer, "load_own_variables", load_own_variables)
    return True


def backend_class(keras_class):
    """The class `keras_class(...)` builds on the running backend: on
    PyTorch, Keras's `__new__` swaps its optimizers for fused ones."""
    return type(keras_class.__new__(keras_class))


# --- the callbacks of a fit -------------------------------------------------


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


# --- several processes ------------------------------------------------------


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
