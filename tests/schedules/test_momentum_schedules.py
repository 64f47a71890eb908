"""OneCycle/Cyclical momentum schedules against torch.optim.lr_scheduler itself."""

import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules

torch = pytest.importorskip("torch")


def _torch_momenta(make_scheduler, steps, adam=False):
    parameter = torch.nn.Parameter(torch.zeros(1))
    if adam:
        optimizer = torch.optim.Adam([parameter], lr=0.1)
    else:
        optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    values = []
    for _ in range(steps):
        group = optimizer.param_groups[0]
        values.append(group["betas"][0] if adam else group["momentum"])
        optimizer.step()
        scheduler.step()
    return np.array(values)


@pytest.mark.parametrize("adam", [False, True])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_momentum_is_pytorchs(adam, three_phase, anneal_strategy):
    total = 37
    expected = _torch_momenta(
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=0.5, total_steps=total, pct_start=0.3,
            anneal_strategy=anneal_strategy, three_phase=three_phase,
            base_momentum=0.8, max_momentum=0.97, cycle_momentum=True,
        ),
        total,
        adam,
    )
    cycle = schedules.OneCycle(
        0.5, total, anneal_strategy=anneal_strategy, three_phase=three_phase
    )
    momentum = cycle.momentum_schedule(base_momentum=0.8, max_momentum=0.97)
    values = keras_lrs.schedule_values(momentum, total)
    np.testing.assert_allclose(values, expected, rtol=1e-6)
    # Past the end the last value is held.
    np.testing.assert_allclose(
        keras_lrs.schedule_values(momentum, [total, 10**6]), expected[-1], rtol=1e-6
    )


@pytest.mark.parametrize("adam", [False, True])
@pytest.mark.parametrize(
    "mode,gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.97)]
)
@pytest.mark.parametrize("step_size_down", [None, 7])
def test_cyclical_momentum_is_pytorchs(adam, mode, gamma, step_size_down):
    steps = 60
    expected = _torch_momenta(
        lambda opt: torch.optim.lr_scheduler.CyclicLR(
            opt, base_lr=0.01, max_lr=0.1, step_size_up=4,
            step_size_down=step_size_down, mode=mode, gamma=gamma,
            cycle_momentum=True, base_momentum=0.75, max_momentum=0.92,
        ),
        steps,
        adam,
    )
    wave = schedules.Cyclical(
        0.01, 0.1, step_size_up=4, step_size_down=step_size_down, mode=mode,
        gamma=gamma,
    )
    momentum = wave.momentum_schedule(base_momentum=0.75, max_momentum=0.92)
    np.testing.assert_allclose(
        keras_lrs.schedule_values(momentum, steps), expected, rtol=1e-6
    )


def test_momentum_schedules_round_trip_their_config():
    import keras

    for momentum in (
        schedules.OneCycle(1.0, 10, three_phase=True).momentum_schedule(0.7, 0.9),
        schedules.Cyclical(0.0, 1.0, 3, mode="exp_range", gamma=0.9)
        .momentum_schedule(0.6, 0.95),
    ):
        restored = keras.optimizers.schedules.deserialize(
            keras.optimizers.schedules.serialize(momentum)
        )
        assert type(restored) is type(momentum)
        assert restored.get_config() == momentum.get_config()
        np.testing.assert_array_equal(
            keras_lrs.schedule_values(restored, 40),
            keras_lrs.schedule_values(momentum, 40),
        )


@pytest.mark.parametrize(
    "base,top,message",
    [(-0.1, 0.9, "base_momentum"), (0.8, 1.5, "max_momentum"),
     (0.9, 0.8, "max_momentum")],
)
def test_bad_momenta(base, top, message):
    with pytest.raises(ValueError, match=message):
        schedules.OneCycle(1.0, 10).momentum_schedule(base, top)
    with pytest.raises(ValueError, match=message):
        schedules.Cyclical(0.0, 1.0, 3).momentum_schedule(base, top)
