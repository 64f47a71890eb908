"""PyTorch's learning-rate scheduler tests, ported to keras_lrs.

Source: pytorch/pytorch, `test/optim/test_lrscheduler.py` at commit
01f9ef32eae5ef513002dd44902c23cbe6be3aae: the hand-written value lists of
every family keras_lrs has (`ReduceLROnPlateau`'s are ported elsewhere).
Cases and expected values are the authors' (each case is named after its
test), checked at their tolerance (`atol=1e-5`, `rtol=0`); the code that
evaluates them is ours. PyTorch's value at "epoch" `e` (after `e` calls of
`scheduler.step()`) is ours at step `e`. The second parameter group of the
authors' optimizer (rate 0.5, ten times 0.05) is a second schedule.

Each PyTorch class becomes ours: `StepLR` -> `StepDecay`, `MultiStepLR` ->
`MultiStepDecay`, `ExponentialLR` -> `ExponentialDecay(decay_steps=1)`,
`PolynomialLR` -> `PolynomialDecay`, `CosineAnnealingLR` -> `CosineDecay`,
`ConstantLR` -> `PiecewiseConstant`, `LinearLR` -> a linear `Warmup` (rising)
or `PolynomialDecay(power=1)` (falling), `SequentialLR` -> `Sequential`,
`CyclicLR` -> `Cyclical`, `OneCycleLR` -> `OneCycle`,
`CosineAnnealingWarmRestarts` -> `CosineRestarts`, `SWALR` after
`MultiplicativeLR` -> `SWASchedule` of an `ExponentialDecay`.

Adaptations (deliberate differences in SPEC.md):
- Rates are absolute: `LinearLR`'s and `ConstantLR`'s factors become the
  rates they give (factor * 0.05).
- `CyclicLR`'s and `OneCycleLR`'s momentum lists are left out where their
  momenta lie outside [0, 1] (all of them here: 1 to 5, 1 to 22), which
  `CyclicalMomentum` and `OneCycleMomentum` reject; the rate lists are kept.
- `test_sequentiallr5` chains `LinearLR` and `ConstantLR` on one optimizer;
  keras_lrs has no product of schedules, so the product is written as the
  one linear `Warmup` that it is.

Counts: of the file's 135 test functions, 19 are `ReduceLROnPlateau`'s
(another file); 43 are ported, 13 of them adapted (the 12 cyclical and
one-cycle tests whose momentum lists are left out, and
`test_sequentiallr5`); 73 are left out, with why:
- several schedulers multiplied on one optimizer (`ChainedScheduler`,
  compound tests; 14): keras_lrs has no product of schedules. The
  one-scheduler chains `test_chained_lr1` and `2` are ported;
- `LambdaLR` and `MultiplicativeLR` (3): no lambdas in keras_lrs;
- PyTorch's call protocol, without a counterpart in a function of the step:
  its warnings (9), the `step(epoch)` form and `last_epoch` (17: the
  `*_with_epoch`, `*_is_constant_for_constant_epoch` and `closed_form`
  tests, `test_cos_anneal_lr_continue`,
  `test_CosineAnnealingWarmRestarts_T_cur_reset`), `state_dict` and
  checkpoints (13), reference cycles (3), `initial_lr` and parameter-group
  bookkeeping (7);
- argument checks we do not have (3): `LinearLR`'s factor limits and
  `OneCycleLR` without `total_steps` (a required argument here);
- optimizers without momentum or with `beta1` momenta outside [0, 1] (3),
  and `test_cosine_then_cyclic` (two schedulers on one optimizer, 1).

Backend-independent arithmetic on tiny schedules: cheap on any backend.
"""

import math

import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as lrs
from keras_lrs.callbacks import SWASchedule

EPOCHS = 10


def assert_targets(schedule, targets, steps=None):
    """PyTorch's `_test`: the value at each epoch, `atol=1e-5`."""
    steps = np.arange(len(targets)) if steps is None else np.asarray(steps)
    values = keras_lrs.schedule_values(schedule, steps)
    np.testing.assert_allclose(values, targets, atol=1e-5, rtol=0)


