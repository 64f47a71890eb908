"""Wall time to a test accuracy: the example's CNN on Fashion-MNIST.

Trains exactly the configuration of `fashion_mnist.py` (its functions
are imported: the batch-normalized CNN, AdamW at a peak rate of
3e-3, batch 128, 15 epochs, each schedule built from the run's steps, the
example's callbacks) once per schedule, evaluates the test set after every
epoch, and reports when the test accuracy first reaches each threshold
(93% and 94% by default): after how many epochs and how many seconds.

The clock (`train_time_s`) starts just before the model is built and
compiled and runs to the end of an epoch, so it includes the tracing and
compilation of the train step; the test-set evaluations after each epoch
(the first one compiles the test step) are left out and timed on their own
(`eval_time_s`). A threshold is reached at the end of the first epoch whose
test accuracy is >= the threshold. Training goes on to the last epoch all
the same: each schedule is built for the whole run (a cosine over 15 epochs
is not the cosine of a 7-epoch run), so the time to 93% is that of a
15-epoch schedule. Each schedule trains in a fresh process, so that none
reuses another's compiled functions or convolution autotuning; the
backend's runtime (thread pools, GPU context) is started there before the
clock.

Usage:

    python examples/time_to_accuracy.py    # the four default schedules
    python examples/time_to_accuracy.py --schedules constant,wsd
    KERAS_BACKEND=jax python examples/time_to_accuracy.py --quick

`--quick` is the example's quick configuration (the smaller net, 6000
training and 2000 test images, 3 epochs), which does not reach 93%: its
thresholds default to 80% and 83%. The table goes to stdout, and the
results to JSON (`--json`; by default
`benchmarks/results/time_to_accuracy[-quick]-BACKEND.json`, written again
after each schedule, so that a run that fails keeps the schedules before
it): backend,
device, versions, the configuration, and for each schedule the epochs and
times to each threshold (null where not reached) and the test accuracy,
times and learning rate of every epoch. A bad input fails at once with a
one-line message on stderr (exit code 2).
"""

import argparse
import importlib
import json
import math
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder is on the path; fashion_mnist, whose
# configuration is timed, puts the package (one folder up) there too.
import fashion_mnist as fm

ROOT = Path(__file__).resolve().parents[1]

PROG = "time_to_accuracy.py"
DEFAULT_SCHEDULES = ("constant", "warmup_cosine", "one_cycle", "wsd")
DEFAULT_THRESHOLDS = (0.93, 0.94)
QUICK_THRESHOLDS = (0.80, 0.83)
RESULTS_DIR = ROOT / "benchmarks" / "results"
CLOCK = (
    "train_time_s: seconds from just before the model is built and "
    "compiled to the end of the epoch, the train step's tracing and "
    "compilation included, the test-set evaluations after each epoch left "
    "out; eval_time_s: each epoch's test-set evaluation (the first one "
    "compiles the test step); a threshold is reached at the end of the "
    "first epoch whose test accuracy is >= it"
)


def comma_list(kind, requirement, is_valid):
    """An argparse `type` for `a,b,c`: distinct items of `kind`, all valid."""

    def parse(text):
        items = []
        for part in text.split(","):
            try:
                item = kind(part.strip())
            except ValueError:
                item = None
            if item is None or not is_valid(item):
                raise argparse.ArgumentTypeError(
                    f"must be {requirement}. Received: {text!r}"
                )
            if item in items:
                raise argparse.ArgumentTypeError(
                    f"lists {part.strip()} twice. Received: {text!r}"
                )
            items.append(item)
        return tuple(items)

    return parse


schedule_list = comma_list(
    str,
    "a comma-separated list of the example's schedules "
    f"({', '.join(fm.SCHEDULES)})",
    lambda name: name in fm.SCHEDULES,
)
threshold_list = comma_list(
    float,
    "a comma-separated list of accuracies in (0, 1]",
    lambda value: 0 < value <= 1,  # NaN fails both comparisons
)


