"""Renders docs/gallery.png (one small plot per schedule and combinator) and
one picture per class in docs/gallery/ (`cosine_restarts.png`, ...), shown on
the API pages of the documentation.

Usage (from the repository root, with the `plot` extra installed):

    python docs/make_gallery.py [--out docs/gallery.png] [--panels-dir docs/gallery] [--steps 1000]

Each panel's title is the exact expression that built its schedule, so the
picture doubles as a catalogue of the constructors. Every public class of
`keras_lrs.schedules` (except the `Schedule` base) must appear in a panel;
the script fails if one is missing, so a new schedule cannot be forgotten.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras_lrs  # noqa: E402
from keras_lrs import schedules  # noqa: E402

STEPS = 1000  # the shared x range of every panel
COLUMNS = 4
TITLE_WIDTH = 44  # characters of a title line that fit above a panel

# Each entry is evaluated in the namespace of `keras_lrs.schedules`; the
# source text is the panel's title, so title and curve cannot disagree.
PANELS = [
    "Constant(0.5)",
    "StepDecay(1.0, 250, gamma=0.5)",
    "MultiStepDecay(1.0, [300, 600, 800], gamma=0.5)",
    "PiecewiseConstant([200, 500], [1.0, 0.4, 0.1])",
    "ExponentialDecay(1.0, 200, 0.5)",
    "ExponentialDecay(1.0, 200, 0.5, staircase=True)",
    "InverseTimeDecay(1.0, 100, 0.5)",
    "InverseSqrtDecay(1.0, timescale=50)",
    "PolynomialDecay(1.0, 800, power=2.0)",
    "CosineDecay(1.0, 800, end_learning_rate=0.1)",
    "CosineRestarts(1.0, 100, t_mul=2)",
    "CosineRestarts(1.0, 200, m_mul=0.6)",
    "OneCycle(1.0)",  # the length left to the training: the 1000 steps
    "Cyclical(0.1, 1.0, 125, mode='triangular2')",
    "OneCycleMomentum()",  # the momentum that goes with OneCycle
    "CyclicalMomentum(0.8, 0.9, 125, mode='triangular2')",
    "Warmup(CosineDecay(1.0), 0.1)",
    "Sequential([0.2, CosineDecay(1.0, 700), 0.05], [100, 800])",
    "FromEpochs(StepDecay(1.0, 2, gamma=0.5), 100)",
    "WarmupStableDecay(1.0, 100, 500, 300)",
    "WarmupStableDecay(1.0, 100, 500, 300, decay_shape='cosine')",
    "WarmupStableDecay(1.0, 100, 500, 300, decay_shape='sqrt')",
]


def build(expression):
    namespace = {name: getattr(schedules, name) for name in schedules.__all__}
    return eval(expression, {"__builtins__": {}}, namespace)  # noqa: S307


def title(expression):
    """The expression, wrapped between its top-level arguments to fit."""
    lines = [""]
    for argument in top_level_arguments(expression):
        if lines[-1] and len(lines[-1]) + len(argument) > TITLE_WIDTH:
            lines.append("")
        lines[-1] += argument
    return "\n".join(line.rstrip() for line in lines)


def top_level_arguments(expression):
    """Splits "F(a, [b, c], d=1)" after the commas of F's own arguments."""
    pieces, start, depth = [], 0, 0
    for index, char in enumerate(expression):
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 1:
            pieces.append(expression[start : index + 2])
            start = index + 2
    return pieces + [expression[start:]]


def check_every_class_shown(expressions):
    shown = {type(build(expression)).__name__ for expression in expressions}
    missing = set(schedules.__all__) - {"Schedule"} - shown
    if missing:
        raise SystemExit(f"No gallery panel for: {', '.join(sorted(missing))}")


def render(out, steps=STEPS):
    check_every_class_shown(PANELS)
    rows = -(-len(PANELS) // COLUMNS)
    figure, axes = plt.subplots(
        rows, COLUMNS, figsize=(16, 14), dpi=100, sharex=True, sharey=True
    )
    for ax, expression in zip(axes.flat, PANELS):
        keras_lrs.plot_schedule(build(expression), steps, ax=ax)
        ax.set_title(title(expression), fontsize=9.5, family="monospace")
        ax.grid(alpha=0.3)
        ax.set_xlabel("")
        ax.set_ylabel("")
    for ax in axes.flat[len(PANELS):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    for ax in axes[:, 0]:
        ax.set_ylabel("learning rate")
    axes[0, 0].set_ylim(-0.05, 1.1)
    figure.suptitle(
        f"keras_lrs schedules (steps 0..{steps - 1})", fontsize=15
    )
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    figure.savefig(out)
    plt.close(figure)
    return out


def file_name(class_name):
    """"CosineRestarts" -> "cosine_restarts.png"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower() + ".png"


def render_per_class(out_dir, steps=STEPS):
    """One picture per class, its gallery panels drawn on one axes."""
    check_every_class_shown(PANELS)
    by_class = {}
    for expression in PANELS:
        by_class.setdefault(type(build(expression)).__name__, []).append(expression)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for class_name, expressions in by_class.items():
        figure, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)
        for expression in expressions:
            keras_lrs.plot_schedule(build(expression), steps, ax=ax, label=expression)
        ax.legend(fontsize=7.5, prop={"family": "monospace", "size": 7.5})
        ax.grid(alpha=0.3)
        ax.set_ylim(-0.05, 1.1)
        ax.set_title(class_name, family="monospace")
        figure.tight_layout()
        path = os.path.join(out_dir, file_name(class_name))
        figure.savefig(path)
        plt.close(figure)
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "gallery.png")
    )
    parser.add_argument(
        "--panels-dir", default=str(Path(__file__).resolve().parent / "gallery")
    )
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)
    print(render(args.out, args.steps))
    for path in render_per_class(args.panels_dir, args.steps):
        print(path)


if __name__ == "__main__":
    main()
