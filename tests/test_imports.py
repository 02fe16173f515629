"""Importing the packages stays light: optional dependencies load only on use."""

from __future__ import annotations

import ast
import importlib
import inspect
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("graphviz", "hypothesis", "networkx", "psycopg", "sqlite3")


@pytest.mark.parametrize("package", ["fsm", "typestate", "analysis"])
def test_import_does_not_load_optional_dependencies(package: str) -> None:
    code = f"import sys, {package}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


PUBLIC = ["fsm", "typestate", "analysis", "analysis.testing", "analysis.strategies"]


@pytest.mark.parametrize("package", PUBLIC)
def test_public_names_are_exported_and_exist(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


@pytest.mark.parametrize("package", PUBLIC)
def test_public_classes_and_functions_show_their_public_path(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert (value.__module__, value.__qualname__) == (package, name)


def test_public_values_pickle_by_their_public_path() -> None:
    import analysis
    import fsm

    machine = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> [*]", name="M")
    values = [
        machine,
        machine.transitions[0],
        fsm.Problem("bad", line=1),
        fsm.Step("A", "go", "B"),
        analysis.check(machine),
        analysis.transition_cover(machine),
        fsm.parse,
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value


def test_a_conformance_failure_pickles_and_shows_its_public_path() -> None:
    from analysis.testing import ConformanceFailure

    failure = ConformanceFailure("wrong state", [("go", {"n": 1})], "A", "go")
    copy = pickle.loads(pickle.dumps(failure))
    assert type(copy) is ConformanceFailure
    assert (str(copy), copy.trace, copy.payloads) == (str(failure), ("go",), ({"n": 1},))
    assert b"analysis.testing" in pickle.dumps(failure)


def _imports_of(path: Path, package: str) -> set[str]:
    """Our modules that the file at ``path`` imports, anywhere in it (lazy imports too).

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            skipped.update(id(child) for top in node.body for child in ast.walk(top))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Our packages are flat: a relative import names a module of the same package.
                names = [f"{package}.{node.module}"] if node.module else []
                names += [f"{package}.{alias.name}" for alias in node.names if not node.module]
                found.update(names)
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.split(".")[0] in PACKAGES}


PACKAGES = ("fsm", "typestate", "analysis")


def test_no_import_cycle_between_our_modules() -> None:
    root = Path(__file__).parent.parent
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).glob("*.py")):
            module = package if path.stem == "__init__" else f"{package}.{path.stem}"
            graph[module] = _imports_of(path, package)
    # A package imports its __init__ first: `fsm._x` importing `fsm` is `fsm`.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target == module.rpartition(".")[0]:
                continue  # a private module importing its own package's public face
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
