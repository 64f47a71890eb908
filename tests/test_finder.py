"""`find_learning_rate` and `LRFinderResult`, on the backend KERAS_BACKEND picks.

The model is restored bit for bit and trains on as if untouched; `losses` are
per-batch losses (checked against `evaluate` and a float64 NumPy SGD loop);
the rates follow the closed-form ramps; the test stops at the first point the
smoothed loss diverges; suggestions are checked on hand-built curves with
known answers and, on a Fashion-MNIST slice, against a real sweep of rates.
"""

import contextlib
import functools
import gzip
import math
import os

import keras
import numpy as np
import pytest
from keras import ops

import keras_lrs
from keras_lrs import compat
from keras_lrs import schedules as s

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


# --- Models and data ---------------------------------------------------------


def _numpy(variables):
    return [ops.convert_to_numpy(v).copy() for v in variables]


def _assert_same_values(after, before):
    assert len(after) == len(before)
    for index, (a, b) in enumerate(zip(after, before)):
        assert a.shape == b.shape and a.dtype == b.dtype, index
        assert np.array_equal(a, b), f"variable {index} changed"


def _classification_data(count=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 8)).astype("float32")
    y = (x[:, :3].argmax(axis=1)).astype("int32")
    return x, y


def _classifier(batch_norm):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((8,)), keras.layers.Dense(16)]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    layers += [keras.layers.Activation("relu"), keras.layers.Dense(3)]
    return keras.Sequential(layers)


def _compile(model, optimizer):
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


OPTIMIZERS = {
    "adam_float": lambda: keras.optimizers.Adam(1e-2),
    "adam_cosine": lambda: keras.optimizers.Adam(s.CosineDecay(1e-2, 40)),
    "sgd_momentum_cosine": lambda: keras.optimizers.SGD(
        s.CosineDecay(0.05, 40), momentum=0.9
    ),
}

# Weights fixed by hand, not drawn, so the NumPy references can start from them.
KERNEL = np.array([[0.1], [-0.2], [0.3]], "float32")
BIAS = np.array([0.05], "float32")
TRUE_KERNEL = np.array([[1.0], [-2.0], [0.5]], "float32")


