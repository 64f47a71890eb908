"""Fixtures and settings shared by the tests."""

import os

import pytest


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
