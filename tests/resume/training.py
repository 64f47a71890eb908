"""A small training run that can be killed, resumed, saved and reloaded.

Run by `tests/resume/test_resume.py` in subprocesses, on the backend that
`KERAS_BACKEND` selects:

    python tests/resume/training.py WORK_DIR [--kill-at EPOCH BATCH]
    python tests/resume/training.py WORK_DIR --stop-after EPOCH
    python tests/resume/training.py WORK_DIR --reload-from MODEL.keras
    (each with --order plateau-first or backup-first)

It trains with `Warmup(CosineRestarts)`, `ReduceLROnPlateau`,
`LearningRateMonitor(update_freq="batch")` and `BackupAndRestore`, on
fixed data in a fixed order. `--kill-at` sends SIGKILL to itself at the
start of that batch, after the monitor's last write; `--stop-after` saves
`WORK_DIR/model.keras` after that many epochs; `--reload-from` loads a
model and continues with `fit(initial_epoch=...)` from its step count.
Each epoch's end appends the plateau state to `WORK_DIR/states.jsonl`; the
end of the run writes the weights to `WORK_DIR/weights.npz`.
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau  # noqa: E402

EPOCHS = 9
# Where BackupAndRestore is listed: after the plateau callback, or first (as
# most Keras examples list it).
ORDERS = ("plateau-first", "backup-first")
BATCH_SIZE = 8
STEPS_PER_EPOCH = 8


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH_SIZE * STEPS_PER_EPOCH, 4)).astype("float32")
    y = np.sin(x @ np.array([1.0, -2.0, 0.5, 1.5], "float32"))[:, None]
    return x, y


def build_model(optimizer=None):
    """The net, compiled with `optimizer` (by default Adam with
    `Warmup(CosineRestarts)`)."""
    # Initial weights from NumPy: the same run on every backend.
    rng = np.random.default_rng(1)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(
                16, activation="tanh",
                kernel_initializer=keras.initializers.Constant(rng.normal(size=(4, 16)) * 0.5),
            ),
            keras.layers.Dense(
                1, kernel_initializer=keras.initializers.Constant(rng.normal(size=(16, 1)) * 0.25),
            ),
        ]
    )
    if optimizer is None:
        schedule = s.Warmup(s.CosineRestarts(0.05, 12, t_mul=2.0), 4)
        optimizer = keras.optimizers.Adam(schedule)
    model.compile(optimizer=optimizer, loss="mse")
    return model


class RecordState(keras.callbacks.Callback):
    """Appends the plateau callback's state after each epoch."""

    def __init__(self, plateau, path):
        super().__init__()
        self.plateau, self.path = plateau, path

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        state = {
            "epoch": epoch,
            "step": int(keras.ops.convert_to_numpy(optimizer.iterations)),
            "scale": optimizer._learning_rate.scale,
            "best": self.plateau.best,
            "wait": self.plateau.wait,
            "cooldown_counter": self.plateau.cooldown_counter,
        }
        with open(self.path, "a") as file:
            file.write(json.dumps(state) + "\n")


class KillAt(keras.callbacks.Callback):
    """SIGKILL at the begin of batch `batch` of epoch `epoch`.

    It waits past the monitor's write interval at the end of the batch
    before, so the monitor writes at the begin of the fatal batch.
    """

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current_epoch = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current_epoch == self.epoch and batch == self.batch - 1:
            time.sleep(LearningRateMonitor.write_interval + 0.2)

    def on_train_batch_begin(self, batch, logs=None):
        if self.current_epoch == self.epoch and batch == self.batch:
            os.kill(os.getpid(), signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--kill-at", type=int, nargs=2, metavar=("EPOCH", "BATCH"))
    parser.add_argument("--stop-after", type=int)
    parser.add_argument("--reload-from", type=Path)
    parser.add_argument("--order", choices=ORDERS, default=ORDERS[0])
    args = parser.parse_args()

    if args.reload_from:
        model = keras_lrs.load_model(args.reload_from)
        step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        initial_epoch = step // STEPS_PER_EPOCH
    else:
        model = build_model()
        initial_epoch = 0
    plateau = ReduceLROnPlateau.from_torch(
        monitor="loss", factor=0.5, patience=1, threshold=0.15
    )
    callbacks = [
        plateau,
        LearningRateMonitor(args.work_dir / "logs", update_freq="batch"),
        RecordState(plateau, args.work_dir / "states.jsonl"),
    ]
    backup = keras.callbacks.BackupAndRestore(str(args.work_dir / "backup"))
    if args.order == "plateau-first":
        callbacks.append(backup)
    else:
        callbacks.insert(0, backup)
    if args.kill_at:
        callbacks.append(KillAt(*args.kill_at))
    model.fit(
        *data(), batch_size=BATCH_SIZE, shuffle=False, verbose=0,
        epochs=args.stop_after or EPOCHS, initial_epoch=initial_epoch,
        callbacks=callbacks,
    )
    if args.stop_after:
        model.save(args.work_dir / "model.keras")
    np.savez(args.work_dir / "weights.npz", *model.get_weights())


if __name__ == "__main__":
    main()
