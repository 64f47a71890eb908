"""Fixtures and settings shared by the tests."""

import os

import pytest

# CI (`.ci/run`) runs the suite five times: on each backend of the newest
# Keras, then on two older Keras versions. A test whose behaviour cannot
# differ between those passes says so with a marker, and runs in one of them:
#
#   @pytest.mark.once            the same on every backend and Keras version:
#                                runs in the first pass only (TensorFlow).
#   @pytest.mark.once_per_keras  the same on every backend, maybe not on
#                                every Keras: runs in the first pass of each
#                                Keras version (also in the older ones).
#   @pytest.mark.once_without_tensorflow
#                                the same on JAX and PyTorch (both run as
#                                where TensorFlow is not installed): skipped
#                                in the PyTorch pass, checked in the JAX one.
#
# A pass says what it repeats in KERAS_LRS_CI_REPEAT: `backend` (the JAX and
# PyTorch passes, on the same Keras as the first) or `keras` (the passes on
# older Keras versions). Unset, as when the README's test command is run by
# hand, every test runs.
REPEATS = ("backend", "keras")
# {marker: (whether a pass skips it, given its repeat and backend; reason)}
MARKERS = {
    "once": (
        lambda repeat, backend: True,
        "the same on every backend and Keras version: checked in CI's first "
        "pass (TensorFlow, newest Keras)",
    ),
    "once_per_keras": (
        lambda repeat, backend: repeat == "backend",
        "the same on every backend: checked in CI's first pass on this Keras",
    ),
    "once_without_tensorflow": (
        lambda repeat, backend: repeat == "backend" and backend == "torch",
        "the same on JAX and PyTorch, which both run without TensorFlow: "
        "checked in CI's JAX pass",
    ),
}


# With `--dist loadscope`, pytest-xdist hands each worker a whole file when
# it runs short of tests, in the collection's order; by default it sorts the
# files by their number of tests first, so that a file of a few long tests
# (a subprocess each) came last and ran alone at the end while the other
# workers sat idle. The files that take longest start first instead (the
# longest on PyTorch first), the others follow in their order.
SLOWEST_FILES = (
    "tests/distributed/test_processes.py",
    "tests/optimizers/test_scheduled_optimizers.py",
    "tests/optimizers/test_multipliers.py",
    "tests/test_benchmarks.py",
    "tests/resume/test_swa_resume.py",
    "tests/resume/test_resume.py",
    "tests/schedules/test_properties.py",
    "tests/test_example.py",
    "tests/test_finder.py",
    "tests/callbacks/test_swa.py",
    "tests/distributed/test_distributed.py",
)


def pytest_configure(config):
    for name, (_, reason) in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {reason}")
    config.addinivalue_line(
        "markers",
        "compiled_step: the assertion is about the compiled train step; on "
        "PyTorch the test compiles afresh and fails if torch.compile made "
        "no graph",
    )
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False  # the order made below


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return SLOWEST_FILES.index(path) if path in SLOWEST_FILES else len(SLOWEST_FILES)

    items.sort(key=rank)  # stable: each file's tests keep their order
    repeat = os.environ.get("KERAS_LRS_CI_REPEAT", "")
    if not repeat:
        return
    if repeat not in REPEATS:
        raise pytest.UsageError(
            f"KERAS_LRS_CI_REPEAT must be one of {', '.join(REPEATS)} or unset. "
            f"Received: KERAS_LRS_CI_REPEAT={repeat!r}"
        )
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for item in items:
        for name, (skipped, reason) in MARKERS.items():
            if item.get_closest_marker(name) and skipped(repeat, backend):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pytest-xdist) starts one worker per core, at most 4.

    Each worker imports a Keras backend and runs models and subprocesses of
    its own; more than 4 would mostly add memory.
    """
    if "PYTEST_XDIST_AUTO_NUM_WORKERS" in os.environ:
        return None  # xdist's own setting
    return min(4, os.cpu_count() or 1)


@pytest.fixture(autouse=True)
def _compiled_step_on_torch(request):
    """For a test marked `compiled_step`, on PyTorch: its models compile
    (`tests.compiled.jit_compile()`), Dynamo starts afresh, and the test
    fails unless torch.compile made a graph.

    Keras compiles the same step function for every model, and Dynamo's
    cache for it is bounded (`recompile_limit`, 8): past it, a worker's
    later models train eagerly without a word, and a test of the compiled
    step would pass without one.
    """
    if request.node.get_closest_marker("compiled_step") is None:
        yield
        return
    import keras

    if keras.backend.backend() != "torch":
        yield
        return
    import torch._dynamo
    from torch._dynamo.utils import counters

    from tests import compiled

    torch._dynamo.reset()
    before = counters["stats"]["unique_graphs"]
    compiled.in_compiled_step_test = True
    try:
        yield
    finally:
        compiled.in_compiled_step_test = False
    assert counters["stats"]["unique_graphs"] > before, (
        "torch.compile made no graph: the train step ran eagerly"
    )
