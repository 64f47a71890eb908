"""Keras's optimizer update rules as an independent float64 NumPy loop.

Each rule updates one parameter `p` in place from its gradient `g`, its
slots `s` (a dict, empty at the first step), the step `t`, the rate `lr`
and `h`, the hyperparameters' values at that step: weight decay first, as
Keras applies it, then the update of keras/src/optimizers/<name>.py with
Keras's default arguments.
"""

import keras
import numpy as np

import keras_lrs

STEPS, BATCH, FEATURES = 24, 4, 3


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH, FEATURES)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    return x, y


def values(schedule, steps):
    """`schedule` (an array, a schedule or a float) at steps 0 .. steps-1."""
    if isinstance(schedule, np.ndarray):
        return schedule[:steps]
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return keras_lrs.schedule_values(schedule, np.arange(steps)).astype("f8")
    return np.full(steps, float(schedule))


def reference_weights(rule, lr, hyperparameters, epochs, **options):
    """The Dense(1) layer's [kernel, bias] after `epochs` epochs of `rule`
    on `data()`, with `hyperparameters` {name: schedule, array or float}."""
    x, y = (a.astype("f8") for a in data())
    params = [np.ones((FEATURES, 1)), np.zeros(1)]
    slots = [{}, {}]
    total = STEPS * epochs
    lrs = values(lr, total)
    series = {name: values(v, total) for name, v in hyperparameters.items()}
    for t in range(total):
        i = t % STEPS
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        error = xb @ params[0] + params[1] - yb
        grads = [2 * xb.T @ error / BATCH, 2 * error.sum(0) / BATCH]
        h = {name: v[t] for name, v in series.items()}
        for p, g, s in zip(params, grads, slots):
            rule(p, g, s, t, lrs[t], h, **options)
    return params


def _decay(p, lr, weight_decay):
    p -= p * weight_decay * lr


def _slots(s, p, *names):
    return [s.setdefault(name, np.zeros_like(p)) for name in names]


def sgd(p, g, s, t, lr, h, nesterov=False):
    _decay(p, lr, h["weight_decay"])
    (m,) = _slots(s, p, "m")
    mu = h["momentum"]
    m[...] = mu * m - lr * g
    p += mu * m - lr * g if nesterov else m


def adam(p, g, s, t, lr, h, beta_1="beta_1", weight_decay="weight_decay"):
    _decay(p, lr, h[weight_decay])
    m, v = _slots(s, p, "m", "v")
    b1, b2, eps = h[beta_1], 0.999, 1e-7
    alpha = lr * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
    m += (g - m) * (1 - b1)
    v += (g**2 - v) * (1 - b2)
    p -= m * alpha / (np.sqrt(v) + eps)


def lamb(p, g, s, t, lr, h):
    _decay(p, lr, h["weight_decay"])
    m, v = _slots(s, p, "m", "v")
    b1, b2, eps = h["beta_1"], 0.999, 1e-7
    m += (g - m) * (1 - b1)
    v += (g**2 - v) * (1 - b2)
    update = (m / (1 - b1 ** (t + 1))) / (np.sqrt(v / (1 - b2 ** (t + 1))) + eps)
    w_norm, u_norm = np.linalg.norm(p), np.linalg.norm(update)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    p -= ratio * lr * update


def _rms(x):
    return np.sqrt(np.mean(x**2))


def adafactor(p, g, s, t, lr, h):
    """Factored for a matrix (the kernel), not for a vector; a scheduled
    rate, so no `relative_step` cap on it."""
    _decay(p, lr, h["weight_decay"])
    step = t + 1.0
    alpha = max(1e-3, _rms(p)) * min(lr, 1 / np.sqrt(step))
    squared = g**2 + 1e-30
    beta_2 = 1 - step**-0.8
    if p.ndim == 2:
        r = s.setdefault("r", np.zeros(p.shape[:-1]))
        c = s.setdefault("c", np.zeros(p.shape[-1:]))
        r[...] = beta_2 * r + (1 - beta_2) * squared.mean(-1)
        c[...] = beta_2 * c + (1 - beta_2) * squared.mean(-2)
        v = (r / r.mean())[:, None] * c[None, :]
    else:
        (v,) = _slots(s, p, "v")
        v[...] = beta_2 * v + (1 - beta_2) * squared
    u = g / np.sqrt(v)
    p -= alpha * u / max(1.0, _rms(u))


def ftrl(p, g, s, t, lr, h, l1=0.0):
    _decay(p, lr, h["weight_decay"])
    accum = s.setdefault("accum", np.full_like(p, 0.1))
    (linear,) = _slots(s, p, "linear")
    new_accum = accum + g**2
    linear += g - (np.sqrt(new_accum) - np.sqrt(accum)) / lr * p
    quadratic = np.sqrt(new_accum) / lr
    p[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
    accum[...] = new_accum


def _newton_schulz(x, steps=5, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        square = x @ x.T
        x = a * x + (b * square + c * square @ square) @ x
    return x.T if tall else x


def muon(p, g, s, t, lr, h):
    """Muon on a matrix (Nesterov, `rms_rate=0.2`); AdamW on the rest."""
    if p.ndim != 2:
        return adam(p, g, s, t, lr, h, "adam_beta_1", "adam_weight_decay")
    _decay(p, lr, h["weight_decay"])
    (m,) = _slots(s, p, "m")
    mu = h["momentum"]
    m += g + m * (mu - 1)
    update = _newton_schulz(g + mu * m)
    p -= lr * update * np.sqrt(max(p.shape)) * 0.2
