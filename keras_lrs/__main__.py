"""Preview a schedule from the command line.

    python -m keras_lrs plot SCHEDULE --steps N --out lr.png [--epochs-of K]
    python -m keras_lrs table SCHEDULE --steps N [--every K]

SCHEDULE is a JSON config as `keras.optimizers.schedules.serialize` writes it
(our classes by their registered name, e.g.
`{"class_name": "keras_lrs>CosineDecay", "config": {...}}`, Keras's by their
own), or the path of a file holding one. A schedule with lengths left to
the training (None, fractions) is shown as an N-step training. Bad input
gives a one-line message and exit code 2.
"""

import json
import os
import sys

import keras

import keras_lrs
from keras_lrs._command_line import OneLineErrorParser, checked, positive_int
from keras_lrs.schedules.introspection import resolve_lengths


class UsageError(Exception):
    """Bad input: reported in one line, exit code 2."""


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        schedule = load_schedule(args.schedule)
        if args.command == "plot":
            plot(schedule, args)
        else:
            table(schedule, args)
    except UsageError as error:
        parser.error(str(error))
    return 0


def _width_and_height(text):
    width, height = (int(part) for part in text.lower().split("x"))
    return width, height


_size = checked(
    _width_and_height, "WIDTHxHEIGHT in pixels, both > 0", lambda size: min(size) > 0
)


def _parser():
    parser = OneLineErrorParser(
        prog="python -m keras_lrs", description="Preview a learning-rate schedule."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    plot_parser = commands.add_parser("plot", help="plot the schedule to a PNG")
    table_parser = commands.add_parser("table", help="print the schedule's values")
    for command in (plot_parser, table_parser):
        command.add_argument("schedule", help="a JSON config, or a path to one")
        command.add_argument("--steps", type=positive_int, required=True)
    plot_parser.add_argument("--out", required=True, help="the PNG to write")
    plot_parser.add_argument("--size", type=_size, default=(800, 500), help="WIDTHxHEIGHT in pixels (800x500)")
    plot_parser.add_argument("--epochs-of", type=positive_int, metavar="K", help="mark an epoch boundary every K steps")
    table_parser.add_argument("--every", type=positive_int, default=1, metavar="K", help="print every K-th step")
    return parser


def load_schedule(text):
    """A schedule from a JSON config or the path of a file holding one."""
    if os.path.isfile(text):
        with open(text) as file:
            text = file.read()
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"SCHEDULE is neither a file nor valid JSON: {error}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise UsageError('SCHEDULE must be a JSON object with "class_name" and "config"')
    try:
        schedule = keras.optimizers.schedules.deserialize(config)
    except (TypeError, ValueError, KeyError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UsageError(f"cannot build the schedule: {message}") from None
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise UsageError(
            f"unknown schedule class {config['class_name']!r} (ours are "
            "registered as 'keras_lrs>NAME')"
        )
    return schedule


def plot(schedule, args):
    from keras_lrs.plotting import pyplot

    plt = pyplot()
    width, height = args.size
    dpi = 100
    figure, ax = plt.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    keras_lrs.plot_schedule(schedule, args.steps, ax=ax)
    if args.epochs_of:
        for boundary in range(args.epochs_of, args.steps, args.epochs_of):
            ax.axvline(boundary, color="0.85", linewidth=0.8, zorder=0)
    ax.set_title(type(schedule).__name__)
    figure.tight_layout()
    try:
        figure.savefig(args.out, dpi=dpi, format="png")
    except OSError as error:
        raise UsageError(f"cannot write {args.out}: {error.strerror}") from None
    finally:
        plt.close(figure)
    print(f"wrote {args.out} ({width}x{height})")


def table(schedule, args):
    steps = range(0, args.steps, args.every)
    # Lengths left to the training: a training of --steps, every row or not.
    schedule = resolve_lengths(schedule, args.steps)
    values = keras_lrs.schedule_values(schedule, list(steps))
    print("step\tlearning_rate")
    for step, value in zip(steps, values):
        print(f"{step}\t{value:.8g}")


if __name__ == "__main__":
    sys.exit(main())
