"""`CallbackState`: saved by name, read by name or (as keras_lrs 0.x wrote
it) by position; and the counters an older `ScaledSchedule` config holds.

Weights stores are dicts here (Keras's stores are read through `keys()` and
`[]` alone); the saving through Keras's own stores is tested with the
callbacks (`tests/callbacks/test_plateau_fit.py`, `tests/resume/`).
"""

import keras
import numpy as np
import pytest

from keras_lrs import schedules
from keras_lrs._plumbing.scaled_schedule import ScaledSchedule
from keras_lrs._plumbing.state import CallbackState

pytestmark = pytest.mark.once


def _state(scale=None, **counters):
    state = CallbackState()
    if scale is not None:
        state.scale = keras.Variable(scale, dtype="float32", trainable=False)
    state.restore(counters)
    return state


def _values(state):
    scale = None if state.scale is None else float(keras.ops.convert_to_numpy(state.scale))
    return scale, state.values()


def test_a_load_creates_the_counters_saved_by_name():
    saved = _state(0.25, **{"plateau/val_loss": [3, 0, 1], "wait": 2})
    store = {}
    saved.save_own_variables(store)
    assert sorted(store) == ["counter:plateau%2Fval_loss", "counter:wait", "scale"]

    fresh = _state(1.0)  # a fresh optimizer's: the scale, no counters yet
    fresh.load_own_variables(store)
    assert _values(fresh) == (0.25, {"plateau/val_loss": [3, 0, 1], "wait": 2})

    existing = _state(1.0, wait=0)  # a running callback's (BackupAndRestore)
    counter = existing.counters["wait"]
    existing.load_own_variables(store)
    assert existing.counters["wait"] is counter
    assert _values(existing) == (0.25, {"wait": 2, "plateau/val_loss": [3, 0, 1]})


def test_a_state_written_by_position_is_read_when_it_matches():
    store = {"0": np.float32(0.5), "1": np.int32([4, 1, 0])}
    state = _state(1.0, plateau=[0, 0, 0])
    state.load_own_variables(store)
    assert _values(state) == (0.5, {"plateau": [4, 1, 0]})

    other = _state(1.0)  # no counter to read the second value into
    with pytest.warns(UserWarning, match="earlier keras_lrs"):
        other.load_own_variables(store)
    assert _values(other) == (1.0, {})


def test_an_older_config_with_counters_is_read_with_them():
    config = ScaledSchedule(schedules.Constant(0.1), scale=0.5).get_config()
    assert "counters" not in config
    legacy = ScaledSchedule.from_config({**config, "counters": {"plateau": [1, 2, 0]}})
    assert legacy.scale == 0.5
    assert legacy.counters == {"plateau": [1, 2, 0]}
    with pytest.raises(ValueError, match="counters"):
        ScaledSchedule.from_config({**config, "counters": {"plateau": 1.5}})
