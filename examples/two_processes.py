"""Trains one model on several JAX processes, with keras_lrs's callbacks.

    python examples/two_processes.py            # two processes on this machine
    python examples/two_processes.py ID HOST:PORT COUNT   # on each machine

Each process joins `jax.distributed` (its coordinator is process 0 at
HOST:PORT), trains under `keras.distribution.DataParallel` over every
process's devices and feeds its own part of each global batch. Process 0
writes the TensorBoard events (`logs/`); each process backs up to its own
directory (`backup/process_ID`), so that a run killed at any point resumes
exactly when all processes are started again.
"""

import argparse
import inspect
import os
import socket
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
# Run from a checkout without installing: the package lies one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_lrs import schedules  # noqa: E402
from keras_lrs.callbacks import (  # noqa: E402
    LearningRateMonitor,
    ReduceLROnPlateau,
    StochasticWeightAveraging,
)

GLOBAL_BATCH = 64
EPOCHS = 8


def join(process_id, coordinator, num_processes):
    """Joins the other processes; the model's variables are replicated on
    all their devices, each global batch split among them."""
    import jax

    # Collectives between CPU processes (GPUs use NCCL, TPUs their own).
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    # Where this JAX has them: a process whose peer died stops in seconds.
    accepted = inspect.signature(jax.distributed.initialize).parameters
    timeouts = {
        name: 10
        for name in ("heartbeat_timeout_seconds", "shutdown_timeout_seconds")
        if name in accepted
    }
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes,
        process_id=process_id, **timeouts,
    )
    keras.distribution.set_distribution(
        # Each process feeds its own examples: no automatic sharding.
        keras.distribution.DataParallel(devices=jax.devices(), auto_shard_dataset=False)
    )


def local_batches(x, y, global_batch):
    """This process's part of each global batch of (x, y), in order, as a
    `tf.data.Dataset` (what Keras takes from several processes)."""
    import jax
    import tensorflow as tf

    count, index = jax.process_count(), jax.process_index()
    local = global_batch // count

    def mine(array):
        parts = array.reshape(-1, count, local, *array.shape[1:])
        return parts[:, index].reshape(-1, *array.shape[1:])

    return tf.data.Dataset.from_tensor_slices((mine(x), mine(y))).batch(local)


def train(process_id, coordinator, num_processes):
    join(process_id, coordinator, num_processes)
    keras.utils.set_random_seed(0)  # the same initial weights everywhere
    x = np.random.RandomState(0).normal(size=(GLOBAL_BATCH * 16, 10)).astype("float32")
    y = (x[:, :1] * x[:, 1:2] > 0).astype("float32")
    model = keras.Sequential(
        [keras.Input((10,)), keras.layers.Dense(32, activation="relu"),
         keras.layers.Dense(1, activation="sigmoid")]
    )
    schedule = schedules.Warmup(schedules.CosineDecay(0.05, EPOCHS * 16), 16)
    model.compile(keras.optimizers.SGD(schedule, momentum=0.9), "binary_crossentropy")
    model.fit(
        local_batches(x, y, GLOBAL_BATCH), epochs=EPOCHS, verbose=0, shuffle=False,
        callbacks=[
            keras.callbacks.BackupAndRestore(f"backup/process_{process_id}"),
            ReduceLROnPlateau("loss", patience=1, verbose=1),
            LearningRateMonitor("logs", update_freq="batch"),
            StochasticWeightAveraging(start_epoch=6, verbose=1),
        ],
    )
    # The same on every process.
    print(f"process {process_id}: loss {model.evaluate(local_batches(x, y, GLOBAL_BATCH), verbose=0):.4f}")


def start_both():
    """Both processes on this machine, the coordinator on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        coordinator = f"127.0.0.1:{probe.getsockname()[1]}"
    env = dict(os.environ, KERAS_BACKEND="jax")
    processes = [
        subprocess.Popen([sys.executable, __file__, str(i), coordinator, "2"], env=env)
        for i in range(2)
    ]
    return max(process.wait() for process in processes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "process_id", nargs="?", type=int,
        help="this process's index, from 0; without it, both processes start here",
    )
    parser.add_argument("coordinator", nargs="?", help="HOST:PORT of process 0")
    parser.add_argument("num_processes", nargs="?", type=int, help="how many processes")
    args = parser.parse_args()
    if args.process_id is None:
        return start_both()
    if args.coordinator is None or args.num_processes is None:
        parser.error("give PROCESS_ID, COORDINATOR and NUM_PROCESSES, or none")
    train(args.process_id, args.coordinator, args.num_processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
