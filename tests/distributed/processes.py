"""One of two JAX processes training together; prints what it ended with, as JSON.

    python tests/distributed/processes.py PROCESS_ID PORT WORK_DIR RUN

Process `PROCESS_ID` (0 or 1) joins `jax.distributed` with its coordinator
on 127.0.0.1:PORT, and trains under `keras.distribution.DataParallel` over
both processes' CPU devices, feeding its half of each global batch, as
`examples/two_processes.py` does (with its functions). The
callbacks: `Warmup(CosineDecay)` through our `ReduceLROnPlateau`,
`LearningRateMonitor(update_freq="batch")` into WORK_DIR/logs (shared),
`StochasticWeightAveraging`, and Keras's `BackupAndRestore` into
WORK_DIR/backup_PROCESS_ID (one directory per process). RUN is "first"
(the range test runs before training), a step (the process SIGKILLs itself
before it) or "resumed". `train` (one process, the whole global batch) is
the reference, imported by the test.
"""

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from keras_lrs.callbacks import (  # noqa: E402
    LearningRateMonitor,
    ReduceLROnPlateau,
    StochasticWeightAveraging,
)

PROCESSES = 2
EPOCHS = 5
STEPS_PER_EPOCH = 6
GLOBAL_BATCH = 8


def data():
    """The examples of an epoch, in the order of the global batches."""
    features = np.random.RandomState(0).uniform(-1, 1, (STEPS_PER_EPOCH * GLOBAL_BATCH, 4))
    targets = np.sin(3 * features).sum(axis=1, keepdims=True)
    return features.astype("float32"), targets.astype("float32")


def schedule():
    return s.Warmup(s.CosineDecay(0.2, EPOCHS * STEPS_PER_EPOCH), 4)


def build_model():
    # The same initial weights in every process: Keras checks that a
    # replicated variable starts equal everywhere.
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
    )
    random = np.random.RandomState(1)
    model.set_weights([random.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizer=keras.optimizers.SGD(schedule(), momentum=0.5), loss="mse")
    return model


def callbacks(work_dir):
    return [
        # A loss that must fall by a tenth each epoch: it stops doing so
        # soon, and the rate is cut (the test checks that it was).
        ReduceLROnPlateau(monitor="loss", min_delta=0.1, patience=0, factor=0.5),
        LearningRateMonitor(Path(work_dir) / "logs", update_freq="batch"),
        StochasticWeightAveraging(start_epoch=3),
    ]


def summary(model, history):
    return {
        "weights": [w.ravel().tolist() for w in model.get_weights()],
        "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        "learning_rate": history.history["learning_rate"],
        "loss": history.history["loss"],
    }


def range_test(model, batches):
    """The range test's losses (its progress bar shown), and whether it
    restored the model and the optimizer bit for bit."""
    def state():
        return [keras.ops.convert_to_numpy(v) for v in model.variables + model.optimizer.variables]

    model.optimizer.build(model.trainable_variables)
    before = state()
    result = keras_lrs.find_learning_rate(
        model, batches, start_learning_rate=1e-3, end_learning_rate=1.0, num_steps=6
    )
    restored = all(np.array_equal(a, b) for a, b in zip(before, state(), strict=True))
    return {"range_test_losses": result.losses.tolist(), "range_test_restored": restored}


def train(work_dir):
    """One process on the whole global batch: the reference."""
    model = build_model()
    x, y = data()
    starts = range(0, len(x), GLOBAL_BATCH)
    tested = range_test(model, [(x[i:i + GLOBAL_BATCH], y[i:i + GLOBAL_BATCH]) for i in starts])
    history = model.fit(
        x, y, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
        callbacks=callbacks(work_dir),
    )
    return {**summary(model, history), **tested}


class KillAt(keras.callbacks.Callback):
    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_begin(self, batch, logs=None):
        if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) >= self.step:
            os.kill(os.getpid(), signal.SIGKILL)


def main(process_id, port, work_dir, run):
    # As the example does it (the docs show it): join, then feed this
    # process's half of each global batch.
    import jax

    from examples.two_processes import join, local_batches

    join(process_id, f"127.0.0.1:{port}", PROCESSES)
    model = build_model()
    dataset = local_batches(*data(), GLOBAL_BATCH)
    tested = range_test(model, list(dataset.as_numpy_iterator())) if run == "first" else {}
    extra = [KillAt(int(run))] if run.isdigit() else []
    backup = keras.callbacks.BackupAndRestore(Path(work_dir) / f"backup_{process_id}")
    history = model.fit(
        dataset, epochs=EPOCHS, verbose=0,
        callbacks=[backup, *callbacks(work_dir), *extra],
    )
    print(
        json.dumps({"process": jax.process_index(), **summary(model, history), **tested}),
        flush=True,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:])
