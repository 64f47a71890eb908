"""Shared pytest setup: `keras_lrs` and `np` in every doctest's namespace."""

import numpy as np
import pytest

import keras_lrs


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["keras_lrs"] = keras_lrs
    doctest_namespace["np"] = np
