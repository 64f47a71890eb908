"""The rate phase of stochastic weight averaging, as a schedule."""

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import (
    check_choice,
    check_non_negative,
    check_schedule,
    check_steps,
)
from keras_lrs.schedules.introspection import warmup_steps
from keras_lrs.schedules.step_math import anneal, as_float, as_tensor, evaluate


@register
class SWASchedule(Schedule):
    """A schedule, then PyTorch's `SWALR` applied per step from `start_step`.

    For `t < start_step`: `schedule(t)`. From `start_step` on, with
    `k = t - start_step`, `A = annealing_steps`, `r0 = schedule(start_step)`
    (the rate at the first step of the averaging phase) and
    `f = min(1, k / A)` (`f = 1` for `A = 0`):

        alpha = (1 - cos(pi * f)) / 2     ("cosine")
        alpha = f                         ("linear")
        value = swa_learning_rate * alpha + r0 * (1 - alpha)

    which is the rate of `torch.optim.swa_utils.SWALR(optimizer,
    swa_learning_rate, anneal_epochs=A, anneal_strategy=shape)` after `k`
    calls of its `step()`, started from the rate `r0`. With `A = 0` (as in
    PyTorch) the rate is `swa_learning_rate` from `start_step` on. A pure function of the step: it runs in the
    compiled train step. `StochasticWeightAveraging` builds it from epochs;
    it is rarely built by hand.

    Args:
        schedule: the rate before the phase, any `LearningRateSchedule` or
            a constant rate.
        start_step: the first step of the phase, an integer >= 0.
        swa_learning_rate: the rate reached at the end of the annealing,
            a float >= 0.
        annealing_steps: `A`, an integer >= 0.
        shape: "cosine" or "linear".
        name: optional name of the schedule.
    """

    def __init__(
        self,
        schedule,
        start_step,
        swa_learning_rate,
        annealing_steps=0,
        shape="cosine",
        name=None,
    ):
        super().__init__(name=name)
        self.schedule = check_schedule("schedule", schedule)
        self.start_step = check_steps("start_step", start_step, minimum=0)
        self.swa_learning_rate = check_non_negative(
            "swa_learning_rate", swa_learning_rate
        )
        self.annealing_steps = check_steps(
            "annealing_steps", annealing_steps, minimum=0
        )
        self.shape = check_choice("shape", shape, {"cosine", "linear"})

    def formula(self, step):
        start = ops.zeros_like(step) + as_tensor(self.start_step, step.dtype)
        before = evaluate(self.schedule, step)
        at_start = evaluate(self.schedule, start)
        local = ops.maximum(step - start, ops.zeros_like(step))
        if self.annealing_steps:
            fraction = as_float(local) / self.annealing_steps
        else:  # PyTorch's SWALR with anneal_epochs=0
            fraction = ops.ones_like(as_float(local))
        averaging = anneal(
            self.shape, at_start, self.swa_learning_rate, fraction
        )
        return ops.where(step >= start, averaging, before)

    @property
    def warmup_steps(self):
        """The schedule's warmup, up to the start of the phase."""
        return min(warmup_steps(self.schedule), self.start_step)
