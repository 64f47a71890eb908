"""docs/guides/coming_from.md, checked: each mapping gives the other
library's values, and each difference the page states is there.

`test_same_values_as_the_other_library` has one case per table row that
names a keras_lrs equivalent, with the other library's class as its id; a
case yields every form its row gives (the page's expression, ours, the
reference). The references: Keras's own schedules, callbacks and optimizers;
`torch.optim.lr_scheduler` and `torch.optim.swa_utils`, stepped as the page
says; TensorFlow Addons' cyclical schedules in float64 NumPy, from their
source (tensorflow/addons@043eb7f7,
tensorflow_addons/optimizers/cyclical_learning_rate.py), since Addons does
not run on Keras 3. The tests after it assert the differences the page
states. Rows with nothing to compute (`ChainedScheduler`, `LambdaLR`,
Addons' `SWA` and `MovingAverage`) have no case.

The mappings do not depend on the Keras backend: checked once, on
TensorFlow.
"""

from functools import partial

import keras
import numpy as np
import pytest
from keras import ops

import keras_lrs
from keras_lrs import schedules as lrs
from keras_lrs.callbacks import ReduceLROnPlateau, StochasticWeightAveraging
from tests.rate_tolerance import RTOL, assert_rates_close

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler, swa_utils

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="backend-independent mappings: checked once, in the TensorFlow pass",
)

KERAS = keras.optimizers.schedules
LR = 0.1
STEPS_PER_EPOCH = 4
EPOCHS = 12


def assert_same(ours, reference, form):
    assert_rates_close(ours, reference, err_msg=form)


# --- our side ---------------------------------------------------------------


def values(schedule, steps):
    """Our `schedule` at steps `0..steps-1`, or at the given steps."""
    return keras_lrs.schedule_values(schedule, steps).astype(np.float64)


def compiled_model(optimizer):
    """A one-layer model, compiled, whose optimizer is built."""
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, kernel_initializer="ones"),
        ]
    )
    model.compile(optimizer, "mse")
    optimizer.build(model.trainable_variables)
    return model


def current_rate(optimizer):
    return float(ops.convert_to_numpy(optimizer.learning_rate))


def rates_at_steps(optimizer, steps):
    """The rate `optimizer` would apply at each step (its schedule included)."""
    rates = []
    for step in steps:
        optimizer.iterations.assign(step)
        rates.append(current_rate(optimizer))
    return np.array(rates)


def per_step(epoch_rates):
    """Rates that hold for a whole epoch, repeated for each of its steps."""
    return np.repeat(epoch_rates, STEPS_PER_EPOCH)


# --- Keras's side -----------------------------------------------------------


def keras_values(schedule, steps):
    """Keras's own `schedule`, called at each integer step in turn (its
    `CosineDecay` with a warmup takes a scalar step only)."""
    steps = range(steps) if isinstance(steps, int) else steps
    return np.array([float(ops.convert_to_numpy(schedule(t))) for t in steps])


def halve_every_epoch(epoch, learning_rate):
    """A `keras.callbacks.LearningRateScheduler` function."""
    return 0.1 * 0.5**epoch


def keras_scheduler_epoch_rates(schedule, epochs):
    model = compiled_model(keras.optimizers.SGD(LR))
    callback = keras.callbacks.LearningRateScheduler(schedule)
    callback.set_model(model)
    rates = []
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        rates.append(current_rate(model.optimizer))
    return np.array(rates)


# --- PyTorch's side ---------------------------------------------------------


def torch_optimizer(learning_rate=LR):
    parameter = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([parameter], lr=learning_rate, momentum=0.9)


def torch_history(make_scheduler, calls):
    """The rates and momenta of `calls` steps of a PyTorch scheduler: each
    read before the `scheduler.step()` that ends its step (after
    `optimizer.step()`, in PyTorch's order)."""
    optimizer = torch_optimizer()
    scheduler = make_scheduler(optimizer)
    rates, momenta = [], []
    for _ in range(calls):
        rates.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    return np.array(rates), np.array(momenta)


def torch_rates(make_scheduler, calls):
    return torch_history(make_scheduler, calls)[0]


# --- TensorFlow Addons' side ------------------------------------------------


def tfa_cyclical(initial, maximal, step_size, scale_fn, scale_mode, steps):
    """Addons' `CyclicalLearningRate(...)(t)` for `t` in `0..steps-1`."""
    t = np.arange(steps, dtype=np.float64)
    cycle = np.floor(1 + t / (2 * step_size))
    x = np.abs(t / step_size - 2 * cycle + 1)
    scale_step = cycle if scale_mode == "cycle" else t
    return initial + (maximal - initial) * np.maximum(0.0, 1 - x) * scale_fn(scale_step)


def tfa_triangular_scale(x):
    return np.ones_like(x)


def tfa_triangular2_scale(x):
    return 1 / 2.0 ** (x - 1)


