"""A model whose optimizer holds nested schedules saves, reloads and resumes."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

import keras_lrs
from keras_lrs import schedules as s

ROOT = Path(__file__).resolve().parents[1]


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")
    return x, y


def _model(schedule):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.AdamW(schedule), loss="mse")
    return model


def _nested_schedule():
    keras_inner = keras.optimizers.schedules.ExponentialDecay(0.05, 10, 0.9)
    return s.Sequential(
        [
            s.Warmup(s.CosineRestarts(0.05, 7, t_mul=2.0, m_mul=0.9), 5),
            s.FromEpochs(keras_inner, steps_per_epoch=4),
        ],
        boundaries=[30],
    )


def _learning_rate(model):
    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


def _iterations(model):
    return int(ops.convert_to_numpy(model.optimizer.iterations))


def test_save_reload_and_resume_at_the_same_step(tmp_path):
    x, y = _data()
    model = _model(_nested_schedule())
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    model.save(path)

    restored = keras.models.load_model(path)
    schedule = restored.optimizer._learning_rate
    assert isinstance(schedule, s.Sequential)
    assert schedule.get_config() == model.optimizer._learning_rate.get_config()
    assert _iterations(restored) == _iterations(model) == 16
    assert _learning_rate(restored) == _learning_rate(model)
    np.testing.assert_allclose(
        _learning_rate(restored),
        keras_lrs.schedule_values(_nested_schedule(), [16])[0],
        rtol=1e-6,
    )

    # Both continue identically: same step, same rate, same moments.
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    assert _iterations(restored) == _iterations(model) == 40
    for original, reloaded in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(reloaded, original, rtol=1e-6, atol=1e-7)


def test_fresh_process_loads_with_import_only(tmp_path):
    x, y = _data()
    model = _model(_nested_schedule())
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    model.save(path)
    script = (
        "import sys, keras, keras_lrs\n"
        "from keras import ops\n"
        "model = keras.models.load_model(sys.argv[1])\n"
        "lr = ops.convert_to_numpy(model.optimizer.learning_rate)\n"
        "step = ops.convert_to_numpy(model.optimizer.iterations)\n"
        "print(repr(float(lr)), int(step))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    learning_rate, step = result.stdout.split()[-2:]
    assert int(step) == 8
    assert float(learning_rate) == _learning_rate(model)


@pytest.mark.once
@pytest.mark.parametrize("version", ["2.15.0", "3.2.1"])
def test_import_needs_keras_3_3(version):
    # A process whose Keras says it is an older one, as Keras 2 (tf_keras's
    # keras 2.15) or Keras 3.2 would.
    code = (
        "import keras\n"
        f"keras.__version__ = {version!r}\n"
        "try:\n"
        "    import keras_lrs\n"
        "except ImportError as error:\n"
        "    print('ImportError:', error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ImportError: keras_lrs needs Keras 3, version 3.3 or newer" in result.stdout
    assert f"Found Keras {version}" in result.stdout