def assert_both_groups(make, single_targets, epochs=EPOCHS, scale=EPOCHS):
    """The authors' two parameter groups: rates 0.05 and 0.5."""
    assert_targets(make(0.05), single_targets[:epochs])
    assert_targets(make(0.05 * scale), [x * scale for x in single_targets[:epochs]])


def test_step_lr():
    single_targets = [0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005] * 3
    assert_both_groups(lambda lr: lrs.StepDecay(lr, 3, gamma=0.1), single_targets)


def test_get_last_lr_step_lr():
    targets = [0.1] * 3 + [0.01] * 3 + [0.001] * 3 + [0.0001]
    assert_targets(lrs.StepDecay(0.1, 3, gamma=0.1), targets)


@pytest.mark.parametrize("name", ["test_multi_step_lr", "test_get_last_lr_multi_step_lr"])
def test_multi_step_lr(name):
    single_targets = [0.05] * 2 + [0.005] * 3 + [0.0005] * 4 + [0.00005] * 3
    assert_both_groups(
        lambda lr: lrs.MultiStepDecay(lr, [2, 5, 9], gamma=0.1), single_targets
    )


@pytest.mark.parametrize("name", ["test_constantlr", "test_get_last_lr_constantlr"])
def test_constantlr(name):
    single_targets = [0.025] * 5 + [0.05] * 5
    assert_both_groups(
        lambda lr: lrs.PiecewiseConstant([5], [lr / 2, lr]), single_targets
    )


def test_get_last_lr_linearlr():
    start_factor, end_factor, iters = 1.0 / 4, 3.0 / 5, 4
    interpolation = [
        start_factor + i * (end_factor - start_factor) / iters for i in range(iters)
    ]
    single_targets = [x * 0.05 for x in interpolation] + [0.05 * end_factor] * (
        EPOCHS - iters
    )
    assert_both_groups(
        lambda lr: lrs.Warmup(
            lr * end_factor, iters, initial_learning_rate=lr * start_factor
        ),
        single_targets,
    )


def test_linearlr():
    start_factor, iters = 1.0 / 2, 4
    interpolation = [start_factor + i * (1 - start_factor) / iters for i in range(iters)]
    single_targets = [x * 0.05 for x in interpolation] + [0.05] * (EPOCHS - iters)
    assert_both_groups(
        lambda lr: lrs.Warmup(lr, iters, initial_learning_rate=lr * start_factor),
        single_targets,
    )


def test_exp_lr():
    single_targets = [0.05 * (0.9**x) for x in range(EPOCHS)]
    assert_both_groups(lambda lr: lrs.ExponentialDecay(lr, 1, 0.9), single_targets)


def test_poly_lr():
    power, total_iters = 0.9, 5
    single_targets = [
        (1.0 - x / total_iters) ** power * 0.05 for x in range(total_iters)
    ] + [0.0] * (EPOCHS - total_iters)
    assert_both_groups(
        lambda lr: lrs.PolynomialDecay(lr, total_iters, power=power), single_targets
    )


def test_cos_anneal_lr():
    eta_min = 1e-10
    single_targets = [
        eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * x / EPOCHS)) / 2
        for x in range(EPOCHS)
    ]
    assert_both_groups(
        lambda lr: lrs.CosineDecay(lr, EPOCHS, end_learning_rate=eta_min),
        single_targets,
    )


def test_sequentiallr1():
    targets = (
        [0.05, 0.04, 0.032]
        + [0.05 for x in range(4)]
        + [0.05 * 0.1 for x in range(4)]
        + [0.05 * 0.01 for x in range(4)]
        + [0.05 * 0.001 for x in range(4)]
    )
    schedule = lrs.Sequential(
        [lrs.ExponentialDecay(0.05, 1, 0.8), lrs.StepDecay(0.05, 4, gamma=0.1)], [3]
    )
    assert_targets(schedule, targets[:19])


def test_sequentiallr2():
    targets = [0.005, 0.005, 0.005] + [0.05 * 0.9**x for x in range(10)]
    schedule = lrs.Sequential([0.005, lrs.ExponentialDecay(0.05, 1, 0.9)], [3])
    assert_targets(schedule, targets)


