"""The glossary page says what the code does: its lists and its table are checked here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import analysis
import fsm
import typestate
from analysis._check import KINDS
from analysis.testing import check_recording, check_trace

GLOSSARY = (Path(__file__).parent.parent / "docs" / "reference" / "glossary.md").read_text()

OK = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> [*]")
STUCK = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nA --> C : stop\nB --> [*]")


def test_every_finding_kind_is_in_the_glossary_and_no_other() -> None:
    entry = GLOSSARY.split("**kind**", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z-]+)`", entry)) - {"check", "deadlocks"}
    assert named == set(KINDS)


@pytest.mark.parametrize(
    ("value", "good"),
    [
        (analysis.check(OK), True),
        (analysis.check(STUCK), False),
        (analysis.equivalent(OK, OK), True),
        (analysis.equivalent(OK, STUCK), False),
        (check_trace(OK, ["go"]), True),
        (check_trace(OK, ["stop"]), False),
        (check_recording(OK, ['{"event": "go"}']), True),
        (check_recording(OK, ['{"event": "stop", "outcome": "rejected"}']), False),
    ],
)
def test_results_are_truthy_when_they_are_good_news(value: object, good: bool) -> None:
    assert bool(value) is good


def test_a_report_with_findings_can_still_be_ok() -> None:
    nondeterministic = fsm.parse(
        "stateDiagram-v2\n[*] --> A\nA --> B : go [p]\nA --> C : go [q]\nB --> [*]\nC --> [*]"
    )
    report = analysis.check(nondeterministic)
    assert len(report) > 0
    assert report.ok
    assert bool(report)


@pytest.mark.parametrize(
    "function",
    [
        analysis.check,
        analysis.to_dot,
        analysis.to_mermaid,
        analysis.to_plantuml,
        analysis.render,
        analysis.compose,
        analysis.deadlocks,
        typestate.protocol,
        typestate.drive,
        typestate.diff,
        typestate.assert_matches,
    ],
)
def test_the_subject_is_positional_and_every_option_keyword_only(function: object) -> None:
    parameters = list(inspect.signature(function).parameters.values())  # type: ignore[arg-type]
    positional = [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    optional_positional = [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is not p.empty
    ]
    assert optional_positional == [], f"{positional} then options {optional_positional}"


def test_diagrams_are_text_and_take_the_same_options() -> None:
    names = {"highlight", "direction"}
    for function in (analysis.to_dot, analysis.to_mermaid, analysis.to_plantuml):
        assert isinstance(function(OK), str)
        options = inspect.signature(function).parameters
        assert names <= set(options), function.__name__
        assert all(options[n].kind is inspect.Parameter.KEYWORD_ONLY for n in names)
