"""Keras optimizers whose momentum, beta_1 and weight decay may be schedules.

One mechanism, `scheduled(keras_class)`, makes each class: the optimizer
keeps the schedules under the attribute names Keras uses (`momentum`,
`beta_1`, `weight_decay`...) and, for the length of each optimizer step,
exposes instead their values at the step Keras passes to the
learning-rate schedule (`compat.batch_counter`). Keras's own update rule
then reads tensors, evaluated inside the compiled train step: the
schedules are functions of the optimizer's `iterations`, a variable it
tracks, so nothing is frozen into a JAX step and nothing is read back to
the host. SGD and RMSprop branch on their momentum in Python: see
`MomentumBranch`.

Covered: the classes of `_SCHEDULABLE`, those a Keras version has. Left
out: `ScheduleFreeAdamW`, whose rule recovers its average from its
iterate by dividing by this step's `beta_1` (which must be the one of the
previous step), and the wrappers (`LossScaleOptimizer`, `MultiOptimizer`),
which take the optimizers of this module.

Keras internals this overrides or reads, guarded by the tests on every
backend and on Keras 3.3: `_backend_apply_gradients` (every backend's step
goes through it), `_apply_weight_decay` (Keras 3.3 calls it before),
`_backend_update_step`, `build`; it reads, through `keras_lrs.compat`,
SGD's `momentums` / RMSprop's `_momentums` and the batch counter, and sets
the scheduled attributes past Keras's tracking.
On PyTorch, with a schedule, the update is Keras's per-variable rule
instead of its fused one (see `_backend_update_step`).
"""

import inspect

import keras
from keras import ops

from keras_lrs import compat
from keras_lrs.optimizers.checks import check_schedule, reject_schedules
from keras_lrs.optimizers.multipliers import LearningRateMultipliers
from keras_lrs.schedules.introspection import resolve_lengths
from keras_lrs.schedules.step_math import LearningRateSchedule

# The attributes a schedule may stand for, by Keras class (those a Keras
# version lacks are left out: Lamb came with Keras 3.5 and Muon with 3.10,
# whose Muon has no `adam_weight_decay`).
_SCHEDULABLE = {
    "SGD": ("momentum", "weight_decay"),
    "RMSprop": ("momentum", "weight_decay"),
    "Adam": ("beta_1", "weight_decay"),
    "AdamW": ("beta_1", "weight_decay"),
    "Nadam": ("beta_1", "weight_decay"),
    "Adamax": ("beta_1", "weight_decay"),
    "Lion": ("beta_1", "weight_decay"),
    "Lamb": ("beta_1", "weight_decay"),
    "Muon": ("momentum", "adam_beta_1", "weight_decay", "adam_weight_decay"),
    "Adagrad": ("weight_decay",),
    "Adadelta": ("weight_decay",),
    "Adafactor": ("weight_decay",),
    "Ftrl": ("weight_decay",),
}

# The classes that branch on their momentum in Python (`MomentumBranch`).
_MOMENTUM_BRANCH = ("SGD", "RMSprop")

# The float Keras's constructor and `build` see for a scheduled
# hyperparameter: a valid value, non-zero so that SGD and RMSprop create
# their momentum slots.
_STAND_IN = 0.5


class ScheduledHyperparameters:
    """The mixin behind every class of `keras_lrs.optimizers`."""

    _schedulable = ()

    def __init__(self, *args, **kwargs):
        arguments = inspect.signature(type(self)._keras_init).bind(
            self, *args, **kwargs
        ).arguments
        arguments.pop("self")
        extra = arguments.pop("kwargs", {})
        reject_schedules(type(self).__name__, {**arguments, **extra},
                          self._schedulable)
        schedules = {
            name: check_schedule(name, value)
            for name, value in arguments.items()
            if name in self._schedulable
            and isinstance(value, LearningRateSchedule)
        }
        for name in schedules:
            arguments[name] = _STAND_IN
        super().__init__(**arguments, **extra)
        compat.set_untracked(self, "_hyperparameter_schedules", schedules)
        for name, schedule in schedules.items():
            compat.set_untracked(self, name, schedule)

    def _exposed(self, values):
        """Sets the attributes in `values` for the block, then restores them."""
        return compat.untracked_set(self, values)

    def build(self, var_list):
        with self._exposed(_stand_ins(self._hyperparameter_schedules)):
            super().build(var_list)

    def resolve_lengths(self, total_steps):
        """Sizes the hyperparameter schedules whose lengths are left to the
        training (`Schedule.resolve`), as `fit` does the learning rate."""
        schedules = self._hyperparameter_schedules
        for name, schedule in schedules.items():
            schedules[name] = resolve_lengths(schedule, total_steps)
            compat.set_untracked(self, name, schedules[name])

    def scheduled_values(self, step=None):
        """{name: float32 tensor}: each schedule's value at `step`.

        `step` defaults to the step of the next update, the one Keras calls
        the learning-rate schedule with.
        """
        if step is None:
            step = compat.batch_counter(self)
        return {
            name: ops.cast(schedule(step), "float32")
            for name, schedule in self._hyperparameter_schedules.items()
        }

    def _backend_apply_gradients(self, grads, trainable_variables):
        if not self._hyperparameter_schedules:
            return super()._backend_apply_gradients(grads, trainable_variables)
        with self._exposed(self.scheduled_values()):
            return super()._backend_apply_gradients(grads, trainable_variables)

    def _apply_weight_decay(self, variables):
        # Keras 3.3 applies the weight decay before `_backend_apply_gradients`.
        if "weight_decay" not in self._hyperparameter_schedules:
            return super()._apply_weight_decay(variables)
        with self._exposed(self.scheduled_values()):
            return super()._apply_weight_decay(variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if not self._hyperparameter_schedules or keras.backend.backend() != "torch":
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate
            )
        # Keras's fused PyTorch updates take hyperparameters as Python
        # numbers (`alpha=1 - self.beta_1`): a tensor there is read back to
        # the host every step, a graph break in the compiled step. Keras's
        # own per-variable rule (the one TensorFlow and JAX run) takes
        # tensors: the `_backend_update_step` that Keras's fused class
        # (`TorchParallelOptimizer`) overrides, e.g. Nadam's.
        import torch

        fused = next(
            (c for c in type(self).__mro__ if c.__name__ == "TorchParallelOptimizer"),
            None,
        )
        if fused is None:  # not a fused class, e.g. Adadelta
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate
            )
        with torch.no_grad():
            super(fused, self)._backend_update_step(
                grads, trainable_variables, learning_rate
            )

    def get_config(self):
        config = super().get_config()
        for name, schedule in self._hyperparameter_schedules.items():
            config[name] = keras.optimizers.schedules.serialize(schedule)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in cls._schedulable:
            if isinstance(config.get(name), dict):
                config[name] = keras.optimizers.schedules.deserialize(
                    config[name], custom_objects=custom_objects
                )
        return super().from_config(config, custom_objects=custom_objects)


