"""The thin base class of every keras_lrs schedule.

A schedule is its formula plus its argument checks: `Schedule` casts the step,
builds `get_config` from the constructor's arguments and (de)serializes nested
schedules, so subclasses write `__init__` (checks from
`keras_lrs.schedules.checks`, then one attribute per argument, under the
argument's own name) and `formula(step)`, with the helpers of
`keras_lrs.schedules.step_math`.
"""

import inspect

import keras
from keras import ops

from keras_lrs.schedules.step_math import LearningRateSchedule, is_integer
from keras_lrs.schedules.torch_graph import torch_graph_value

def register(cls):
    """Registers a schedule class for saving under the package `keras_lrs`."""
    return keras.saving.register_keras_serializable(package="keras_lrs")(cls)


class _ScheduleType(type):
    """Completes a schedule once its whole constructor has run."""

    def __call__(cls, *args, **kwargs):
        schedule = super().__call__(*args, **kwargs)
        schedule._torch_graph_value = torch_graph_value(schedule)
        return schedule


class Schedule(LearningRateSchedule, metaclass=_ScheduleType):
    """Base class: a pure function of the optimizer step, written in `keras.ops`.

    Subclasses implement `formula(step)`. `step` arrives as a tensor, either an
    integer tensor (the optimizer's `iterations`, kept integral so periodic
    phases stay exact at large steps) or a float32 tensor (a fractional step,
    e.g. epochs from `FromEpochs`). It may have any shape: formulas are
    elementwise, which is what lets `schedule_values` evaluate a whole curve at
    once.

    `reads_variables` states whether `formula` may read a variable (its
    value at a step may then change between calls); a subclass that does
    sets it to True, and the code that needs a function of the step alone
    (the torch graph, the callbacks' cache of values) asks it, through
    `keras_lrs.schedules.introspection.reads_variables`.
    """

    reads_variables = False

    def __init__(self, name=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(
                f"Argument `name` must be a string. Received: name={name!r}"
            )
        self.name = name

    def __call__(self, step):
        step = ops.convert_to_tensor(step)
        if self._torch_graph_value is not None:
            return self._torch_graph_value(step)
        return self._value(step)

    def _value(self, step):
        if not is_integer(step):
            step = ops.cast(step, "float32")
        return ops.cast(self.formula(step), "float32")

    def __getstate__(self):
        state = dict(vars(self))
        state.pop("_torch_graph_value", None)  # a function made for this object
        return state

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)
        self._torch_graph_value = torch_graph_value(self)

    def formula(self, step):
        raise NotImplementedError(
            f"Schedule '{type(self).__name__}' must implement `formula(step)`."
        )

    def _arguments(self):
        """The constructor's arguments, each read from its own attribute."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def get_config(self):
        return {
            name: _serialize(value)
            for name, value in self._arguments().items()
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{key: _deserialize(value) for key, value in config.items()})

    def __repr__(self):
        arguments = ", ".join(
            f"{name}={value!r}"
            for name, value in self._arguments().items()
            if name != "name" or value is not None
        )
        return f"{type(self).__name__}({arguments})"


def _serialize(value):
    if isinstance(value, LearningRateSchedule):
        return keras.optimizers.schedules.serialize(value)
    if isinstance(value, (list, tuple)):
        return [_serialize(item) for item in value]
    return value


def _deserialize(value):
    if isinstance(value, dict) and "class_name" in value:
        return keras.optimizers.schedules.deserialize(value)
    if isinstance(value, list):
        return [_deserialize(item) for item in value]
    return value
