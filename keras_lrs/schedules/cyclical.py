"""Cyclical learning rates (Smith, 2017), as PyTorch's `CyclicLR`, and their momentum."""

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import (
    check_choice,
    check_factor,
    check_momenta,
    check_non_negative,
    check_steps,
    check_steps_total,
)
from keras_lrs.schedules.step_math import power, split_period


@register
class Cyclical(Schedule):
    """Cyclical learning rates: a triangle wave between two rates.

    Values are exactly those of PyTorch's `CyclicLR` after `t` steps. A cycle
    rises from `base` to `max` over `step_size_up` steps and falls back over
    `step_size_down`; the amplitude is scaled by 1 (`triangular`), halved
    every cycle (`triangular2`) or multiplied by `gamma**t` (`exp_range`).
    The phase is taken in integer arithmetic, exact up to step 2**31 - 1.

    >>> schedule = keras_lrs.schedules.Cyclical(0.0, 1.0, step_size_up=2)
    >>> keras_lrs.schedule_values(schedule, 5)
    array([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)

    Args:
        base_learning_rate: the bottom of the wave, a float >= 0.
        max_learning_rate: the top of the wave, `>= base_learning_rate`.
        step_size_up: steps from bottom to top, an integer > 0.
        step_size_down: steps from top to bottom; `step_size_up` if None.
        mode: "triangular", "triangular2" or "exp_range".
        gamma: the factor of `exp_range` per step, in (0, 1].
        name: optional name of the schedule.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks",
    WACV 2017.
    """

    def __init__(
        self,
        base_learning_rate,
        max_learning_rate,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        name=None,
    ):
        super().__init__(name=name)
        self.base_learning_rate = check_non_negative(
            "base_learning_rate", base_learning_rate
        )
        self.max_learning_rate = check_non_negative(
            "max_learning_rate", max_learning_rate
        )
        if self.max_learning_rate < self.base_learning_rate:
            raise ValueError(
                "Argument `max_learning_rate` must be >= base_learning_rate "
                f"({self.base_learning_rate}). "
                f"Received: max_learning_rate={max_learning_rate!r}"
            )
        self.step_size_up = check_steps("step_size_up", step_size_up)
        if step_size_down is not None:
            step_size_down = check_steps("step_size_down", step_size_down)
        self.step_size_down = step_size_down
        check_steps_total(
            self.step_size_up + (step_size_down or self.step_size_up),
            "one cycle",
            step_size_up=step_size_up,
            step_size_down=step_size_down,
        )
        self.mode = check_choice(
            "mode", mode, {"triangular", "triangular2", "exp_range"}
        )
        self.gamma = check_factor("gamma", gamma)

    def momentum_schedule(self, base_momentum=0.8, max_momentum=0.9):
        """PyTorch's `CyclicLR(cycle_momentum=True)` momentum for this wave.

        The momentum moves against the rate: `max_momentum` where the rate
        is at its base, down towards `base_momentum` where it peaks, with the
        same cycle, mode and gamma.

        >>> wave = keras_lrs.schedules.Cyclical(0.0, 1.0, step_size_up=2)
        >>> keras_lrs.schedule_values(wave.momentum_schedule(), 5).round(4)
        array([0.9 , 0.85, 0.8 , 0.85, 0.9 ], dtype=float32)
        """
        return CyclicalMomentum(
            base_momentum,
            max_momentum,
            step_size_up=self.step_size_up,
            step_size_down=self.step_size_down,
            mode=self.mode,
            gamma=self.gamma,
        )

    def _bottom_and_top(self):
        """The values where the wave's height is 0 and 1."""
        return self.base_learning_rate, self.max_learning_rate

    def formula(self, step):
        up = self.step_size_up
        down = self.step_size_down or up
        cycle, offset = split_period(step, up + down)
        height = ops.where(offset <= up, offset / up, (up + down - offset) / down)
        if self.mode == "triangular2":
            height = height * power(0.5, cycle)
        elif self.mode == "exp_range":
            height = height * power(self.gamma, step)
        bottom, top = self._bottom_and_top()
        return bottom + (top - bottom) * height


@register
class CyclicalMomentum(Cyclical):
    """The momentum of cyclical learning rates, as PyTorch's `CyclicLR` cycles it.

    `Cyclical`'s wave upside down: `max_momentum` at the wave's bottom,
    `max - (max - base) * height` elsewhere (`height` scaled by the mode);
    usually made by `Cyclical.momentum_schedule`.

    Args:
        base_momentum: the momentum at the top of the wave, in [0, 1].
        max_momentum: the momentum at its bottom, in [base_momentum, 1].

    `step_size_up`, `step_size_down`, `mode`, `gamma` and `name` are
    `Cyclical`'s.
    """

    def __init__(
        self,
        base_momentum=0.8,
        max_momentum=0.9,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        name=None,
    ):
        self.base_momentum, self.max_momentum = check_momenta(
            base_momentum, max_momentum
        )
        super().__init__(
            self.base_momentum,
            self.max_momentum,
            step_size_up=step_size_up,
            step_size_down=step_size_down,
            mode=mode,
            gamma=gamma,
            name=name,
        )

    def _bottom_and_top(self):
        return self.max_momentum, self.base_momentum
