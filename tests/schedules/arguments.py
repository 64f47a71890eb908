"""The one table of every schedule class's arguments.

`VALID`: a valid set of keyword arguments per class. `KINDS`: the kind of
each argument of each class, which says what is invalid for it: the bad
examples of `test_validation.py` and the strategies of bad values of
`test_fuzz.py` are both keyed by these kinds. `SPECIAL`: invalid values
that depend on the other arguments (each named for the argument the error
must name).
"""

from keras_lrs import schedules as s

VALID = {
    s.Constant: dict(learning_rate=0.1),
    s.StepDecay: dict(initial_learning_rate=0.1, step_size=10),
    s.MultiStepDecay: dict(initial_learning_rate=0.1, milestones=[5, 10]),
    s.PiecewiseConstant: dict(boundaries=[5, 10], values=[0.1, 0.01, 0.001]),
    s.ExponentialDecay: dict(
        initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5
    ),
    s.InverseTimeDecay: dict(
        initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5
    ),
    s.InverseSqrtDecay: dict(initial_learning_rate=0.1, timescale=10),
    s.PolynomialDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    s.CosineDecay: dict(initial_learning_rate=0.1, decay_steps=10),
    s.CosineRestarts: dict(initial_learning_rate=0.1, first_decay_steps=10),
    s.OneCycle: dict(max_learning_rate=0.1, total_steps=100),
    s.Cyclical: dict(base_learning_rate=0.01, max_learning_rate=0.1),
    s.WarmupStableDecay: dict(
        peak_learning_rate=0.1, warmup_steps=5, stable_steps=10, decay_steps=5
    ),
    s.Warmup: dict(schedule=0.1, warmup_steps=5),
    s.Sequential: dict(schedules=[0.1, 0.01], boundaries=[10]),
    s.FromEpochs: dict(schedule=0.1, steps_per_epoch=10),
}

# Kinds: "rate" (a number >= 0), "positive" (> 0, and normal in float32),
# "factor" (in (0, 1]), "steps" (an integer >= 1), "steps_0" (>= 0),
# "optional_steps" (None or steps), "length" and "length_0" (steps >= 1 or
# >= 0, or a fraction of the training in (0, 1)), "length_or_rest" and
# "length_0_or_rest" (a length or None, the rest of training), "bool",
# "name" (None or a string),
# "schedule" (a schedule or a rate), "t_mul" (>= 1), "fraction" (in (0, 1)),
# ("choice", values), and lists: "milestones" and "boundaries" (increasing
# steps >= 0), "boundaries_1" (increasing steps >= 1), "values" (rates, one
# more than the boundaries), "schedules" (schedules, likewise).
KINDS = {
    s.Constant: dict(learning_rate="rate"),
    s.StepDecay: dict(
        initial_learning_rate="rate", step_size="steps", gamma="factor",
        min_learning_rate="rate",
    ),
    s.MultiStepDecay: dict(
        initial_learning_rate="rate", milestones="milestones", gamma="factor"
    ),
    s.PiecewiseConstant: dict(boundaries="boundaries", values="values"),
    s.ExponentialDecay: dict(
        initial_learning_rate="rate", decay_steps="length_or_rest",
        decay_rate="factor",
        staircase="bool", min_learning_rate="rate",
    ),
    s.InverseTimeDecay: dict(  # a rate of decay >= 0, not a factor
        initial_learning_rate="rate", decay_steps="length_or_rest",
        decay_rate="rate",
        staircase="bool",
    ),
    s.InverseSqrtDecay: dict(initial_learning_rate="rate", timescale="positive"),
    s.PolynomialDecay: dict(
        initial_learning_rate="rate", decay_steps="length_or_rest",
        end_learning_rate="rate", power="rate", cycle="bool",
    ),
    s.CosineDecay: dict(
        initial_learning_rate="rate", decay_steps="length_or_rest",
        end_learning_rate="rate",
    ),
    s.CosineRestarts: dict(
        initial_learning_rate="rate", first_decay_steps="length", t_mul="t_mul",
        m_mul="factor", end_learning_rate="rate", cycle_limit="optional_steps",
    ),
    s.OneCycle: dict(
        max_learning_rate="rate", total_steps="length_or_rest",
        pct_start="fraction",
        div_factor="positive", final_div_factor="positive",
        anneal_strategy=("choice", {"cos", "linear"}), three_phase="bool",
    ),
    s.Cyclical: dict(
        base_learning_rate="rate", max_learning_rate="rate",
        step_size_up="steps", step_size_down="optional_steps",
        mode=("choice", {"triangular", "triangular2", "exp_range"}),
        gamma="factor",
    ),
    s.WarmupStableDecay: dict(  # no warmup is allowed
        peak_learning_rate="rate", warmup_steps="length_0",
        stable_steps="length_0_or_rest", decay_steps="length_or_rest",
        end_learning_rate="rate",
        decay_shape=("choice", {"linear", "cosine", "sqrt"}),
        initial_learning_rate="rate",
    ),
    s.Warmup: dict(
        schedule="schedule", warmup_steps="length", initial_learning_rate="rate",
        shape=("choice", {"linear", "cosine", "exponential"}),
    ),
    s.Sequential: dict(schedules="schedules", boundaries="boundaries_1"),
    s.FromEpochs: dict(
        schedule="schedule", steps_per_epoch="steps", staircase="bool"
    ),
}
for _kinds in KINDS.values():
    _kinds["name"] = "name"

SPECIAL = [
    (s.MultiStepDecay, "milestones", [10, 5]),
    (s.MultiStepDecay, "milestones", [5, 5]),
    (s.PiecewiseConstant, "boundaries", [10, 5]),
    (s.PiecewiseConstant, "values", [0.1, 0.01]),
    (s.PiecewiseConstant, "values", [0.1, 0.01, 0.001, 0.0001]),
    (s.Sequential, "boundaries", [10, 10]),
    (s.Sequential, "boundaries", [10, 20]),
    (s.Warmup, "initial_learning_rate", 0.0),  # with shape="exponential"
    (s.CosineRestarts, "t_mul", 1.0000001),  # too many cycles to tabulate
    (s.OneCycle, "pct_start", 0.005),  # first phase without steps
    (s.Cyclical, "max_learning_rate", 0.001),  # below base_learning_rate
]