def tfa_exponential_scale(gamma):
    return partial(np.power, gamma)


# --- the rows ---------------------------------------------------------------

ROWS = {}


def row(other_class):
    """Registers the check of the table row of `other_class`."""

    def register(forms):
        ROWS[other_class] = forms
        return forms

    return register


@row("keras.ExponentialDecay")
def keras_exponential_decay():
    for staircase in (False, True):
        yield (
            f"ExponentialDecay(0.1, 7, 0.5, staircase={staircase})",
            values(lrs.ExponentialDecay(LR, 7, 0.5, staircase), 50),
            keras_values(KERAS.ExponentialDecay(LR, 7, 0.5, staircase), 50),
        )


@row("keras.PiecewiseConstantDecay")
def keras_piecewise_constant_decay():
    boundaries, rates = [10, 20], [1.0, 0.5, 0.1]
    yield (
        "PiecewiseConstant([b + 1 for b in boundaries], values)",
        values(lrs.PiecewiseConstant([b + 1 for b in boundaries], rates), 40),
        keras_values(KERAS.PiecewiseConstantDecay(boundaries, rates), 40),
    )


@row("keras.PolynomialDecay")
def keras_polynomial_decay():
    for cycle in (False, True):
        yield (
            f"PolynomialDecay(0.1, 10, 1e-4, power=2.0, cycle={cycle})",
            values(lrs.PolynomialDecay(LR, 10, 1e-4, power=2.0, cycle=cycle), 40),
            keras_values(KERAS.PolynomialDecay(LR, 10, 1e-4, 2.0, cycle), 40),
        )


@row("keras.InverseTimeDecay")
def keras_inverse_time_decay():
    for staircase in (False, True):
        yield (
            f"InverseTimeDecay(0.1, 5, 0.5, staircase={staircase})",
            values(lrs.InverseTimeDecay(LR, 5, 0.5, staircase), 40),
            keras_values(KERAS.InverseTimeDecay(LR, 5, 0.5, staircase), 40),
        )


@row("keras.CosineDecay")
def keras_cosine_decay():
    yield (
        "CosineDecay(0.1, 10, end_learning_rate=alpha * 0.1)",
        values(lrs.CosineDecay(LR, 10, end_learning_rate=0.2 * LR), 20),
        keras_values(KERAS.CosineDecay(LR, 10, alpha=0.2), 20),
    )


@row("keras.CosineDecay-warmup")
def keras_cosine_decay_with_warmup():
    initial, peak, alpha = 0.001, LR, 0.1
    ours = lrs.Warmup(
        lrs.CosineDecay(peak, 10, alpha * peak), 5, initial_learning_rate=initial
    )
    theirs = KERAS.CosineDecay(
        initial, 10, alpha=alpha, warmup_target=peak, warmup_steps=5
    )
    yield (
        "Warmup(CosineDecay(peak, 10, alpha * peak), 5, initial_learning_rate=initial)",
        values(ours, 25),
        keras_values(theirs, 25),
    )


@row("keras.CosineDecayRestarts")
def keras_cosine_decay_restarts():
    for m_mul, alpha in ((0.5, 0.0), (1.0, 0.1)):
        ours = lrs.CosineRestarts(LR, 5, 2.0, m_mul, end_learning_rate=alpha * LR)
        yield (
            f"CosineRestarts(0.1, 5, 2.0, {m_mul}, end_learning_rate={alpha} * 0.1)",
            values(ours, 80),
            keras_values(KERAS.CosineDecayRestarts(LR, 5, 2.0, m_mul, alpha), 80),
        )


@row("keras.callbacks.LearningRateScheduler")
def keras_learning_rate_scheduler():
    ours = lrs.FromEpochs(
        lrs.ExponentialDecay(0.1, 1, 0.5), STEPS_PER_EPOCH, staircase=True
    )
    yield (
        "FromEpochs(ExponentialDecay(0.1, 1, 0.5), spe, staircase=True)",
        values(ours, EPOCHS * STEPS_PER_EPOCH),
        per_step(keras_scheduler_epoch_rates(halve_every_epoch, EPOCHS)),
    )


# Validation losses that fall, stall with noise, fall again and stall flat.
_noise = np.random.default_rng(0).standard_normal(70)
PLATEAU_LOSSES = np.concatenate(
    [
        np.linspace(1.0, 0.5, 5),
        0.5 + 0.01 * _noise[:40],
        np.linspace(0.49, 0.3, 10),
        0.3 + 1e-5 * _noise[40:],
    ]
)


def plateau_rates(callback, losses=PLATEAU_LOSSES, optimizer=None):
    """The rate after each epoch's end, with `callback`'s hooks driven
    directly (no training)."""
    model = compiled_model(optimizer or keras.optimizers.SGD(LR))
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for epoch, loss in enumerate(losses):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": float(loss), "val_loss": float(loss)})
        rates.append(current_rate(model.optimizer))
    return np.array(rates)


