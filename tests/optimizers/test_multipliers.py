"""`learning_rate_multipliers` and `layer_decay`.

The trained weights of a Dense(1) layer whose kernel and bias have their
own multipliers are checked against a float64 NumPy loop of Keras's update
rules with a per-variable rate, and against PyTorch's parameter groups.
"""

import keras
import numpy as np
import pytest

from keras_lrs import optimizers, schedules
from tests.optimizers import numpy_rules
from tests.optimizers.numpy_rules import BATCH, FEATURES, STEPS
from tests.optimizers.test_scheduled_optimizers import _fit, _model

BACKEND = keras.backend.backend()
# The kernel thaws at step 10 (gradual unfreezing); the bias runs at 3x.
# keras_lrs's own schedule: Keras's PiecewiseConstantDecay([9], [0, 0.5])
# has the same values but, evaluated one step at a time, makes the check of
# a multiplier schedule (69,632 steps) take 10 s on PyTorch.
THAW = schedules.PiecewiseConstant([10], [0.0, 0.5])
MULTIPLIERS = {".*kernel": THAW, ".*bias": 3.0}


def _reference(rule, lr, h, epochs=2, **options):
    """numpy_rules' loop with each parameter's rate multiplied."""
    return _reference_with_base(rule, np.full(STEPS * epochs, lr), h, epochs, **options)


_CASES = {
    "SGD-momentum": ("SGD", numpy_rules.sgd, dict(momentum=0.9), {}),
    "SGD-nesterov": ("SGD", numpy_rules.sgd, dict(momentum=0.9, nesterov=True),
                     dict(nesterov=True)),
    "Adam": ("Adam", numpy_rules.adam, dict(beta_1=0.9), {}),
    "AdamW": ("AdamW", numpy_rules.adam, dict(beta_1=0.9, weight_decay=0.05), {}),
}


@pytest.mark.compiled_step
@pytest.mark.parametrize("case", list(_CASES))
def test_trained_weights_are_a_numpy_loop_with_per_variable_rates(case):
    name, rule, kwargs, options = _CASES[case]
    lr = 0.02
    optimizer = getattr(optimizers, name)(
        lr, learning_rate_multipliers=MULTIPLIERS, **kwargs
    )
    model = _fit(_model(optimizer), epochs=2)
    h = {"momentum": 0.9, "beta_1": 0.9,
         "weight_decay": kwargs.get("weight_decay", 0.0)}
    if name == "AdamW":
        h["weight_decay"] = 0.05
    for got, want in zip(model.get_weights(), _reference(rule, lr, h, **options)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.compiled_step
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(momentum=0.9, nesterov=True)), ("AdamW", dict(weight_decay=0.05)),
])
def test_with_every_multiplier_1_the_weights_are_kerass(name, kwargs):
    ours = _fit(_model(getattr(optimizers, name)(
        0.01, learning_rate_multipliers={".*kernel": 1.0, ".*": 1}, **kwargs)))
    theirs = _fit(_model(getattr(keras.optimizers, name)(0.01, **kwargs)))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_pytorch_parameter_groups():
    """AdamW with one parameter group per multiplier, LambdaLR the schedule."""
    torch = pytest.importorskip("torch")
    if BACKEND != "tensorflow":
        pytest.skip("a behaviour of the update rule, checked on one backend")
    lr = schedules.CosineDecay(0.02, 2 * STEPS)
    model = _fit(_model(optimizers.AdamW(
        lr, weight_decay=0.05, epsilon=1e-7,
        learning_rate_multipliers=MULTIPLIERS)), epochs=2)
    kernel = torch.ones(FEATURES, 1, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    thaw = numpy_rules.values(THAW, 2 * STEPS)
    base = numpy_rules.values(lr, 2 * STEPS)
    opt = torch.optim.AdamW([
        {"params": [kernel], "lr": 1.0}, {"params": [bias], "lr": 1.0}
    ], weight_decay=0.05, eps=1e-7)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, [
        lambda t: base[min(t, 2 * STEPS - 1)] * thaw[min(t, 2 * STEPS - 1)],
        lambda t: base[min(t, 2 * STEPS - 1)] * 3.0,
    ])
    x, y = (torch.tensor(a, dtype=torch.float64) for a in numpy_rules.data())
    for t in range(2 * STEPS):
        i = t % STEPS
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        opt.zero_grad()
        ((xb @ kernel + bias - yb) ** 2).mean().backward()
        opt.step()
        sched.step()
    for got, want in zip(model.get_weights(), [kernel, bias]):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_deserialize():
    optimizer = optimizers.SGD(0.1, learning_rate_multipliers=MULTIPLIERS)
    config = optimizer.get_config()
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(again) is optimizers.SGD
    assert again.get_config() == config
    assert list(again.learning_rate_multipliers) == list(MULTIPLIERS)


@pytest.mark.parametrize("multipliers,message", [
    ({".*": -1.0}, "'.\\*'.*-1.0"),
    ({".*": float("nan")}, "nan"),
    ({".*": keras.optimizers.schedules.PolynomialDecay(
        0.5, 10, end_learning_rate=-0.5)}, "finite values >= 0"),
    ({"dense/(kernel": 2.0}, "dense/\\(kernel"),
    ([0.5], "must be a dict"),
])
def test_bad_input_at_construction(multipliers, message):
    with pytest.raises(ValueError, match=f"learning_rate_multipliers.*{message}"):
        optimizers.Adam(learning_rate_multipliers=multipliers)


