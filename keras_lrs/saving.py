"""`keras.models.load_model`, and the callbacks' state Keras has no place for."""

import zipfile

import keras

from keras_lrs._plumbing.rates import attach_states
from keras_lrs.callbacks.swa_average import averaging_state


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model as `keras.models.load_model` does, with the callbacks' state.

    `StochasticWeightAveraging` keeps its running average, and
    `ReduceLROnPlateau` its counters (`best`, `wait`, `cooldown_counter`),
    in variables held by the optimizer; `model.save` writes them into the
    `.keras` file, but the fresh optimizer that `keras.models.load_model`
    builds has no place for them, so they are not read back (the reduced
    rate is: it is in the optimizer's config). This function loads the
    model with `keras.models.load_model`, gives a compiled model's
    optimizer those places, and reads the file's weights again with
    `model.load_weights` (the same values, so only that state changes). A
    `fit` that then starts after the SWA callback's `start_epoch`, as from
    `initial_epoch`, continues the saved average; a plateau callback
    continues from the saved counters. A file saved without such state, a
    model loaded with `compile=False` and a format other than `.keras` load
    as with Keras alone.

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
        attach_states(model.optimizer)
        averaging_state(model)
        model.load_weights(filepath)
    return model
