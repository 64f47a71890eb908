"""Evaluating a schedule over many steps at once."""

import numpy as np
from keras import ops

from keras_lrs.schedules.checks import MAX_STEP, check_steps
from keras_lrs.schedules.introspection import resolve_lengths


def schedule_values(schedule, steps):
    """The values of `schedule` at steps `0..steps-1`, or at an array of steps.

    >>> schedule = keras_lrs.schedules.StepDecay(1.0, step_size=1, gamma=0.5)
    >>> keras_lrs.schedule_values(schedule, 3)
    array([1.  , 0.5 , 0.25], dtype=float32)

    Args:
        schedule: any `keras.optimizers.schedules.LearningRateSchedule`.
        steps: an int (the number of steps from 0) or an array of steps.
            A schedule with lengths left to the training is shown as a
            training of `steps` steps (of `max(steps) + 1` for an array).

    Returns:
        A float32 `numpy.ndarray` with one value per step.
    """
    if np.ndim(steps) == 0:
        steps = np.arange(check_steps("steps", steps, minimum=0))
    steps = np.asarray(steps)
    # Lengths left to the training: previewed as a training of these steps.
    length = min(max(int(steps.max(initial=0)) + 1, 1), MAX_STEP)
    schedule = resolve_lengths(schedule, length)
    if steps.size and steps.min() < 0:
        raise ValueError(
            f"Argument `steps` must hold steps >= 0. Received: steps={steps!r}"
        )
    if steps.dtype.kind in "iu" and steps.max(initial=0) <= MAX_STEP:
        steps = steps.astype("int32")
    else:  # fractional steps, or beyond the int32 range of JAX's step
        steps = steps.astype("float32")
    values = _attempt(lambda: schedule(steps), steps.shape)
    if values is None:
        # Schedules written for a scalar step only (Keras's CosineDecay with
        # a warmup uses `ops.cond`): mapped over the steps where the backend
        # can (JAX and TensorFlow), else one step at a time.
        flat = steps.reshape(-1)
        values = _attempt(
            lambda: ops.vectorized_map(schedule, ops.convert_to_tensor(flat)),
            flat.shape,
        )
    if values is None:
        values = np.array(
            [ops.convert_to_numpy(schedule(step)) for step in steps.reshape(-1)]
        )
    return values.astype("float32").reshape(steps.shape)


def _attempt(evaluate, shape):
    """`evaluate()` as a NumPy array of `shape`, or None if it cannot be."""
    try:
        values = ops.convert_to_numpy(evaluate())
    except Exception:  # noqa: BLE001 - not every schedule is elementwise
        return None
    return values if values.shape == shape else None

