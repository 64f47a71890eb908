"""keras_lrs.optimizers: scheduled momentum, beta_1 and weight decay.

The trained weights are checked against an independent float64 NumPy loop
of Keras's own update rules, fed the schedules' values at each step.
"""

import os
import subprocess
import sys
import textwrap
from typing import Callable, NamedTuple

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import optimizers, schedules
from keras_lrs._plumbing.rates import OptimizerRates
from tests import compiled as tests_compiled
from tests.optimizers import numpy_rules
from tests.optimizers.numpy_rules import BATCH, FEATURES, STEPS

BACKEND = keras.backend.backend()
SPE = 1 if BACKEND == "torch" else 8


def _model(optimizer, compiled=None):
    """A one-layer model, compiled as `tests.compiled` decides: always on
    TensorFlow and JAX, on PyTorch in the tests marked `compiled_step` only;
    `compiled=False` keeps it eager on PyTorch there too (a reference).

    On PyTorch each scheduled rule compiles in
    `test_trained_weights_are_a_numpy_loop_of_kerass_rule`, and each class
    with no case there in `test_a_constant_schedule_is_the_float`.
    """
    model = keras.Sequential(
        [keras.Input((FEATURES,)), keras.layers.Dense(1, kernel_initializer="ones")]
    )
    if compiled is None:
        compiled = tests_compiled.jit_compile()
    model.compile(optimizer=optimizer, loss="mse",
                  jit_compile=compiled or BACKEND != "torch",
                  steps_per_execution=SPE)
    return model


def _fit(model, epochs=1, initial_epoch=0, callbacks=()):
    x, y = numpy_rules.data()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, initial_epoch=initial_epoch,
              shuffle=False, verbose=0, callbacks=list(callbacks))
    return model


class Case(NamedTuple):
    """An optimizer with scheduled hyperparameters and its NumPy rule."""

    name: str
    rule: Callable
    learning_rate: object
    hyperparameters: dict  # {argument: schedule}
    options: dict = {}  # float arguments, passed to the rule too

    def make(self):
        if not hasattr(optimizers, self.name):
            pytest.skip(f"Keras {keras.__version__} has no {self.name}")
        return getattr(optimizers, self.name)(
            self.learning_rate, **self.hyperparameters, **self.options
        )

    def reference(self, epochs, learning_rate=None):
        rate = self.learning_rate if learning_rate is None else learning_rate
        return numpy_rules.reference_weights(
            self.rule, rate, self.hyperparameters, epochs, **self.options
        )


def _sgd(**options):
    cycle = schedules.OneCycle(0.05, STEPS * 2)
    return Case("SGD", numpy_rules.sgd, cycle, dict(
        momentum=cycle.momentum_schedule(),
        weight_decay=schedules.CosineDecay(1e-2, STEPS * 2),
    ), options)


def _with_beta_1(name, rule, beta_1="beta_1", **more):
    wave = schedules.Cyclical(1e-3, 1e-2, step_size_up=5)
    return lambda: Case(name, rule, wave, {
        beta_1: wave.momentum_schedule(0.85, 0.95),
        "weight_decay": schedules.StepDecay(0.05, 10, 0.5), **more,
    })


def _weight_decay_only(name, rule, **options):
    return lambda: Case(name, rule, schedules.CosineDecay(0.5, STEPS * 2), dict(
        weight_decay=schedules.PiecewiseConstant([12, 30], [0.1, 0.02, 0.0]),
    ), options)


_CASES = {
    "SGD": _sgd,
    "SGD-nesterov": lambda: _sgd(nesterov=True),
    "Adam": _with_beta_1("Adam", numpy_rules.adam),
    "Lamb": _with_beta_1("Lamb", numpy_rules.lamb),
    "Muon": _with_beta_1(
        "Muon", numpy_rules.muon, "adam_beta_1",
        momentum=schedules.Cyclical(0.8, 0.95, step_size_up=7).momentum_schedule(),
        adam_weight_decay=schedules.Constant(0.02),
    ),
    "Adafactor": _weight_decay_only("Adafactor", numpy_rules.adafactor),
    "Ftrl": _weight_decay_only("Ftrl", numpy_rules.ftrl),
}


