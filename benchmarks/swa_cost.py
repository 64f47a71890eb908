"""Host time of StochasticWeightAveraging's averaging at an epoch end.

Trains a model for a few epochs with the callback averaging every epoch
and times the callback's `on_epoch_end` (where it reads the weights, adds
them to the float64 mean and writes the float32 average back), against
the epoch's wall time. Prints a table; writes JSON to
benchmarks/results/swa_cost-<backend>.json.

    KERAS_BACKEND=jax python benchmarks/swa_cost.py [--epochs 4] [--out DIR]
"""

import argparse
import json
import os
import time
from pathlib import Path

import keras
import numpy as np

from keras_lrs.callbacks import StochasticWeightAveraging

RESULTS = Path(__file__).with_name("results")
# (name, hidden widths): the number of weights the average copies.
MODELS = [("mlp-small", [64]), ("mlp-1M", [1024, 512]), ("mlp-8M", [2048, 2048, 1024])]


class Timed(StochasticWeightAveraging):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.averaging_s, self.epoch_s = [], []

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        ended = time.perf_counter()
        self.averaging_s.append(ended - started)
        self.epoch_s.append(ended - self._epoch_started)


def measure(widths, epochs, steps):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((784,))]
    layers += [keras.layers.Dense(w, activation="relu") for w in widths]
    layers.append(keras.layers.Dense(10))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=True)
    x = np.random.default_rng(0).normal(size=(steps * 64, 784)).astype("float32")
    y = np.zeros((len(x), 10), "float32")
    swa = Timed(0)
    model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, callbacks=[swa])
    # Epoch 0 compiles the train step and creates nothing new for the
    # callback; the medians are over epochs 1 and later.
    averaging = float(np.median(swa.averaging_s[1:]))
    epoch = float(np.median(swa.epoch_s[1:]))
    return {
        "weights": int(sum(np.prod(w.shape) for w in model.weights)),
        "steps_per_epoch": steps,
        "averaging_ms": averaging * 1e3,
        "epoch_ms": epoch * 1e3,
        "fraction": averaging / epoch,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--models", default=",".join(name for name, _ in MODELS))
    parser.add_argument("--out", type=Path, default=RESULTS, metavar="DIR")
    args = parser.parse_args()
    backend = keras.backend.backend()
    chosen = args.models.split(",")
    rows = {
        name: measure(widths, args.epochs, args.steps)
        for name, widths in MODELS if name in chosen
    }
    print(f"backend {backend}, {args.steps} steps of batch 64 per epoch, median of epochs 1..{args.epochs - 1}")
    print(f"{'model':<10} {'weights':>10} {'averaging ms':>13} {'epoch ms':>10} {'share':>7}")
    for name, row in rows.items():
        print(
            f"{name:<10} {row['weights']:>10} {row['averaging_ms']:>13.2f} "
            f"{row['epoch_ms']:>10.1f} {row['fraction']:>7.1%}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"swa_cost-{backend}.json"
    summary = {
        "backend": backend,
        "keras": keras.__version__,
        "cpu_count": os.cpu_count(),
        "epochs": args.epochs,
        "models": rows,
    }
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
