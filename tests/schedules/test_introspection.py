"""What a schedule states of itself: whether it may read a variable (asked
by the torch graph and the callbacks' cache), through every wrapper."""

import keras
import pytest
from keras import ops

from keras_lrs import schedules as s
from keras_lrs._plumbing.scaled_schedule import ScaledSchedule
from keras_lrs.schedules.introspection import reads_variables


class _UsersRate(keras.optimizers.schedules.LearningRateSchedule):
    """A user's schedule, which states nothing: it may read a variable."""

    def __call__(self, step):
        return ops.cast(step, "float32") * 0.0 + 0.1


class _UsersExponentialDecay(keras.optimizers.schedules.ExponentialDecay):
    """A subclass of a Keras schedule: its own formula, stating nothing."""


@pytest.mark.parametrize(
    "schedule, reads",
    [
        (s.CosineDecay(0.1, 10), False),
        (s.Sequential([s.Warmup(0.1, 2), s.CosineDecay(0.1, 10)], [5]), False),
        (keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5), False),
        (s.Warmup(keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5), 2), False),
        (ScaledSchedule(s.CosineDecay(0.1, 10)), True),
        (s.Warmup(ScaledSchedule(0.1), 2), True),
        (_UsersRate(), True),
        (s.FromEpochs(_UsersRate(), 4), True),
        (s.Sequential([0.1, _UsersRate()], [5]), True),
        (_UsersExponentialDecay(0.1, 2, 0.5), True),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, bool) else str(value),
)
def test_reads_variables_through_every_wrapper(schedule, reads):
    assert reads_variables(schedule) == reads


def test_the_torch_graph_takes_whole_only_what_reads_no_variable():
    if keras.backend.backend() != "torch":
        pytest.skip("the torch graph exists on the torch backend only")
    assert s.Warmup(s.CosineDecay(0.1, 10), 2)._torch_graph_value is not None
    assert s.Warmup(_UsersRate(), 2)._torch_graph_value is None
    assert ScaledSchedule(s.CosineDecay(0.1, 10))._torch_graph_value is None
