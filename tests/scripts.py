"""Runs the repository's scripts as a user would, in a subprocess, or
imports one as a module."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {
    "fashion_mnist": ROOT / "examples" / "fashion_mnist.py",
    "compare_schedules": ROOT / "examples" / "compare_schedules.py",
    "time_to_accuracy": ROOT / "examples" / "time_to_accuracy.py",
    "finetune": ROOT / "examples" / "finetune.py",
    "two_processes": ROOT / "examples" / "two_processes.py",
    "overhead": ROOT / "benchmarks" / "overhead.py",
    "overhead_table": ROOT / "benchmarks" / "overhead_table.py",
    "schedule_call": ROOT / "benchmarks" / "schedule_call.py",
    "swa_cost": ROOT / "benchmarks" / "swa_cost.py",
    "power_accuracy": ROOT / "benchmarks" / "power_accuracy.py",
}


# Runs a script with `import tensorflow` failing, as on a machine with only
# JAX or PyTorch installed.
WITHOUT_TENSORFLOW = (
    "import runpy, sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def run_script(script, *args, timeout=600, without_tensorflow=False):
    """The finished process of `python SCRIPT ARGS...`, output captured."""
    boot = ["-c", WITHOUT_TENSORFLOW] if without_tensorflow else []
    return subprocess.run(
        [sys.executable, *boot, str(script), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def import_script(script):
    """`script` as a module (its `main` does not run), its folder on the path
    while it imports, as when it runs: it may import its sibling modules."""
    script = Path(script)
    folder = str(script.parent)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def assert_one_line_usage_error(result, script, message, after_backend_logs=False):
    """The script exited with 2 and one line `NAME: error: ...` naming `message`.

    With `after_backend_logs`, the script imports keras_lrs, and so Keras,
    before it checks its command line: the backend's start-up logs (TensorFlow
    writes some to stderr) may come before that line, which is the last.
    """
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    if after_backend_logs:
        lines = lines[-1:]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{Path(script).name}: error: ")
    assert message in lines[0]


def assert_backend(document):
    """A script's JSON was written on the backend `KERAS_BACKEND` names, if set."""
    if "KERAS_BACKEND" in os.environ:
        assert document["backend"] == os.environ["KERAS_BACKEND"]


def table_after(stdout, header_start):
    """The header and rows of the table whose header starts so."""
    lines = stdout.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith(header_start)
    )
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("wrote "):
            break
        rows.append(line)
    return lines[start], rows
