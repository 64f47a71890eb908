"""Plots of schedules (matplotlib, the optional extra `plot`)."""

import numpy as np

from keras_lrs.values import schedule_values


def pyplot():
    """`matplotlib.pyplot`, or an ImportError that says how to get it."""
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg"):
            import os

            if not os.environ.get("DISPLAY"):
                matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "Plotting needs matplotlib: pip install 'keras_lrs[plot]'"
        ) from error
    return plt


def plot_schedule(schedule, steps, ax=None, label=None):
    """Plots a schedule's learning rate against the step.

    Args:
        schedule: any `LearningRateSchedule`.
        steps: the number of steps from 0, or an array of steps.
        ax: a matplotlib `Axes` to draw on; a new figure's if None.
        label: the line's legend label (default: the schedule's class).

    Returns:
        The matplotlib `Axes`.
    """
    values = schedule_values(schedule, steps)
    x = np.arange(len(values)) if np.ndim(steps) == 0 else np.asarray(steps)
    if ax is None:
        _, ax = pyplot().subplots()
    ax.plot(x, values, label=label or type(schedule).__name__)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    return ax