def torch_plateau_rates(losses=PLATEAU_LOSSES, **arguments):
    optimizer = torch_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **arguments)
    rates = []
    for loss in losses:
        scheduler.step(float(loss))
        rates.append(optimizer.param_groups[0]["lr"])
    return np.array(rates)


def cuts(rates):
    return np.count_nonzero(np.diff(rates) < 0)


@row("keras.callbacks.ReduceLROnPlateau")
def keras_reduce_lr_on_plateau():
    arguments = {
        "factor": 0.5,
        "patience": 3,
        "min_delta": 1e-3,
        "cooldown": 2,
        "min_lr": 0.01,
    }
    reference = plateau_rates(keras.callbacks.ReduceLROnPlateau(**arguments))
    assert cuts(reference) >= 3  # the case exercises the rule and min_lr
    yield (
        f"ReduceLROnPlateau(**{arguments})",
        plateau_rates(ReduceLROnPlateau(**arguments)),
        reference,
    )
    positional = ("val_loss", 0.5, 3, 0, "min", 1e-3, 2, 0.01)
    yield (
        f"ReduceLROnPlateau{positional}",
        plateau_rates(ReduceLROnPlateau(*positional)),
        plateau_rates(keras.callbacks.ReduceLROnPlateau(*positional)),
    )


def ema_run(optimizer, steps=6):
    """The weights after each of `steps` updates by fixed gradients, and the
    moving average that `SwapEMAWeights` puts in for evaluation."""
    model = compiled_model(optimizer)
    swap = keras.callbacks.SwapEMAWeights()
    swap.set_model(model)
    rng = np.random.default_rng(1)
    weights, averages = [], []
    for _ in range(steps):
        gradients = [
            rng.standard_normal(v.shape).astype("float32")
            for v in model.trainable_variables
        ]
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        weights.append(flat_weights(model))
        swap.on_test_begin()
        averages.append(flat_weights(model))
        swap.on_test_end()
    return np.array(weights), np.array(averages)


def flat_weights(model):
    return np.concatenate([w.reshape(-1) for w in model.get_weights()])


@row("keras.callbacks.SwapEMAWeights")
def keras_swap_ema_weights():
    schedule = lrs.CosineDecay(LR, 8)
    ours = keras_lrs.optimizers.SGD(
        schedule, momentum=lrs.Constant(0.9), use_ema=True, ema_momentum=0.8
    )
    theirs = keras.optimizers.SGD(
        schedule, momentum=0.9, use_ema=True, ema_momentum=0.8
    )
    (our_weights, our_averages), (weights, averages) = ema_run(ours), ema_run(theirs)
    form = "keras_lrs.optimizers.SGD(schedule, momentum=Constant(0.9), use_ema=True)"
    yield form + ": weights", our_weights, weights
    yield form + ": averages swapped in", our_averages, averages


@row("torch.StepLR")
def torch_step_lr():
    epoch_rates = torch_rates(
        partial(lr_scheduler.StepLR, step_size=3, gamma=0.5), EPOCHS
    )
    steps = EPOCHS * STEPS_PER_EPOCH
    yield (
        "FromEpochs(StepDecay(lr, step_size, gamma), spe, staircase=True)",
        values(
            lrs.FromEpochs(lrs.StepDecay(LR, 3, 0.5), STEPS_PER_EPOCH, staircase=True),
            steps,
        ),
        per_step(epoch_rates),
    )
    yield (
        "StepDecay(lr, step_size * spe, gamma)",
        values(lrs.StepDecay(LR, 3 * STEPS_PER_EPOCH, 0.5), steps),
        per_step(epoch_rates),
    )
    yield (
        "per batch: StepDecay(lr, step_size, gamma)",
        values(lrs.StepDecay(LR, 3, 0.5), EPOCHS),
        epoch_rates,
    )


@row("torch.MultiStepLR")
def torch_multi_step_lr():
    milestones = [2, 5]
    epoch_rates = torch_rates(
        partial(lr_scheduler.MultiStepLR, milestones=milestones), EPOCHS
    )
    steps = EPOCHS * STEPS_PER_EPOCH
    per_epoch = lrs.FromEpochs(
        lrs.MultiStepDecay(LR, milestones, 0.1), STEPS_PER_EPOCH, staircase=True
    )
    yield (
        "FromEpochs(MultiStepDecay(lr, milestones, gamma), spe, staircase=True)",
        values(per_epoch, steps),
        per_step(epoch_rates),
    )
    scaled = lrs.MultiStepDecay(LR, [m * STEPS_PER_EPOCH for m in milestones], 0.1)
    yield (
        "MultiStepDecay(lr, [m * spe for m in milestones], gamma)",
        values(scaled, steps),
        per_step(epoch_rates),
    )


