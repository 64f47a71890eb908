"""Cosine annealing, once (`CosineDecay`) or with warm restarts (SGDR)."""

import math

from keras import ops

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.lengths import check_length, is_left
from keras_lrs.schedules.checks import (
    MAX_STEP,
    check_factor,
    check_in,
    check_non_negative,
    check_steps,
)
from keras_lrs.schedules.step_math import (
    anneal,
    as_float,
    gather,
    locate,
    power,
    split_period,
)

# Restarts with t_mul > 1 are located in a table of cycle starts, computed in
# float64 at construction; this bounds its length.
MAX_TABULATED_CYCLES = 10_000


@register
class CosineDecay(Schedule):
    """Anneals the rate along a half cosine, then holds it.

    Formula: `end + (init - end) * (1 + cos(pi * min(t, D) / D)) / 2`.
    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts" (2017). For a warmup, wrap it: `Warmup(CosineDecay(...), W)`.

    >>> schedule = keras_lrs.schedules.CosineDecay(1.0, 4)
    >>> keras_lrs.schedule_values(schedule, 5).round(3)
    array([1.   , 0.854, 0.5  , 0.146, 0.   ], dtype=float32)

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: `D`, the length of the decay, an integer > 0, a
            fraction of the training in (0, 1), or None (the rest of it).
        end_learning_rate: the rate from step `D` on, a float >= 0.
        name: optional name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps=None,
        end_learning_rate=0.0,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_length("decay_steps", decay_steps)
        self.end_learning_rate = check_non_negative(
            "end_learning_rate", end_learning_rate
        )

    def formula(self, step):
        fraction = as_float(step) / self.decay_steps
        return anneal(
            "cosine",
            self.initial_learning_rate,
            self.end_learning_rate,
            fraction,
        )


@register
class CosineRestarts(Schedule):
    """Cosine annealing with warm restarts (SGDR).

    Cycle `i` lasts `first_decay_steps * t_mul**i` steps and starts at
    `peak_i = initial_learning_rate * m_mul**i`; inside it the rate is
    `end + (peak_i - end) * (1 + cos(pi * r)) / 2`, `r` the position in the
    cycle in [0, 1). After `cycle_limit` cycles the rate stays at `end`.
    With `end_learning_rate=0` this is Keras's `CosineDecayRestarts`
    (`alpha=0`); with `m_mul=1` and an integer `t_mul`, PyTorch's
    `CosineAnnealingWarmRestarts`. The cycle containing a step is found in
    integer arithmetic, so values are exact to float32 rounding up to step
    2**31 - 1.

    >>> schedule = keras_lrs.schedules.CosineRestarts(1.0, 2, t_mul=1.0)
    >>> keras_lrs.schedule_values(schedule, 5)
    array([1. , 0.5, 1. , 0.5, 1. ], dtype=float32)

    Args:
        initial_learning_rate: the peak of the first cycle, a float >= 0.
        first_decay_steps: the length of the first cycle, an integer > 0
            or a fraction of the training in (0, 1).
        t_mul: the factor by which each cycle is longer than the last, a
            float >= 1.
        m_mul: the factor by which each peak is lower than the last, in
            (0, 1].
        end_learning_rate: the rate at the end of each cycle, a float >= 0.
        cycle_limit: the number of cycles, an integer > 0, or None for
            restarts forever.
        name: optional name of the schedule.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with
    Warm Restarts", ICLR 2017.
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        end_learning_rate=0.0,
        cycle_limit=None,
        name=None,
    ):
        super().__init__(name=name)
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )
        self.first_decay_steps = check_length(
            "first_decay_steps", first_decay_steps
        )
        self.t_mul = check_in("t_mul", t_mul, ">= 1")
        self.m_mul = check_factor("m_mul", m_mul)
        self.end_learning_rate = check_non_negative(
            "end_learning_rate", end_learning_rate
        )
        if cycle_limit is not None:
            cycle_limit = check_steps("cycle_limit", cycle_limit)
        self.cycle_limit = cycle_limit
        if self.t_mul > 1 and not is_left(self.first_decay_steps):
            self._cycles = self._tabulate_cycles()

    def _tabulate_cycles(self):
        """Start, length and peak of every cycle that starts by `MAX_STEP`.

        When `cycle_limit` ends the cycles by `MAX_STEP`, a last entry holds
        `end_learning_rate` from then on.
        """
        starts, lengths, peaks = [], [], []
        start = 0.0
        length = float(self.first_decay_steps)
        peak = self.initial_learning_rate
        limit = self.cycle_limit or math.inf
        while start <= MAX_STEP and len(starts) < limit:
            if len(starts) == MAX_TABULATED_CYCLES:
                raise ValueError(
                    f"Argument `t_mul` is so close to 1 that more than "
                    f"{MAX_TABULATED_CYCLES} restarts happen before step "
                    f"2**31 - 1 (first_decay_steps={self.first_decay_steps}). "
                    "Use t_mul=1, a larger t_mul or a cycle_limit. "
                    f"Received: t_mul={self.t_mul!r}"
                )
            starts.append(start)
            lengths.append(length)
            peaks.append(peak)
            start += length
            length *= self.t_mul
            peak *= self.m_mul
        if len(starts) == limit and start <= MAX_STEP:
            starts.append(start)
            lengths.append(1.0)
            peaks.append(self.end_learning_rate)
        return starts, lengths, peaks

    def formula(self, step):
        if self.t_mul == 1:
            cycle, offset = split_period(step, self.first_decay_steps)
            fraction = offset / self.first_decay_steps
            peak = self.initial_learning_rate * power(self.m_mul, cycle)
            if self.cycle_limit is not None:
                peak = ops.where(
                    cycle >= self.cycle_limit, self.end_learning_rate, peak
                )
        else:
            starts, lengths, peaks = self._cycles
            cycle, offset = locate(step, starts)
            fraction = offset / gather(lengths, cycle)
            peak = gather(peaks, cycle)
        return anneal("cosine", peak, self.end_learning_rate, fraction)
