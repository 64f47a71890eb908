"""The package's house rules: modules import each other without cycles, and
none is over 300 lines."""

import ast
from pathlib import Path

import pytest

import keras_lrs

# Read from the sources: the same on every backend and Keras.
pytestmark = pytest.mark.once

PACKAGE = Path(keras_lrs.__file__).parent
MAX_LINES = 300


def _modules():
    """{dotted name: path} of every module of the package, packages included."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(path, modules):
    """The package's modules that `path` imports (a package's `__init__`
    only where its own names are taken, not where a submodule is)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= submodules & set(modules)
            if submodules - set(modules):
                found.add(node.module)
    return found


def test_the_modules_import_each_other_without_cycles():
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    done, cycles = set(), []

    def visit(name, stack):
        for imported in sorted(graph[name]):
            if imported in stack:
                cycles.append(stack[stack.index(imported):] + [imported])
            elif imported not in done:
                visit(imported, stack + [imported])
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert not cycles, cycles


def test_no_module_is_over_300_lines():
    long = {
        name: len(path.read_text().splitlines())
        for name, path in _modules().items()
        if len(path.read_text().splitlines()) > MAX_LINES
    }
    assert not long, long
