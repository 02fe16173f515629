"""Every Mermaid diagram in the docs and the README is accepted by the real Mermaid parsers.

The documentation site draws these blocks with Mermaid, and GitHub draws the
README's, so a diagram that Mermaid 10 or 11 rejects would show as an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .mermaid_parser import mermaid_errors

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
MERMAID = re.compile(r"^```mermaid\n(.*?)^```", re.DOTALL | re.MULTILINE)


pytestmark = pytest.mark.usefixtures("mermaid")


def test_mermaid_accepts_every_diagram_in_the_docs() -> None:
    blocks = [
        (path.relative_to(ROOT).as_posix(), n + 1, text)
        for path in PAGES
        for n, text in enumerate(MERMAID.findall(path.read_text(encoding="utf-8")))
    ]
    assert len(blocks) > 10, "the pattern finds no diagrams"
    results = mermaid_errors([text for _, _, text in blocks])
    rejected = [
        f"{page} diagram {n}: {result}"
        for (page, n, _), result in zip(blocks, results, strict=True)
        if any(result.values())
    ]
    assert not rejected, "\n".join(rejected)