def parse_args(argv=None):
    parser = fm.OneLineErrorParser(
        prog=PROG, description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--schedules",
        type=schedule_list,
        default=DEFAULT_SCHEDULES,
        help=f"comma-separated (default: {','.join(DEFAULT_SCHEDULES)}); "
        "any of the example's --schedule choices",
    )
    parser.add_argument(
        "--thresholds",
        type=threshold_list,
        help="comma-separated test accuracies (default: "
        f"{','.join(map(str, DEFAULT_THRESHOLDS))}, "
        f"{','.join(map(str, QUICK_THRESHOLDS))} with --quick)",
    )
    parser.add_argument(
        "--epochs",
        type=fm.positive_int,
        help=f"default: {fm.DEFAULT_EPOCHS}, {fm.QUICK_EPOCHS} with --quick",
    )
    parser.add_argument("--batch-size", type=fm.positive_int, default=128)
    parser.add_argument(
        "--optimizer", choices=fm.PEAK_LEARNING_RATES, default="adamw"
    )
    parser.add_argument(
        "--learning-rate",
        type=fm.positive_float,
        help="the peak learning rate (default: 3e-3 for adamw, 0.1 for sgd)",
    )
    fm.add_data_dir_argument(parser)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the example's quick configuration: a smaller net on "
        f"{fm.QUICK_TRAIN_IMAGES} training and {fm.QUICK_TEST_IMAGES} test "
        "images",
    )
    parser.add_argument(
        "--train-images",
        type=fm.positive_int,
        help="train on the first N training images (default: all, "
        f"{fm.QUICK_TRAIN_IMAGES} with --quick)",
    )
    parser.add_argument(
        "--test-images",
        type=fm.positive_int,
        help="evaluate on the first N test images (default: all, "
        f"{fm.QUICK_TEST_IMAGES} with --quick)",
    )
    parser.add_argument("--seed", type=fm.seed_int, default=0)
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="write the results here (default: benchmarks/results/"
        "time_to_accuracy[-quick]-BACKEND.json)",
    )
    args = parser.parse_args(argv)
    if args.json is not None and args.json.is_dir():
        parser.error(
            f"argument --json: is a directory. Received: '{args.json}'"
        )
    quick = args.quick
    if args.epochs is None:
        args.epochs = fm.QUICK_EPOCHS if quick else fm.DEFAULT_EPOCHS
    if args.learning_rate is None:
        args.learning_rate = fm.PEAK_LEARNING_RATES[args.optimizer]
    if args.thresholds is None:
        args.thresholds = QUICK_THRESHOLDS if quick else DEFAULT_THRESHOLDS
    if args.train_images is None:
        args.train_images = fm.QUICK_TRAIN_IMAGES if quick else math.inf
    if args.test_images is None:
        args.test_images = fm.QUICK_TEST_IMAGES if quick else math.inf
    return args


def sliced(dataset, args):
    """The first `--train-images` and `--test-images` of the data."""
    (x_train, y_train), (x_test, y_test) = dataset
    for option, wanted, available in (
        ("--train-images", args.train_images, len(x_train)),
        ("--test-images", args.test_images, len(x_test)),
    ):
        if wanted != math.inf and wanted > available:
            raise fm.InputError(
                f"{option} {wanted}: the data holds only {available}"
            )
    train = min(args.train_images, len(x_train))
    test = min(args.test_images, len(x_test))
    return (x_train[:train], y_train[:train]), (x_test[:test], y_test[:test])


def step_plan(args, train_size):
    return fm.StepPlan(math.ceil(train_size / args.batch_size), args.epochs)


# --- One schedule, in a process of its own ----------------------------------


