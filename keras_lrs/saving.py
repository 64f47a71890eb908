"""`keras.models.load_model`, and the weight average Keras has no place for."""

import zipfile

import keras

from keras_lrs.callbacks.swa_average import averaging_state


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model as `keras.models.load_model` does, with its SWA average.

    `StochasticWeightAveraging` keeps its running average in variables held
    by the optimizer; `model.save` writes them into the `.keras` file, but
    the fresh optimizer that `keras.models.load_model` builds has no place
    for them, so the average is not read back. This function loads the
    model with `keras.models.load_model`, gives a compiled model's
    optimizer that place, and reads the file's weights again with
    `model.load_weights` (the same values, so only the average changes). A
    `fit` that then starts after the callback's `start_epoch`, as from
    `initial_epoch`, continues the saved average. A file saved without an
    average, a model loaded with `compile=False` and a format other than
    `.keras` load as with Keras alone.

    Args:
        filepath: the path of the saved model, as for
            `keras.models.load_model`.
        custom_objects: passed to `keras.models.load_model`.
        compile: passed to `keras.models.load_model`; without compiling
            there is no optimizer, and no average to read.
        safe_mode: passed to `keras.models.load_model`.

    Returns:
        The model.
    """
    model = keras.models.load_model(
        filepath, custom_objects=custom_objects, compile=compile,
        safe_mode=safe_mode,
    )
    if (
        getattr(model, "optimizer", None) is not None
        and str(filepath).endswith(".keras")
        and zipfile.is_zipfile(filepath)
    ):
        averaging_state(model)
        model.load_weights(filepath)
    return model