@pytest.mark.compiled_step
@pytest.mark.parametrize("case", list(_CASES))
def test_trained_weights_are_a_numpy_loop_of_kerass_rule(case):
    case = _CASES[case]()
    optimizer = case.make()
    if case.name == "Muon" and "rms_rate" not in optimizer.get_config():
        pytest.skip("the reference is Muon's rule with `rms_rate` (Keras 3.15)")
    model = _fit(_model(optimizer), epochs=2)
    for got, want in zip(model.get_weights(), case.reference(epochs=2)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


class CountingSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A momentum schedule that counts its Python calls (traces)."""

    def __init__(self, schedule):
        self.schedule, self.calls = schedule, 0

    def __call__(self, step):
        self.calls += 1
        return self.schedule(step)

    def get_config(self):
        return {}


def _compilations():
    """Graphs torch.compile has made so far (torch only)."""
    from torch._dynamo.utils import counters

    return sum(counters["stats"].values()), dict(counters["recompiles"])


@pytest.mark.compiled_step
@pytest.mark.parametrize(
    "name,argument,options",
    [("Adam", "beta_1", {}), ("SGD", "momentum", dict(nesterov=True))],
    ids=["Adam", "SGD-nesterov"],
)
def test_the_train_function_is_traced_once(name, argument, options):
    momentum = CountingSchedule(schedules.Cyclical(0.8, 0.9, 5))
    if BACKEND == "torch":
        # Dynamo guards on the counter it sees change: count its graphs.
        momentum = schedules.Cyclical(0.8, 0.9, 5)
    model = _model(getattr(optimizers, name)(
        0.01, **{argument: momentum}, weight_decay=schedules.Constant(0.01),
        **options,
    ))
    _fit(model)
    if BACKEND == "torch":
        compiled = _compilations()
        _fit(model, epochs=3, initial_epoch=1)
        assert _compilations() == compiled
        return
    calls = momentum.calls
    assert calls >= 1
    _fit(model, epochs=3, initial_epoch=1)
    assert momentum.calls == calls


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("SGD", dict()),
        ("RMSprop", dict(momentum=0.5, centered=True, weight_decay=0.02)),
        ("Adam", dict(beta_1=0.8, amsgrad=True, weight_decay=0.01)),
        ("AdamW", dict(beta_1=0.85)),
        ("Nadam", dict(beta_1=0.9, weight_decay=0.01)),
        ("Adamax", dict(beta_1=0.8)),
        ("Lion", dict(beta_1=0.95, weight_decay=0.1)),
        ("Adagrad", dict(weight_decay=0.01)),
        ("Lamb", dict(beta_1=0.8, weight_decay=0.01)),
        ("Muon", dict(momentum=0.9, adam_beta_1=0.8, weight_decay=0.01)),
        ("Adafactor", dict(weight_decay=0.01)),
        ("Ftrl", dict(weight_decay=0.01, l1_regularization_strength=1e-3)),
    ],
)
def test_with_floats_the_weights_are_kerass(name, kwargs):
    if not hasattr(optimizers, name):
        pytest.skip(f"Keras {keras.__version__} has no {name}")
    ours = _fit(_model(getattr(optimizers, name)(0.01, **kwargs)))
    theirs = _fit(_model(getattr(keras.optimizers, name)(0.01, **kwargs)))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def _compiled(*values):
    """A case whose class has no NumPy-loop case, compiled on PyTorch here."""
    return pytest.param(*values, marks=pytest.mark.compiled_step)


@pytest.mark.parametrize(
    "name,argument",
    [("SGD", "momentum"), _compiled("RMSprop", "momentum"), ("Adam", "beta_1"),
     _compiled("AdamW", "beta_1"), _compiled("Nadam", "beta_1"),
     _compiled("Adamax", "beta_1"), _compiled("Lion", "beta_1"),
     ("Adam", "weight_decay"), ("Lamb", "beta_1"), ("Muon", "momentum"),
     ("Muon", "adam_beta_1"), ("Ftrl", "weight_decay")],
)
def test_a_constant_schedule_is_the_float(name, argument):
    """The mechanism on every class: Constant(c) trains like the float c."""
    if not hasattr(optimizers, name):
        pytest.skip(f"Keras {keras.__version__} has no {name}")
    ours = _fit(_model(getattr(optimizers, name)(
        0.01, **{argument: schedules.Constant(0.7 if argument != "weight_decay" else 0.05)}
    )))
    theirs = _fit(_model(getattr(keras.optimizers, name)(
        0.01, **{argument: 0.7 if argument != "weight_decay" else 0.05}
    ), compiled=False))
    # On PyTorch a schedule runs Keras's per-variable rule, a float its fused
    # one: the same formula, rounded differently (2e-6 for Nadam here).
    rtol = 1e-5 if BACKEND == "torch" else 1e-6
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-7)


def test_config_round_trip():
    optimizer = _CASES["Adam"]().make()
    config = optimizer.get_config()
    assert config["beta_1"]["class_name"] == "CyclicalMomentum"
    restored = optimizers.Adam.from_config(config)
    assert restored.get_config() == config
    serialized = keras.optimizers.serialize(optimizer)
    again = keras.optimizers.deserialize(serialized)
    assert type(again) is optimizers.Adam
    assert again.get_config() == config


_RESUME = textwrap.dedent(
    """
    import sys, numpy as np, keras, keras_lrs
    from tests.optimizers.test_scheduled_optimizers import _fit
    model = keras.saving.load_model(sys.argv[1])
    assert type(model.optimizer).__module__ == "keras_lrs.optimizers", model.optimizer
    _fit(model, epochs=2, initial_epoch=1)
    np.save(sys.argv[2], np.concatenate([w.ravel() for w in model.get_weights()]))
    """
)


@pytest.mark.parametrize("case", ["SGD", "SGD-nesterov", "Adam"])
def test_save_reload_in_a_new_process_and_continue(case, tmp_path):
    make = _CASES[case]().make
    uninterrupted = _fit(_model(make()), epochs=2)
    model = _fit(_model(make()))
    model.save(tmp_path / "model.keras")
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = {**os.environ, "PYTHONPATH": root, "KERAS_BACKEND": BACKEND}
    subprocess.run(
        [sys.executable, "-c", _RESUME, str(tmp_path / "model.keras"),
         str(tmp_path / "w.npy")],
        check=True, env=env, cwd=root, timeout=300,
    )
    resumed = np.load(tmp_path / "w.npy")
    expected = np.concatenate([w.ravel() for w in uninterrupted.get_weights()])
    np.testing.assert_allclose(resumed, expected, rtol=1e-6, atol=1e-7)


def test_plateau_reduction_with_a_scheduled_momentum():
    case = _sgd()
    plateau = keras_lrs.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=0, min_delta=1e9
    )
    model = _fit(_model(case.make()), epochs=3, callbacks=[plateau])
    # min_delta=1e9: after the first epoch every epoch is a plateau, and
    # the rate is halved at its end; the third epoch ran at half the rate.
    scale = OptimizerRates(model.optimizer).rates[0].multiplier
    assert scale == 0.25
    rates = numpy_rules.values(case.learning_rate, 3 * STEPS)
    rates[2 * STEPS:] *= 0.5
    for got, want in zip(model.get_weights(), case.reference(3, rates)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_loss_scale_optimizer_mixed_float16():
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        ours = _fit(_model(optimizers.SGD(0.01, momentum=schedules.Constant(0.9))))
        theirs = _fit(_model(keras.optimizers.SGD(0.01, momentum=0.9)))
    finally:
        keras.config.set_dtype_policy(policy)
    assert isinstance(ours.optimizer, keras.optimizers.LossScaleOptimizer)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: optimizers.Adam(beta_2=schedules.Constant(0.9)), "beta_2"),
        (lambda: optimizers.SGD(momentum=schedules.Constant(1.5)), "momentum"),
        (lambda: optimizers.SGD(momentum=schedules.Cyclical(0.5, 1.2, 3)), "momentum"),
        (lambda: optimizers.Adam(beta_1=keras.optimizers.schedules.PolynomialDecay(
            0.5, 10, end_learning_rate=1.5)), "beta_1"),
        (lambda: optimizers.RMSprop(rho=schedules.Constant(0.9)), "rho"),
        (lambda: optimizers.Adagrad(epsilon=schedules.Constant(0.1)), "epsilon"),
        (lambda: optimizers.checks.check_schedule(  # Muon's, where Keras has it
            "adam_weight_decay", keras.optimizers.schedules.PolynomialDecay(
                0.1, 10, end_learning_rate=-0.1)), "adam_weight_decay.*>= 0"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()