@row("torch.ConstantLR")
def torch_constant_lr():
    # PyTorch's defaults, as the page writes them: factor=1/3, total_iters=5.
    yield (
        "PiecewiseConstant([total_iters], [lr * factor, lr])",
        values(lrs.PiecewiseConstant([5], [LR / 3, LR]), EPOCHS),
        torch_rates(lr_scheduler.ConstantLR, EPOCHS),
    )


@row("torch.LinearLR")
def torch_linear_lr():
    for start, end in ((1 / 3, 1.0), (0.2, 0.8)):
        reference = torch_rates(
            partial(
                lr_scheduler.LinearLR, start_factor=start, end_factor=end, total_iters=5
            ),
            EPOCHS,
        )
        warmup = lrs.Warmup(LR * end, 5, initial_learning_rate=LR * start)
        yield (
            f"Warmup(lr * {end}, 5, initial_learning_rate=lr * {start:.3g})",
            values(warmup, EPOCHS),
            reference,
        )
    for start, end in ((1.0, 0.1), (0.2, 0.8)):
        reference = torch_rates(
            partial(
                lr_scheduler.LinearLR, start_factor=start, end_factor=end, total_iters=5
            ),
            EPOCHS,
        )
        yield (
            f"PolynomialDecay(lr * {start}, 5, lr * {end})",
            values(lrs.PolynomialDecay(LR * start, 5, LR * end), EPOCHS),
            reference,
        )


@row("torch.ExponentialLR")
def torch_exponential_lr():
    epoch_rates = torch_rates(partial(lr_scheduler.ExponentialLR, gamma=0.9), EPOCHS)
    yield (
        "ExponentialDecay(lr, spe, gamma, staircase=True)",
        values(
            lrs.ExponentialDecay(LR, STEPS_PER_EPOCH, 0.9, staircase=True),
            EPOCHS * STEPS_PER_EPOCH,
        ),
        per_step(epoch_rates),
    )
    yield (
        "per batch: ExponentialDecay(lr, 1, gamma)",
        values(lrs.ExponentialDecay(LR, 1, 0.9), EPOCHS),
        epoch_rates,
    )


@row("torch.PolynomialLR")
def torch_polynomial_lr():
    for total_iters, power in ((5, 1.0), (6, 2.0)):
        reference = torch_rates(
            partial(lr_scheduler.PolynomialLR, total_iters=total_iters, power=power),
            EPOCHS,
        )
        ours = lrs.PolynomialDecay(LR, total_iters, end_learning_rate=0.0, power=power)
        yield (
            f"PolynomialDecay(lr, {total_iters}, end_learning_rate=0.0, power={power})",
            values(ours, EPOCHS),
            reference,
        )


@row("torch.CosineAnnealingLR")
def torch_cosine_annealing_lr():
    # Up to T_max: after it the two part (test_cosine_annealing_...).
    t_max, eta_min = 6, 0.01
    reference = torch_rates(
        partial(lr_scheduler.CosineAnnealingLR, T_max=t_max, eta_min=eta_min), t_max + 1
    )
    ours = lrs.CosineDecay(LR, t_max, end_learning_rate=eta_min)
    yield (
        "CosineDecay(lr, T_max, end_learning_rate=eta_min)",
        values(ours, t_max + 1),
        reference,
    )
    yield (
        "per epoch: FromEpochs(CosineDecay(...), spe, staircase=True)",
        values(
            lrs.FromEpochs(ours, STEPS_PER_EPOCH, staircase=True),
            (t_max + 1) * STEPS_PER_EPOCH,
        ),
        per_step(reference),
    )


def torch_warm_restarts_per_batch(epochs, **arguments):
    """`CosineAnnealingWarmRestarts` stepped as its documentation shows for
    batches: `scheduler.step(epoch + i / spe)` before batch `i`."""
    optimizer = torch_optimizer()
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(optimizer, **arguments)
    rates = []
    for epoch in range(epochs):
        for i in range(STEPS_PER_EPOCH):
            scheduler.step(epoch + i / STEPS_PER_EPOCH)
            rates.append(optimizer.param_groups[0]["lr"])
    return np.array(rates)


@row("torch.CosineAnnealingWarmRestarts")
def torch_cosine_annealing_warm_restarts():
    epochs = 21  # three cycles: 3, 6 and 12 epochs
    for t_mult in (1, 2):
        arguments = {"T_0": 3, "T_mult": t_mult, "eta_min": 0.01}
        ours = lrs.CosineRestarts(LR, 3, t_mul=t_mult, end_learning_rate=0.01)
        yield (
            f"CosineRestarts(lr, 3, t_mul={t_mult}, end_learning_rate=0.01)",
            values(ours, epochs),
            torch_rates(
                partial(lr_scheduler.CosineAnnealingWarmRestarts, **arguments), epochs
            ),
        )
    per_batch = lrs.FromEpochs(ours, STEPS_PER_EPOCH)
    yield (
        "step(epoch + i / spe): FromEpochs(CosineRestarts(...), spe)",
        values(per_batch, epochs * STEPS_PER_EPOCH),
        torch_warm_restarts_per_batch(epochs, **arguments),
    )


