"""Reproduces the learning-rate experiment of Dive into Deep Learning.

*Dive into Deep Learning* (d2l.ai), section "Learning Rate Scheduling"
(chapter_optimization/lr-scheduler), trains LeNet (ReLU, max-pooling) on
Fashion-MNIST with plain SGD, batch 256, 30 epochs, and compares learning-rate
schedules. This script trains the same net on the same data with each
schedule, built from keras_lrs's schedules, and adds four of ours at the
same peak rate (0.3). It runs on every Keras backend (set `KERAS_BACKEND`).

We follow the PyTorch tab of the chapter, as it ran when the book was built
(d2l 1.0.3; its outputs are in github.com/d2l-ai/d2l-pytorch-colab,
chapter_optimization/lr-scheduler.ipynb). Its training loop applies a
scheduler once per epoch, after the epoch: the optimizer's own rate runs the
first epoch, and `scheduler(e)` runs epoch `e + 1`. So every d2l schedule
here is a function of the epoch (`FromEpochs(..., staircase=True)`), shifted
by that epoch where the chapter's scheduler is its own class:

    constant         0.3 throughout
    square_root      SquareRootScheduler(lr=0.1): 0.1, then 0.1 / sqrt(e)
    factor           FactorScheduler(factor=0.9, stop_factor_lr=0.01,
                     base_lr=0.3): max(0.3 * 0.9**e, 0.01). The chapter only
                     plots this one (with base_lr=2.0); it trains none.
    multi_factor     MultiStepLR(lr=0.5, milestones=[15, 30], gamma=0.5) as
                     the notebook runs it: its plot steps the scheduler 30
                     times before training, so training runs at 0.125 from
                     the first epoch to the last.
    multi_factor_intended
                     what the chapter describes and plots instead: 0.5,
                     halved after 15 epochs (and 30): MultiStepDecay
    cosine           0.3, then CosineScheduler(max_update=20, base_lr=0.3,
                     final_lr=0.01): cosine to 0.01 at epoch 21, then held
    warmup_cosine    0.3, then CosineScheduler(20, warmup_steps=5,
                     base_lr=0.3, final_lr=0.01): 0, 0.06, ..., 0.24, cosine
                     from 0.3 to 0.01 over 15 epochs, then held

Ours move every step, with a linear warmup of 5% of the steps (at most one
epoch) where they warm up, and end at 0.3 / 1000 where they anneal:

    one_cycle        OneCycle(0.3, total_steps)
    one_cycle_momentum  the same, with keras_lrs.optimizers.SGD cycling the
                     momentum 0.95-0.85-0.95 (OneCycle.momentum_schedule)
    cosine_restarts  Warmup(CosineRestarts(...)): 3 cycles of 1, 2, 4 units
    wsd              WarmupStableDecay, 1-sqrt decay over the last 20%
    plateau          Warmup(CosineDecay) + ReduceLROnPlateau on the training
                     loss (x0.5 after 2 epochs without improvement)

The net is the chapter's PyTorch LeNet, with PyTorch's default
initialization (uniform in +-1/sqrt(fan_in), weights and biases); images are
scaled to [0, 1] as d2l's `ToTensor` does. As in d2l, the train loss and
accuracy are the means over the last epoch, and the test accuracy is
measured after every epoch. Each schedule starts from the same weights.

Usage:

    python examples/compare_schedules.py --out docs/compare_schedules
    python examples/compare_schedules.py --schedules constant,one_cycle \\
        --epochs 2 --train-images 1024 --test-images 512 --out /tmp/cmp

With `--out DIR` it writes `results.md` (a markdown table, next to the
numbers the chapter's PyTorch tab printed), `results.json` (everything,
per epoch) and `compare_schedules.png` (1200 x 500 pixels: the learning
rate of every step, and the test accuracy after every epoch). Data and
errors are handled as in `fashion_mnist.py`: `--data-dir`, else
$FASHION_MNIST_DIR, else Keras's download, else Debian's copy; a bad input
is one line on stderr with exit code 2.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

# Run as a script, this folder is on the path; fashion_mnist puts the
# package (one folder up) there too.
from fashion_mnist import (
    InputError,
    OneLineErrorParser,
    StepPlan,
    add_data_dir_argument,
    describe_device,
    load_dataset,
    positive_float,
    positive_int,
    seed_int,
)

PROG = "compare_schedules.py"
D2L_SCHEDULES = {
    "constant": "0.3 throughout",
    "square_root": "0.1, then 0.1/sqrt(epoch) (SquareRootScheduler)",
    "factor": "0.3 * 0.9**epoch, at least 0.01 (FactorScheduler)",
    "multi_factor": "0.125 throughout: the PyTorch tab's MultiStepLR(0.5, "
    "[15, 30], 0.5), stepped 30 times by its plot before training",
    "multi_factor_intended": "0.5, x0.5 at epochs 15 and 30, as the chapter "
    "describes it (MultiStepDecay)",
    "cosine": "0.3, then cosine to 0.01 at epoch 21 (CosineScheduler)",
    "warmup_cosine": "0.3, then 0, 0.06, ..., 0.24, cosine from 0.3 to 0.01 "
    "at epoch 21 (CosineScheduler, warmup_steps=5)",
}
OUR_SCHEDULES = {
    "one_cycle": "one-cycle policy to 0.3 (OneCycle)",
    "one_cycle_momentum": "one-cycle policy to 0.3, momentum cycled "
    "0.95-0.85-0.95 as PyTorch's OneCycleLR (OneCycle.momentum_schedule)",
    "cosine_restarts": "warmup, then 3 cosine cycles of doubling length "
    "(Warmup(CosineRestarts))",
    "wsd": "warmup, stable, 1-sqrt decay over the last 20% "
    "(WarmupStableDecay)",
    "plateau": "warmup, cosine, x0.5 when the training loss stalls for "
    "2 epochs (Warmup(CosineDecay) + ReduceLROnPlateau)",
}
# Weight averaging on top of a schedule above: (base schedule, description).
# SWA averages the epoch ends of the last 25% of the epochs (from epoch
# floor(0.75 * epochs)) and is evaluated with `swap_for_validation`, so the
# test accuracy after each of those epochs is the average's; Keras's EMA
# (`use_ema=True`, momentum 0.99 per step) with `SwapEMAWeights` evaluates
# its moving average likewise.
AVERAGED = {
    "constant_swa": (
        "constant",
        "constant 0.3, then SWA over the last 25% of the epochs, its rate "
        "annealed to 0.05 over 2 epochs (StochasticWeightAveraging)",
    ),
    "cosine_swa": (
        "cosine",
        "the cosine run, with SWA over the last 25% of the epochs at its "
        "rate (StochasticWeightAveraging)",
    ),
    "constant_ema": (
        "constant",
        "constant 0.3 with Keras's own SGD(use_ema=True), evaluated with "
        "keras.callbacks.SwapEMAWeights",
    ),
}
SWA_START = 0.75
SWA_LEARNING_RATES = {"constant_swa": 0.05, "cosine_swa": None}
SCHEDULES = {
    **D2L_SCHEDULES,
    **OUR_SCHEDULES,
    **{name: text for name, (_, text) in AVERAGED.items()},
}
# What the chapter's PyTorch tab printed after 30 epochs: train loss, train
# accuracy, test accuracy (d2l 1.0.3, d2l-ai/d2l-pytorch-colab,
# chapter_optimization/lr-scheduler.ipynb). It trains no FactorScheduler.
D2L_PUBLISHED = {
    "constant": (0.145, 0.944, 0.877),
    "square_root": (0.273, 0.900, 0.886),
    "multi_factor": (0.194, 0.927, 0.869),
    "cosine": (0.159, 0.942, 0.904),
    "warmup_cosine": (0.181, 0.934, 0.901),
}
D2L_SOURCE = (
    "https://github.com/d2l-ai/d2l-pytorch-colab/blob/master/"
    "chapter_optimization/lr-scheduler.ipynb"
)
DEFAULT_EPOCHS = 30
END_FRACTION = 1e-3  # our annealing schedules end at peak * END_FRACTION
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FIGURE_SIZE = (12, 5)  # inches, at FIGURE_DPI: 1200 x 500 pixels
FIGURE_DPI = 100


def schedule_list(text):
    """An argparse `type`: comma-separated schedule names, each known once."""
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in SCHEDULES]
    if unknown or not text.strip():
        raise argparse.ArgumentTypeError(
            f"unknown schedule {', '.join(map(repr, unknown)) or repr(text)}; "
            f"choose from {', '.join(SCHEDULES)}"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(
            f"lists {', '.join(repeated)} more than once"
        )
    return names


def parse_args(argv=None):
    parser = OneLineErrorParser(
        prog=PROG, description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--schedules",
        type=schedule_list,
        default=list(SCHEDULES),
        help="comma-separated, from: "
        + "; ".join(f"{name}: {text}" for name, text in SCHEDULES.items())
        .replace("%", "%%")  # argparse formats help with %
        + " (default: all)",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=DEFAULT_EPOCHS
    )
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument(
        "--learning-rate",
        type=positive_float,
        default=0.3,
        help="the rate of constant, the start of factor, cosine and "
        "warmup_cosine, and the peak of ours (default: %(default)s); "
        "square_root and multi_factor keep the chapter's rates",
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write results.md, results.json and compare_schedules.png here",
    )
    parser.add_argument(
        "--train-images",
        type=positive_int,
        metavar="N",
        help="train on the first N training images (default: all)",
    )
    parser.add_argument(
        "--test-images",
        type=positive_int,
        metavar="N",
        help="test on the first N test images (default: all)",
    )
    parser.add_argument("--seed", type=seed_int, default=0)
    return parser.parse_args(argv)


def check_out_dir(path):
    if path is not None and path.exists() and not path.is_dir():
        raise InputError(f"--out {path} exists and is not a directory")


def first(images, labels, count, split):
    """The first `count` items, or all when `count` is None."""
    if count is None:
        return images, labels
    if count > len(images):
        raise InputError(
            f"--{split}-images {count}: the {split} split has only "
            f"{len(images)} images"
        )
    return images[:count], labels[:count]


def to_inputs(images):
    """uint8 images to float32 in [0, 1], with a channel axis (`ToTensor`)."""
    return (images.astype("float32") / 255.0)[..., np.newaxis]


def after_first_epoch(first_epoch_rate, scheduler):
    """The PyTorch tab's loop: the optimizer's rate, then `scheduler(e)`.

    Its loop sets the rate to `scheduler(epoch)` after each epoch, so epoch
    0 runs at the rate the optimizer was built with, and epoch `e + 1` at
    `scheduler(e)`: a one-epoch shift, in epochs.
    """
    from keras_lrs import schedules

    return schedules.Sequential([first_epoch_rate, scheduler], boundaries=[1])


def d2l_schedule(name, rate):
    """The chapter's schedule `name` as a function of the epoch."""
    from keras_lrs import schedules

    final_rate = 0.01
    builders = {
        "constant": lambda: schedules.Constant(rate),
        # SquareRootScheduler(lr=0.1): 0.1 * (e + 1)**-0.5, shifted; the
        # optimizer starts at the 0.1 the chapter set it to just before.
        "square_root": lambda: after_first_epoch(
            0.1, schedules.InverseSqrtDecay(0.1, timescale=1)
        ),
        # FactorScheduler's n-th call returns base * factor**(n + 1), so
        # shifted it is base * factor**e from epoch 0 on: no shift needed.
        "factor": lambda: schedules.ExponentialDecay(
            rate, 1, 0.9, staircase=True, min_learning_rate=final_rate
        ),
        # The notebook plots MultiStepLR by stepping it 30 times, then
        # trains with the same scheduler: both milestones already passed.
        "multi_factor": lambda: schedules.Constant(0.5 * 0.5 * 0.5),
        # A PyTorch scheduler's step is the loop's shift already.
        "multi_factor_intended": lambda: schedules.MultiStepDecay(
            0.5, milestones=[15, 30], gamma=0.5
        ),
        "cosine": lambda: after_first_epoch(
            rate, schedules.CosineDecay(rate, 20, final_rate)
        ),
        "warmup_cosine": lambda: after_first_epoch(
            rate,
            schedules.Warmup(schedules.CosineDecay(rate, 15, final_rate), 5),
        ),
    }
    return builders[name]()


