"""Every script answers --help (argparse formats help strings with %)."""

import pytest

from tests.scripts import SCRIPTS, run_script


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_help(name):
    result = run_script(SCRIPTS[name], "--help", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: ")