def test_an_expression_that_matches_no_variable_fails_at_build():
    model = _model(optimizers.Adam(learning_rate_multipliers={"dense/kernal": 2.0}))
    with pytest.raises(ValueError, match="'dense/kernal' matches none.*dense.*/kernel"):
        _fit(model)


def _backbone_model():
    backbone = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(5, name="a"),
        keras.layers.Dropout(0.1), keras.layers.Dense(4, name="b"),
    ], name="backbone")
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(2, name="head")(
        keras.layers.BatchNormalization(name="norm")(backbone(inputs)))
    return keras.Model(inputs, outputs)


def test_layer_decay_flattens_nested_models():
    model = _backbone_model()
    multipliers = optimizers.layer_decay(model, 0.5)
    assert list(multipliers.values()) == [0.125, 0.25, 0.5, 1.0]
    owner = {}
    for variable in model.trainable_variables:
        owner[variable.path] = [
            i for i, e in enumerate(multipliers) if __import__("re").fullmatch(e, variable.path)
        ]
    assert all(len(v) == 1 for v in owner.values()), owner
    assert [owner[v.path][0] for v in model.trainable_variables] == [0, 0, 1, 1, 2, 2, 3, 3]


@pytest.mark.parametrize("decay", [0, 1.5, -0.1, "0.5"])
def test_layer_decay_bad_decay(decay):
    with pytest.raises(ValueError, match="Argument `decay` must be in"):
        optimizers.layer_decay(_backbone_model(), decay)


@pytest.mark.compiled_step
def test_the_train_function_is_traced_once():
    from tests.optimizers.test_scheduled_optimizers import CountingSchedule, _compilations

    thaw = CountingSchedule(THAW)
    if BACKEND == "torch":
        thaw = THAW  # Dynamo guards on the counter it sees change: count graphs.
    model = _model(optimizers.AdamW(0.01, learning_rate_multipliers={".*kernel": thaw}))
    _fit(model)
    if BACKEND == "torch":
        compiled = _compilations()
        _fit(model, epochs=3, initial_epoch=1)
        assert _compilations() == compiled
        return
    calls = thaw.calls
    assert calls >= 1
    _fit(model, epochs=3, initial_epoch=1)
    assert thaw.calls == calls


@pytest.mark.compiled_step
@pytest.mark.parametrize("setting", ["mixed_float16", "accumulation"])
def test_a_multiplier_of_2_is_twice_the_rate(setting):
    """Under a LossScaleOptimizer and with gradient accumulation, {".*": 2}
    at rate r trains as Keras's optimizer at rate 2r."""
    kwargs = {}
    if setting == "accumulation":
        if "gradient_accumulation_steps" not in keras.optimizers.SGD().get_config():
            pytest.skip(f"Keras {keras.__version__} has no gradient accumulation")
        kwargs = dict(gradient_accumulation_steps=3)
    policy = keras.config.dtype_policy()
    if setting == "mixed_float16":
        keras.config.set_dtype_policy("mixed_float16")
    try:
        ours = _fit(_model(optimizers.SGD(
            0.01, momentum=0.9, learning_rate_multipliers={".*": 2.0}, **kwargs)))
        theirs = _fit(_model(keras.optimizers.SGD(0.02, momentum=0.9, **kwargs)))
    finally:
        keras.config.set_dtype_policy(policy)
    if setting == "mixed_float16":
        assert isinstance(ours.optimizer, keras.optimizers.LossScaleOptimizer)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.compiled_step
def test_plateau_lowers_every_group_alike():
    import keras_lrs

    plateau = keras_lrs.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=0, min_delta=1e9
    )
    model = _model(optimizers.SGD(0.02, momentum=0.9,
                                  learning_rate_multipliers=MULTIPLIERS))
    _fit(model, epochs=3, callbacks=[plateau])
    # min_delta=1e9: every epoch after the first is a plateau; the third
    # runs at half the rate, in both groups.
    want = _reference_with_base(
        numpy_rules.sgd, np.repeat([0.02, 0.02, 0.01], STEPS),
        {"momentum": 0.9, "weight_decay": 0.0}, epochs=3)
    for got, w in zip(model.get_weights(), want):
        np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def _reference_with_base(rule, base, h, epochs, scales=None, **options):
    """The Dense(1) layer's weights after `rule` with the base rate
    `base[t]` times each parameter's multiplier `scales[i][t]` (by default
    MULTIPLIERS')."""
    x, y = (a.astype("f8") for a in numpy_rules.data())
    params, slots = [np.ones((FEATURES, 1)), np.zeros(1)], [{}, {}]
    total = STEPS * epochs
    if scales is None:
        scales = [numpy_rules.values(THAW, total), np.full(total, 3.0)]
    for t in range(total):
        i = t % STEPS
        xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
        error = xb @ params[0] + params[1] - yb
        grads = [2 * xb.T @ error / BATCH, 2 * error.sum(0) / BATCH]
        for p, g, s, scale in zip(params, grads, slots, scales):
            rule(p, g, s, t, base[t] * scale[t], h, **options)
    return params


def test_save_reload_and_continue(tmp_path):
    make = lambda: optimizers.AdamW(0.01, weight_decay=0.05,  # noqa: E731
                                    learning_rate_multipliers=MULTIPLIERS)
    uninterrupted = _fit(_model(make()), epochs=2)
    model = _fit(_model(make()))
    model.save(tmp_path / "model.keras")
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert model.optimizer.learning_rate_multipliers.keys() == MULTIPLIERS.keys()
    _fit(model, epochs=2, initial_epoch=1)
    for a, b in zip(model.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