def _linear_model(optimizer, use_bias=True):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(1, use_bias=use_bias)]
    )
    model.set_weights([KERNEL, BIAS] if use_bias else [KERNEL])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _regression_data(count, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    x = (scale * rng.normal(size=(count, 3))).astype("float32")
    y = (x @ TRUE_KERNEL + 0.5 + 0.1 * rng.normal(size=(count, 1))).astype("float32")
    return x, y


def _geometric(start, end, num_steps):
    return start * (end / start) ** (np.arange(num_steps) / (num_steps - 1))


def _linear(start, end, num_steps):
    return start + (end - start) * np.arange(num_steps) / (num_steps - 1)


def _bias_corrected_average(losses, smoothing):
    """fastai's smoothed loss, written as a plain loop."""
    average, smoothed = 0.0, []
    for step, loss in enumerate(losses):
        average = smoothing * average + (1 - smoothing) * loss
        smoothed.append(average / (1 - smoothing ** (step + 1)))
    return np.array(smoothed)


# --- 1. The model is left exactly as found ---------------------------------


@pytest.mark.parametrize("batch_norm", [False, True], ids=["dense", "batch_norm"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_model_and_optimizer_restored_bit_for_bit(optimizer, batch_norm):
    x, y = _classification_data()
    model = _compile(_classifier(batch_norm), OPTIMIZERS[optimizer]())
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    weights = _numpy(model.variables)
    optimizer_state = _numpy(model.optimizer.variables)
    config = model.optimizer.get_config()
    rate_object = model.optimizer.learning_rate  # a Variable for float rates
    rate = ops.convert_to_numpy(rate_object)
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 4
    # Every moment (or momentum) slot is non-zero, so resetting them to zeros
    # instead of restoring them would be caught.
    slots = [v for v in optimizer_state if v.ndim >= 1]
    assert len(slots) >= len(model.trainable_variables)
    assert all(np.any(slot) for slot in slots)

    # Up to a rate of 10 the weights change a lot and may diverge to NaN.
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=16, start_learning_rate=1e-4,
        end_learning_rate=10.0, num_steps=30, verbose=0,
    )
    # Steps 0 and 4 saw the same batch: the weights did move in between.
    assert len(result.losses) > 4 and result.losses[4] != result.losses[0]

    _assert_same_values(_numpy(model.variables), weights)
    _assert_same_values(_numpy(model.optimizer.variables), optimizer_state)
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 4
    assert model.optimizer.get_config() == config
    np.testing.assert_array_equal(
        ops.convert_to_numpy(model.optimizer.learning_rate), rate
    )
    if compat.is_variable(rate_object):
        # The very variable the optimizer tracks, not a copy of its value.
        assert model.optimizer.learning_rate is rate_object


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_fit_afterwards_matches_a_twin_that_skipped_the_test(optimizer):
    x, y = _classification_data()
    tested = _compile(_classifier(batch_norm=True), OPTIMIZERS[optimizer]())
    twin = _compile(_classifier(batch_norm=True), OPTIMIZERS[optimizer]())
    twin.set_weights(tested.get_weights())
    for model in (tested, twin):
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)

    keras_lrs.find_learning_rate(
        tested, x, y, batch_size=16, start_learning_rate=1e-4,
        end_learning_rate=1.0, num_steps=12, verbose=0,
    )

    histories = [
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
        for model in (tested, twin)
    ]
    assert histories[0] == histories[1]
    _assert_same_values(_numpy(tested.variables), _numpy(twin.variables))
    _assert_same_values(
        _numpy(tested.optimizer.variables), _numpy(twin.optimizer.variables)
    )
    assert int(ops.convert_to_numpy(tested.optimizer.iterations)) == 12


def test_unbuilt_model_and_optimizer():
    x, y = _regression_data(32)
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=8, num_steps=5, verbose=0
    )
    assert len(result.losses) == 5
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 0
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])


# --- 2. Per-batch losses ------------------------------------------------------


def test_losses_are_each_batchs_loss_not_a_running_mean():
    # Four batches of 16 whose losses differ by orders of magnitude; rates so
    # small that the weights stay put, so step t sees batch t % 4 as it was.
    x, y = _regression_data(64)
    y = y + np.repeat([0.0, 3.0, 0.2, -8.0], 16)[:, None].astype("float32")
    model = _linear_model(keras.optimizers.SGD(1e-9))
    batch_losses = [
        model.evaluate(x[i : i + 16], y[i : i + 16], batch_size=16, verbose=0)
        for i in range(0, 64, 16)
    ]
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=16, start_learning_rate=1e-10,
        end_learning_rate=1e-9, num_steps=10, divergence_threshold=1e6,
        verbose=0,
    )
    expected = np.array([batch_losses[t % 4] for t in range(10)])
    np.testing.assert_allclose(result.losses[0], batch_losses[0], rtol=1e-5)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-5)
    # The batches cycle, so the losses go up and down: no running mean does.
    assert max(batch_losses) > 20 * min(batch_losses)
    running_mean = np.cumsum(expected) / np.arange(1, 11)
    assert np.all(np.abs(result.losses - running_mean)[1:] > 0.1 * running_mean[1:])


