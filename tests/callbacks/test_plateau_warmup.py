"""The plateau callback skips the epochs that end during the warmup, however
the warmup is wrapped: the wrappers forward what their schedule states.

The same 3-epoch warmup, written in steps, in epochs (`FromEpochs`), as the
first piece of a `Sequential` and under SWA's rate phase (with the
plateau's own `ScaledSchedule` around it all): epochs 0 and 1 end inside
the warmup and are not counted; epoch 2 is the first counted (the best),
and with `patience=0` the first reduction comes at the end of epoch 3.
Counted as bad, the warmup epochs would bring it at epoch 1.
"""

import keras
import pytest

from keras_lrs import schedules as s
from keras_lrs._plumbing.rates import OptimizerRates
from keras_lrs.callbacks import (
    ReduceLROnPlateau,
    StochasticWeightAveraging,
    SWASchedule,
)
from tests.callbacks.helpers import ones, rate_recording_model

STEPS_PER_EPOCH = 4
WARMUP_EPOCHS = 3
EPOCHS = 6


def _cosine():
    return s.CosineDecay(0.1, 100 * STEPS_PER_EPOCH)


class _FirstCut(keras.callbacks.Callback):
    """The epoch at whose end the rate's multiplier first went down."""

    epoch = None

    def on_epoch_end(self, epoch, logs=None):
        multiplier = OptimizerRates(self.model.optimizer).rates[0].multiplier
        if self.epoch is None and multiplier < 1:
            self.epoch = epoch


def _first_cut(schedule, swa=False):
    model = rate_recording_model(keras.optimizers.SGD(schedule))
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    first_cut = _FirstCut()
    callbacks = [plateau, first_cut]
    if swa:
        callbacks.insert(
            0, StochasticWeightAveraging(start_epoch=5, swa_learning_rate=0.05)
        )
    model.fit(
        *ones(STEPS_PER_EPOCH), batch_size=1, epochs=EPOCHS, verbose=0,
        shuffle=False, callbacks=callbacks,
    )
    return first_cut.epoch


WARMUPS = {
    "steps": lambda: s.Warmup(_cosine(), WARMUP_EPOCHS * STEPS_PER_EPOCH),
    "epochs": lambda: s.FromEpochs(
        s.Warmup(s.CosineDecay(0.1, 100), WARMUP_EPOCHS), STEPS_PER_EPOCH
    ),
    "epochs, staircase": lambda: s.FromEpochs(
        s.Warmup(s.CosineDecay(0.1, 100), WARMUP_EPOCHS), STEPS_PER_EPOCH,
        staircase=True,
    ),
    "sequential": lambda: s.Sequential(
        [s.Warmup(_cosine(), WARMUP_EPOCHS * STEPS_PER_EPOCH), 0.01],
        boundaries=[50 * STEPS_PER_EPOCH],
    ),
}


@pytest.mark.parametrize("written", list(WARMUPS))
def test_the_first_cut_comes_after_the_warmup(written):
    assert _first_cut(WARMUPS[written]()) == WARMUP_EPOCHS


def test_the_first_cut_comes_after_the_warmup_under_swa():
    assert _first_cut(WARMUPS["steps"](), swa=True) == WARMUP_EPOCHS


def test_wrappers_forward_the_warmup_in_their_own_steps():
    warmup = s.Warmup(0.1, 3)
    assert s.FromEpochs(warmup, 5).warmup_steps == 15
    keras_cosine = keras.optimizers.schedules.CosineDecay(
        0.0, 10, warmup_target=0.1, warmup_steps=2
    )
    assert s.FromEpochs(keras_cosine, 4, staircase=True).warmup_steps == 8
    assert s.Sequential([warmup, 0.1], boundaries=[2]).warmup_steps == 2
    assert s.Sequential([0.1, warmup], boundaries=[2]).warmup_steps == 0
    assert SWASchedule(warmup, start_step=1, swa_learning_rate=0.1).warmup_steps == 1
    assert SWASchedule(warmup, start_step=9, swa_learning_rate=0.1).warmup_steps == 3
