"""The plateau callback's epoch-end decision reaches that epoch's checkpoints,
wherever it is listed.

`ModelCheckpoint` and `BackupAndRestore` save at the end of an epoch, in
list order; the plateau callback moves itself before them when `fit`
starts (the kill-and-resume test, `tests/resume/`, covers
`BackupAndRestore` in both orders).
"""

import keras

from keras_lrs import schedules as s
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau
from keras_lrs._plumbing.ordering import run_before_checkpoints
from tests.callbacks.helpers import ones, rate_recording_model


def test_a_checkpoint_listed_first_saves_the_epochs_reduction(tmp_path):
    model = rate_recording_model(keras.optimizers.SGD(s.CosineDecay(0.1, 100)))
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "epoch{epoch}.keras"))
    # In "max" mode a falling loss never improves after the first epoch:
    # the rate halves at the end of epochs 1 and 2.
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    model.fit(*ones(8), batch_size=1, epochs=3, verbose=0, callbacks=[checkpoint, plateau])
    scales = [
        keras.models.load_model(tmp_path / f"epoch{epoch}.keras").optimizer._learning_rate.scale
        for epoch in (1, 2, 3)
    ]
    assert scales == [1.0, 0.5, 0.25]


def test_only_the_plateau_callback_moves_and_only_before_checkpoints():
    class Order(keras.callbacks.Callback):
        def __init__(self, name, seen):
            super().__init__()
            self.name, self.seen = name, seen

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(self.name)

    seen = []
    plateau = ReduceLROnPlateau(monitor="loss")
    plateau.on_epoch_end = lambda epoch, logs=None: (
        ReduceLROnPlateau.on_epoch_end(plateau, epoch, logs), seen.append("plateau")
    )
    backup = keras.callbacks.BackupAndRestore("unused", delete_checkpoint=True)
    callbacks = [Order("a", seen), backup, Order("b", seen), plateau, LearningRateMonitor(), Order("c", seen)]
    model = rate_recording_model(keras.optimizers.SGD(0.1))
    model.fit(*ones(4), batch_size=1, epochs=1, verbose=0, callbacks=callbacks)
    assert seen == ["a", "plateau", "b", "c"]
    # The list the user passed is left as it was.
    assert callbacks[3] is plateau


def test_outside_fit_nothing_moves():
    plateau = ReduceLROnPlateau()
    callbacks = [keras.callbacks.BackupAndRestore("unused"), plateau]
    run_before_checkpoints(plateau)
    assert callbacks[1] is plateau
