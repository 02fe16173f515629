"""Every Python block in the README and the docs runs, so the docs cannot rot."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_blocks_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    monkeypatch.chdir(ROOT)
    name = path.relative_to(ROOT).as_posix()
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for n, block in enumerate(blocks):
        code = compile(block, f"{name} block {n + 1}", "exec", dont_inherit=True)
        exec(code, namespace)


def test_docs_have_python_blocks() -> None:
    # Guards the test above against a pattern that matches nothing.
    assert BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert os.path.exists(ROOT / "docs" / "dsl.md")
    # ... and against a glob that misses the pages in subfolders.
    assert ROOT / "docs" / "howto" / "composing-agents.md" in DOCS
