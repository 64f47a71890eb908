"""The one-cycle policy (Smith and Topin, 2017), as PyTorch's `OneCycleLR`, and its momentum."""

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.lengths import check_length, is_left
from keras_lrs.schedules.checks import (
    FLOAT32_MAX,
    check_bool,
    check_choice,
    check_in,
    check_momenta,
    check_non_negative,
    check_positive,
)
from keras_lrs.schedules.step_math import anneal, as_float, as_tensor


@register
class OneCycle(Schedule):
    """The one-cycle policy: up to `max_learning_rate`, then far below the start.

    Values are exactly those of PyTorch's `OneCycleLR` with the same
    arguments after `t` scheduler steps, for `0 <= t < total_steps`; from
    then on the last value is held. The rate starts at
    `max / div_factor`, reaches `max` at step `pct_start * total_steps - 1`,
    and ends at `max / (div_factor * final_div_factor)`. With `three_phase`,
    it first comes back down to the start symmetrically, then anneals to the
    end.

    >>> schedule = keras_lrs.schedules.OneCycle(1.0, 5, pct_start=0.4,
    ...     div_factor=10.0, final_div_factor=10.0, anneal_strategy="linear")
    >>> keras_lrs.schedule_values(schedule, 6).round(3)
    array([0.1 , 1.  , 0.67, 0.34, 0.01, 0.01], dtype=float32)

    Args:
        max_learning_rate: the peak rate, a float >= 0.
        total_steps: the length of the cycle, an integer > 0, a fraction
            of the training in (0, 1), or None (default): the whole training.
        pct_start: the fraction of the cycle spent increasing, in (0, 1).
        div_factor: the initial rate is `max_learning_rate / div_factor`.
        final_div_factor: the final rate is the initial rate divided by this.
        anneal_strategy: "cos" or "linear".
        three_phase: come back to the initial rate before the final anneal.
        name: optional name of the schedule.

    Reference: Smith & Topin, "Super-Convergence: Very Fast Training of
    Neural Networks Using Large Learning Rates" (2017).
    """

    def __init__(
        self,
        max_learning_rate,
        total_steps=None,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal_strategy="cos",
        three_phase=False,
        name=None,
    ):
        super().__init__(name=name)
        self.max_learning_rate = check_non_negative(
            "max_learning_rate", max_learning_rate
        )
        self.total_steps = check_length("total_steps", total_steps)
        self.pct_start = check_in("pct_start", pct_start, "(0, 1)")
        self.div_factor = check_positive("div_factor", div_factor)
        self.final_div_factor = check_positive(
            "final_div_factor", final_div_factor
        )
        self.anneal_strategy = check_choice(
            "anneal_strategy", anneal_strategy, {"cos", "linear"}
        )
        self.three_phase = check_bool("three_phase", three_phase)
        if not is_left(self.total_steps):  # else once resolved
            self._phases = self._make_phases()

    def momentum_schedule(self, base_momentum=0.85, max_momentum=0.95):
        """PyTorch's `OneCycleLR(cycle_momentum=True)` momentum for this cycle.

        The momentum (`beta_1` with Adam) moves against the rate: from
        `max_momentum` down to `base_momentum` at the peak, back up to
        `max_momentum` (three-phase: at the end of the second phase, then
        held), along the same `anneal_strategy`.

        >>> cycle = keras_lrs.schedules.OneCycle(1.0, 5, pct_start=0.4,
        ...     anneal_strategy="linear")
        >>> keras_lrs.schedule_values(cycle.momentum_schedule(), 5).round(4)
        array([0.95  , 0.85  , 0.8833, 0.9167, 0.95  ], dtype=float32)
        """
        return OneCycleMomentum(
            self.total_steps,
            base_momentum=base_momentum,
            max_momentum=max_momentum,
            pct_start=self.pct_start,
            anneal_strategy=self.anneal_strategy,
            three_phase=self.three_phase,
        )

    def _rates(self):
        """(initial, peak, final) values of the cycle."""
        initial = self.max_learning_rate / self.div_factor
        return initial, self.max_learning_rate, initial / self.final_div_factor

    def _make_phases(self):
        """(last step, start rate, end rate) of each phase, as PyTorch has them."""
        initial, peak, final = self._rates()
        if max(initial, final) > FLOAT32_MAX:
            raise ValueError(
                "Arguments `div_factor` and `final_div_factor` must keep the "
                "initial rate (max_learning_rate / div_factor) and the final "
                "rate (initial / final_div_factor) finite in float32. "
                f"Received: max_learning_rate={self.max_learning_rate!r}, "
                f"div_factor={self.div_factor!r}, "
                f"final_div_factor={self.final_div_factor!r}"
            )
        peak_step = float(self.pct_start * self.total_steps) - 1
        last_step = self.total_steps - 1
        if self.three_phase:
            phases = [
                (peak_step, initial, peak),
                (2 * peak_step, peak, initial),
                (last_step, initial, final),
            ]
        else:
            phases = [
                (peak_step, initial, peak),
                (last_step, peak, final),
            ]
        previous = 0.0
        for end, _, _ in phases:
            if end <= previous:
                raise ValueError(
                    "Arguments `pct_start` and `total_steps` leave a phase of "
                    "the cycle without steps (PyTorch would divide by zero): "
                    "pct_start * total_steps must be > 1 and the phases must "
                    "fit in total_steps. Received: "
                    f"pct_start={self.pct_start!r}, "
                    f"total_steps={self.total_steps!r}, "
                    f"three_phase={self.three_phase!r}"
                )
            previous = end
        return phases

    def formula(self, step):
        step = ops.minimum(as_float(step), as_tensor(self.total_steps - 1))
        shape = "cosine" if self.anneal_strategy == "cos" else "linear"
        value = None
        previous = 0.0
        for end, start_rate, end_rate in self._phases:
            fraction = (step - previous) / (end - previous)
            rate = anneal(shape, start_rate, end_rate, fraction)
            value = rate if value is None else ops.where(step > previous, rate, value)
            previous = end
        return value


@register
class OneCycleMomentum(OneCycle):
    """The momentum of the one-cycle policy, as PyTorch's `OneCycleLR` cycles it.

    `OneCycle`'s phases and shape, from `max_momentum` (start) to
    `base_momentum` (the rate's peak) and back to `max_momentum`; usually
    made by `OneCycle.momentum_schedule`.

    `total_steps`, `pct_start`, `anneal_strategy`, `three_phase` and `name`
    are `OneCycle`'s.

    Args:
        base_momentum: the momentum at the rate's peak, in [0, 1].
        max_momentum: the momentum at the start and the end, in
            [base_momentum, 1].
    """

    def __init__(
        self,
        total_steps=None,
        base_momentum=0.85,
        max_momentum=0.95,
        pct_start=0.3,
        anneal_strategy="cos",
        three_phase=False,
        name=None,
    ):
        self.base_momentum, self.max_momentum = check_momenta(
            base_momentum, max_momentum
        )
        super().__init__(
            1.0,
            total_steps,
            pct_start=pct_start,
            anneal_strategy=anneal_strategy,
            three_phase=three_phase,
            name=name,
        )

    def _rates(self):
        return self.max_momentum, self.base_momentum, self.max_momentum
