"""Properties every schedule shares, parametrized over `keras_lrs._cases`."""

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

import keras_lrs
from keras_lrs._cases import CASE_NAMES, make
from tests import compiled

ROOT = Path(__file__).resolve().parents[2]
STEPS = np.array(
    [0, 1, 2, 3, 4, 5, 7, 11, 19, 31, 100, 1000, 10**6, 2**24 + 1, 2**31 - 1]
)
cases = pytest.mark.parametrize("name", CASE_NAMES)


@pytest.mark.once
def test_cases_cover_every_public_schedule():
    covered = {type(make(name)).__name__ for name in CASE_NAMES}
    public = set(keras_lrs.schedules.__all__) - {"Schedule"}
    assert public <= covered, f"missing from keras_lrs/_cases.py: {public - covered}"


@cases
def test_finite_and_non_negative_at_any_step(name):
    values = keras_lrs.schedule_values(make(name), STEPS)
    assert values.shape == STEPS.shape
    assert np.all(np.isfinite(values)), values
    assert np.all(values >= 0), values


@cases
def test_config_round_trip_through_json(name):
    schedule = make(name)
    serialized = json.dumps(keras.optimizers.schedules.serialize(schedule))
    restored = keras.optimizers.schedules.deserialize(json.loads(serialized))
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    np.testing.assert_array_equal(
        keras_lrs.schedule_values(restored, STEPS),
        keras_lrs.schedule_values(schedule, STEPS),
    )


@cases
def test_scalar_step_agrees_with_vectorized_values(name):
    schedule = make(name)
    one_by_one = [float(ops.convert_to_numpy(schedule(int(t)))) for t in STEPS]
    np.testing.assert_allclose(
        np.array(one_by_one, "float32"),
        keras_lrs.schedule_values(schedule, STEPS),
        rtol=1e-6,
    )


@cases
def test_pickle_and_deepcopy_keep_the_values(name):
    schedule = make(name)
    for copied in (pickle.loads(pickle.dumps(schedule)), copy.deepcopy(schedule)):
        assert copied.get_config() == schedule.get_config()
        np.testing.assert_array_equal(
            keras_lrs.schedule_values(copied, STEPS),
            keras_lrs.schedule_values(schedule, STEPS),
        )


def _values_on(backend):
    """Every case's values at STEPS, computed in a fresh process on `backend`."""
    script = (
        "import json, sys, keras_lrs\n"
        "from keras_lrs._cases import CASE_NAMES, make\n"
        "from tests.schedules.test_properties import STEPS\n"
        "json.dump({n: keras_lrs.schedule_values(make(n), STEPS).tolist()"
        " for n in CASE_NAMES}, sys.stdout)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _installed_backends():
    modules = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    installed = []
    for backend, module in modules.items():
        probe = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True
        )
        if probe.returncode == 0:
            installed.append(backend)
    return installed


@pytest.mark.once_per_keras
def test_same_values_on_every_backend():
    others = [b for b in _installed_backends() if b != keras.backend.backend()]
    if not others:
        pytest.skip("only one Keras backend is installed")
    here = {n: keras_lrs.schedule_values(make(n), STEPS) for n in CASE_NAMES}
    for backend in others:
        there = _values_on(backend)
        for name in CASE_NAMES:
            np.testing.assert_allclose(
                np.array(there[name], "float32"), here[name], rtol=1e-6,
                err_msg=f"{name}: {backend} vs {keras.backend.backend()}",
            )


def _mean_prediction(y_true, y_pred):
    # d(loss)/d(kernel) is exactly 1 for inputs of ones, so plain SGD moves
    # the kernel by exactly -learning_rate(t) at step t.
    return ops.mean(y_pred)


@cases
def test_trains_inside_a_compiled_step(name):
    schedule = make(name)
    # Keras allows steps_per_execution > 1 on TensorFlow and JAX only. On
    # PyTorch the fit is eager (tests/compiled.py): each schedule compiles
    # there in test_one_graph_under_torch_compile, with fullgraph=True.
    per_execution = 1 if keras.backend.backend() == "torch" else 8
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(schedule),
        loss=_mean_prediction,
        jit_compile=compiled.jit_compile(),
        steps_per_execution=per_execution,
    )
    steps = 24
    x = np.ones((steps, 1), "float32")
    model.fit(x, x, batch_size=1, epochs=1, shuffle=False, verbose=0)

    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == steps
    applied = -float(model.get_weights()[0][0, 0])
    expected = keras_lrs.schedule_values(schedule, steps).astype("float64").sum()
    np.testing.assert_allclose(applied, expected, rtol=1e-5)


