"""Whether a test's model compiles its train step: `jit_compile()`.

On TensorFlow and JAX, always (XLA, jax.jit). On PyTorch, Keras's default is
eager, each torch.compile of Keras's train step costs seconds of Dynamo
tracing, and Dynamo's cache for that step is bounded (`recompile_limit`, 8):
past it a worker's models train eagerly without a word, so which tests
compiled depended on the order they ran in. There a model compiles in the
tests marked `compiled_step` only, each of which starts Dynamo afresh and
fails unless it made a graph (tests/conftest.py); the others train eagerly,
as Keras's torch default does.
"""

import keras

# Set by tests/conftest.py while a test marked `compiled_step` runs on PyTorch.
in_compiled_step_test = False


def jit_compile(requested=None):
    """The `jit_compile` for the model of the test that is running, or the
    one the test `requested` itself (not None)."""
    if requested is not None:
        return requested
    return keras.backend.backend() != "torch" or in_compiled_step_test