@row("torch.CyclicLR")
def torch_cyclic_lr():
    for mode, gamma in (("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.97)):
        rates, momenta = torch_history(
            partial(
                lr_scheduler.CyclicLR,
                base_lr=0.01,
                max_lr=LR,
                step_size_up=3,
                step_size_down=5,
                mode=mode,
                gamma=gamma,
            ),
            40,
        )
        schedule = lrs.Cyclical(0.01, LR, 3, 5, mode, gamma)
        form = f"Cyclical(0.01, 0.1, 3, 5, {mode!r}, {gamma})"
        yield form, values(schedule, 40), rates
        yield (
            form + ".momentum_schedule(0.8, 0.9)",
            values(schedule.momentum_schedule(0.8, 0.9), 40),
            momenta,
        )


@row("torch.OneCycleLR")
def torch_one_cycle_lr():
    for anneal, three_phase in (("cos", False), ("linear", True)):
        rates, momenta = torch_history(
            partial(
                lr_scheduler.OneCycleLR,
                max_lr=LR,
                total_steps=30,
                pct_start=0.25,
                anneal_strategy=anneal,
                three_phase=three_phase,
            ),
            30,
        )
        schedule = lrs.OneCycle(LR, 30, 0.25, 25.0, 1e4, anneal, three_phase)
        form = f"OneCycle(0.1, 30, 0.25, 25.0, 1e4, {anneal!r}, {three_phase})"
        yield form, values(schedule, 30), rates
        yield (
            form + ".momentum_schedule(0.85, 0.95)",
            values(schedule.momentum_schedule(0.85, 0.95), 30),
            momenta,
        )
    rates, _ = torch_history(
        partial(lr_scheduler.OneCycleLR, max_lr=LR, epochs=5, steps_per_epoch=6), 30
    )
    yield (
        "epochs=5, steps_per_epoch=6: OneCycle(0.1, 5 * 6)",
        values(lrs.OneCycle(LR, 5 * 6), 30),
        rates,
    )


def torch_warmup_then_cosine(optimizer):
    warmup = lr_scheduler.LinearLR(optimizer, 0.1, 1.0, total_iters=3)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[3])


@row("torch.SequentialLR")
def torch_sequential_lr():
    reference = torch_rates(torch_warmup_then_cosine, EPOCHS)
    sequence = lrs.Sequential(
        [lrs.Warmup(LR, 3, initial_learning_rate=0.1 * LR), lrs.CosineDecay(LR, 8)],
        boundaries=[3],
    )
    yield (
        "Sequential([Warmup(lr, 3, 0.1 * lr), CosineDecay(lr, 8)], boundaries=[3])",
        values(sequence, EPOCHS),
        reference,
    )
    warmup = lrs.Warmup(lrs.CosineDecay(LR, 8), 3, initial_learning_rate=0.1 * LR)
    yield (
        "Warmup(CosineDecay(lr, 8), 3, initial_learning_rate=0.1 * lr)",
        values(warmup, EPOCHS),
        reference,
    )


@row("torch.ReduceLROnPlateau")
def torch_reduce_lr_on_plateau():
    for arguments in (
        {
            "factor": 0.5,
            "patience": 3,
            "threshold": 1e-3,
            "cooldown": 2,
            "min_lr": 0.01,
        },
        {
            "factor": 0.5,
            "patience": 2,
            "threshold": 1e-2,
            "threshold_mode": "abs",
            "eps": 1e-3,
        },
    ):
        reference = torch_plateau_rates(**arguments)
        assert cuts(reference) >= 3  # the case exercises the rule
        yield (
            f"ReduceLROnPlateau.from_torch('val_loss', **{arguments})",
            plateau_rates(ReduceLROnPlateau.from_torch("val_loss", **arguments)),
            reference,
        )


SWA_START, SWA_LR, SWA_ANNEALING_EPOCHS, SWA_EPOCHS = 2, 0.02, 3, 8


def swa_rates(shape):
    """The rate at every step of `SWA_EPOCHS` epochs with
    `StochasticWeightAveraging` installed by its hooks, from a rate of LR."""
    model = compiled_model(keras.optimizers.SGD(LR))
    swa = StochasticWeightAveraging(
        start_epoch=SWA_START,
        swa_learning_rate=SWA_LR,
        annealing_epochs=SWA_ANNEALING_EPOCHS,
        annealing_shape=shape,
    )
    swa.set_model(model)
    swa.set_params({"epochs": SWA_EPOCHS, "steps": STEPS_PER_EPOCH, "verbose": 0})
    return rates_at_steps(model.optimizer, range(SWA_EPOCHS * STEPS_PER_EPOCH))


def torch_swalr_epoch_rates(anneal_strategy):
    """LR until epoch `SWA_START`, then `SWALR` stepped once per epoch."""
    swalr = partial(
        swa_utils.SWALR,
        swa_lr=SWA_LR,
        anneal_epochs=SWA_ANNEALING_EPOCHS,
        anneal_strategy=anneal_strategy,
    )
    averaging = torch_rates(swalr, SWA_EPOCHS - SWA_START)
    return np.concatenate([np.full(SWA_START, LR), averaging])


@row("torch.swa_utils.SWALR")
def torch_swalr():
    for shape, anneal_strategy in (("cosine", "cos"), ("linear", "linear")):
        yield (
            (
                f"StochasticWeightAveraging(start_epoch={SWA_START}, "
                f"swa_learning_rate={SWA_LR}, annealing_epochs="
                f"{SWA_ANNEALING_EPOCHS}, annealing_shape={shape!r}), at the "
                "first step of each epoch"
            ),
            swa_rates(shape)[::STEPS_PER_EPOCH],
            torch_swalr_epoch_rates(anneal_strategy),
        )


def torch_ema(weights, decay):
    """`AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(decay))`, updated
    after each step with that step's weights."""
    module = torch.nn.Linear(weights.shape[1], 1, bias=False, dtype=torch.float64)
    averaged = swa_utils.AveragedModel(
        module, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(decay)
    )
    averages = []
    with torch.no_grad():
        for step_weights in weights:
            module.weight.copy_(torch.from_numpy(step_weights.astype(np.float64)))
            averaged.update_parameters(module)
            averages.append(averaged.module.weight.numpy()[0].copy())
    return np.array(averages)


@row("torch.swa_utils.AveragedModel")
def torch_averaged_model_ema():
    weights, averages = ema_run(
        keras.optimizers.SGD(LR, momentum=0.9, use_ema=True, ema_momentum=0.8)
    )
    yield "use_ema=True, ema_momentum=0.8", averages, torch_ema(weights, 0.8)


@row("tfa.TriangularCyclicalLearningRate")
def tfa_triangular():
    for scale_mode in ("cycle", "iterations"):
        yield (
            f"Cyclical(0.01, 0.1, step_size_up=5), Addons' scale_mode={scale_mode!r}",
            values(lrs.Cyclical(0.01, LR, step_size_up=5), 200),
            tfa_cyclical(0.01, LR, 5, tfa_triangular_scale, scale_mode, 200),
        )


@row("tfa.Triangular2CyclicalLearningRate")
def tfa_triangular2():
    yield (
        "Cyclical(0.01, 0.1, 5, mode='triangular2')",
        values(lrs.Cyclical(0.01, LR, 5, mode="triangular2"), 200),
        tfa_cyclical(0.01, LR, 5, tfa_triangular2_scale, "cycle", 200),
    )


@row("tfa.ExponentialCyclicalLearningRate")
def tfa_exponential_cyclical():
    yield (
        "Cyclical(0.01, 0.1, 5, mode='exp_range', gamma=0.99)",
        values(lrs.Cyclical(0.01, LR, 5, mode="exp_range", gamma=0.99), 200),
        tfa_cyclical(0.01, LR, 5, tfa_exponential_scale(0.99), "iterations", 200),
    )


@row("tfa.CyclicalLearningRate")
def tfa_cyclical_with_scale_fn():
    for scale, scale_fn, scale_mode, ours in (
        ("1", tfa_triangular_scale, "cycle", lrs.Cyclical(0.01, LR, 5)),
        (
            "1 / 2**(cycle - 1)",
            tfa_triangular2_scale,
            "cycle",
            lrs.Cyclical(0.01, LR, 5, mode="triangular2"),
        ),
        (
            "0.99**t",
            tfa_exponential_scale(0.99),
            "iterations",
            lrs.Cyclical(0.01, LR, 5, mode="exp_range", gamma=0.99),
        ),
    ):
        yield (
            f"scale_fn {scale}: Cyclical(0.01, 0.1, 5, mode={ours.mode!r})",
            values(ours, 200),
            tfa_cyclical(0.01, LR, 5, scale_fn, scale_mode, 200),
        )


@pytest.mark.parametrize("forms", ROWS.values(), ids=ROWS.keys())
def test_same_values_as_the_other_library(forms):
    for form, ours, reference in forms():
        assert_same(ours, reference, form)


# --- the differences that remain --------------------------------------------

LAST_STEP = 2**31 - 1


def test_exponential_decay_power_exact_where_keras_drifts():
    exact = 0.99999 ** (LAST_STEP / 1000)
    assert f"{exact:.4g}" == "4.716e-10"  # the page's figure
    ours = values(lrs.ExponentialDecay(1.0, 1000, 0.99999), [LAST_STEP])[0]
    theirs = keras_values(KERAS.ExponentialDecay(1.0, 1000, 0.99999), [LAST_STEP])[0]
    assert ours == pytest.approx(exact, rel=RTOL)
    assert abs(theirs / exact - 1) == pytest.approx(0.029, abs=5e-4)  # "2.9% off"


def test_exponential_decay_power_of_a_rate_that_rounds_to_one():
    assert np.float32(0.99999999) == 1.0
    ours = values(lrs.ExponentialDecay(1.0, 1, 0.99999999), [LAST_STEP])[0]
    theirs = keras_values(KERAS.ExponentialDecay(1.0, 1, 0.99999999), [LAST_STEP])[0]
    assert ours == pytest.approx(0.99999999**LAST_STEP, rel=RTOL)
    assert theirs == 1.0


def with_torch_optimizer(make_scheduler):
    return make_scheduler(torch_optimizer())


@pytest.mark.parametrize(
    ("ours", "theirs", "argument"),
    [
        pytest.param(
            partial(lrs.ExponentialDecay, LR, 10, 1.01),
            partial(KERAS.ExponentialDecay, LR, 10, 1.01),
            "decay_rate",
            id="keras.ExponentialDecay",
        ),
        pytest.param(
            partial(lrs.InverseTimeDecay, LR, 10, -0.5),
            partial(KERAS.InverseTimeDecay, LR, 10, -0.5),
            "decay_rate",
            id="keras.InverseTimeDecay",
        ),
        pytest.param(
            partial(lrs.StepDecay, LR, 3, 1.5),
            partial(
                with_torch_optimizer,
                partial(lr_scheduler.StepLR, step_size=3, gamma=1.5),
            ),
            "gamma",
            id="torch.StepLR",
        ),
        pytest.param(
            partial(lrs.ExponentialDecay, LR, 1, 1.5),
            partial(
                with_torch_optimizer, partial(lr_scheduler.ExponentialLR, gamma=1.5)
            ),
            "decay_rate",
            id="torch.ExponentialLR",
        ),
        pytest.param(
            partial(lrs.Cyclical, 0.01, LR, 5, mode="exp_range", gamma=1.5),
            partial(
                with_torch_optimizer,
                partial(
                    lr_scheduler.CyclicLR,
                    base_lr=0.01,
                    max_lr=LR,
                    mode="exp_range",
                    gamma=1.5,
                ),
            ),
            "gamma",
            id="torch.CyclicLR-gamma",
        ),
        pytest.param(
            partial(lrs.Cyclical, LR, 0.01, 5),
            partial(
                with_torch_optimizer,
                partial(lr_scheduler.CyclicLR, base_lr=LR, max_lr=0.01),
            ),
            "max_learning_rate",
            id="torch.CyclicLR-max_lr",
        ),
    ],
)
def test_arguments_the_other_library_takes_and_we_refuse(ours, theirs, argument):
    theirs()
    with pytest.raises(ValueError, match=f"Argument `{argument}`"):
        ours()


def test_piecewise_constant_decay_same_boundaries_switch_one_step_earlier():
    boundaries, rates = [10, 20], [1.0, 0.5, 0.1]
    steps = [9, 10, 11, 19, 20, 21]
    ours = values(lrs.PiecewiseConstant(boundaries, rates), steps)
    theirs = keras_values(KERAS.PiecewiseConstantDecay(boundaries, rates), steps)
    np.testing.assert_allclose(ours, [1.0, 0.5, 0.5, 0.5, 0.1, 0.1], rtol=RTOL)
    np.testing.assert_allclose(theirs, [1.0, 1.0, 0.5, 0.5, 0.5, 0.1], rtol=RTOL)


def test_polynomial_decay_default_end_is_zero_not_keras_1e4():
    ours = values(lrs.PolynomialDecay(LR, 10), [10, 20])
    theirs = keras_values(KERAS.PolynomialDecay(LR, 10), [10, 20])
    np.testing.assert_array_equal(ours, [0.0, 0.0])
    np.testing.assert_allclose(theirs, [1e-4, 1e-4], rtol=RTOL)


def restart_cycles(first_decay_steps, t_mul, steps):
    """The cycle (0, 1, ...) of each of the steps `0..steps-1` of a
    restarting schedule."""
    cycles, length = [], first_decay_steps
    while len(cycles) < steps:
        cycles.extend([len(set(cycles))] * length)
        length *= t_mul
    return np.array(cycles[:steps])


def test_cosine_decay_restarts_peaks_differ_with_alpha_and_m_mul():
    # Both descend to the floor alpha * lr in every cycle i; Keras scales the
    # height above it by m_mul**i, `floor + m_mul**i * (lr - floor) * c`,
    # ours the peak, `floor + (m_mul**i * lr - floor) * c`.
    m_mul, alpha, steps = 0.5, 0.1, 75  # cycles of 5, 10, 20 and 40 steps
    floor = alpha * LR
    ours = values(lrs.CosineRestarts(LR, 5, 2.0, m_mul, floor), steps)
    theirs = keras_values(KERAS.CosineDecayRestarts(LR, 5, 2.0, m_mul, alpha), steps)
    shrink = m_mul ** restart_cycles(5, 2, steps)
    height_ratio = (shrink * LR - floor) / (shrink * (LR - floor))
    assert_same(
        ours,
        floor + height_ratio * (theirs - floor),
        "floor + (m_mul**i * lr - floor) * c",
    )
    starts = [0, 5, 15, 35]
    assert_same(ours[starts], LR * m_mul ** np.arange(4), "our peaks")
    assert_same(
        theirs[starts], floor + (LR - floor) * m_mul ** np.arange(4), "Keras's peaks"
    )


def test_keras_plateau_raises_on_a_schedule_ours_scales_it():
    schedule = lrs.CosineDecay(LR, 20)
    stalled = [1.0, 1.0]  # with patience=0 both rules cut once, at epoch 1
    with pytest.raises(TypeError, match="not settable"):
        plateau_rates(
            keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=0),
            stalled,
            keras.optimizers.SGD(schedule),
        )
    model = compiled_model(keras.optimizers.SGD(schedule))
    callback = ReduceLROnPlateau(factor=0.5, patience=0)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, loss in enumerate(stalled):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": loss})
    assert_same(
        rates_at_steps(model.optimizer, range(25)),
        0.5 * values(schedule, 25),
        "the schedule, scaled by factor",
    )


