"""Keras's own schedule tests, ported to keras_lrs.

Source: keras-team/keras, `keras/src/optimizers/schedules/learning_rate_schedule_test.py`
at commit 51d7e77046f5b562fbde669068a29b4b33e1f745. The cases and expected
values are the authors' (each test keeps its name); the code evaluating them
is ours, through `keras_lrs.schedule_values`, at Keras's tolerance (1e-6
relative, or `assertAllClose`'s default 1e-6 where none is given).

Adaptations (each a difference SPEC.md states):
- `PiecewiseConstantDecay` -> `PiecewiseConstant`, whose value changes *at*
  a boundary (`t >= b`): at steps 100, 110 and 120 of `test_piecewise_values`
  and 1, 2, 3 of `test_boundary_values` the expected value is the next one.
- `alpha` (a fraction of the initial rate) -> `end_learning_rate`, an
  absolute rate: `alpha * initial_learning_rate` (the initial rate is 1.0
  in every such case, so the numbers are unchanged).
- `CosineDecay(warmup_target=..., warmup_steps=...)` ->
  `Warmup(CosineDecay(warmup_target, ...), warmup_steps, initial_learning_rate)`.
- `CosineDecayRestarts` -> `CosineRestarts`; `test_config` of each class ->
  a config round trip of our equivalent with the same arguments.

Counts: of the file's 35 tests, 34 are ported, 7 of them adapted (the two
`PiecewiseConstantDecay` value tests, whose expected values move one step;
the three with a warmup and the two with `alpha`, through our
equivalents, with the authors' values); 1 is left out:
`CosineDecayRestartsTest.test_config` (its `m_mul=4.0` is rejected:
factors lie in (0, 1]).

Backend-independent arithmetic on tiny schedules: cheap on any backend.
"""

import math

import keras
import numpy as np
import pytest

import keras_lrs
from keras_lrs import schedules as lrs


def values_at(schedule, steps):
    return keras_lrs.schedule_values(schedule, np.asarray(steps))


def assert_values(schedule, steps, expected, rtol=1e-6):
    np.testing.assert_allclose(values_at(schedule, steps), expected, rtol=rtol)


def assert_config_round_trip(schedule):
    config = keras.optimizers.schedules.serialize(schedule)
    rebuilt = keras.optimizers.schedules.deserialize(config)
    assert rebuilt.get_config() == schedule.get_config()
    steps = np.arange(30)
    np.testing.assert_array_equal(values_at(rebuilt, steps), values_at(schedule, steps))