def test_iterable_of_batches_is_cycled_like_arrays():
    x, y = _regression_data(48)
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 48, 16)]
    kwargs = dict(
        start_learning_rate=1e-3, end_learning_rate=0.1, num_steps=7, verbose=0
    )
    from_arrays = keras_lrs.find_learning_rate(
        _linear_model(keras.optimizers.SGD(0.1)), x, y, batch_size=16, **kwargs
    )
    from_batches = keras_lrs.find_learning_rate(
        _linear_model(keras.optimizers.SGD(0.1)), batches, **kwargs
    )
    np.testing.assert_allclose(from_batches.losses, from_arrays.losses, rtol=1e-6)


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_losses_match_a_float64_sgd_loop(mode):
    # Plain SGD on a linear model, replayed in NumPy with the closed-form
    # rates: checks every per-batch loss and that each step used its rate.
    count, batch_size, num_steps, start, end = 48, 16, 9, 1e-3, 0.3
    x, y = _regression_data(count)
    model = _linear_model(keras.optimizers.SGD(0.01))
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=batch_size, start_learning_rate=start,
        end_learning_rate=end, num_steps=num_steps, mode=mode, verbose=0,
    )
    rates = (_geometric if mode == "exponential" else _linear)(start, end, num_steps)
    kernel, bias = KERNEL.astype("float64"), BIAS.astype("float64")
    x64, y64 = x.astype("float64"), y.astype("float64")
    expected = []
    for step, rate in enumerate(rates):
        index = np.arange(step * batch_size, (step + 1) * batch_size) % count
        residual = x64[index] @ kernel + bias - y64[index]
        expected.append(np.mean(residual**2))
        kernel = kernel - rate * 2 * x64[index].T @ residual / batch_size
        bias = bias - rate * 2 * np.mean(residual)
    assert len(result.losses) == num_steps
    np.testing.assert_allclose(result.losses, expected, rtol=1e-5)
    np.testing.assert_allclose(
        result.smoothed_losses, _bias_corrected_average(result.losses, 0.98), rtol=1e-12
    )


# --- 3. Learning rates ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["exponential", "linear"])
@pytest.mark.parametrize(
    "start, end, num_steps", [(1e-7, 10.0, 100), (1e-4, 1.0, 7), (0.5, 2.0, 2)]
)
def test_learning_rates_follow_the_ramp(mode, start, end, num_steps):
    # Inputs of scale 1e-3 and no bias: curvature ~1e-6, so even a rate of 10
    # cannot diverge and every step is taken.
    x, y = _regression_data(32, scale=1e-3)
    model = _linear_model(keras.optimizers.SGD(0.1), use_bias=False)
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=8, start_learning_rate=start,
        end_learning_rate=end, num_steps=num_steps, mode=mode, verbose=0,
    )
    expected = (_geometric if mode == "exponential" else _linear)(start, end, num_steps)
    assert len(result.learning_rates) == len(result.losses) == num_steps
    assert len(result.smoothed_losses) == num_steps
    assert result.learning_rates.dtype == np.float64
    np.testing.assert_allclose(result.learning_rates, expected, rtol=1e-6)


# --- 4. Early stop ----------------------------------------------------------------


def _assert_stops_at_first_divergence(result, threshold, smoothing):
    smoothed = result.smoothed_losses
    np.testing.assert_allclose(
        smoothed, _bias_corrected_average(result.losses, smoothing), rtol=1e-12
    )
    for step in range(len(smoothed) - 1):
        assert np.isfinite(smoothed[step])
        assert smoothed[step] <= threshold * smoothed[: step + 1].min()
    last = smoothed[-1]
    assert not np.isfinite(last) or last > threshold * smoothed[:-1].min()


@pytest.mark.parametrize(
    "smoothing, threshold", [(0.98, 4.0), (0.9, 2.0), (0.0, 4.0)]
)
def test_huge_end_rate_stops_once_the_smoothed_loss_diverges(smoothing, threshold):
    x, y = _regression_data(64)
    model = _linear_model(keras.optimizers.SGD(0.01))
    weights = _numpy(model.variables)
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=16, start_learning_rate=1e-3,
        end_learning_rate=1e4, num_steps=200, smoothing=smoothing,
        divergence_threshold=threshold, verbose=0,
    )
    taken = len(result.losses)
    assert 2 < taken < 200
    assert len(result.learning_rates) == len(result.smoothed_losses) == taken
    np.testing.assert_allclose(
        result.learning_rates, _geometric(1e-3, 1e4, 200)[:taken], rtol=1e-6
    )
    _assert_stops_at_first_divergence(result, threshold, smoothing)
    if smoothing == 0.0:
        # Unsmoothed, the loss grows by a bounded factor per step, so the
        # threshold (not an overflow to inf or NaN) is what stops it.
        assert np.isfinite(result.smoothed_losses[-1])
    _assert_same_values(_numpy(model.variables), weights)


