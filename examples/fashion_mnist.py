"""Trains a batch-normalized CNN on Fashion-MNIST with any keras_lrs schedule.

Runs on every Keras backend (set `KERAS_BACKEND` to `tensorflow`, `jax` or
`torch`) and on the GPU when the backend sees one. Every schedule is built
from the number of steps the data makes: `steps_per_epoch` batches per
epoch, `total_steps` in the run, and a warmup of 5% of the steps (at most
one epoch) for the schedules that warm up.

Usage:

    python examples/fashion_mnist.py                 # warmup_cosine, AdamW
    python examples/fashion_mnist.py --schedule one_cycle --optimizer sgd
    python examples/fashion_mnist.py --quick --save /tmp/model.keras
    python examples/fashion_mnist.py --quick --swa    # weight averaging
    KERAS_BACKEND=jax python examples/fashion_mnist.py --log-dir logs/fmnist

`--quick` trains a smaller net on 6000 training and 2000 test images for
3 epochs (about a minute on an idle 2-core CPU, 84% test accuracy);
the full run aims at 93.5% or more in 15 epochs. The data comes from
`--data-dir` (a directory with the four `.gz` files of Fashion-MNIST),
else from `keras.datasets.fashion_mnist.load_data()`, else, without a
network, from Debian's copy in /usr/share/datasets/fashion-mnist.

Keras is imported only once the command line and the data are checked, so
a bad input fails at once with a one-line message on stderr (exit code 2),
before TensorFlow's start-up logging. The last line of the output is a
JSON summary: schedule, epochs, test_accuracy, wall_time_s (seconds spent
in `model.fit`), backend and device.
"""

import argparse
import dataclasses
import gzip
import json
import math
import os
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np

# Run from a checkout without installing: the package lies one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROG = "fashion_mnist.py"
DEBIAN_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
QUICK_TRAIN_IMAGES = 6000
QUICK_TEST_IMAGES = 2000
DEFAULT_EPOCHS = 15
QUICK_EPOCHS = 3
RANGE_TEST_STEPS = 100
QUICK_RANGE_TEST_STEPS = 40
SWA_BATCH_NORM_IMAGES = 10000  # for the batch-norm refresh after --swa
PEAK_LEARNING_RATES = {"adamw": 3e-3, "sgd": 0.1}
WEIGHT_DECAYS = {"adamw": 0.05, "sgd": 5e-4}
WARMUP_FRACTION = 0.05
END_FRACTION = 1e-3  # annealing schedules end at peak * END_FRACTION
SCHEDULES = {
    "constant": "the peak rate throughout",
    "step": "x0.1 every third of the epochs (FromEpochs(StepDecay))",
    "multistep": "x0.1 at 50% and 75% of the steps (MultiStepDecay)",
    "exponential": "smoothly down to peak/100 at the end (ExponentialDecay)",
    "cosine": "cosine from the peak to peak/1000 (CosineDecay)",
    "warmup_cosine": "linear warmup, then cosine (Warmup(CosineDecay))",
    "cosine_restarts": "warmup, then 3 cosine cycles of doubling length "
    "(Warmup(CosineRestarts))",
    "one_cycle": "the one-cycle policy (OneCycle)",
    "cyclical": "triangle wave between peak/10 and peak, one cycle per "
    "epoch (Cyclical)",
    "wsd": "warmup, stable, then a 1-sqrt decay over the last 20% "
    "(WarmupStableDecay)",
    "plateau": "linear warmup, then cosine, halved whenever the training "
    "loss stalls for 2 epochs (Warmup(CosineDecay) + ReduceLROnPlateau)",
}


class InputError(Exception):
    """A bad input: reported in one line on stderr, with exit code 2."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


@dataclasses.dataclass(frozen=True)
class StepPlan:
    """How many optimizer steps the run makes, and how many warm up."""

    steps_per_epoch: int
    epochs: int

    @property
    def total_steps(self):
        return self.steps_per_epoch * self.epochs

    @property
    def warmup_steps(self):
        warmup = round(WARMUP_FRACTION * self.total_steps)
        return max(1, min(warmup, self.steps_per_epoch))


@dataclasses.dataclass(frozen=True)
class NetSize:
    """The CNN's shape: one pooled block of convolutions per width."""

    widths: tuple
    convs_per_block: int
    dropout: float  # after each block
    augment: bool


FULL_NET = NetSize((64, 128, 256), 2, dropout=0.25, augment=True)
QUICK_NET = NetSize((32, 64, 128), 1, dropout=0.0, augment=False)