def test_fit_lr_correctness():
    # The authors' Adam losses with their ExponentialDecay, with ours.
    model = keras.Sequential(
        [keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")]
    )
    optimizer = keras.optimizers.Adam(
        learning_rate=lrs.ExponentialDecay(
            initial_learning_rate=0.05, decay_steps=1, decay_rate=0.9
        )
    )
    model.compile(optimizer=optimizer, loss="mse")
    x = np.arange(32).reshape((16, 2))
    y = np.arange(32).reshape((16, 2))
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == 4 * 3
    np.testing.assert_allclose(
        history.history["loss"],
        [230.79457092285156, 128.30319213867188, 79.33648681640625],
        rtol=5e-5,
    )


class TestExponentialDecay:
    def test_config(self):
        assert_config_round_trip(
            lrs.ExponentialDecay(
                initial_learning_rate=0.05,
                decay_steps=10,
                decay_rate=0.96,
                staircase=True,
                name="my_ed",
            )
        )

    def test_continuous(self):
        schedule = lrs.ExponentialDecay(0.05, 10, 0.96)
        assert_values(schedule, [5], [0.05 * 0.96 ** (5.0 / 10.0)])

    def test_staircase(self):
        schedule = lrs.ExponentialDecay(0.1, 3, 0.96, staircase=True)
        assert_values(schedule, [1, 2, 100], [0.1, 0.1, 0.1 * 0.96 ** (100 // 3)])

    def test_variables(self):
        # The step is a variable that is assigned, as the optimizer's is.
        step = keras.Variable(1, dtype="int64", trainable=False)
        schedule = lrs.ExponentialDecay(0.1, 3, 0.96, staircase=True)
        for value, expected in [(1, 0.1), (2, 0.1), (100, 0.1 * 0.96 ** (100 // 3))]:
            step.assign(value)
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(schedule(step)), expected, rtol=1e-6
            )


class TestPiecewiseConstant:
    def test_config(self):
        assert_config_round_trip(
            lrs.PiecewiseConstant(boundaries=[10, 20], values=[1, 2, 3], name="my_pcd")
        )

    def test_piecewise_values(self):
        schedule = lrs.PiecewiseConstant([100, 110, 120], [1.0, 0.1, 0.01, 0.001])
        # A float step below 0 (the authors' first case) is the first value.
        negative = schedule(keras.ops.convert_to_tensor(-999.0))
        np.testing.assert_allclose(keras.ops.convert_to_numpy(negative), 1.0)
        # Adapted: 100, 110 and 120 switch at the boundary.
        assert_values(
            schedule, [100, 105, 110, 120, 999], [0.1, 0.1, 0.01, 0.001, 0.001]
        )

    def test_boundary_values(self):
        step = keras.Variable(0, dtype="int64", trainable=False)
        schedule = lrs.PiecewiseConstant([1, 2, 3], [0.4, 0.5, 0.6, 0.7])
        # Adapted: Keras's [0.4, 0.4, 0.5, 0.6, 0.7], one step later.
        for value, expected in enumerate([0.4, 0.5, 0.6, 0.7, 0.7]):
            step.assign(value)
            np.testing.assert_allclose(
                keras.ops.convert_to_numpy(schedule(step)), expected, rtol=1e-6
            )


class TestLinearDecay:
    def test_config(self):
        assert_config_round_trip(
            lrs.PolynomialDecay(
                initial_learning_rate=0.1,
                decay_steps=100,
                end_learning_rate=0.005,
                power=1.0,
                cycle=False,
                name="my_ld",
            )
        )

    @pytest.mark.parametrize(
        "step, end, cycle, expected",
        [
            (5, 0.0, False, 0.05 * 0.5),  # test_halfway
            (10, 0.001, False, 0.001),  # test_end
            (5, 0.001, False, (0.05 + 0.001) * 0.5),  # test_halfway_with_end
            (15, 0.001, False, 0.001),  # test_beyond_end
            (15, 0.001, True, (0.05 - 0.001) * 0.25 + 0.001),  # ..._with_cycle
        ],
    )
    def test_values(self, step, end, cycle, expected):
        schedule = lrs.PolynomialDecay(0.05, 10, end, cycle=cycle)
        assert_values(schedule, [step], [expected])


class TestSqrtDecay:
    @pytest.mark.parametrize(
        "step, end, cycle, expected",
        [
            (5, 0.0, False, 0.05 * 0.5**0.5),  # test_halfway
            (10, 0.001, False, 0.001),  # test_end
            (5, 0.001, False, (0.05 - 0.001) * 0.5**0.5 + 0.001),  # ..._with_end
            (15, 0.001, False, 0.001),  # test_beyond_end
            (15, 0.001, True, (0.05 - 0.001) * 0.25**0.5 + 0.001),  # ..._cycle
        ],
    )
    def test_values(self, step, end, cycle, expected):
        schedule = lrs.PolynomialDecay(0.05, 10, end, power=0.5, cycle=cycle)
        assert_values(schedule, [step], [expected])

    def test_begin_with_cycle(self):
        schedule = lrs.PolynomialDecay(0.001, 10, cycle=True)
        assert_values(schedule, [0], [0.001])


class TestInverseTimeDecay:
    def test_config(self):
        assert_config_round_trip(
            lrs.InverseTimeDecay(
                initial_learning_rate=0.05,
                decay_steps=10,
                decay_rate=0.96,
                staircase=True,
                name="my_itd",
            )
        )

    def test_decay(self):
        steps = np.arange(11)
        schedule = lrs.InverseTimeDecay(0.1, 10, 0.96)
        assert_values(schedule, steps, [0.1 / (1 + i / 10 * 0.96) for i in steps])

    def test_staircase(self):
        steps = np.arange(11)
        schedule = lrs.InverseTimeDecay(0.1, 10, 0.96, staircase=True)
        assert_values(schedule, steps, [0.1 / (1 + 0.96 * (i // 10)) for i in steps])


def half_cosine(fraction):
    """`(1 + cos(pi * fraction)) / 2`: from 1 at 0 to 0 at 1."""
    return 0.5 * (1.0 + math.cos(math.pi * fraction))


STEPS = range(0, 1500, 250)


class TestCosineDecay:
    def test_config(self):
        assert_config_round_trip(
            lrs.Warmup(
                lrs.CosineDecay(0.2, 10, end_learning_rate=0.1 * 0.2),
                2,
                initial_learning_rate=0.05,
                name="my_cd",
            )
        )

    @pytest.mark.parametrize("initial", [1.0, np.float64(1.0)])  # test_float64
    def test_decay(self, initial):
        schedule = lrs.CosineDecay(initial, 1000)
        expected = [half_cosine(min(t, 1000) / 1000) for t in STEPS]
        assert_values(schedule, list(STEPS), expected)

    def test_warmup(self):
        schedule = lrs.Warmup(lrs.CosineDecay(10.0, 10), 1500)
        assert_values(schedule, list(STEPS), [t / 1500 * 10.0 for t in STEPS])

    def test_alpha(self):
        schedule = lrs.CosineDecay(1.0, 1000, end_learning_rate=0.1)
        expected = [0.9 * half_cosine(min(t, 1000) / 1000) + 0.1 for t in STEPS]
        assert_values(schedule, list(STEPS), expected)

    def test_warmup_decay(self):
        schedule = lrs.Warmup(lrs.CosineDecay(10.0, 1000), 2000)
        steps = range(0, 3000, 250)
        expected = [
            t / 2000 * 10.0 if t < 2001 else 10.0 * half_cosine(min(t - 2000, 1000) / 1000)
            for t in steps
        ]
        assert_values(schedule, list(steps), expected)


# Keras's restart tests at steps 0..1250 with 1000-step first cycles: the
# fraction of its cycle that each step is at, for t_mul 2 and 1.
RESTART_FRACTIONS = {
    2.0: [0, 0.25, 0.5, 0.75, 0, 250 / 2000],
    1.0: [0, 0.25, 0.5, 0.75, 0, 0.25],
}


class TestCosineRestarts:
    @pytest.mark.parametrize("initial", [1.0, np.float64(1.0)])  # test_float64
    def test_decay(self, initial):
        schedule = lrs.CosineRestarts(initial, 1000)
        expected = [half_cosine(r) for r in RESTART_FRACTIONS[2.0]]
        assert_values(schedule, list(STEPS), expected)

    def test_alpha(self):
        schedule = lrs.CosineRestarts(1.0, 1000, end_learning_rate=0.1)
        expected = [0.9 * half_cosine(r) + 0.1 for r in RESTART_FRACTIONS[2.0]]
        assert_values(schedule, list(STEPS), expected)

    def test_mmul(self):
        schedule = lrs.CosineRestarts(1.0, 1000, m_mul=0.9)
        # The second cycle (from step 1000) peaks at 0.9.
        expected = [
            0.9 ** (t >= 1000) * half_cosine(r)
            for t, r in zip(STEPS, RESTART_FRACTIONS[2.0])
        ]
        assert_values(schedule, list(STEPS), expected)

    def test_tmul(self):
        schedule = lrs.CosineRestarts(1.0, 1000, t_mul=1.0)
        expected = [half_cosine(r) for r in RESTART_FRACTIONS[1.0]]
        assert_values(schedule, list(STEPS), expected)
