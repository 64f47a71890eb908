"""The rate phase of stochastic weight averaging, put into the optimizers.

Each rate holder (`rate_holders`: the optimizer, the one a
`LossScaleOptimizer` wraps, or each of a `MultiOptimizer`'s) gets an
`SWASchedule` around its schedule. With `ReduceLROnPlateau`, in either
callback order, the two nest as `ScaledSchedule(SWASchedule(...))`: the
plateau's scale multiplies the whole rate, the SWA phase included.

A float learning rate first becomes `ScaledSchedule(1.0)` whose scale is
the optimizer's own rate variable (tracked by the optimizer, not saved
among its variables, as a model compiled with a schedule has none), so a
plateau reduction of the float rate still applies; the SWA target is then
relative to it. A `ScaledSchedule` around a constant is read that way
when the phase is installed again (a second `fit`, or a model reloaded
from its config), so no flag needs saving.
"""

from keras import ops

from keras_lrs import compat
from keras_lrs._plumbing.hidden_variables import track_but_do_not_save
from keras_lrs._plumbing.rates import rate_holders
from keras_lrs._plumbing.scaled_schedule import ScaledSchedule
from keras_lrs.schedules.step_math import LearningRateSchedule
from keras_lrs.schedules.swa import SWASchedule


def float_rates_as_scales(model):
    """Turns each float rate into `ScaledSchedule(1.0)` scaled by the rate."""
    for holder in rate_holders(model.optimizer):
        variable = compat.held_rate(holder)
        if not compat.is_variable(variable):
            continue
        value = float(ops.convert_to_numpy(variable))
        if value <= 0:
            raise ValueError(
                "StochasticWeightAveraging's `swa_learning_rate` needs a "
                f"learning rate > 0 to anneal from. Received: learning_rate={value}"
            )
        rate = ScaledSchedule.scaled_by(variable)
        compat.untrack_variable(holder, variable)
        compat.hold_rate(holder, rate)
        track_but_do_not_save(model.optimizer, holder, variable)
        compat.reset_train_function(model)


def install_rate_phase(model, start_step, annealing_steps, swa_learning_rate, shape):
    """Puts an `SWASchedule` around each holder's schedule (once: a second
    `fit`, or a reloaded model, has its phase replaced)."""
    for holder in rate_holders(model.optimizer):
        rate = compat.held_rate(holder)
        outer = rate if isinstance(rate, ScaledSchedule) else None
        inner = outer.schedule if outer is not None else rate
        if isinstance(inner, SWASchedule):
            inner = inner.schedule
        target = swa_learning_rate
        if outer is not None and not isinstance(inner, LearningRateSchedule):
            # A float rate as `scale * SWASchedule(1.0, ...)` (as made by
            # `float_rates_as_scales`, or reloaded from its config): the
            # target is relative to the scale.
            target = swa_learning_rate / outer.scale
        elif not isinstance(inner, LearningRateSchedule):
            raise ValueError(
                "StochasticWeightAveraging needs an optimizer whose learning "
                "rate is a float or a LearningRateSchedule. "
                f"Received: learning_rate={inner!r}"
            )
        phase = SWASchedule(
            inner,
            start_step=start_step,
            swa_learning_rate=target,
            annealing_steps=annealing_steps,
            shape=shape,
        )
        if outer is not None:
            outer.schedule = phase
        else:
            compat.hold_rate(holder, phase)
    compat.reset_train_function(model)  # compiled again with the phase
