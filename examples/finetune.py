"""Fine-tunes the Fashion-MNIST CNN on new classes, four ways of treating
the pretrained backbone, and prints a table of test accuracies.

The network is `fashion_mnist.py`'s smaller CNN (its `--quick` net: three
Conv-BN-ReLU blocks, global average pooling, a dense head), built, fed and
optimized with that script's functions. Per seed it is pretrained once on
classes 0-4, then a copy of the pretrained backbone with a new 5-way head is
fine-tuned on 1,000 training images of classes 5-9 (a sample drawn with the
seed), with each method:

- `head_only`: the backbone frozen (`trainable = False`), only the head trains;
- `plain`: every layer at the same rate;
- `gradual_unfreezing`: `learning_rate_multipliers` with one schedule per
  block, 0 then 1: the head trains from the start, the last block thaws after
  a quarter of the steps, the one before after half, the first after three
  quarters (ULMFiT's order, by steps);
- `layer_decay`: `keras_lrs.optimizers.layer_decay(model, 0.7)`.

Every method uses the same optimizer (AdamW, a linear warmup then a cosine
from `--learning-rate`), the same head initialization and batches. The score
is the accuracy on all 5,000 test images of classes 5-9.

Usage:

    python examples/finetune.py                      # 3 seeds
    python examples/finetune.py --out finetune.json  # also write the JSON
    python examples/finetune.py --quick              # tiny slices, 1 seed

The last line of the output is the JSON summary.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

# Run from a checkout without installing: the package lies one folder up,
# and fashion_mnist.py beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fashion_mnist as fm  # noqa: E402

PROG = "finetune.py"
OLD_CLASSES = np.arange(0, 5)
NEW_CLASSES = np.arange(5, 10)
METHODS = ("head_only", "plain", "gradual_unfreezing", "layer_decay")
LAYER_DECAY = 0.7


class Sizes:
    """How much data and how many epochs each phase uses."""

    def __init__(self, quick):
        self.pretrain_images = 2000 if quick else 15000
        self.pretrain_epochs = 1 if quick else 3
        self.finetune_images = 200 if quick else 1000
        self.finetune_epochs = 2 if quick else 12
        self.test_images = 500 if quick else None  # None: all of them


def parse_args(argv=None):
    parser = fm.OneLineErrorParser(prog=PROG, description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=fm.positive_int, help="default: 3, 1 with --quick")
    parser.add_argument(
        "--learning-rate", type=fm.positive_float, default=1e-3,
        help="the fine-tuning peak rate (default: %(default)s)",
    )
    parser.add_argument("--batch-size", type=fm.positive_int, default=32)
    parser.add_argument("--out", help="write the JSON summary here too")
    parser.add_argument(
        "--quick", action="store_true",
        help="tiny slices (2000 pretraining, 200 fine-tuning, 500 test images), 1 seed",
    )
    fm.add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    return args


def of_classes(images, labels, classes):
    keep = np.isin(labels, classes)
    return images[keep], labels[keep] - classes[0]


def pretrain(x, y, sizes, seed):
    """The CNN trained on the old classes; its weights."""
    import keras

    keras.utils.set_random_seed(seed)
    model = fm.build_model(fm.QUICK_NET)
    plan = fm.StepPlan(math.ceil(len(x) / 128), sizes.pretrain_epochs)
    schedule = fm.build_schedule("warmup_cosine", fm.PEAK_LEARNING_RATES["adamw"], plan)
    model.compile(
        optimizer=fm.build_optimizer("adamw", schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
    )
    model.fit(fm.to_inputs(x), fm.to_targets(y), batch_size=128,
              epochs=sizes.pretrain_epochs, verbose=0)
    return model.get_weights()


def new_head_model(pretrained_weights, seed):
    """The pretrained backbone (up to the pooling) and a new 5-way head."""
    import keras

    pretrained = fm.build_model(fm.QUICK_NET)
    pretrained.set_weights(pretrained_weights)
    features = pretrained.layers[-2].output
    keras.utils.set_random_seed(seed)  # the same head and batches per method
    head = keras.layers.Dense(len(NEW_CLASSES), activation="softmax", name="new_head")
    return keras.Model(pretrained.input, head(features))


def multipliers(method, model, total_steps):
    """`learning_rate_multipliers` of the method (None: every rate alike)."""
    from keras_lrs import optimizers, schedules

    if method == "layer_decay":
        return optimizers.layer_decay(model, LAYER_DECAY)
    if method != "gradual_unfreezing":
        return None
    # One expression per layer with weights, in order; the head is last, the
    # blocks are (conv, batch norm) pairs before it.
    layers = list(optimizers.layer_decay(model, 1.0))[:-1]
    blocks = [layers[i:i + 2] for i in range(0, len(layers), 2)]
    thawed = {}
    for depth, block in enumerate(reversed(blocks), start=1):
        thaw_step = depth * total_steps // (len(blocks) + 1)
        for expression in block:
            thawed[expression] = schedules.PiecewiseConstant([thaw_step], [0.0, 1.0])
    return thawed


def finetune(method, pretrained_weights, data, args, sizes, seed):
    """The test accuracy after fine-tuning with `method`."""
    import keras

    import keras_lrs

    (x, y), (x_test, y_test) = data
    model = new_head_model(pretrained_weights, seed)
    if method == "head_only":
        for layer in model.layers[:-1]:
            layer.trainable = False
    plan = fm.StepPlan(math.ceil(len(x) / args.batch_size), sizes.finetune_epochs)
    schedule = fm.build_schedule("warmup_cosine", args.learning_rate, plan)
    model.compile(
        optimizer=keras_lrs.optimizers.AdamW(
            schedule, weight_decay=fm.WEIGHT_DECAYS["adamw"],
            learning_rate_multipliers=multipliers(method, model, plan.total_steps),
        ),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    targets = np.eye(len(NEW_CLASSES), dtype="float32")
    model.fit(fm.to_inputs(x), targets[y], batch_size=args.batch_size,
              epochs=sizes.finetune_epochs, verbose=0)
    return fm.evaluate_accuracy(model, fm.to_inputs(x_test), targets[y_test], 256)


def summarize(accuracies):
    """{method: mean, sample standard deviation, min, max, per seed}."""
    summary = {}
    for method, values in accuracies.items():
        values = np.array(values)
        summary[method] = {
            "mean": round(float(values.mean()), 4),
            "std": round(float(values.std(ddof=1)), 4) if len(values) > 1 else None,
            "min": round(float(values.min()), 4),
            "max": round(float(values.max()), 4),
            "per_seed": [round(float(v), 4) for v in values],
        }
    return summary


def print_table(summary, seeds):
    print(f"\n{'method':<20} {'mean':>7} {'std':>7} {'min':>7} {'max':>7}  ({seeds} seeds)")
    for method, row in summary.items():
        std = "-" if row["std"] is None else f"{row['std']:.4f}"
        print(f"{method:<20} {row['mean']:>7.4f} {std:>7} "
              f"{row['min']:>7.4f} {row['max']:>7.4f}")


def run(args, dataset, source):
    import keras

    sizes = Sizes(args.quick)
    (x_train, y_train), (x_test, y_test) = dataset
    x_old, y_old = of_classes(x_train, y_train, OLD_CLASSES)
    x_new, y_new = of_classes(x_train, y_train, NEW_CLASSES)
    test = of_classes(x_test, y_test, NEW_CLASSES)[:2]
    if sizes.test_images is not None:
        test = (test[0][:sizes.test_images], test[1][:sizes.test_images])
    x_old, y_old = x_old[:sizes.pretrain_images], y_old[:sizes.pretrain_images]
    print(f"backend: {keras.backend.backend()}, device: {fm.describe_device()}, "
          f"data: {source}")
    print(f"pretraining on {len(x_old)} images of classes 0-4, "
          f"{sizes.pretrain_epochs} epochs; fine-tuning on {sizes.finetune_images} "
          f"of classes 5-9, {sizes.finetune_epochs} epochs; testing on "
          f"{len(test[0])} of classes 5-9")
    started = time.perf_counter()
    accuracies = {method: [] for method in METHODS}
    for seed in range(args.seeds):
        weights = pretrain(x_old, y_old, sizes, seed)
        sample = np.random.default_rng(seed).choice(
            len(x_new), sizes.finetune_images, replace=False)
        data = ((x_new[sample], y_new[sample]), test)
        for method in METHODS:
            accuracy = finetune(method, weights, data, args, sizes, seed)
            accuracies[method].append(accuracy)
            print(f"seed {seed}: {method:<20} test accuracy {accuracy:.4f}", flush=True)
    wall_time = time.perf_counter() - started
    summary = summarize(accuracies)
    print_table(summary, args.seeds)
    document = {
        "methods": summary,
        "seeds": args.seeds,
        "quick": args.quick,
        "pretrain_images": len(x_old),
        "pretrain_epochs": sizes.pretrain_epochs,
        "finetune_images": sizes.finetune_images,
        "finetune_epochs": sizes.finetune_epochs,
        "test_images": len(test[0]),
        "learning_rate": args.learning_rate,
        "layer_decay": LAYER_DECAY,
        "wall_time_s": round(wall_time, 1),
        "backend": keras.backend.backend(),
        "device": fm.describe_device(),
    }
    if args.out:
        Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {args.out}")
    print(json.dumps(document))
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        dataset, source = fm.load_dataset(args.data_dir)
        return run(args, dataset, source)
    except fm.InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