@pytest.mark.parametrize("name", ["test_sequentiallr3", "test_get_last_lr_sequentiallr"])
def test_sequentiallr3(name):
    single_targets = (
        [0.005, 0.005, 0.005]
        + [0.05, 0.04, 0.032]
        + [0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005]
    )

    def make(lr):
        return lrs.Sequential(
            [lr / 10, lrs.ExponentialDecay(lr, 1, 0.8), lrs.StepDecay(lr, 2, gamma=0.1)],
            [3, 6],
        )

    assert_both_groups(make, single_targets, epochs=12)


def test_sequentiallr5():
    # Adapted: LinearLR(start_factor=0.1, 5 steps) times ConstantLR(0.1) is
    # one linear ramp from 0.0005 to 0.005; then ConstantLR(0.5).
    targets = [0.0005, 0.0014, 0.0023, 0.0032, 0.0041] + [0.025] * 5
    schedule = lrs.Sequential(
        [lrs.Warmup(0.005, 5, initial_learning_rate=0.0005), 0.025], [5]
    )
    assert_targets(schedule, targets)


def test_sequentiallr_does_not_alias_lr_and_initial_lr():
    targets = [0.2, 0.55, 0.9, 1.25, 1.6, 1.25, 0.9, 0.55]
    schedule = lrs.Sequential(
        [
            lrs.Warmup(2.0 * 0.8, 4, initial_learning_rate=2.0 * 0.1),
            lrs.PolynomialDecay(2.0 * 0.8, 4, end_learning_rate=2.0 * 0.1),
        ],
        [4],
    )
    assert_targets(schedule, targets)


def test_chained_lr1():
    targets = [0.05] * 3 + [0.005] * 3 + [0.0005] * 3 + [0.00005] * 3
    assert_targets(lrs.StepDecay(0.05, 3, gamma=0.1), targets[:EPOCHS])


def test_chained_lr2():
    targets = [0.02, 0.03, 0.04] + [0.05] * 9
    assert_targets(lrs.Warmup(0.05, 3, initial_learning_rate=0.02), targets[:EPOCHS])


def test_cycle_lr_invalid_mode():
    with pytest.raises(ValueError):
        lrs.Cyclical(0, 0, mode="CATS")


TRIANGULAR = [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3]
TRIANGULAR2 = [
    1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5,
    1, 1.25, 1.50, 1.75, 2.00, 1.75,
]  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "test_cycle_lr_triangular_mode_one_lr",
        "test_cycle_lr_triangular_mode_one_lr_no_momentum",
        "test_cycle_lr_with_momentumless_optimizer",
    ],
)
def test_cycle_lr_triangular_mode_one_lr(name):
    assert_targets(lrs.Cyclical(1, 5, step_size_up=4), TRIANGULAR)


def test_cycle_lr_triangular2_mode_one_lr():
    schedule = lrs.Cyclical(1, 5, step_size_up=4, mode="triangular2")
    assert_targets(schedule, TRIANGULAR2)


def exp_range_targets(base_lr, max_lr, xs, gamma=0.9):
    return [base_lr + x * (max_lr - base_lr) * gamma**i for i, x in enumerate(xs)]


XS = [0, 0.25, 0.5, 0.75, 1, 0.75, 0.50, 0.25, 0, 0.25, 0.5, 0.75, 1]


def test_cycle_lr_exp_range_mode_one_lr():
    schedule = lrs.Cyclical(1, 5, step_size_up=4, mode="exp_range", gamma=0.9)
    assert_targets(schedule, exp_range_targets(1, 5, XS))


def test_cycle_lr_triangular_mode():
    assert_targets(lrs.Cyclical(1, 5, step_size_up=4), TRIANGULAR)
    assert_targets(lrs.Cyclical(2, 6, step_size_up=4), [x + 1 for x in TRIANGULAR])


def test_cycle_lr_triangular2_mode():
    for base, top, delta in [(1, 5, 0), (3, 7, 2)]:
        schedule = lrs.Cyclical(base, top, step_size_up=4, mode="triangular2")
        assert_targets(schedule, [x + delta for x in TRIANGULAR2])


def test_cycle_lr_exp_range_mode():
    for base, top in [(1, 5), (5, 12)]:
        schedule = lrs.Cyclical(base, top, step_size_up=4, mode="exp_range", gamma=0.9)
        assert_targets(schedule, exp_range_targets(base, top, XS))


