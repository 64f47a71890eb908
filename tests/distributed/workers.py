"""One of two TensorFlow workers under `MultiWorkerMirroredStrategy`; prints
what it saw, as JSON.

    python tests/distributed/workers.py INDEX PORT0 PORT1 LOG_DIR

The cluster is two workers on localhost (TF_CONFIG, set here); no "chief",
so worker 0 is. The model, compiled in the strategy's scope, trains with
our callbacks; the JSON says whether this worker writes
(`compat.is_first_process`) and how `fit` ended: the error Keras raised,
or the weights, step and rates.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(index, port0, port1, log_dir):
    os.environ["TF_CONFIG"] = json.dumps({
        "cluster": {"worker": [f"localhost:{port0}", f"localhost:{port1}"]},
        "task": {"type": "worker", "index": index},
    })
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_lrs import compat
    from keras_lrs import schedules as s
    from keras_lrs.callbacks import LearningRateMonitor, ReduceLROnPlateau

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(s.Warmup(s.CosineDecay(0.1, 8), 2)), "mse")
    x = np.ones((16, 3), "float32")
    dataset = tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(4)
    result = {"index": index, "first": compat.is_first_process(model)}
    try:
        history = model.fit(
            dataset, epochs=2, verbose=0,
            callbacks=[ReduceLROnPlateau("loss"), LearningRateMonitor(log_dir, "batch")],
        )
    except Exception as error:  # what Keras raised, for the test to check
        result["error"] = f"{type(error).__name__}: {error}"
    else:
        result.update(
            weights=[w.ravel().tolist() for w in model.get_weights()],
            steps=int(model.optimizer.iterations.numpy()),
            learning_rate=history.history["learning_rate"],
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:])
