"""Importing the packages stays light: optional dependencies load only on use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("graphviz", "hypothesis", "networkx")


@pytest.mark.parametrize("package", ["fsm", "typestate", "analysis"])
def test_import_does_not_load_optional_dependencies(package: str) -> None:
    code = f"import sys, {package}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("package", ["fsm", "typestate", "analysis"])
def test_public_names_are_exported_and_exist(package: str) -> None:
    module = __import__(package)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


def test_public_classes_show_their_public_module() -> None:
    import fsm
    import typestate

    for module in (fsm, typestate):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type):
                assert value.__module__ == module.__name__, f"{module.__name__}.{name}"