def test_nan_loss_stops_the_test():
    x, y = _regression_data(64)
    x[48:] = np.nan  # the fourth batch of 16
    model = _linear_model(keras.optimizers.SGD(0.01))
    weights = _numpy(model.variables)
    result = keras_lrs.find_learning_rate(
        model, x, y, batch_size=16, start_learning_rate=1e-6,
        end_learning_rate=1e-5, num_steps=50, verbose=0,
    )
    assert len(result.losses) == len(result.learning_rates) == 4
    assert len(result.smoothed_losses) == 4
    assert np.all(np.isfinite(result.losses[:3])) and np.isnan(result.losses[3])
    assert np.isnan(result.smoothed_losses[3])
    _assert_same_values(_numpy(model.variables), weights)
    # The NaN at the end is ignored by the suggestions.
    assert math.isfinite(result.suggestion("minimum"))


# --- 5. A real model: the suggestion against a sweep of rates -------------------


def _fashion_mnist(count):
    """The first `count` training images (scaled to [0, 1]) and labels."""
    images = os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")
    labels = os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz")
    if not (os.path.exists(images) and os.path.exists(labels)):
        pytest.skip(f"Fashion-MNIST IDX files not found under {FASHION_MNIST}")
    x, y = _read_idx(images, labels)
    return (x[:count] / 255.0).astype("float32"), y[:count].astype("int32")


@functools.lru_cache(maxsize=None)
def _read_idx(images, labels):
    with gzip.open(images) as file:
        x = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(labels) as file:
        y = np.frombuffer(file.read(), np.uint8, offset=8)
    return x, y


def _mlp(initial_weights, optimizer):
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    if initial_weights is not None:
        model.set_weights(initial_weights)
    return _compile(model, optimizer)


SWEEP = 10.0 ** np.arange(-4, 0.01, 0.5)  # 1e-4 .. 1 in half-decades
START_RATES = {"adam": 1e-6, "sgd": 1e-4}


@contextlib.contextmanager
def _one_torch_thread():
    """Torch on one thread: this MLP gains nothing from more and, on a shared
    CPU, loses a lot (a 2-epoch run took 0.7 s on 1 thread, 4-14 s on 2)."""
    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=None)
def _initial_mlp_weights():
    keras.utils.set_random_seed(0)
    return _mlp(None, "adam").get_weights()


@functools.lru_cache(maxsize=None)
def _real_range_test(optimizer):
    """The range test of the Fashion-MNIST MLP, 1e-6 (Adam) or 1e-4 (SGD) to 10."""
    x, y = _fashion_mnist(4000)
    model = _mlp(_initial_mlp_weights(), keras.optimizers.get(optimizer))
    with _one_torch_thread():
        return keras_lrs.find_learning_rate(
            model, x, y, batch_size=64,
            start_learning_rate=START_RATES[optimizer], end_learning_rate=10.0,
            num_steps=100, verbose=0,
        )


@pytest.fixture(scope="module")
def adam_sweep():
    """The loss after training with Adam at each rate of `SWEEP`.

    Each run trains 2 epochs (126 steps of 64, no shuffling) from the range
    test's initial weights; the loss is then evaluated on the same 4000
    training images. One compiled model serves every rate: its weights are
    reset and Adam's state (iterations, moments) zeroed, which is exactly a
    fresh copy (bit-identical results) without a new compilation per rate.
    """
    x, y = _fashion_mnist(4000)
    model = _mlp(_initial_mlp_weights(), keras.optimizers.Adam())
    final_losses = []
    with _one_torch_thread():
        for rate in SWEEP:
            model.set_weights(_initial_mlp_weights())
            for variable in model.optimizer.variables:
                variable.assign(ops.zeros(variable.shape, variable.dtype))
            model.optimizer.learning_rate = rate
            model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
            loss = model.evaluate(x, y, batch_size=1000, verbose=0)[0]
            final_losses.append(loss)
    return np.array(final_losses)