def our_schedule(name, peak, plan):
    """Our schedule `name`, stepwise, for a run of `plan`'s steps."""
    from keras_lrs import schedules

    end = peak * END_FRACTION
    warmup, total = plan.warmup_steps, plan.total_steps
    decay_steps = max(1, total // 5)
    builders = {
        "one_cycle": lambda: schedules.OneCycle(peak, total),
        # build_optimizer cycles the momentum.
        "one_cycle_momentum": lambda: schedules.OneCycle(peak, total),
        # Cycles of 1, 2 and 4 units fill the steps after the warmup.
        "cosine_restarts": lambda: schedules.Warmup(
            schedules.CosineRestarts(
                peak,
                max(1, (total - warmup) // 7),
                t_mul=2.0,
                end_learning_rate=end,
                cycle_limit=3,
            ),
            warmup,
        ),
        "wsd": lambda: schedules.WarmupStableDecay(
            peak,
            warmup,
            stable_steps=max(0, total - warmup - decay_steps),
            decay_steps=decay_steps,
            decay_shape="sqrt",
        ),
        # build_callbacks adds the plateau callback.
        "plateau": lambda: schedules.Warmup(
            schedules.CosineDecay(peak, max(1, total - warmup), end), warmup
        ),
    }
    return builders[name]()


def build_schedule(name, rate, plan):
    """The schedule `name` as the optimizer sees it: a function of the step."""
    from keras_lrs import schedules

    name = AVERAGED.get(name, (name,))[0]
    if name in D2L_SCHEDULES:
        return schedules.FromEpochs(
            d2l_schedule(name, rate), plan.steps_per_epoch, staircase=True
        )
    try:
        return our_schedule(name, rate, plan)
    except ValueError as error:
        raise InputError(
            f"schedule {name} does not fit a run of {plan.total_steps} "
            f"steps: {error}"
        ) from None


def torch_default_init(fan_in):
    """PyTorch's default for Conv2d and Linear: U(+-1/sqrt(fan_in)).

    Kaiming-uniform with a=sqrt(5) is that bound for the weights; the bias
    draws from the same range.
    """
    import keras

    bound = 1 / math.sqrt(fan_in)
    return {
        "kernel_initializer": keras.initializers.VarianceScaling(
            1 / 3, mode="fan_in", distribution="uniform"
        ),
        "bias_initializer": keras.initializers.RandomUniform(-bound, bound),
    }


def build_lenet():
    """d2l's LeNet, PyTorch tab: ReLU, max-pooling, logits out."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(
                6, 5, padding="same", activation="relu",
                **torch_default_init(1 * 5 * 5),
            ),
            layers.MaxPooling2D(2, strides=2),
            layers.Conv2D(
                16, 5, activation="relu", **torch_default_init(6 * 5 * 5)
            ),
            layers.MaxPooling2D(2, strides=2),
            layers.Flatten(),
            layers.Dense(
                120, activation="relu", **torch_default_init(16 * 5 * 5)
            ),
            layers.Dense(84, activation="relu", **torch_default_init(120)),
            layers.Dense(NUM_CLASSES, **torch_default_init(84)),
        ],
        name="lenet",
    )


def epoch_rate_recorder():
    """A callback whose `rates` lists the rate each epoch starts at."""
    import keras
    from keras import ops

    class EpochRateRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rates = []

        def on_epoch_begin(self, epoch, logs=None):
            rate = self.model.optimizer.learning_rate
            self.rates.append(float(ops.convert_to_numpy(rate)))

    return EpochRateRecorder()


def build_callbacks(name):
    import keras

    from keras_lrs.callbacks import ReduceLROnPlateau, StochasticWeightAveraging

    if name in SWA_LEARNING_RATES:
        return [
            StochasticWeightAveraging(
                SWA_START,
                swa_learning_rate=SWA_LEARNING_RATES[name],
                annealing_epochs=2,
                swap_for_validation=True,
            )
        ]
    if name == "constant_ema":
        return [keras.callbacks.SwapEMAWeights()]
    if name != "plateau":
        return []
    # No validation split: the test set stays unseen, so the training loss
    # is what stalls. Patience 1 reduces after 2 epochs without progress.
    return [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)]


def build_optimizer(name, schedule):
    """Plain SGD, as the chapter's; with cycled momentum for one row, with
    Keras's weight EMA for another."""
    import keras

    import keras_lrs

    if name == "one_cycle_momentum":
        return keras_lrs.optimizers.SGD(
            schedule, momentum=schedule.momentum_schedule()
        )
    return keras.optimizers.SGD(schedule, use_ema=name == "constant_ema")


def train_one(name, args, data, plan):
    """Trains a fresh LeNet with schedule `name`; its results as a dict."""
    import keras

    (x_train, y_train), (x_test, y_test) = data
    schedule = build_schedule(name, args.learning_rate, plan)
    keras.utils.set_random_seed(args.seed)
    model = build_lenet()
    model.compile(
        optimizer=build_optimizer(name, schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rates = epoch_rate_recorder()
    print(f"\n{name}: {SCHEDULES[name]}", flush=True)
    started = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(x_test, y_test),
        validation_batch_size=args.batch_size,
        callbacks=[rates, *build_callbacks(name)],
        verbose=2,
    )
    wall_time = time.perf_counter() - started
    if name in SWA_LEARNING_RATES:
        # The rate phase (SWASchedule around the schedule) is the
        # optimizer's schedule now.
        schedule = model.optimizer._learning_rate
    epochs = history.history
    result = {
        "schedule": name,
        "description": SCHEDULES[name],
        "source": "d2l" if name in D2L_SCHEDULES else (
            "keras" if name == "constant_ema" else "keras_lrs"
        ),
        "config": keras.optimizers.schedules.serialize(schedule),
        "train_loss": epochs["loss"][-1],
        "train_accuracy": epochs["accuracy"][-1],
        "test_accuracy": epochs["val_accuracy"][-1],
        "wall_time_s": wall_time,
        "per_epoch": {
            "learning_rate": rates.rates,
            "train_loss": epochs["loss"],
            "train_accuracy": epochs["accuracy"],
            "test_accuracy": epochs["val_accuracy"],
        },
    }
    print(
        f"{name}: train loss {result['train_loss']:.3f}, train acc "
        f"{result['train_accuracy']:.3f}, test acc "
        f"{result['test_accuracy']:.3f} ({wall_time:.1f} s)",
        flush=True,
    )
    return result, schedule


def step_rates(schedule, epoch_rates, steps_per_epoch):
    """The rate of every step of the run.

    The schedule's value, times the scale a plateau callback had set when
    the step's epoch began (read off the epoch's first rate; 1 otherwise).
    """
    import keras_lrs

    steps = np.arange(len(epoch_rates) * steps_per_epoch)
    rates = keras_lrs.schedule_values(schedule, steps).astype("float64")
    scheduled = rates[::steps_per_epoch]
    scale = np.divide(
        epoch_rates,
        scheduled,
        out=np.ones_like(scheduled),
        where=scheduled > 0,
    )
    return rates * np.repeat(scale, steps_per_epoch)


def published(name):
    numbers = D2L_PUBLISHED.get(name)
    if numbers is None:
        return "—"
    return " / ".join(f"{value:.3f}" for value in numbers)


def markdown_table(results):
    lines = [
        "| schedule | train loss | train acc | test acc | wall time (s) | "
        "d2l PyTorch: loss / train acc / test acc |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result['schedule']} | {result['train_loss']:.3f} | "
            f"{result['train_accuracy']:.3f} | "
            f"{result['test_accuracy']:.3f} | {result['wall_time_s']:.1f} | "
            f"{published(result['schedule'])} |"
        )
    return "\n".join(lines)


def describe_run(setup):
    return (
        f"LeNet (ReLU, max-pooling) on Fashion-MNIST "
        f"({setup['train_images']} train / {setup['test_images']} test "
        f"images), SGD, batch {setup['batch_size']}, {setup['epochs']} "
        f"epochs of {setup['steps_per_epoch']} steps, seed {setup['seed']}; "
        f"Keras {setup['keras']}, backend {setup['backend']} on "
        f"{setup['device']}."
    )


def write_markdown(path, setup, results):
    text = (
        f"{describe_run(setup)}\n\n{markdown_table(results)}\n\n"
        "Train loss and accuracy: means over the last epoch; test accuracy: "
        "after the last epoch; wall time: `model.fit`, with the per-epoch "
        f"test evaluation. d2l: the numbers the chapter's PyTorch tab "
        f"printed ({D2L_SOURCE}).\n"
    )
    path.write_text(text)


def plot_results(path, results, curves, steps_per_epoch):
    """Two panels: the rate of every step, the test accuracy per epoch."""
    from keras_lrs.plotting import pyplot

    plt = pyplot()
    figure, (rate_ax, accuracy_ax) = plt.subplots(
        1, 2, figsize=FIGURE_SIZE, dpi=FIGURE_DPI
    )
    colors = [*plt.cm.tab10.colors, "black"]
    for index, result in enumerate(results):
        name = result["schedule"]
        style = {
            "color": colors[index % len(colors)],
            "linestyle": "-" if result["source"] == "d2l" else "--",
            "label": name,
        }
        rates = curves[name]
        rate_ax.plot(
            np.arange(len(rates)) / steps_per_epoch,
            rates,
            drawstyle="steps-post",
            **style,
        )
        accuracy = result["per_epoch"]["test_accuracy"]
        accuracy_ax.plot(np.arange(1, len(accuracy) + 1), accuracy, **style)
    rate_ax.set(xlabel="epoch", ylabel="learning rate",
                title="Learning rate (every step)")
    accuracy_ax.set(xlabel="epoch", ylabel="test accuracy",
                    title="Test accuracy after each epoch")
    accuracy_ax.legend(
        fontsize="small",
        loc="lower right",
        title="solid: d2l, dashed: ours",
        title_fontsize="small",
    )
    for ax in (rate_ax, accuracy_ax):
        ax.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=FIGURE_DPI)
    plt.close(figure)


def write_outputs(out, setup, results, curves):
    out.mkdir(parents=True, exist_ok=True)
    write_markdown(out / "results.md", setup, results)
    summary = {"setup": setup, "d2l_source": D2L_SOURCE, "results": results}
    (out / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    plot_results(
        out / "compare_schedules.png",
        results,
        curves,
        setup["steps_per_epoch"],
    )
    print(f"wrote {out / 'results.md'}, results.json, compare_schedules.png")


def run(args, dataset, source):
    import keras

    (x_train, y_train), (x_test, y_test) = dataset
    x_train, y_train = first(x_train, y_train, args.train_images, "train")
    x_test, y_test = first(x_test, y_test, args.test_images, "test")
    plan = StepPlan(math.ceil(len(x_train) / args.batch_size), args.epochs)
    for name in args.schedules:  # fail before any training
        build_schedule(name, args.learning_rate, plan)
    setup = {
        "backend": keras.backend.backend(),
        "device": describe_device(),
        "keras": keras.__version__,
        "train_images": len(x_train),
        "test_images": len(x_test),
        "data": str(source),
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "steps_per_epoch": plan.steps_per_epoch,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
    }
    print(f"backend: {setup['backend']}, device: {setup['device']}")
    print(f"data: {len(x_train)} train, {len(x_test)} test images ({source})")
    print(f"schedules: {', '.join(args.schedules)}")
    data = (
        (to_inputs(x_train), y_train.astype("int32")),
        (to_inputs(x_test), y_test.astype("int32")),
    )
    results, curves = [], {}
    started = time.perf_counter()
    for name in args.schedules:
        result, schedule = train_one(name, args, data, plan)
        results.append(result)
        epoch_rates = result["per_epoch"]["learning_rate"]
        curves[name] = step_rates(schedule, epoch_rates, plan.steps_per_epoch)
    setup["total_wall_time_s"] = time.perf_counter() - started
    print(f"\n{describe_run(setup)}\n\n{markdown_table(results)}")
    print(f"total wall time: {setup['total_wall_time_s']:.0f} s")
    if args.out is not None:
        write_outputs(args.out, setup, results, curves)
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        check_out_dir(args.out)
        dataset, source = load_dataset(args.data_dir)
        return run(args, dataset, source)
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