def _as_users_subclass(schedule):
    """The same schedule, as an instance of a user's subclass that states it
    may read variables (`reads_variables`), so that on torch Dynamo traces
    its formula instead of taking it whole."""
    cls = type(schedule)
    users_class = type(
        cls.__name__, (cls,), {"__module__": __name__, "reads_variables": True}
    )
    return users_class.from_config(schedule.get_config())


@cases
@pytest.mark.parametrize("traced", [False, True], ids=["taken_whole", "traced"])
def test_one_graph_under_torch_compile(name, traced):
    # Keras compiles the torch train step with torch.compile, which splits
    # it at every operation it cannot trace ("graph break"), and each piece
    # then costs a call of its own in every step. `fullgraph=True` raises on
    # the first break instead.
    if keras.backend.backend() != "torch":
        pytest.skip("torch.compile exists on the torch backend only")
    import torch

    # Through the plateau callbacks' wrapper, which every schedule runs in
    # once a ReduceLROnPlateau has lowered it.
    schedule = _as_users_subclass(make(name)) if traced else make(name)
    assert (schedule._torch_graph_value is None) == traced
    torch._dynamo.reset()
    compiled = torch.compile(
        keras_lrs.callbacks.ScaledSchedule(schedule, 0.5), fullgraph=True, dynamic=True
    )
    for step in (0, 7, 1000, 2**31 - 1):
        value = compiled(ops.convert_to_tensor(step, "int32"))
        np.testing.assert_allclose(
            float(ops.convert_to_numpy(value)),
            0.5 * keras_lrs.schedule_values(schedule, [step])[0],
            rtol=1e-6,
        )


def _torch_compiled_update(optimizer, variable):
    """One SGD update of `variable` by a gradient of ones, torch.compile'd;
    returns a function that makes one and gives how far it moved."""
    import torch

    optimizer.build([variable])
    apply = torch.compile(lambda g: optimizer.apply([g], [variable]))

    def update():
        before = float(ops.convert_to_numpy(variable)[0])
        apply(torch.ones(variable.shape))
        return before - float(ops.convert_to_numpy(variable)[0])

    return update


def test_torch_step_follows_a_schedule_swapped_for_one_of_its_class():
    # On torch, a keras_lrs schedule enters the compiled step as one opaque
    # function (see `_torch_graph_value`), which Dynamo recognizes by its code:
    # a schedule of the same class put in its place must not be served the
    # graph of the first.
    if keras.backend.backend() != "torch":
        pytest.skip("torch.compile exists on the torch backend only")
    # During the 10 warmup steps the rate is peak * t / 10 (linear, from 0).
    first = keras_lrs.schedules.Warmup(keras_lrs.schedules.CosineDecay(0.1, 100), 10)
    second = keras_lrs.schedules.Warmup(keras_lrs.schedules.CosineDecay(0.5, 100), 10)
    optimizer = keras.optimizers.SGD(first)
    update = _torch_compiled_update(optimizer, keras.Variable(np.ones(3, "float32")))
    moved = [update() for _ in range(3)]
    optimizer.learning_rate = second
    moved += [update() for _ in range(3)]
    np.testing.assert_allclose(
        moved, [0.0, 0.01, 0.02, 0.15, 0.2, 0.25], rtol=1e-5, atol=1e-7
    )


class _RateFromVariable(keras.optimizers.schedules.LearningRateSchedule):
    """A user's schedule that reads a variable: its rate, whatever the step."""

    def __init__(self, rate):
        self.rate = keras.Variable(rate, trainable=False)

    def __call__(self, step):
        return self.rate * 1.0


def test_torch_step_reads_the_variables_of_a_nested_user_schedule():
    # A schedule that may read a variable is traced as usual on torch, not
    # taken as one opaque function, whose trace cannot take a variable.
    if keras.backend.backend() != "torch":
        pytest.skip("torch.compile exists on the torch backend only")
    inner = _RateFromVariable(0.1)
    optimizer = keras.optimizers.SGD(keras_lrs.schedules.Warmup(inner, 1))
    update = _torch_compiled_update(optimizer, keras.Variable(np.ones(3, "float32")))
    optimizer._track_variable(inner.rate)  # as a user must, for JAX
    moved = [update(), update()]
    inner.rate.assign(0.5)
    moved.append(update())
    np.testing.assert_allclose(moved, [0.0, 0.1, 0.5], rtol=1e-6)