@pytest.mark.parametrize("method", ["steepest", "valley"])
def test_adam_suggestion_within_10x_of_the_best_swept_rate(adam_sweep, method):
    # Adam's range test from 1e-6 to 10 in 100 steps of 64; both "steepest"
    # and "valley" must land within 10x of the sweep's best rate.
    best_index = int(np.nanargmin(adam_sweep))
    best = float(SWEEP[best_index])
    suggestion = _real_range_test("adam").suggestion(method)
    report = f"{method} suggestion {suggestion:.3g}, best swept rate {best:.3g}; " + (
        ", ".join(f"{r:.2g}: {loss:.3f}" for r, loss in zip(SWEEP, adam_sweep))
    )
    print(report)
    # The sweep brackets its best rate, so "best" is not an artefact of the grid.
    assert 0 < best_index < len(SWEEP) - 1, report
    assert suggestion / best <= 10 and best / suggestion <= 10, report


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("method", ["steepest", "valley"])
def test_real_suggestion_lies_where_the_loss_still_falls(optimizer, method):
    # Past the smoothed minimum the loss is diverging: no method may suggest
    # a rate there, however the diverging tail happens to wiggle.
    result = _real_range_test(optimizer)
    minimum = result.learning_rates[np.argmin(result.smoothed_losses)]
    suggestion = result.suggestion(method)
    assert suggestion <= minimum, (
        f"{method} suggests {suggestion:.3g}, past the smoothed minimum at "
        f"{minimum:.3g} (loss there {result.smoothed_losses.min():.3f}, at the "
        f"suggestion {result.smoothed_losses[result.learning_rates == suggestion]})"
    )


# --- 6. Suggestion methods on hand-built curves ----------------------------------


def _result(smoothed, rates=None):
    smoothed = np.asarray(smoothed, "float64")
    if rates is None:
        rates = 10.0 ** np.arange(-6, -6 + len(smoothed))
    return keras_lrs.LRFinderResult(
        learning_rates=np.asarray(rates, "float64"),
        losses=smoothed.copy(),
        smoothed_losses=smoothed,
    )


# One decade per point. Drops per point: .1 .2 .7 1.5 .5 .1, then a rise.
# The steepest drop, by forward or central differences, is at index 3; the
# minimum is at index 6; the whole fall 0..6 is the longest descent.
CURVE = [5.0, 4.9, 4.7, 4.0, 2.5, 2.0, 1.9, 1.95, 3.0, 8.0]


def test_steepest_is_the_point_of_fastest_fall():
    assert _result(CURVE).suggestion("steepest") == pytest.approx(1e-3, rel=1e-12)
    assert _result(CURVE).suggestion() == pytest.approx(1e-3, rel=1e-12)


def test_steepest_of_a_sigmoid_is_its_centre():
    rates = np.geomspace(1e-6, 1.0, 61)
    centre = 1e-3  # index 30
    smoothed = 2.0 - np.tanh((np.log10(rates) - np.log10(centre)) / 0.4)
    assert _result(smoothed, rates).suggestion("steepest") == pytest.approx(
        centre, rel=1e-9
    )


def test_minimum_is_the_rate_of_the_lowest_loss_over_10():
    assert _result(CURVE).suggestion("minimum") == pytest.approx(0.1, rel=1e-12)


def test_valley_is_the_middle_of_the_longest_descent():
    # A low, rising start, a spike at index 3, an unbroken fall over indices
    # 3..13 (11 points), then divergence: the fall's middle is index 8.
    smoothed = [0.5, 0.6, 0.7] + list(np.linspace(3.0, 1.0, 11)) + [2.0, 5.0]
    rates = np.geomspace(1e-5, 1e-2, len(smoothed))
    assert _result(smoothed, rates).suggestion("valley") == pytest.approx(
        rates[8], rel=1e-12
    )
    # A monotone fall from the start, then a rise: middle of 0..6 is 3.
    assert _result(CURVE).suggestion("valley") == pytest.approx(1e-3, rel=1e-12)


