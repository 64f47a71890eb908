"""Cost of `learning_rate_multipliers`: train steps with and without.

The same model and optimizer class, once with `layer_decay` multipliers
(one group per layer) and once without, compiled train steps alternated
round by round; prints the median time per step of each and their ratio,
and writes them as JSON.

    KERAS_BACKEND=jax python benchmarks/multipliers_cost.py --out cost.json
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_lrs


def _model(multipliers):
    model = keras.Sequential(
        [keras.Input((64,))]
        + [keras.layers.Dense(64, activation="relu", name=f"d{i}") for i in range(8)]
        + [keras.layers.Dense(10, name="head")]
    )
    decay = keras_lrs.optimizers.layer_decay(model, 0.8) if multipliers else None
    model.compile(keras_lrs.optimizers.AdamW(1e-3, learning_rate_multipliers=decay),
                  "sparse_categorical_crossentropy", jit_compile=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--out")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 64)).astype("float32")
    y = rng.integers(0, 10, size=32)
    models = {"without": _model(False), "with": _model(True)}
    for model in models.values():
        model.train_on_batch(x, y)
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(args.steps):
                model.train_on_batch(x, y)
            times[name].append((time.perf_counter() - start) / args.steps)
    median = {name: float(np.median(t)) for name, t in times.items()}
    result = {"backend": keras.backend.backend(), "keras": keras.__version__,
              "median_step_s": median, "ratio": median["with"] / median["without"]}
    print(f"{result['backend']}: without {median['without'] * 1e6:.0f} us, "
          f"with {median['with'] * 1e6:.0f} us, ratio {result['ratio']:.3f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
