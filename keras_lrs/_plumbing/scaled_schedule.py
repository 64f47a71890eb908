"""A schedule multiplied by a scale that `ReduceLROnPlateau` lowers.

The scale is a variable that the optimizer tracks (see
`keras_lrs._plumbing.rates.enable_scaling`): on JAX the compiled
step is a pure function of the optimizer's variables, and a variable it
does not track would be frozen into it as a constant. A freshly loaded
optimizer has only Keras's own variables, so the scale is kept out of the
optimizer's saved list (`hidden_variables`); it belongs instead to the
`CallbackState` of the schedule, which the optimizer holds (the weights,
for checkpoints such as `BackupAndRestore`), and the config records its
value (for `keras.models.load_model`), as an optimizer's config records a
float rate.
"""

import keras
from keras import ops

from keras_lrs._plumbing.state import CallbackState, check_counters
from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import check_non_negative, check_schedule
from keras_lrs.schedules.introspection import warmup_steps
from keras_lrs.schedules.lengths import resolved
from keras_lrs.schedules.step_math import evaluate


@register
class ScaledSchedule(Schedule):
    """A schedule multiplied by a scale that can change during training.

    Value: `schedule(t) * scale`. `scale` is held in a non-trainable
    variable (`scale_variable`); the config records its current value, so
    a saved model reloads with the reduced rate.
    `ReduceLROnPlateau` puts one around the optimizer's schedule; it is
    rarely built by hand.

    Args:
        schedule: any `LearningRateSchedule`, or a constant rate.
        scale: the initial multiplier, a float >= 0.
        name: optional name of the schedule.
    """

    reads_variables = True  # the scale

    def __init__(self, schedule, scale=1.0, name=None):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.scale_variable = keras.Variable(
            check_non_negative("scale", scale),
            dtype="float32",
            trainable=False,
            name="learning_rate_scale",
        )
        self.state = CallbackState(name="keras_lrs_state")
        self.state.scale = self.scale_variable

    @classmethod
    def from_config(cls, config):
        # keras_lrs 0.x recorded the callbacks' counters here too; a file it
        # saved is read with them.
        config = dict(config)
        counters = check_counters(config.pop("counters", None))
        schedule = super().from_config(config)
        schedule.state.restore(counters)
        return schedule

    @classmethod
    def scaled_by(cls, variable, schedule=1.0):
        """`schedule * variable`: the scale is `variable` itself, such as an
        optimizer's float rate, so that what assigns it (a plateau
        reduction of the float rate) changes this schedule's value."""
        scaled = cls(schedule, scale=float(ops.convert_to_numpy(variable)))
        scaled.scale_variable = scaled.state.scale = variable
        return scaled

    @property
    def scale(self):
        return float(ops.convert_to_numpy(self.scale_variable))

    @property
    def counters(self):
        return self.state.values()

    def formula(self, step):
        return evaluate(self.schedule, step) * ops.cast(
            self.scale_variable, "float32"
        )

    @property
    def warmup_steps(self):
        return warmup_steps(self.schedule)

    def _resolve(self, whole, rest):
        """Resolves the schedule it scales, in place: the scale is the
        optimizer's variable (and may be its float rate), kept as it is."""
        self.schedule = resolved(self.schedule, whole, rest)
        return self