def test_steepest_ignores_a_dip_in_the_diverging_tail():
    # Realistic shape (the smoothed loss can fall at most ~2% a step with
    # smoothing 0.98): a gentle fall to the minimum at index 5, a rise to just
    # under 4x the minimum (so no early stop), and a last 1.8% dip. The dip is
    # the steepest fall anywhere, but a rate past the minimum, where the loss
    # is 3.9x its best, is no rate to train with; before the minimum the
    # fall is steepest at index 3.
    smoothed = [2.30, 2.28, 2.22, 2.12, 2.04, 2.00, 2.05, 2.40, 3.50, 6.00, 7.90, 7.76]
    suggestion = _result(smoothed).suggestion("steepest")
    assert suggestion <= 10.0 ** (-6 + 5), suggestion
    assert suggestion == pytest.approx(1e-3, rel=1e-12)


def test_suggestions_ignore_non_finite_losses():
    finite = _result(CURVE)
    rates = np.append(finite.learning_rates, 1e4)
    with_nan = _result(CURVE + [np.nan], rates)
    for method in ("steepest", "minimum", "valley"):
        assert with_nan.suggestion(method) == finite.suggestion(method)


def test_too_few_finite_losses_for_a_suggestion():
    with pytest.raises(ValueError, match="Received:"):
        _result([1.0, np.nan, 0.5, np.inf]).suggestion()


# --- 7. Bad input ------------------------------------------------------------


@pytest.fixture
def compiled_model():
    return _linear_model(keras.optimizers.SGD(0.01))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("start_learning_rate", dict(start_learning_rate=1.0, end_learning_rate=0.5)),
        ("start_learning_rate", dict(start_learning_rate=0.5, end_learning_rate=0.5)),
        ("start_learning_rate", dict(start_learning_rate=0.0)),
        ("start_learning_rate", dict(start_learning_rate=-1e-3)),
        ("end_learning_rate", dict(end_learning_rate=0.0)),
        ("num_steps", dict(num_steps=1)),
        ("num_steps", dict(num_steps=0)),
        ("num_steps", dict(num_steps=2.5)),
        ("mode", dict(mode="cosine")),
        ("smoothing", dict(smoothing=1.0)),
        ("smoothing", dict(smoothing=-0.1)),
        ("divergence_threshold", dict(divergence_threshold=1.0)),
        ("divergence_threshold", dict(divergence_threshold=0.5)),
    ],
)
def test_bad_argument_is_named(compiled_model, name, kwargs):
    x, y = _regression_data(16)
    weights = _numpy(compiled_model.variables)
    with pytest.raises(ValueError, match=f"`{name}`") as error:
        keras_lrs.find_learning_rate(compiled_model, x, y, verbose=0, **kwargs)
    assert "Received:" in str(error.value)
    _assert_same_values(_numpy(compiled_model.variables), weights)


def test_uncompiled_model():
    x, y = _regression_data(16)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        keras_lrs.find_learning_rate(model, x, y, verbose=0)


def test_unknown_suggestion_method():
    with pytest.raises(ValueError, match="`method`") as error:
        _result(CURVE).suggestion("fastest")
    assert "Received:" in str(error.value)


# --- 8. Progress bar and plot ---------------------------------------------------


@pytest.mark.parametrize("verbose", [0, 1])
def test_progress_bar_only_when_verbose(capsys, compiled_model, verbose):
    x, y = _regression_data(32)
    capsys.readouterr()
    keras_lrs.find_learning_rate(
        compiled_model, x, y, batch_size=8, start_learning_rate=1e-4,
        end_learning_rate=1e-2, num_steps=5, verbose=verbose,
    )
    out = capsys.readouterr().out
    if verbose:
        assert "5/5" in out and "loss" in out
    else:
        assert out == ""


def test_plot_returns_log_scaled_axes(pyplot):
    from matplotlib.axes import Axes

    result = _result(CURVE)
    ax = result.plot()
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log"
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(
        lines["smoothed loss"].get_xdata(), result.learning_rates
    )
    np.testing.assert_array_equal(
        lines["smoothed loss"].get_ydata(), result.smoothed_losses
    )

    _, given = pyplot.subplots()
    assert result.plot(ax=given) is given
    assert given.get_xscale() == "log"
