"""Diagrams judged by the real tools: Graphviz ``dot``, Mermaid 10 and 11, PlantUML.

Each tool runs once per test on a whole sample (one process), so a sample of
~150 generated machines stays fast. Without a tool the test is skipped, except
with ``CI=true``, where it fails. PlantUML comes from Debian's ``plantuml``
package (``apt-get install -y --no-install-recommends plantuml``; it runs
headless on the JRE).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm

from .mermaid_parser import assert_mermaid_accepts
from .render_support import HighlightValue, dot_svg, plantuml_errors, reports, svg_texts, traces
from .strategies import machines

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE = 150

Sample = list[tuple[fsm.Machine, HighlightValue]]
Direction = Literal["LR", "TB"]


def _example_machines() -> list[fsm.Machine]:
    files = sorted(EXAMPLES.glob("*.mmd"))
    assert files, "no .mmd files in examples/"
    # *_conversation.mmd files are sequence diagrams, not machines.
    return [fsm.load(path) for path in files if not path.stem.endswith("_conversation")]


def _draw_sample(data: st.DataObject) -> Sample:
    """Generated machines, each with no highlight, a trace or a report."""
    sample: Sample = []
    for n in range(SAMPLE):
        machine = data.draw(machines(), label=f"machine {n}")
        highlight = data.draw(
            st.one_of(st.none(), traces(machine), reports(machine)), label=f"highlight {n}"
        )
        sample.append((machine, highlight))
    return sample


def _names(machine: fsm.Machine) -> set[str]:
    return set(machine.states) | set(machine.events)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def _assert_dot_draws(machine: fsm.Machine, highlight: HighlightValue) -> None:
    source = analysis.to_dot(machine, highlight=highlight)
    svg, stderr = dot_svg(source)
    assert stderr == "", f"dot warned:\n{stderr}\n{source}"
    missing = _names(machine) - _words(svg_texts(svg))
    assert not missing, f"the SVG lacks {sorted(missing)}:\n{source}"


# -- Graphviz ----------------------------------------------------------------------


@pytest.mark.parametrize("machine", _example_machines(), ids=lambda m: m.name)
@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_dot_draws_every_example(machine: fsm.Machine, direction: Direction) -> None:
    source = analysis.to_dot(machine, direction=direction)
    svg, stderr = dot_svg(source)
    assert stderr == ""
    assert not _names(machine) - _words(svg_texts(svg))


@settings(max_examples=1, deadline=None)
@given(st.data())
def test_dot_draws_generated_machines_without_warnings(data: st.DataObject) -> None:
    for machine, highlight in _draw_sample(data):
        _assert_dot_draws(machine, highlight)


# -- Mermaid -----------------------------------------------------------------------


@pytest.mark.usefixtures("mermaid")
@settings(max_examples=1, deadline=None)
@given(st.data())
def test_mermaid_accepts_every_to_mermaid_output(data: st.DataObject) -> None:
    # One batch (one Node process) for the whole sample, both directions.
    directions: list[Direction] = ["LR", "TB"]
    texts = [
        analysis.to_mermaid(machine, highlight=highlight, direction=direction)
        for (machine, highlight), direction in zip(
            _draw_sample(data), directions * SAMPLE, strict=False
        )
    ]
    assert_mermaid_accepts(texts)


@pytest.mark.usefixtures("mermaid")
def test_mermaid_accepts_the_examples_with_highlights() -> None:
    texts: list[str] = []
    for machine in _example_machines():
        state = machine.resolve(machine.initial)
        trace = list(machine.enabled_events(state)[:1])
        texts += [
            analysis.to_mermaid(machine),
            analysis.to_mermaid(machine, highlight=trace, direction="TB"),
            analysis.to_mermaid(machine, highlight=analysis.check(machine)),
        ]
    assert_mermaid_accepts(texts)


# -- PlantUML ----------------------------------------------------------------------


@settings(max_examples=1, deadline=None)
@given(st.data())
def test_plantuml_draws_generated_machines_and_examples(data: st.DataObject) -> None:
    sample = [m for m, _ in _draw_sample(data)] + _example_machines()
    texts = [
        analysis.to_plantuml(m, direction="LR" if n % 2 else "TB") for n, m in enumerate(sample)
    ]
    for machine, text, (error, svg) in zip(sample, texts, plantuml_errors(texts), strict=True):
        assert error is None, f"PlantUML: {error}\n{text}"
        missing = _names(machine) - _words(svg_texts(svg))
        assert not missing, f"the SVG lacks {sorted(missing)}:\n{text}"


def test_the_plantuml_check_would_catch_a_crash() -> None:
    # PlantUML 1.2020 draws some failures into the image with exit status 0.
    [(error, _)] = plantuml_errors(["@startuml\ntitle &#36;\nstate A\n@enduml\n"])
    assert str(error).startswith("PlantUML crashed")
