"""One instance of every schedule and combinator, shared by the property
tests, the command-line tests and the benchmarks.

Spans are short (tens of steps) so that a short `fit` crosses boundaries.
`test_cases_cover_every_public_schedule` keeps this list complete.
"""

import keras

from keras_lrs import schedules as s


def _cases():
    keras_cosine = keras.optimizers.schedules.CosineDecay(0.1, 20, alpha=0.1)
    return {
        "Constant": s.Constant(0.05),
        "StepDecay": s.StepDecay(0.1, 5, gamma=0.5, min_learning_rate=0.01),
        "MultiStepDecay": s.MultiStepDecay(0.1, [3, 8, 15], gamma=0.3),
        "PiecewiseConstant": s.PiecewiseConstant([4, 10], [0.1, 0.05, 0.01]),
        "ExponentialDecay": s.ExponentialDecay(0.1, 4, 0.5, staircase=True),
        "InverseTimeDecay": s.InverseTimeDecay(0.1, 3, 0.5),
        "InverseSqrtDecay": s.InverseSqrtDecay(0.1, timescale=4),
        "PolynomialDecay": s.PolynomialDecay(0.1, 7, 0.01, power=2.0, cycle=True),
        "CosineDecay": s.CosineDecay(0.1, 12, end_learning_rate=0.001),
        "CosineRestarts": s.CosineRestarts(0.1, 3, t_mul=1.5, m_mul=0.8),
        "CosineRestarts_t_mul_1": s.CosineRestarts(
            0.1, 5, t_mul=1.0, end_learning_rate=0.01, cycle_limit=3
        ),
        "OneCycle": s.OneCycle(0.1, 20, pct_start=0.25),
        "OneCycle_three_phase": s.OneCycle(
            0.1, 20, anneal_strategy="linear", three_phase=True
        ),
        "Cyclical": s.Cyclical(0.01, 0.1, step_size_up=3, step_size_down=5),
        "Cyclical_exp_range": s.Cyclical(
            0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.9
        ),
        "OneCycleMomentum": s.OneCycle(0.1, 20).momentum_schedule(),
        "CyclicalMomentum": s.CyclicalMomentum(0.8, 0.9, 3, mode="triangular2"),
        "WarmupStableDecay": s.WarmupStableDecay(
            0.1, 4, 6, 8, end_learning_rate=0.001, decay_shape="sqrt"
        ),
        "Warmup": s.Warmup(
            s.CosineRestarts(0.1, 6), 5, initial_learning_rate=0.001,
            shape="exponential",
        ),
        "Warmup_keras": s.Warmup(keras_cosine, 4, shape="cosine"),
        "Sequential": s.Sequential(
            [0.02, s.CosineDecay(0.1, 8), s.Cyclical(0.0, 0.05, 2)], [4, 12]
        ),
        "FromEpochs": s.FromEpochs(s.StepDecay(0.1, 2, 0.5), 3),
        "FromEpochs_staircase": s.FromEpochs(
            s.Warmup(s.CosineDecay(0.1, 4), 2), 3, staircase=True
        ),
    }


CASE_NAMES = list(_cases())


def make(name):
    """A fresh instance of the named case."""
    return _cases()[name]
