"""Everything keras_lrs reads or writes of Keras beyond its public API.

A package for its length: `compat.fit` (the running `fit`) and
`compat.processes` (several processes), whose names are taken here.

The library supports every Keras from 3.3 (what TensorFlow 2.16 installs)
to the newest; each private attribute it touches, and each difference
between those versions that matters to it, is here and nowhere else:

- `optimizer._learning_rate`: the schedule or variable an optimizer holds
  (its public `learning_rate` is the value at the current step), and
  `optimizer._get_current_learning_rate`, which Keras's weight decay reads
  (scaled for a group of variables by `scaled_learning_rate`).
- `optimizer._get_variable_index`: a variable's position in the optimizer.
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
- The start of `fit`: `keras.callbacks.CallbackList.on_train_begin`, which
  only `fit` calls, is wrapped once (`run_at_fit_start`) to size schedules
  to the training, and `model.train_function` made again
  (`rebuild_train_function`) when a schedule was swapped.
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
import re

import keras

from keras_lrs.compat.fit import (  # noqa: F401  (compat's names)
    fit_callbacks,
    rebuild_train_function,
    run_at_fit_start,
)
from keras_lrs.compat.processes import distribution_scope, is_first_process  # noqa: F401

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


def variable_index(optimizer, variable):
    """The position of `variable` among the optimizer's variables."""
    return optimizer._get_variable_index(variable)


@contextlib.contextmanager
def scaled_learning_rate(optimizer, factor):
    """For the block, the optimizer's current rate (what its weight decay
    reads on every backend) is multiplied by `factor`."""
    name = "_get_current_learning_rate"
    saved = optimizer.__dict__.get(name)
    current = getattr(optimizer, name)
    optimizer.__dict__[name] = lambda: current() * factor
    try:
        yield
    finally:
        if saved is None:
            del optimizer.__dict__[name]
        else:
            optimizer.__dict__[name] = saved


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
