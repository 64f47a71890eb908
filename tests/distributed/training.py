"""Trains on two devices and on one, and prints what each applied, as JSON.

    python tests/distributed/training.py {one,two} LOG_DIR

With "two": on TensorFlow, a `tf.distribute.MirroredStrategy` over two
logical CPU devices; on JAX, `keras.distribution.DataParallel` over two
host devices (`XLA_FLAGS=--xla_force_host_platform_device_count=2`, set by
the caller). The model's kernel records the sum of the rates applied (see
`tests/callbacks/helpers.py`); each replica's copy of it, and of the
plateau scale, is printed so that the caller can check they agree. Before
training, the range test runs on the model, with no scope entered.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_lrs  # noqa: E402
from keras_lrs import schedules as s  # noqa: E402
from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau  # noqa: E402

STEPS_PER_EPOCH = 6
EPOCHS = 4
GLOBAL_BATCH = 4  # two examples per replica


def schedule():
    return s.Warmup(s.CosineRestarts(0.1, 5, t_mul=1.5), 3)


def prediction(y_true, y_pred):
    # Per example: Keras averages it over the global batch, so the kernel's
    # gradient is exactly 1 on any number of replicas, and SGD moves it by
    # exactly -learning_rate per step.
    return keras.ops.mean(y_pred, axis=-1)


def build_model(steps_per_execution=2):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(schedule()), loss=prediction,
        steps_per_execution=steps_per_execution,
    )
    return model


def replicas(variable, strategy):
    """The value of each replica's copy of `variable`."""
    backend = keras.backend.backend()
    if backend == "tensorflow" and strategy is not None:
        values = strategy.experimental_local_results(variable.value)
    elif backend == "jax":
        values = [shard.data for shard in variable.value.addressable_shards]
    else:
        values = [variable]
    return [np.asarray(keras.ops.convert_to_numpy(v)).ravel().tolist() for v in values]


def main(devices, log_dir):
    strategy = None
    backend = keras.backend.backend()
    if devices == "two" and backend == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        # Keras 3.15 with TensorFlow 2.21 fails to run a MirroredStrategy
        # with steps_per_execution > 1, even with a float learning rate
        # ("You must feed a value for placeholder tensor").
        with strategy.scope():
            model = build_model(steps_per_execution=1)
    else:
        if devices == "two":
            import jax

            assert len(jax.devices()) == 2, jax.devices()
            keras.distribution.set_distribution(
                keras.distribution.DataParallel(devices=jax.devices())
            )
        model = build_model()
    x = np.ones((STEPS_PER_EPOCH * GLOBAL_BATCH, 1), "float32")
    range_test = run_range_test(model, x)
    # A loss that never falls in "max" mode: the rate halves after each
    # epoch that ends after the warmup.
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", patience=0, factor=0.5)
    monitor = LearningRateMonitor(log_dir, update_freq="batch")
    history = model.fit(
        x, x, batch_size=GLOBAL_BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
        callbacks=[plateau, monitor],
    )
    scale = model.optimizer._learning_rate.scale_variable
    print(json.dumps({
        "devices": len(replicas(model.layers[0].kernel, strategy)),
        "kernel": replicas(model.layers[0].kernel, strategy),
        "scale": replicas(scale, strategy),
        "learning_rate": history.history["learning_rate"],
        "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
        **range_test,
    }))


def run_range_test(model, x):
    """The range test's losses, twice, with no scope entered (the optimizer
    is built by the first), and whether each restored the model bit for bit."""
    def state():
        return [keras.ops.convert_to_numpy(v) for v in model.variables + model.optimizer.variables]

    # A kernel of 5: the losses (5 minus the rates applied so far) stay
    # positive, and the test runs its 8 steps.
    model.layers[0].kernel.assign(np.full((1, 1), 5.0, "float32"))
    losses, restored = [], []
    for _ in range(2):
        before = state()
        result = keras_lrs.find_learning_rate(
            model, x, x, batch_size=GLOBAL_BATCH, start_learning_rate=1e-3,
            end_learning_rate=1.0, num_steps=8, verbose=0,
        )
        after = state()
        losses.append(result.losses.tolist())
        # The first test built the optimizer: only the model's weights before.
        restored.append(all(
            np.array_equal(a, b) for a, b in zip(before, after[:len(before)])
        ))
    model.layers[0].kernel.assign(np.zeros((1, 1), "float32"))
    return {"range_test_losses": losses, "range_test_restored": restored}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
