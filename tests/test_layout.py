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


# Keras's internals, touched in `keras_lrs.compat` (a package) only: these attribute
# names anywhere, and assignments to an object's saving hooks.
_INTERNAL_ATTRIBUTES = {
    "train_function",
    "__dict__",
    "__new__",
    "_learning_rate",
    "_iterations",
    "_track_variable",
    "_untrack_variable",
    "_flatten_layers",
    "_get_variable_index",
    "_momentums",
}
_SAVING_HOOKS = {"save_own_variables", "load_own_variables"}


def keras_internals(source):
    """(line, what) of each touch of a Keras internal in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr in _INTERNAL_ATTRIBUTES:
            found.append((node.lineno, node.attr))
        elif node.attr in _SAVING_HOOKS and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.append((node.lineno, f"{node.attr} assigned"))
    return found


def test_keras_internals_are_touched_in_compat_only():
    touches = {
        name: keras_internals(path.read_text())
        for name, path in _modules().items()
        if name.split(".")[:2] != ["keras_lrs", "compat"]
    }
    assert not {name: found for name, found in touches.items() if found}


def test_the_internals_check_finds_a_planted_touch():
    planted = [
        "model.train_function = None",
        "optimizer.__dict__['save_own_variables'] = save",
        "optimizer.__dict__.update(values)",
        "optimizer.load_own_variables = load",
        "cls = type(keras_class.__new__(keras_class))",
        "rate = optimizer._learning_rate",
    ]
    for line in planted:
        assert keras_internals(f"def f():\n    {line}\n"), line
    assert not keras_internals("def f(model):\n    compat.reset_train_function(model)\n")