def first_cut(rates):
    return int(np.argmax(np.diff(rates, prepend=rates[0]) < 0))


def test_keras_and_pytorch_plateau_rules_differ_with_the_same_numbers():
    # After `patience` bad epochs (Keras) or once they exceed it (PyTorch).
    stalled = np.ones(8)
    keras_rule = plateau_rates(ReduceLROnPlateau(patience=3), stalled)
    torch_rule = plateau_rates(ReduceLROnPlateau.from_torch(patience=3), stalled)
    keras_own = plateau_rates(keras.callbacks.ReduceLROnPlateau(patience=3), stalled)
    torch_own = torch_plateau_rates(stalled, patience=3)
    assert first_cut(keras_own) == first_cut(keras_rule) == 3
    assert first_cut(torch_own) == first_cut(torch_rule) == 4


def test_multistep_lr_repeated_milestone_is_a_piecewise_constant():
    epoch_rates = torch_rates(
        partial(lr_scheduler.MultiStepLR, milestones=[2, 2, 5]), EPOCHS
    )
    with pytest.raises(ValueError, match="Argument `milestones`"):
        lrs.MultiStepDecay(LR, [2, 2, 5], 0.1)
    piecewise = lrs.PiecewiseConstant([2, 5], [LR, LR * 0.1**2, LR * 0.1**3])
    assert_same(
        values(piecewise, EPOCHS), epoch_rates, "gamma**2 at the repeated milestone"
    )


