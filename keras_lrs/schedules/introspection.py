"""What a schedule says of itself, for the code that relies on it.

Callers ask these functions, never where a class is defined:

- `reads_variables`: whether a schedule's value at a step may change from
  one call to the next (it reads a variable). Code that needs a function
  of the step alone asks it: the torch graph (`torch_graph`) and the
  callbacks' cache of a schedule's values.
- `warmup_steps`: the steps that a schedule spends warming up, which a
  wrapper (`FromEpochs`, `Sequential`, `SWASchedule`, `ScaledSchedule`)
  forwards from the schedule it wraps, converted to its own steps.
"""

import keras

from keras_lrs import compat

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule

# Keras's own schedules, which state nothing: functions of the step and of
# their constructor's arguments.
_KERAS_STEP_ONLY = tuple(
    getattr(keras.optimizers.schedules, name)
    for name in (
        "CosineDecay",
        "CosineDecayRestarts",
        "ExponentialDecay",
        "InverseTimeDecay",
        "PiecewiseConstantDecay",
        "PolynomialDecay",
    )
)


def reads_variables(schedule):
    """Whether `schedule`, or one nested in it, may read a variable.

    A keras_lrs schedule states it in its class attribute `reads_variables`
    (False in `Schedule`, True in `ScaledSchedule`), and is read through
    its nested schedules too (its constructor's arguments); a variable
    given as a constant rate reads one. Keras's own schedule classes read
    none; any other schedule (a user's class that states nothing) may.
    """
    if isinstance(schedule, (list, tuple)):
        return any(map(reads_variables, schedule))
    if compat.is_variable(schedule):
        return True
    if not isinstance(schedule, LearningRateSchedule):
        return False  # a constant
    stated = getattr(schedule, "reads_variables", None)
    if stated is None:
        return type(schedule) not in _KERAS_STEP_ONLY
    if stated:
        return True
    arguments = getattr(schedule, "_arguments", None)  # a keras_lrs Schedule's
    if arguments is None:
        return False
    return any(map(reads_variables, arguments().values()))


def warmup_steps(schedule):
    """The steps before `schedule`'s warmup ends: its `warmup_steps` (as
    `Warmup`, `WarmupStableDecay` or Keras's `CosineDecay` have, and the
    wrappers forward); 0 for a schedule without a warmup or a constant."""
    return getattr(schedule, "warmup_steps", 0) or 0