def test_cycle_lr_triangular_mode_step_size_up_down():
    lr_target = [
        1.0, 2.0, 3.0, 4.0, 5.0, 13.0 / 3, 11.0 / 3, 9.0 / 3, 7.0 / 3, 5.0 / 3, 1.0,
    ]  # fmt: skip
    schedule = lrs.Cyclical(1, 5, step_size_up=4, step_size_down=6)
    assert_targets(schedule, lr_target)


def test_cycle_lr_triangular2_mode_step_size_up_down():
    lr_base_target = [
        1.0, 3.0, 5.0, 13.0 / 3, 11.0 / 3, 9.0 / 3, 7.0 / 3, 5.0 / 3,
        1.0, 2.0, 3.0, 8.0 / 3, 7.0 / 3, 6.0 / 3, 5.0 / 3, 4.0 / 3,
        1.0, 3.0 / 2, 2.0, 11.0 / 6, 10.0 / 6, 9.0 / 6, 8.0 / 6, 7.0 / 6,
    ]  # fmt: skip
    for delta in [0, 2]:
        schedule = lrs.Cyclical(
            1 + delta, 5 + delta, step_size_up=2, step_size_down=6, mode="triangular2"
        )
        assert_targets(schedule, [x + delta for x in lr_base_target])


def test_cycle_lr_exp_range_mode_step_size_up_down():
    xs = [
        0.0, 0.5, 1.0, 5.0 / 6, 4.0 / 6, 3.0 / 6, 2.0 / 6, 1.0 / 6,
        0.0, 0.5, 1.0, 5.0 / 6, 4.0 / 6,
    ]  # fmt: skip
    schedule = lrs.Cyclical(
        1, 5, step_size_up=2, step_size_down=6, mode="exp_range", gamma=0.9
    )
    assert_targets(schedule, exp_range_targets(1, 5, xs))


@pytest.mark.parametrize(
    "arguments",
    [{"anneal_strategy": "CATS"}, {"pct_start": 1.1}],
    ids=["test_onecycle_lr_invalid_anneal_strategy", "test_onecycle_lr_invalid_pct_start"],
)
def test_onecycle_lr_invalid_arguments(arguments):
    with pytest.raises(ValueError):
        lrs.OneCycle(1e-3, 10, **arguments)


def test_onecycle_lr_linear_annealing():
    lr_target = [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5]
    schedule = lrs.OneCycle(25, 10, final_div_factor=2, anneal_strategy="linear")
    assert_targets(schedule, lr_target)


def test_onecycle_lr_linear_annealing_three_phases():
    lr_target = [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25]
    schedule = lrs.OneCycle(
        25,
        10,
        div_factor=25,
        anneal_strategy="linear",
        pct_start=0.4,
        final_div_factor=4,
        three_phase=True,
    )
    assert_targets(schedule, lr_target)