def make_clock(schedule_name, started, test_size, total_epochs):
    """A callback that records each epoch, its evaluation off the clock."""
    import keras
    from keras import ops

    class EpochClock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.eval_started = None
            self.eval_seconds = 0.0
            self.epochs = []

        def on_test_begin(self, logs=None):
            # Wait for the train steps still in flight (JAX dispatches them
            # asynchronously): they belong to training.
            ops.convert_to_numpy(self.model.optimizer.iterations)
            self.eval_started = time.perf_counter()

        def on_test_end(self, logs=None):
            self.eval_seconds = time.perf_counter() - self.eval_started

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            past_evals = sum(record["eval_time_s"] for record in self.epochs)
            train_seconds = now - started - past_evals - self.eval_seconds
            # The accuracy is a float32 count / size: snap it to the exact
            # fraction, so that 9400 right of 10000 reaches 0.94.
            correct = round(logs["val_accuracy"] * test_size)
            record = {
                "epoch": epoch + 1,
                "test_accuracy": correct / test_size,
                "train_time_s": round(train_seconds, 3),
                "eval_time_s": round(self.eval_seconds, 3),
                "learning_rate": float(logs["learning_rate"]),
                "train_loss": float(logs["loss"]),
            }
            self.epochs.append(record)
            print(
                f"{schedule_name}: epoch {epoch + 1}/{total_epochs}, test "
                f"accuracy {record['test_accuracy']:.4f}, "
                f"{train_seconds:.1f} s training, {self.eval_seconds:.1f} s "
                f"evaluation, learning rate {record['learning_rate']:.3g}",
                flush=True,
            )

    return EpochClock()


def start_runtime():
    """Starts the backend's device runtime (thread pools, GPU context)."""
    from keras import ops

    ops.convert_to_numpy(ops.matmul(ops.ones((8, 8)), ops.ones((8, 8))))


def train_one(args, schedule_name, data_dir, result_path):
    """Trains with one schedule; writes its epochs and platform as JSON."""
    import keras

    dataset, _ = fm.load_dataset(data_dir)
    (x_train, y_train), (x_test, y_test) = sliced(dataset, args)
    plan = step_plan(args, len(x_train))
    schedule = fm.build_schedule(schedule_name, args.learning_rate, plan)
    x_train, y_train = fm.to_inputs(x_train), fm.to_targets(y_train)
    x_test, y_test = fm.to_inputs(x_test), fm.to_targets(y_test)
    backend, device = keras.backend.backend(), fm.describe_device()
    print(f"{schedule_name}: {fm.SCHEDULES[schedule_name]}, on {device}")
    start_runtime()

    started = time.perf_counter()
    model = fm.compile_model(args, schedule)
    clock = make_clock(schedule_name, started, len(x_test), args.epochs)
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(x_test, y_test),
        callbacks=[*fm.build_callbacks(schedule_name, None), clock],
        verbose=0,
    )
    result = {
        "device": device,
        "backend_version": importlib.import_module(backend).__version__,
        "epochs": clock.epochs,
    }
    Path(result_path).write_text(json.dumps(result))


def run_isolated(args, schedule_name, data_dir):
    """`train_one` in a fresh process: its result, or None if it failed."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        result_path = Path(tmp) / "result.json"
        process = context.Process(
            target=train_one,
            args=(args, schedule_name, data_dir, str(result_path)),
        )
        process.start()
        process.join()
        if process.exitcode != 0 or not result_path.is_file():
            return None
        return json.loads(result_path.read_text())


# --- The summary -------------------------------------------------------------


def first_reaching(epochs, threshold):
    """The first epoch's record whose test accuracy is >= threshold."""
    for record in epochs:
        if record["test_accuracy"] >= threshold:
            return record
    return None


def summarize(schedule_name, epochs, thresholds):
    reached = []
    for threshold in thresholds:
        record = first_reaching(epochs, threshold)
        reached.append(
            {
                "threshold": threshold,
                # null in the JSON: not reached within the run
                "epoch": None if record is None else record["epoch"],
                "time_s": None if record is None else record["train_time_s"],
            }
        )
    return {
        "schedule": schedule_name,
        "description": fm.SCHEDULES[schedule_name],
        "reached": reached,
        "final_test_accuracy": epochs[-1]["test_accuracy"],
        "total_train_time_s": epochs[-1]["train_time_s"],
        "total_eval_time_s": round(
            sum(record["eval_time_s"] for record in epochs), 3
        ),
        **{
            key: [record[key] for record in epochs]
            for key in (
                "test_accuracy", "train_time_s", "eval_time_s",
                "learning_rate", "train_loss",
            )
        },
    }


def percent(threshold):
    return f"{100 * threshold:.4g}%"


