"""A small SWA run that can be killed, resumed, saved and reloaded.

Run by `tests/resume/test_swa_resume.py` in subprocesses:

    python tests/resume/swa_training.py WORK_DIR ORDER [--kill-at EPOCH BATCH]
    python tests/resume/swa_training.py WORK_DIR ORDER --stop-after EPOCH
    python tests/resume/swa_training.py WORK_DIR ORDER --reload-from MODEL.keras

ORDER is "swa-first" or "backup-first": where `StochasticWeightAveraging`
is listed against `BackupAndRestore` and `ModelCheckpoint`. The run uses
a schedule, the SWA rate phase and averaging from epoch 3 of 8; the end of
the run writes the final (averaged) weights to `WORK_DIR/weights.npz`.
"""

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from keras_lrs.callbacks import StochasticWeightAveraging  # noqa: E402
from tests.resume import training  # noqa: E402
from tests.resume.training import BATCH_SIZE, STEPS_PER_EPOCH, KillAt, data  # noqa: E402

EPOCHS = 8


def build_model():
    schedule = s.CosineDecay(0.05, EPOCHS * STEPS_PER_EPOCH)
    return training.build_model(keras.optimizers.SGD(schedule, momentum=0.9))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("order", choices=["swa-first", "backup-first"])
    parser.add_argument("--kill-at", type=int, nargs=2, metavar=("EPOCH", "BATCH"))
    parser.add_argument("--stop-after", type=int)
    parser.add_argument("--reload-from", type=Path)
    args = parser.parse_args()

    if args.reload_from:
        model = keras_lrs.load_model(args.reload_from)
        step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        initial_epoch = step // STEPS_PER_EPOCH
    else:
        model = build_model()
        initial_epoch = 0
    swa = StochasticWeightAveraging(3, swa_learning_rate=0.01, annealing_epochs=2)
    backups = [
        keras.callbacks.BackupAndRestore(str(args.work_dir / "backup")),
        keras.callbacks.ModelCheckpoint(str(args.work_dir / "checkpoint.keras")),
    ]
    callbacks = [swa, *backups] if args.order == "swa-first" else [*backups, swa]
    if args.kill_at:
        callbacks.append(KillAt(*args.kill_at))
    if args.stop_after:
        # The run is stopped (not ended) after `stop_after` epochs: fit's
        # `epochs` stays EPOCHS, so that the rate phase is the same.
        class Stop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 == args.stop_after:
                    model.save(args.work_dir / "model.keras")
                    os.kill(os.getpid(), signal.SIGKILL)

        callbacks.append(Stop())
    model.fit(
        *data(), batch_size=BATCH_SIZE, shuffle=False, verbose=0,
        epochs=EPOCHS, initial_epoch=initial_epoch, callbacks=callbacks,
    )
    np.savez(args.work_dir / "weights.npz", *model.get_weights())


if __name__ == "__main__":
    main()