def test_onecycle_lr_cosine_annealing():
    def cosine_between(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    lr_target = [1, 13, 25] + [cosine_between(25, 0.5, i / 7.0) for i in range(1, 7)] + [0.5]
    schedule = lrs.OneCycle(25, 10, final_div_factor=2)
    assert_targets(schedule, lr_target)


def warm_restart_targets(lr, fractions_and_lengths, eta_min=1e-10):
    return [
        eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
        for t_cur, t_i in fractions_and_lengths
    ]


def cycle_positions(epochs, first=10, t_mult=1):
    """(T_cur, T_i) at each epoch: where in its cycle, and the cycle's length."""
    positions = []
    for epoch in epochs:
        start, length = 0, first
        while epoch >= start + length:
            start, length = start + length, length * t_mult
        positions.append((epoch - start, length))
    return positions


@pytest.mark.parametrize("t_mult", [1, 2, 4])
def test_CosineAnnealingWarmRestarts_lr1(t_mult):
    positions = cycle_positions(range(100), t_mult=t_mult)
    for lr in [0.05, 0.5]:
        schedule = lrs.CosineRestarts(lr, 10, t_mul=t_mult, end_learning_rate=1e-10)
        assert_targets(schedule, warm_restart_targets(lr, positions))


@pytest.mark.parametrize("t_mult", [1, 2, 4])
def test_CosineAnnealingWarmRestarts_lr2(t_mult):
    # Fractional epochs 0, 0.1, ..., 29.9 (float32 steps here).
    epochs = [round(0.1 * i, 1) for i in range(300)]
    positions = cycle_positions(epochs, t_mult=t_mult)
    for lr in [0.05, 0.5]:
        schedule = lrs.CosineRestarts(lr, 10, t_mul=t_mult, end_learning_rate=1e-10)
        steps = np.asarray(epochs, dtype="float32")
        assert_targets(schedule, warm_restart_targets(lr, positions), steps)


@pytest.mark.parametrize(
    "t_mult, epochs, t_curs, t_is",
    [
        (
            1,
            [0, 1, 2, 3, 4, 5, 12, 27, 3, 4, 5, 6, 13],
            [1, 2, 3, 4, 5, 2, 7, 3, 4, 5, 6, 3],
            [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
        ),
        (
            2,
            [0, 1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3],
            [1, 2, 3, 4, 5, 15, 2, 3, 4, 10, 11, 3],
            [10, 10, 10, 10, 10, 20, 40, 40, 40, 80, 80, 10],
        ),
        (
            3,
            [0, 0.1, 0.2, 0.3, 1.3, 2.3, 17.5, 18.5, 19.5, 29.5, 30.5, 31.5, 50],
            [0.1, 0.2, 0.3, 1.3, 2.3, 7.5, 8.5, 9.5, 19.5, 20.5, 21.5, 10],
            [10, 10, 10, 10, 10, 30, 30, 30, 30, 30, 30, 90],
        ),
    ],
)
def test_CosineAnnealingWarmRestarts_lr3(t_mult, epochs, t_curs, t_is):
    # The authors' hand-written (T_cur, T_i) of epochs[1:]; epochs[0] is 0.
    for lr in [0.05, 0.5]:
        schedule = lrs.CosineRestarts(lr, 10, t_mul=t_mult, end_learning_rate=1e-10)
        targets = [lr] + warm_restart_targets(lr, zip(t_curs, t_is))
        assert_targets(schedule, targets, np.asarray(epochs, dtype="float32"))


SWA_START = 5


def test_swalr_no_anneal():
    epochs, swa_lr = 10, 0.01
    for lr in [0.05, 0.5]:
        targets = [lr] * (SWA_START + 1) + [swa_lr] * (epochs - SWA_START - 1)
        schedule = SWASchedule(lr, SWA_START, swa_lr, annealing_steps=1)
        assert_targets(schedule, targets)


@pytest.mark.parametrize(
    "shape, anneal_epochs, swa_lrs",
    [("cosine", 5, [0.01, 0.01]), ("linear", 4, [0.01, 0.02])],
    ids=[
        "test_swalr_cosine_anneal_after_multiplicative",
        "test_swalr_linear_anneal_after_multiplicative",
    ],
)
def test_swalr_anneal_after_multiplicative(shape, anneal_epochs, swa_lrs):
    epochs, mult_factor = 15, 0.9

    def anneal_coef(t):
        if t + 1 >= anneal_epochs:
            return 0.0
        if shape == "cosine":
            return (1 + math.cos(math.pi * (t + 1) / anneal_epochs)) / 2
        return 1 - (t + 1) / anneal_epochs

    for lr, swa_lr in zip([0.05, 0.5], swa_lrs):
        lrs_before = [lr * mult_factor**i for i in range(SWA_START + 1)]
        targets = lrs_before + [
            lrs_before[-1] * anneal_coef(t) + swa_lr * (1 - anneal_coef(t))
            for t in range(epochs - SWA_START - 1)
        ]
        schedule = SWASchedule(
            lrs.ExponentialDecay(lr, 1, mult_factor),
            SWA_START,
            swa_lr,
            annealing_steps=anneal_epochs,
            shape=shape,
        )
        assert_targets(schedule, targets)


@pytest.mark.parametrize(
    "arguments",
    [
        {"shape": "exponential"},
        {"annealing_steps": -1},
        {"annealing_steps": 1.7},
        {"swa_learning_rate": [1.0, 0.1, 0.01]},
    ],
)
def test_swalr_hypers(arguments):
    arguments = {"swa_learning_rate": 1.0, **arguments}
    with pytest.raises(ValueError):
        SWASchedule(0.05, 0, **arguments)
