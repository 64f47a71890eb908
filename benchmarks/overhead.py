"""The cost of a learning-rate schedule inside the training step.

A small model whose step is cheap (so that overhead shows) is trained with
`jit_compile=True` and `steps_per_execution=32` (1 on PyTorch, where Keras
allows no more) under each configuration: a float rate, Keras's built-in
`CosineDecay`, every keras_lrs schedule (the list of `tests/cases.py`),
`Warmup(CosineRestarts)` under `ReduceLROnPlateau`, `LearningRateMonitor`
with one TensorBoard point per step, and the usual community approach, a
Python callback that sets the rate before every batch (which needs
`steps_per_execution=1` to do what it says).

The configurations are timed side by side: every round times one epoch of
each, in a shuffled order, after a compiled warm-up. The table gives the
median time per step and the median over the rounds of its ratio to the
float rate's time in the same round, with the range of the middle half of
those ratios (how noisy the machine was). Run once per backend:

    KERAS_BACKEND=jax python benchmarks/overhead.py --out benchmarks/results/overhead-jax.json
"""

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from tests.cases import CASE_NAMES, make  # noqa: E402


class PerBatchRate(keras.callbacks.Callback):
    """The community approach: set the rate from Python before every batch."""

    def __init__(self, schedule_fn):
        super().__init__()
        self.schedule_fn = schedule_fn
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate = self.schedule_fn(self.step)
        self.step += 1


def _cosine(step, peak=0.01, decay_steps=10_000):
    return 0.5 * peak * (1 + math.cos(math.pi * min(step, decay_steps) / decay_steps))


def configurations(log_dir):
    """name -> (learning rate, callbacks, steps per execution)."""
    fast = 1 if keras.backend.backend() == "torch" else 32
    configs = {
        "float rate": (0.01, [], fast),
        "keras CosineDecay": (keras.optimizers.schedules.CosineDecay(0.01, 10_000), [], fast),
    }
    for name in CASE_NAMES:
        configs[f"keras_lrs {name}"] = (make(name), [], fast)
    configs["Warmup(CosineRestarts) + ReduceLROnPlateau"] = (
        s.Warmup(s.CosineRestarts(0.01, 1000), 100),
        [keras_lrs.callbacks.ReduceLROnPlateau(monitor="loss", patience=2)],
        fast,
    )
    configs["CosineDecay + LearningRateMonitor(batch)"] = (
        s.CosineDecay(0.01, 10_000),
        [keras_lrs.callbacks.LearningRateMonitor(log_dir, update_freq="batch")],
        fast,
    )
    configs["per-batch Python callback (spe=1)"] = (0.01, [PerBatchRate(_cosine)], 1)
    configs["float rate (spe=1)"] = (0.01, [], 1)
    return configs


def compile_every_model():
    """Lets torch.compile compile each of the models, not just the first few.

    torch.compile compiles the train step's code again for each model, and
    past `recompile_limit` (8) recompilations it silently runs the code
    eagerly: without this, the configurations compiled last would be timed
    uncompiled, at twice the time per step or more.
    """
    if keras.backend.backend() != "torch":
        return
    import torch._dynamo

    for name in ("recompile_limit", "accumulated_recompile_limit",
                 "cache_size_limit", "accumulated_cache_size_limit"):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, 4096)


def build(learning_rate, steps_per_execution, features):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
        loss="mse",
        jit_compile=True,
        steps_per_execution=steps_per_execution,
    )
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1024, help="steps per timed epoch")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument(
        "--configurations", type=lambda text: text.split(","),
        help="comma-separated names of the configurations to time (the float "
        "rate always is); all by default",
    )
    args = parser.parse_args()

    features, batch_size = 16, 8
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.steps * batch_size, features)).astype("float32")
    y = rng.normal(size=(args.steps * batch_size, 1)).astype("float32")

    compile_every_model()
    with tempfile.TemporaryDirectory() as log_dir:
        models = {}
        chosen = configurations(log_dir)
        if args.configurations:
            unknown = set(args.configurations) - set(chosen)
            if unknown:
                parser.error(f"unknown configurations: {', '.join(sorted(unknown))}")
            chosen = {name: config for name, config in chosen.items()
                      if name == "float rate" or name in args.configurations}
        for name, (rate, callbacks, spe) in chosen.items():
            model = build(rate, spe, features)
            model.fit(x[: 64 * batch_size], y[: 64 * batch_size], batch_size=batch_size,
                      epochs=1, verbose=0, callbacks=callbacks)  # compile, warm up
            models[name] = (model, callbacks)
        times = {name: [] for name in models}
        order = list(models)
        shuffler = random.Random(0)
        for _ in range(args.rounds):
            shuffler.shuffle(order)  # no configuration always runs first
            for name in order:
                model, callbacks = models[name]
                start = time.perf_counter()
                model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0,
                          shuffle=False, callbacks=callbacks)
                times[name].append((time.perf_counter() - start) / args.steps)

    # A ratio per round, to the float rate timed in the same round, so that
    # a slow drift of the machine's speed cancels out; the median over the
    # rounds, and the spread of the middle half of them.
    baseline = times["float rate"]
    rows = []
    for name, samples in times.items():
        ratios = [t / b for t, b in zip(samples, baseline)]
        low, high = np.percentile(ratios, [25, 75])
        rows.append({
            "configuration": name,
            "median_step_us": statistics.median(samples) * 1e6,
            "ratio_to_float_rate": statistics.median(ratios),
            "ratio_quartiles": [float(low), float(high)],
            "samples_us": [t * 1e6 for t in samples],
        })

    backend = keras.backend.backend()
    print(f"backend={backend}  steps/epoch={args.steps}  rounds={args.rounds}  "
          f"machine={platform.machine()} {os.cpu_count()} CPUs")
    print(f"{'configuration':48s} {'median µs/step':>15s} {'vs float rate':>14s} "
          f"{'middle half of rounds':>22s}")
    for row in rows:
        low, high = row["ratio_quartiles"]
        print(f"{row['configuration']:48s} {row['median_step_us']:15.2f} "
              f"{row['ratio_to_float_rate']:13.3f}x {low:10.3f}x - {high:.3f}x")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "backend": backend, "keras": keras.__version__,
            "steps_per_epoch": args.steps, "rounds": args.rounds,
            "cpus": os.cpu_count(), "machine": platform.platform(),
            "results": rows,
        }, indent=2))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
