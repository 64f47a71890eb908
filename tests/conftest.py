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
#
# A pass says what it repeats in KERAS_LRS_CI_REPEAT: `backend` (the JAX and
# PyTorch passes, on the same Keras as the first) or `keras` (the passes on
# older Keras versions). Unset, as when the README's test command is run by
# hand, every test runs.
REPEATS = ("backend", "keras")
MARKERS = {
    "once": (
        REPEATS,
        "the same on every backend and Keras version: checked in CI's first "
        "pass (TensorFlow, newest Keras)",
    ),
    "once_per_keras": (
        ("backend",),
        "the same on every backend: checked in CI's first pass on this Keras",
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
    for item in items:
        for name, (skipped_in, reason) in MARKERS.items():
            if repeat in skipped_in and item.get_closest_marker(name):
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