def table(summaries, thresholds):
    """The results as an aligned text table, one row per schedule."""
    header = ["schedule"]
    for threshold in thresholds:
        header += [
            f"epochs to {percent(threshold)}",
            f"time to {percent(threshold)}",
        ]
    header += ["final test acc.", "total train time", "total eval time"]
    rows = [header]
    for summary in summaries:
        row = [summary["schedule"]]
        for reached in summary["reached"]:
            if reached["epoch"] is None:
                row += ["-", "not reached"]
            else:
                row += [str(reached["epoch"]), f"{reached['time_s']:.1f} s"]
        row += [
            f"{summary['final_test_accuracy']:.4f}",
            f"{summary['total_train_time_s']:.1f} s",
            f"{summary['total_eval_time_s']:.1f} s",
        ]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        )
        for row in rows
    )


def describe_run(args, plan, train_size, test_size):
    net = "quick net (--quick)" if args.quick else "full net"
    return (
        f"{net}, {train_size} train / {test_size} test images, "
        f"{args.optimizer} at a peak rate of {args.learning_rate:g}, "
        f"{args.epochs} epochs x {plan.steps_per_epoch} steps of "
        f"{args.batch_size}"
    )


def describe_thresholds(args):
    text = ", ".join(map(percent, args.thresholds))
    if args.quick and args.thresholds == QUICK_THRESHOLDS:
        full = ", ".join(map(percent, DEFAULT_THRESHOLDS))
        text += (
            f" (lowered for --quick from {full}, which the quick "
            "configuration does not reach)"
        )
    return text


def default_json_path(args, backend):
    quick = "-quick" if args.quick else ""
    return RESULTS_DIR / f"time_to_accuracy{quick}-{backend}.json"


def run(args, dataset, source):
    """Trains with each schedule in turn; prints a table, writes JSON."""
    (x_train, _), (x_test, _) = sliced(dataset, args)
    import keras  # after the checks that need no Keras: they fail faster

    plan = step_plan(args, len(x_train))
    for name in args.schedules:  # fail now, not after training the others
        fm.build_schedule(name, args.learning_rate, plan)
    backend = keras.backend.backend()
    run_text = describe_run(args, plan, len(x_train), len(x_test))
    print(f"backend: {backend}, keras {keras.__version__}")
    print(f"run: {run_text} ({source})")
    print(f"thresholds: {describe_thresholds(args)}")
    print(f"clock: {CLOCK}", flush=True)

    data_dir = None if source == "keras.datasets" else source
    path = args.json or default_json_path(args, backend)
    path.parent.mkdir(parents=True, exist_ok=True)
    summaries = []
    for name in args.schedules:
        result = run_isolated(args, name, data_dir)
        if result is None:
            kept = (f"; {path} holds the schedules trained before it"
                    if summaries else "")
            print(f"{PROG}: error: training with {name} failed{kept}",
                  file=sys.stderr)
            return 1
        if not summaries:
            platform_info = result
        summaries.append(summarize(name, result["epochs"], args.thresholds))
        # Written after every schedule: a run of hours that fails late
        # keeps what it measured.
        document = results_document(
            args, plan, len(x_train), len(x_test), source, platform_info,
            summaries,
        )
        path.write_text(json.dumps(document, indent=2) + "\n")

    print()
    print(f"Time to test accuracy, {backend} on {platform_info['device']}: "
          f"{run_text}")
    print(f"thresholds: {describe_thresholds(args)}")
    print(table(summaries, args.thresholds))
    print(f"wrote {path}")
    return 0


def results_document(args, plan, train_size, test_size, source,
                     platform_info, summaries):
    """The JSON document of the schedules trained so far."""
    import keras

    backend = keras.backend.backend()
    return {
        "benchmark": "time_to_accuracy",
        "backend": backend,
        "device": platform_info["device"],
        "versions": {
            "keras": keras.__version__,
            backend: platform_info["backend_version"],
            "python": platform.python_version(),
        },
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "config": {
            "net": "quick" if args.quick else "full",
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "steps_per_epoch": plan.steps_per_epoch,
            "optimizer": args.optimizer,
            "peak_learning_rate": args.learning_rate,
            "weight_decay": fm.WEIGHT_DECAYS[args.optimizer],
            "train_images": train_size,
            "test_images": test_size,
            "data_source": str(source),
            "seed": args.seed,
        },
        "thresholds": list(args.thresholds),
        "clock": CLOCK,
        "results": summaries,
    }


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
