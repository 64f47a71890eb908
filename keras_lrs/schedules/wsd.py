"""Warmup-stable-decay (the "trapezoidal" schedule of recent LLM training)."""

from keras_lrs.schedules.base import Schedule, register
from keras_lrs.schedules.checks import (
    check_choice,
    check_non_negative,
    check_steps_total,
)
from keras_lrs.schedules.lengths import check_length, is_left, resolve_length
from keras_lrs.schedules.step_math import evaluate
from keras_lrs.schedules.combinators import join, ramp


@register
class WarmupStableDecay(Schedule):
    """Linear warmup, a long stable phase at the peak, then a short decay.

    Values: a linear ramp `initial_learning_rate -> peak` over
    `warmup_steps`, `peak` for `stable_steps`, then
    `end + (peak - end) * f(q)` over `decay_steps` (`q` from 0 to 1) with
    `f(q) = 1 - q` ("linear"), `(1 + cos(pi q)) / 2` ("cosine") or
    `1 - sqrt(q)` ("sqrt"); `end` after.

    >>> schedule = keras_lrs.schedules.WarmupStableDecay(1.0, 2, 1, 2)
    >>> keras_lrs.schedule_values(schedule, 6)
    array([0. , 0.5, 1. , 1. , 0.5, 0. ], dtype=float32)

    Args:
        peak_learning_rate: the rate of the stable phase, a float >= 0.
        warmup_steps: an integer >= 0 or a fraction of the training in
            (0, 1).
        stable_steps: an integer >= 0, a fraction of the training in
            (0, 1), or None: what the warmup and the decay leave of it.
        decay_steps: an integer > 0, a fraction of the training in
            (0, 1), or None: what the warmup and the stable phase leave.
        end_learning_rate: the final rate, a float >= 0.
        decay_shape: "linear", "cosine" or "sqrt".
        initial_learning_rate: the rate at step 0, a float >= 0.
        name: optional name of the schedule.

    Reference: Hägele et al., "Scaling Laws and Compute-Optimal Training
    Beyond Fixed Training Durations" (2024); Hu et al., "MiniCPM" (2024).
    """

    def __init__(
        self,
        peak_learning_rate,
        warmup_steps,
        stable_steps,
        decay_steps,
        end_learning_rate=0.0,
        decay_shape="linear",
        initial_learning_rate=0.0,
        name=None,
    ):
        super().__init__(name=name)
        self.peak_learning_rate = check_non_negative(
            "peak_learning_rate", peak_learning_rate
        )
        self.warmup_steps = check_length("warmup_steps", warmup_steps, 0)
        self.stable_steps = check_length("stable_steps", stable_steps, 0)
        self.decay_steps = check_length("decay_steps", decay_steps)
        self._check_lengths()
        self.end_learning_rate = check_non_negative(
            "end_learning_rate", end_learning_rate
        )
        self.decay_shape = check_choice(
            "decay_shape", decay_shape, {"linear", "cosine", "sqrt"}
        )
        self.initial_learning_rate = check_non_negative(
            "initial_learning_rate", initial_learning_rate
        )

    def _check_lengths(self):
        lengths = {
            "warmup_steps": self.warmup_steps,
            "stable_steps": self.stable_steps,
            "decay_steps": self.decay_steps,
        }
        if self.stable_steps is None and self.decay_steps is None:
            raise ValueError(
                "Arguments `stable_steps` and `decay_steps` cannot both be "
                "None (the rest of training): give one of them a length. "
                "Received: stable_steps=None, decay_steps=None"
            )
        fractions = {k: v for k, v in lengths.items() if isinstance(v, float)}
        if sum(fractions.values()) > 1:
            names = " and ".join(f"`{name}`" for name in fractions)
            received = ", ".join(f"{k}={v!r}" for k, v in fractions.items())
            raise ValueError(
                f"Arguments {names} must add up to at most 1 (fractions of "
                f"the training). Received: {received}"
            )
        if not any(map(is_left, lengths.values())):
            check_steps_total(
                self.warmup_steps + self.stable_steps,
                "the step where the decay starts",
                warmup_steps=self.warmup_steps,
                stable_steps=self.stable_steps,
            )

    def _resolved_arguments(self, whole, rest):
        """The given lengths first; None is what they leave of the rest."""
        arguments = self._arguments()
        names = ("warmup_steps", "decay_steps", "stable_steps")
        given = [name for name in names if arguments[name] is not None]
        for name in given:
            arguments[name] = resolve_length(self, name, arguments[name], whole, rest)
        for name in set(names) - set(given):
            left = rest - sum(arguments[other] for other in given)
            arguments[name] = resolve_length(
                self, name, None, whole, left, minimum=int(name == "decay_steps")
            )
        return arguments

    def formula(self, step):
        peak = self.peak_learning_rate
        warmup = max(self.warmup_steps, 1)  # with no warmup, never selected
        return join(
            step,
            [
                lambda local: ramp(
                    local, warmup, self.initial_learning_rate, peak
                ),
                lambda local: evaluate(peak, local),
                lambda local: ramp(
                    local,
                    self.decay_steps,
                    peak,
                    self.end_learning_rate,
                    self.decay_shape,
                ),
            ],
            [self.warmup_steps, self.warmup_steps + self.stable_steps],
        )
