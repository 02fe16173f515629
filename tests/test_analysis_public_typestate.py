"""analysis uses typestate only through its public API."""

from __future__ import annotations

import ast
from pathlib import Path

ANALYSIS = Path(__file__).resolve().parent.parent / "analysis"


def _private_uses(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("typestate._"):
            found.append(f"{path.name}:{node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Import):
            found += [
                f"{path.name}:{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("typestate._")
            ]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__ts_"):
            found.append(f"{path.name}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Constant) and str(node.value).startswith("__ts_"):
            found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    return found


def test_analysis_reads_no_private_module_or_attribute_of_typestate() -> None:
    found = [use for path in sorted(ANALYSIS.glob("*.py")) for use in _private_uses(path)]
    assert found == []