def checked(kind, requirement, is_valid):
    """An argparse `type`: a `kind` that `is_valid`, else "must be ..."."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not is_valid(value):
            raise argparse.ArgumentTypeError(
                f"must be {requirement}. Received: {text!r}"
            )
        return value

    return parse


positive_int = checked(int, "an integer > 0", lambda value: value > 0)
positive_float = checked(
    float,
    "a finite number > 0",
    lambda value: math.isfinite(value) and value > 0,
)
seed_int = checked(
    int, "an integer in [0, 2**32)", lambda value: 0 <= value < 2**32
)


def keras_file(text):
    """An argparse `type` for a `.keras` path in an existing directory."""
    path = Path(text)
    if path.suffix != ".keras":
        raise argparse.ArgumentTypeError(
            f"must end with .keras. Received: {text!r}"
        )
    if not path.resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"its directory does not exist. Received: {text!r}"
        )
    return path


def add_data_dir_argument(parser):
    """`--data-dir`, shared with the other scripts that train on this data."""
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("FASHION_MNIST_DIR") or None,
        help="a directory with the four Fashion-MNIST .gz files (default: "
        "$FASHION_MNIST_DIR, else Keras's download, else "
        f"{DEBIAN_DATA_DIR})",
    )


def parse_args(argv=None):
    schedule_help = "; ".join(
        f"{name}: {description}" for name, description in SCHEDULES.items()
    ).replace("%", "%%")
    parser = OneLineErrorParser(
        prog=PROG, description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="warmup_cosine",
        help=f"the learning-rate schedule (default: %(default)s). "
        f"{schedule_help}",
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        help=f"default: {DEFAULT_EPOCHS}, {QUICK_EPOCHS} with --quick",
    )
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument(
        "--optimizer",
        choices=PEAK_LEARNING_RATES,
        default="adamw",
        help="adamw, or sgd with Nesterov momentum 0.9 (with one_cycle: the "
        "momentum cycled 0.95-0.85-0.95, as PyTorch does) (default: %(default)s)",
    )
    parser.add_argument(
        "--learning-rate",
        type=positive_float,
        help="the peak learning rate (default: 3e-3 for adamw, 0.1 for sgd)",
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--log-dir",
        help="write TensorBoard logs here: Keras's callback (without "
        "TensorFlow, which it writes through, the epoch logs in its stead), "
        "and the learning rate of every step (keras_lrs's LearningRateMonitor)",
    )
    parser.add_argument(
        "--find-lr",
        metavar="PLOT.png",
        help="first run the learning-rate range test, save its plot here, "
        "and train with its suggestion as the peak rate",
    )
    parser.add_argument(
        "--save",
        type=keras_file,
        metavar="PATH.keras",
        help="save the model, reload it and check its test accuracy",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smaller net on {QUICK_TRAIN_IMAGES} training and "
        f"{QUICK_TEST_IMAGES} test images, {QUICK_EPOCHS} epochs by default, "
        f"a range test of {QUICK_RANGE_TEST_STEPS} steps",
    )
    parser.add_argument(
        "--swa",
        action="store_true",
        help="stochastic weight averaging of the last epochs (a third, at "
        "least 2), batch normalization recomputed for the averaged weights "
        f"on {SWA_BATCH_NORM_IMAGES} training images",
    )
    parser.add_argument("--seed", type=seed_int, default=0)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else DEFAULT_EPOCHS
    if args.learning_rate is None:
        args.learning_rate = PEAK_LEARNING_RATES[args.optimizer]
    return args


def read_idx(path, item_shape):
    """The uint8 array `(count, *item_shape)` in a gzip-compressed IDX file."""
    if not path.is_file():
        raise InputError(f"missing data file {path}")
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"cannot decompress {path}: {error}") from None
    ndim = 1 + len(item_shape)
    header_size = 4 + 4 * ndim
    magic = 0x0800 + ndim  # unsigned bytes, `ndim` dimensions
    if len(raw) < header_size or int.from_bytes(raw[:4], "big") != magic:
        raise InputError(
            f"{path} is not an IDX file of {ndim}-d unsigned bytes "
            f"(expected magic number {magic:#010x})"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    if shape[1:] != item_shape:
        raise InputError(
            f"{path} holds items of shape {shape[1:]}, not {item_shape}"
        )
    data_size = len(raw) - header_size
    if data_size != math.prod(shape):
        raise InputError(
            f"{path} holds {data_size} bytes of data; its shape {shape} "
            f"needs {math.prod(shape)}"
        )
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape)


def read_split(data_dir, split):
    """The images and labels of the `train` or `test` split."""
    images_file, labels_file = IDX_FILES[split]
    images = read_idx(data_dir / images_file, IMAGE_SHAPE)
    labels = read_idx(data_dir / labels_file, ())
    if len(images) != len(labels):
        raise InputError(
            f"{data_dir}: {len(images)} {split} images but "
            f"{len(labels)} labels"
        )
    if labels.max(initial=0) >= NUM_CLASSES:
        raise InputError(f"{data_dir / labels_file}: a label is >= 10")
    return images, labels


def read_data_dir(data_dir):
    if not data_dir.is_dir():
        raise InputError(f"no data directory {data_dir}")
    return read_split(data_dir, "train"), read_split(data_dir, "test")


def load_dataset(data_dir):
    """`((x_train, y_train), (x_test, y_test))` as uint8 arrays, and source."""
    if data_dir is not None:
        return read_data_dir(Path(data_dir)), data_dir
    import keras

    try:
        return keras.datasets.fashion_mnist.load_data(), "keras.datasets"
    except Exception:  # Keras raises a bare Exception when it cannot download
        if DEBIAN_DATA_DIR.is_dir():
            return read_data_dir(DEBIAN_DATA_DIR), str(DEBIAN_DATA_DIR)
        raise InputError(
            "cannot download Fashion-MNIST and found no local copy; "
            "pass --data-dir"
        ) from None


def to_inputs(images):
    return (images.astype("float32") / 255.0)[..., np.newaxis]


def to_targets(labels):
    return np.eye(NUM_CLASSES, dtype="float32")[labels]


def build_schedule(name, peak, plan):
    """The schedule `name` for a run of `plan`'s steps, peaking at `peak`."""
    from keras_lrs import schedules

    end = peak * END_FRACTION
    warmup = plan.warmup_steps
    total = plan.total_steps
    annealing_steps = total - warmup
    decay_steps = total // 5
    builders = {
        "constant": lambda: peak,
        "step": lambda: schedules.FromEpochs(
            schedules.StepDecay(peak, step_size=max(1, plan.epochs // 3)),
            plan.steps_per_epoch,
            staircase=True,
        ),
        "multistep": lambda: schedules.MultiStepDecay(
            peak, milestones=[total // 2, total * 3 // 4]
        ),
        "exponential": lambda: schedules.ExponentialDecay(
            peak, plan.steps_per_epoch, decay_rate=0.01 ** (1 / plan.epochs)
        ),
        # A length left out (None) is the rest of training: `fit` sizes it.
        "cosine": lambda: schedules.CosineDecay(peak, end_learning_rate=end),
        "warmup_cosine": lambda: schedules.Warmup(
            schedules.CosineDecay(peak, end_learning_rate=end), warmup
        ),
        # The same curve; build_callbacks adds the plateau callback.
        "plateau": lambda: schedules.Warmup(
            schedules.CosineDecay(peak, end_learning_rate=end), warmup
        ),
        # Cycles of 1, 2 and 4 units fill the steps after the warmup.
        "cosine_restarts": lambda: schedules.Warmup(
            schedules.CosineRestarts(
                peak,
                annealing_steps // 7,
                t_mul=2.0,
                end_learning_rate=end,
                cycle_limit=3,
            ),
            warmup,
        ),
        "one_cycle": lambda: schedules.OneCycle(peak),
        "cyclical": lambda: schedules.Cyclical(
            peak / 10, peak, step_size_up=plan.steps_per_epoch // 2
        ),
        "wsd": lambda: schedules.WarmupStableDecay(
            peak,
            warmup,
            stable_steps=None,
            decay_steps=decay_steps,
            decay_shape="sqrt",
        ),
    }
    try:
        return builders[name]()
    except ValueError as error:
        raise InputError(
            f"schedule {name} does not fit a run of {total} steps: {error}"
        ) from None


def build_optimizer(name, learning_rate):
    import keras

    import keras_lrs

    if name == "sgd" and isinstance(learning_rate, keras_lrs.schedules.OneCycle):
        # One-cycle with SGD as PyTorch's OneCycleLR runs it: the momentum
        # cycles 0.95 -> 0.85 -> 0.95 against the rate (plain momentum, as
        # torch.optim.SGD's default: a scheduled momentum is not Nesterov's).
        return keras_lrs.optimizers.SGD(
            learning_rate,
            momentum=learning_rate.momentum_schedule(),
            weight_decay=WEIGHT_DECAYS[name],
        )
    if name == "sgd":
        return keras.optimizers.SGD(
            learning_rate,
            momentum=0.9,
            nesterov=True,
            weight_decay=WEIGHT_DECAYS[name],
        )
    return keras.optimizers.AdamW(
        learning_rate, weight_decay=WEIGHT_DECAYS[name]
    )


def conv_bn_relu(x, width):
    from keras import layers

    x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    return layers.ReLU()(x)


def build_model(size):
    """Blocks of (Conv-BN-ReLU) x n, max-pooling and dropout; GAP, softmax."""
    import keras
    from keras import layers

    inputs = keras.Input((*IMAGE_SHAPE, 1))
    x = inputs
    if size.augment:
        x = layers.RandomFlip("horizontal")(x)
        x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
    for width in size.widths:
        for _ in range(size.convs_per_block):
            x = conv_bn_relu(x, width)
        x = layers.MaxPooling2D()(x)
        if size.dropout:
            x = layers.Dropout(size.dropout)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="fashion_mnist_cnn")


def swa_start_epoch(epochs):
    """The first averaged epoch: the last third of the run, at least 2 epochs."""
    return max(0, epochs - max(2, epochs // 3))


def build_callbacks(schedule_name, log_dir, swa_data=None, epochs=None, batch_size=None):
    from keras_lrs.callbacks import (
        LearningRateMonitor,
        ReduceLROnPlateau,
        StochasticWeightAveraging,
    )

    callbacks = []
    if swa_data is not None:
        # Averages at the schedule's own rate; the averaged weights get
        # batch statistics of their own at the end of `fit`.
        callbacks.append(
            StochasticWeightAveraging(
                swa_start_epoch(epochs),
                batch_norm_data=swa_data,
                batch_size=batch_size,
                verbose=1,
            )
        )
    if schedule_name == "plateau":
        # No validation split here: the training loss is what stalls.
        # Keras's rule: halved after 2 epochs without a better loss.
        callbacks.append(
            ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, verbose=1)
        )
    # The effective rate in the epoch logs (and so in the printed progress);
    # with a log dir, one TensorBoard point per optimizer step, where Keras's
    # own callback logs the rate once per epoch.
    callbacks.append(LearningRateMonitor(log_dir, update_freq="batch"))
    if log_dir is not None:
        callbacks.append(tensorboard_callback(log_dir))
    return callbacks


def tensorboard_callback(log_dir):
    """Keras's `TensorBoard` callback, which writes through TensorFlow; where
    TensorFlow is not installed (JAX or PyTorch alone), `epoch_scalars`."""
    import keras

    try:
        import tensorflow  # noqa: F401
    except ImportError:
        print(
            "--log-dir: Keras's TensorBoard callback needs TensorFlow, which "
            "is not installed; writing the epoch logs as its scalars instead"
        )
        return epoch_scalars(log_dir)
    return keras.callbacks.TensorBoard(log_dir=log_dir)


def epoch_scalars(log_dir):
    """A callback that writes the epoch logs as TensorBoard scalars, with the
    tags and in the folder of Keras's `TensorBoard` callback
    (`epoch_loss`, `epoch_accuracy`, `epoch_learning_rate` under
    `log_dir/train`), through keras_lrs's own event writer."""
    import keras

    from keras_lrs._plumbing.events import EventFile

    class EpochScalars(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.events = EventFile(os.path.join(log_dir, "train"))

        def on_epoch_end(self, epoch, logs=None):
            for name, value in (logs or {}).items():
                self.events.write_scalars(f"epoch_{name}", [epoch], [value])
            self.events.flush()

        def on_train_end(self, logs=None):
            self.events.close()

    return EpochScalars()


def describe_device():
    """The device the backend computes on, e.g. `cuda:0 (NVIDIA H100)`."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.platform}:{device.id} ({device.device_kind})"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"cuda:0 ({torch.cuda.get_device_name(0)})"
        return "cpu"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return ", ".join(gpu.name for gpu in gpus) or "cpu"
    return "unknown"


def quick_subset(dataset):
    (x_train, y_train), (x_test, y_test) = dataset
    return (
        (x_train[:QUICK_TRAIN_IMAGES], y_train[:QUICK_TRAIN_IMAGES]),
        (x_test[:QUICK_TEST_IMAGES], y_test[:QUICK_TEST_IMAGES]),
    )


def compile_model(args, schedule):
    import keras

    keras.utils.set_random_seed(args.seed)
    model = build_model(QUICK_NET if args.quick else FULL_NET)
    model.compile(
        optimizer=build_optimizer(args.optimizer, schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    return model


def timed_fit(model, x_train, y_train, args):
    """Trains the model; returns the seconds `model.fit` took."""
    started = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        callbacks=build_callbacks(
            args.schedule,
            args.log_dir,
            x_train[:SWA_BATCH_NORM_IMAGES] if args.swa else None,
            args.epochs,
            args.batch_size,
        ),
        verbose=2,
    )
    return time.perf_counter() - started


def find_peak_rate(args, x_train, y_train):
    """The range test's suggestion for this net and optimizer; saves its plot."""
    import keras_lrs
    from keras_lrs.plotting import pyplot

    model = compile_model(args, args.learning_rate)
    result = keras_lrs.find_learning_rate(
        model, x_train, y_train, batch_size=args.batch_size,
        start_learning_rate=1e-6, end_learning_rate=10.0,
        num_steps=QUICK_RANGE_TEST_STEPS if args.quick else RANGE_TEST_STEPS,
        verbose=0,
    )
    suggestion = result.suggestion("steepest")
    figure, ax = pyplot().subplots(figsize=(7, 4.5))
    result.plot(ax=ax)
    figure.tight_layout()
    figure.savefig(args.find_lr)
    print(
        f"range test: {len(result.losses)} steps, suggestion "
        f"{suggestion:.3g} (steepest descent), plot in {args.find_lr}"
    )
    return suggestion


def evaluate_accuracy(model, x_test, y_test, batch_size):
    metrics = model.evaluate(
        x_test, y_test, batch_size=batch_size, verbose=0, return_dict=True
    )
    return metrics["accuracy"]


def current_learning_rate(model):
    from keras import ops

    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


def check_reload(model, accuracy, path, x_test, y_test, batch_size):
    """Saves, reloads with no `custom_objects`; True if nothing changed."""
    import keras

    import keras_lrs  # noqa: F401  (registers the schedules for load_model)

    model.save(path)
    reloaded = keras.models.load_model(path)
    reloaded_accuracy = evaluate_accuracy(reloaded, x_test, y_test, batch_size)
    rate = current_learning_rate(model)
    reloaded_rate = current_learning_rate(reloaded)
    print(
        f"reload check ({path}): test accuracy {accuracy:.4f} before save, "
        f"{reloaded_accuracy:.4f} after load_model; learning rate "
        f"{rate:.6g} -> {reloaded_rate:.6g}"
    )
    # Accuracies are multiples of 1/len(y_test): half of that is exact.
    same_accuracy = math.isclose(
        accuracy, reloaded_accuracy, abs_tol=0.5 / len(y_test)
    )
    return same_accuracy and math.isclose(rate, reloaded_rate, rel_tol=1e-6)


def run(args, dataset, source):
    """Trains, evaluates, optionally saves and reloads; the exit code."""
    import keras

    if args.quick:
        dataset = quick_subset(dataset)
    (x_train, y_train), (x_test, y_test) = dataset
    plan = StepPlan(math.ceil(len(x_train) / args.batch_size), args.epochs)
    schedule = build_schedule(args.schedule, args.learning_rate, plan)
    backend, device = keras.backend.backend(), describe_device()
    print(f"backend: {backend}, device: {device}")
    print(f"data: {len(x_train)} train, {len(x_test)} test images ({source})")
    print(f"schedule: {args.schedule}, {SCHEDULES[args.schedule]}")
    print(
        f"optimizer: {args.optimizer}, peak learning rate "
        f"{args.learning_rate:g}, {args.epochs} epochs x "
        f"{plan.steps_per_epoch} steps"
    )

    x_train, y_train = to_inputs(x_train), to_targets(y_train)
    x_test, y_test = to_inputs(x_test), to_targets(y_test)
    if args.find_lr:
        args.learning_rate = find_peak_rate(args, x_train, y_train)
        schedule = build_schedule(args.schedule, args.learning_rate, plan)
    model = compile_model(args, schedule)
    wall_time = timed_fit(model, x_train, y_train, args)
    accuracy = evaluate_accuracy(model, x_test, y_test, args.batch_size)
    print(f"test accuracy: {accuracy:.4f}")
    print(f"training wall time: {wall_time:.1f} s")
    reload_ok = args.save is None or check_reload(
        model, accuracy, args.save, x_test, y_test, args.batch_size
    )
    summary = {
        "schedule": args.schedule,
        "epochs": args.epochs,
        "swa": args.swa,
        "test_accuracy": round(accuracy, 4),
        "wall_time_s": round(wall_time, 1),
        "backend": backend,
        "device": device,
    }
    print(json.dumps(summary))
    if not reload_ok:
        print(f"{PROG}: error: the reloaded model differs", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        dataset, source = load_dataset(args.data_dir)
        return run(args, dataset, source)
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
