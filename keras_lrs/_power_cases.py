"""The schedules that raise a factor to a power, with float64 references.

Shared by the accuracy test (`tests/schedules/test_powers.py`) and the
accuracy benchmark (`benchmarks/power_accuracy.py`). Each reference is
NumPy in float64 written from SPEC.md, not from the package's formulas;
factors close to 1 (0.99999, m_mul=0.999), halving, and a fractional
exponent (`t / decay_steps`) are all here.
"""

import numpy as np

from keras_lrs import schedules as s

MAX_STEP = 2**31 - 1
# A value below this is not held to the relative tolerance (SPEC.md).
SMALLEST_CHECKED = 1e-30


def _exponential(initial, decay_steps, rate, staircase=False):
    def reference(t):
        progress = t / decay_steps
        if staircase:
            progress = np.floor(progress)
        return initial * rate**progress

    return reference


def _step(initial, step_size, gamma):
    return lambda t: initial * gamma ** (t // step_size)


def _multi_step(initial, milestones, gamma):
    def reference(t):
        reached = np.sum(t[..., None] >= np.asarray(milestones), axis=-1)
        return initial * gamma**reached

    return reference


def _restarts(initial, length, m_mul):
    def reference(t):
        peak = initial * m_mul ** (t // length)
        return peak * (1 + np.cos(np.pi * (t % length) / length)) / 2

    return reference


def _wave_height(t, up, mode, gamma):
    """PyTorch's CyclicLR scale: triangle height times the mode's factor."""
    offset = t % (2 * up)
    height = np.where(offset <= up, offset / up, (2 * up - offset) / up)
    if mode == "triangular2":
        return height * 0.5 ** np.minimum(t // (2 * up), 2000)
    return height * gamma**t


def _cyclical(bottom, top, up, mode, gamma=1.0):
    return lambda t: bottom + (top - bottom) * _wave_height(t, up, mode, gamma)


def _cyclical_momentum(base, top, up, mode, gamma):
    return lambda t: top - (top - base) * _wave_height(t, up, mode, gamma)


def power_cases():
    """name -> (schedule, float64 reference of an int64 step array).

    Factors per step of 1 - 1e-5 and coarser show the drift by step 10**6;
    factors of 1 - 1e-8 keep the value above 1e-30 up to step 2**31 - 1.
    Cosine restarts last one step, so the value is the peak itself (the
    cosine's own float32 rounding is not measured here).
    """
    near_one = 1 - 1e-8
    milestones = list(range(1000, 500_001, 1000))
    return {
        "ExponentialDecay(1, 1, 0.99999)": (
            s.ExponentialDecay(1.0, 1, 0.99999),
            _exponential(1.0, 1, 0.99999),
        ),
        "ExponentialDecay(1, 3, 0.999)": (
            s.ExponentialDecay(1.0, 3, 0.999),
            _exponential(1.0, 3, 0.999),
        ),
        "ExponentialDecay(1, 7, 1 - 1e-8)": (
            s.ExponentialDecay(1.0, 7, near_one),
            _exponential(1.0, 7, near_one),
        ),
        "ExponentialDecay(1, 1000, 0.5, staircase)": (
            s.ExponentialDecay(1.0, 1000, 0.5, staircase=True),
            _exponential(1.0, 1000, 0.5, staircase=True),
        ),
        "StepDecay(1, 1, 0.99999)": (
            s.StepDecay(1.0, 1, gamma=0.99999),
            _step(1.0, 1, 0.99999),
        ),
        "StepDecay(1, 100, 0.999999)": (
            s.StepDecay(1.0, 100, gamma=0.999999),
            _step(1.0, 100, 0.999999),
        ),
        "MultiStepDecay(500 milestones, 0.9)": (
            s.MultiStepDecay(1.0, milestones, gamma=0.9),
            _multi_step(1.0, milestones, 0.9),
        ),
        "CosineRestarts(1, 1, m_mul=0.999)": (
            s.CosineRestarts(1.0, 1, t_mul=1.0, m_mul=0.999),
            _restarts(1.0, 1, 0.999),
        ),
        "CosineRestarts(1, 1, m_mul=1 - 1e-8)": (
            s.CosineRestarts(1.0, 1, t_mul=1.0, m_mul=near_one),
            _restarts(1.0, 1, near_one),
        ),
        "Cyclical(exp_range, 0.99999)": (
            s.Cyclical(0.0, 1.0, 999, mode="exp_range", gamma=0.99999),
            _cyclical(0.0, 1.0, 999, "exp_range", 0.99999),
        ),
        "Cyclical(exp_range, 1 - 1e-8)": (
            s.Cyclical(0.0, 1.0, 999, mode="exp_range", gamma=near_one),
            _cyclical(0.0, 1.0, 999, "exp_range", near_one),
        ),
        "Cyclical(triangular2)": (
            s.Cyclical(0.0, 1.0, 3, mode="triangular2"),
            _cyclical(0.0, 1.0, 3, "triangular2"),
        ),
        "CyclicalMomentum(exp_range, 0.99999)": (
            s.CyclicalMomentum(0.5, 0.9, 999, mode="exp_range", gamma=0.99999),
            _cyclical_momentum(0.5, 0.9, 999, "exp_range", 0.99999),
        ),
    }


def checked_steps(points=200):
    """0, 10**3, 10**6, 2**31 - 1 and `points` log-spaced steps, as int64."""
    grid = np.geomspace(1, MAX_STEP, points).astype(np.int64)
    return np.unique(np.concatenate([[0, 10**3, 10**6, MAX_STEP], grid]))


def relative_errors(values, expected):
    """|values / expected - 1| where `expected` > 1e-30, else 0."""
    expected = np.asarray(expected, dtype=np.float64)
    checked = expected > SMALLEST_CHECKED
    safe = np.where(checked, expected, 1.0)
    errors = np.abs(np.asarray(values, dtype=np.float64) - expected) / safe
    return np.where(checked, errors, 0.0)
