"""Helpers for the diagram tests: report-like values, highlight strategies, tools."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import strategies as st

import fsm

KINDS = ("unreachable", "dead-end", "non-productive", "livelock", "nondeterministic")


@attrs.frozen
class FakeFinding:
    """A finding with the attributes a diagram reads (like ``analysis.Finding``)."""

    kind: str
    states: tuple[str, ...]
    trace: tuple[str, ...] = ()


@attrs.frozen
class FakeReport:
    """A report with the attribute a diagram reads (like ``analysis.Report``)."""

    findings: tuple[FakeFinding, ...]


#: A highlight as the tests draw them.
HighlightValue = FakeReport | list[str | tuple[str, str]] | None


def require_tool(name: str) -> str:
    """The path of ``name``; skip without it, except in CI where it must exist."""
    path = shutil.which(name)
    if path is None:
        message = f"`{name}` is not on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@st.composite
def traces(
    draw: st.DrawFn, machine: fsm.Machine, max_steps: int = 8
) -> list[str | tuple[str, str]]:
    """Valid highlight traces: bare events and ``(event, target)`` pairs."""
    state = machine.resolve(machine.initial)
    trace: list[str | tuple[str, str]] = []
    for _ in range(draw(st.integers(0, max_steps))):
        events = machine.enabled_events(state)
        if not events:
            break
        event = draw(st.sampled_from(events))
        options = machine.transitions_from(state, event)
        chosen = draw(st.sampled_from(options))
        if chosen is options[0] and draw(st.booleans()):
            trace.append(event)
        else:
            trace.append((event, chosen.target))
        state = machine.resolve(chosen.target)
    return trace


@st.composite
def reports(draw: st.DrawFn, machine: fsm.Machine) -> FakeReport:
    """Report-like values whose findings name states of ``machine``."""
    findings = draw(
        st.lists(
            st.builds(
                FakeFinding,
                kind=st.sampled_from(KINDS),
                states=st.lists(st.sampled_from(machine.states), min_size=1, max_size=3).map(tuple),
            ),
            max_size=5,
        )
    )
    return FakeReport(tuple(findings))


def dot_svg(source: str) -> tuple[str, str]:
    """Run the real ``dot -Tsvg`` on ``source``: (svg, stderr); fails on exit status."""
    dot = require_tool("dot")
    result = subprocess.run(
        [dot, "-Tsvg"], input=source, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"dot failed:\n{result.stderr}\n{source}"
    return result.stdout, result.stderr


def svg_texts(svg: str) -> str:
    """The text drawn in an SVG (labels), entities decoded, joined by newlines."""
    import html

    return "\n".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def plantuml_errors(texts: Sequence[str]) -> list[tuple[str | None, str]]:
    """Draw every text with the real ``plantuml -tsvg`` in one run.

    Returns ``(error, svg)`` per text, in order: error is None when PlantUML
    read the text without a syntax error.
    """
    plantuml = require_tool("plantuml")
    with tempfile.TemporaryDirectory() as tmp:
        paths: list[Path] = []
        for n, text in enumerate(texts):
            path = Path(tmp) / f"d{n:04d}.puml"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        result = subprocess.run(
            [plantuml, "-tsvg", "-charset", "UTF-8", "-stdrpt:2", *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        failed = {
            Path(match.group(2)).name: match.group(0)
            for match in re.finditer(r"Error line (\d+) in file: (\S+)", result.stderr)
        }
        assert result.returncode == 0 or failed, f"plantuml failed:\n{result.stderr}"
        found: list[tuple[str | None, str]] = []
        for path in paths:
            svg_path = path.with_suffix(".svg")
            svg = svg_path.read_text(encoding="utf-8") if svg_path.exists() else ""
            error = failed.get(path.name)
            if error is None and not svg:
                error = "no SVG written"
            elif error is None and ("java.lang." in svg or "Welcome to PlantUML" in svg):
                # PlantUML draws its own crashes into the image, exit status 0.
                error = "PlantUML crashed: " + svg_texts(svg)[:300]
            found.append((error, svg))
        return found
