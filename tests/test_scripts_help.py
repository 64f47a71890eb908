"""Every script answers --help (argparse formats help strings with %)."""

import pytest

from tests.scripts import SCRIPTS, run_script

# argparse's help of our scripts: the same on every backend and Keras.
pytestmark = pytest.mark.once


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_help(name):
    result = run_script(SCRIPTS[name], "--help", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: ")