def test_cosine_annealing_lr_climbs_back_after_t_max_ours_holds():
    t_max, eta_min = 6, 0.01
    reference = torch_rates(
        partial(lr_scheduler.CosineAnnealingLR, T_max=t_max, eta_min=eta_min),
        2 * t_max + 1,
    )
    ours = values(lrs.CosineDecay(LR, t_max, end_learning_rate=eta_min), 2 * t_max + 1)
    assert np.all(np.diff(reference[t_max:]) > 0)
    assert reference[2 * t_max] == pytest.approx(LR, rel=RTOL)
    assert_same(ours[t_max:], np.full(t_max + 1, eta_min), "eta_min held")


def test_one_cycle_lr_raises_past_total_steps_ours_holds_the_last_rate():
    with pytest.raises(ValueError, match="total steps"):
        torch_rates(partial(lr_scheduler.OneCycleLR, max_lr=LR, total_steps=30), 31)
    ours = values(lrs.OneCycle(LR, 30), 40)
    assert_same(ours[30:], np.full(10, ours[29]), "the last rate held")


def test_swa_annealing_moves_within_each_epoch():
    # SWALR's rate is constant over an epoch; ours moves at every step.
    annealing = slice(
        SWA_START * STEPS_PER_EPOCH,
        (SWA_START + SWA_ANNEALING_EPOCHS) * STEPS_PER_EPOCH,
    )
    assert np.all(np.diff(swa_rates("cosine")[annealing]) < 0)


def test_tfa_exponential_cyclical_per_cycle_has_no_mode():
    per_cycle = tfa_cyclical(0.01, LR, 5, tfa_exponential_scale(0.99), "cycle", 200)
    for mode in ("triangular", "triangular2", "exp_range"):
        ours = values(lrs.Cyclical(0.01, LR, 5, mode=mode, gamma=0.99), 200)
        assert np.max(np.abs(ours - per_cycle)) > 1e-3, mode