class MomentumBranch(ScheduledHyperparameters):
    """The mixin for SGD and RMSprop, which choose their update in Python.

    They branch on `if self.momentum > 0`, which a tensor cannot answer
    inside a compiled step. With a scheduled momentum `mu`, the step's
    momentum is factored out of Keras's rule: each momentum slot `m` is
    first multiplied by `mu`, then Keras's update runs with momentum 1.0
    (`1.0 * x == x` exactly, so this is Keras's rule fed the scheduled
    value, on PyTorch's fused update too). Nesterov SGD reads the momentum
    a second time, `var += mu * m - lr * g` after `m = mu * m - lr * g`;
    run with 1.0 it adds `m - lr * g`, so the rest, `(mu - 1) * m`, is
    added to the variable after Keras's update (the same formula, one
    rounding more).
    """

    def _backend_apply_gradients(self, grads, trainable_variables):
        if "momentum" not in self._hyperparameter_schedules:
            return super()._backend_apply_gradients(grads, trainable_variables)
        values = {**self.scheduled_values(), "momentum": 1.0}
        with self._exposed(values):
            # The grandparent's: the values above, not the parent's.
            return super(ScheduledHyperparameters, self)._backend_apply_gradients(
                grads, trainable_variables
            )

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        schedule = self._hyperparameter_schedules.get("momentum")
        if schedule is None:
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate
            )
        momentum = ops.cast(schedule(compat.batch_counter(self)), "float32")
        slots = compat.momentum_slots(self, trainable_variables)
        for slot in slots:
            slot.assign(slot * ops.cast(momentum, slot.dtype))
        super()._backend_update_step(grads, trainable_variables, learning_rate)
        if getattr(self, "nesterov", False):
            for variable, slot in zip(trainable_variables, slots):
                variable.assign_add(slot * ops.cast(momentum - 1.0, slot.dtype))


def _stand_ins(schedules):
    return dict.fromkeys(schedules, _STAND_IN)


def _without_examples(doc):
    """Keras's docstring up to its examples, which are Keras's to test."""
    lines = doc.splitlines()
    end = next((i for i, line in enumerate(lines) if ">>>" in line), len(lines))
    while end and lines[end - 1].strip().lower() in ("", "example:", "examples:", "usage:"):
        end -= 1
    return "\n".join(lines[:end])


def scheduled(keras_class):
    """The keras_lrs version of a Keras optimizer class (same name, args)."""
    name = keras_class.__name__
    # On PyTorch, Keras swaps its own classes for fused ones in `__new__`,
    # but not a subclass: the class it would build is the one to extend.
    backend_class = compat.backend_class(keras_class)
    arguments = inspect.signature(keras_class.__init__).parameters
    schedulable = tuple(n for n in _SCHEDULABLE[name] if n in arguments)
    mixin = MomentumBranch if name in _MOMENTUM_BRANCH else ScheduledHyperparameters
    body = {
        "__module__": __name__.rpartition(".")[0],
        "__qualname__": name,
        "__doc__": (
            f"Keras's `{name}`, where {', '.join(f'`{n}`' for n in schedulable)}"
            " may also be a `LearningRateSchedule`, evaluated at the optimizer"
            " step inside the compiled train step, and"
            " `learning_rate_multipliers` gives groups of variables their own"
            " rates (`keras_lrs.optimizers.multipliers`).\n\n"
            + _without_examples(keras_class.__doc__ or "")
        ),
        "_schedulable": schedulable,
        "_keras_init": keras_class.__init__,
    }
    cls = type(name, (LearningRateMultipliers, mixin, backend_class), body)
    return keras.saving.register_keras_serializable(package="keras_lrs")(cls)
