"""`compat.is_first_process`: which process of a multi-process training
writes files and prints, and the callbacks and range test that ask it.

The process index, rank or task comes from each engine's public API, which
is monkeypatched here; `tests/distributed/test_processes.py` runs real
processes.
"""

import sys
import types
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import compat
from keras_lrs import schedules as s
from keras_lrs.callbacks import (
    LearningRateMonitor,
    ReduceLROnPlateau,
    StochasticWeightAveraging,
)

# The engines' answers are monkeypatched, whatever the running backend.
pytestmark = pytest.mark.once


@pytest.mark.parametrize("index, first", [(0, True), (1, False), (3, False)])
def test_jax_process_index(monkeypatch, index, first):
    jax = pytest.importorskip("jax")
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setattr(jax, "process_index", lambda: index)
    assert compat.is_first_process() is first


@pytest.mark.parametrize(
    "initialized, rank, first", [(False, 1, True), (True, 0, True), (True, 1, False)]
)
def test_torch_rank(monkeypatch, initialized, rank, first):
    distributed = types.SimpleNamespace(
        is_available=lambda: True,
        is_initialized=lambda: initialized,
        get_rank=lambda: rank,
    )
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setitem(sys.modules, "torch.distributed", distributed)
    assert compat.is_first_process() is first


def test_torch_without_torch_distributed(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setitem(sys.modules, "torch.distributed", None)
    assert compat.is_first_process()


WORKERS = {"worker": ["localhost:1", "localhost:2"]}
WITH_CHIEF = {"chief": ["localhost:0"], **WORKERS, "evaluator": ["localhost:3"]}


@pytest.mark.parametrize(
    "cluster, task_type, task_id, first",
    [
        (WORKERS, "worker", 0, True),  # no chief: worker 0 is
        (WORKERS, "worker", 1, False),
        (WITH_CHIEF, "chief", 0, True),
        (WITH_CHIEF, "worker", 0, False),
        (WITH_CHIEF, "evaluator", 0, False),
        ({}, None, None, True),  # one process
    ],
)
def test_tensorflow_chief(monkeypatch, cluster, task_type, task_id, first):
    tf = pytest.importorskip("tensorflow")
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id
    )
    model = types.SimpleNamespace(
        distribute_strategy=types.SimpleNamespace(cluster_resolver=resolver)
    )
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert compat.is_first_process(model) is first


def test_tensorflow_default_strategy_is_first(monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    assert compat.is_first_process(types.SimpleNamespace(distribute_strategy=None))


@pytest.mark.parametrize("first", [True, False])
def test_only_the_first_process_writes_and_prints(monkeypatch, tmp_path, capsys, first):
    monkeypatch.setattr(compat, "is_first_process", lambda model=None: first)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(s.Constant(0.01)), "mse")
    x = np.ones((8, 1), "float32")
    callbacks = [
        # "max" on a falling loss: reduces after every epoch.
        ReduceLROnPlateau(monitor="loss", mode="max", patience=0, verbose=1),
        LearningRateMonitor(tmp_path, update_freq="batch"),
        StochasticWeightAveraging(start_epoch=1, verbose=1),
    ]
    history = model.fit(x, x, batch_size=4, epochs=3, verbose=0, callbacks=callbacks)
    # Every process has the same logs and decisions; one writes them.
    np.testing.assert_allclose(
        history.history["learning_rate"], [0.01, 0.001, 1e-4], rtol=1e-6
    )
    printed = capsys.readouterr().out
    events = list(Path(tmp_path).rglob("events.out.tfevents.*"))
    if first:
        assert "reducing learning rate" in printed and "StochasticWeightAveraging" in printed
        assert len(events) == 1
    else:
        assert printed == "" and events == []

    result = keras_lrs.find_learning_rate(model, x, x, batch_size=4, num_steps=3)
    assert len(result.losses) == 3
    assert ("3/3" in capsys.readouterr().out) is first  # the progress bar
