"""Committed diagrams: the output for a few machines must not change by accident.

The files in ``tests/golden/`` are what ``analysis.to_dot``, ``to_mermaid`` and
``to_plantuml`` give today. After an intended change of the drawing, regenerate
them, look at the diff (and at the pictures: ``dot -Tsvg tests/golden/x.dot``),
and commit them with the change::

    TYPESTATE_REGEN_GOLDEN=1 python -m pytest tests/test_render_golden.py

A regenerating run rewrites every file and passes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import analysis
import fsm

from .render_support import FakeFinding, FakeReport

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
REGEN = os.environ.get("TYPESTATE_REGEN_GOLDEN") == "1"

AGENT = fsm.load(ROOT / "examples" / "agent.mmd")

DOOR = fsm.Machine(
    "Door",
    states=("Closed", "Open", "Locked", "Gone"),
    initial="Closed",
    final={"Gone"},
    transitions=(
        fsm.Transition("Closed", "open", "Open"),
        fsm.Transition("Open", "close", "Closed"),
        fsm.Transition("Closed", "lock", "Locked", guard="has_key", params=(("key", "str"),)),
        fsm.Transition("Closed", "lock", "Closed", guard="else", params=(("key", "str"),)),
        fsm.Transition("Open", "leave", "Gone", actions=("wave", "smile")),
    ),
)

# Superstates in superstates, an initial superstate, an entry that is itself a
# superstate, transitions into and out of clusters, a branch and a self-loop.
SESSION = fsm.parse(
    """\
---
title: Session
---
stateDiagram-v2
    [*] --> Connected
    state Connected {
        [*] --> Idle
        Idle --> Busy : work(job)
        state Busy {
            [*] --> Running
            Running --> Paused : pause
            Paused --> Running : resume
        }
        Busy --> Idle : done [ok]
        Busy --> Broken : done [else]
        Idle --> Idle : ping
    }
    Connected --> Closed : drop / log
    Broken --> Busy : retry [branch]
    Broken --> Closed : retry [branch]
    Orphan --> Closed : drop
    Closed --> [*]
"""
)

SESSION_REPORT = FakeReport(
    (
        FakeFinding("unreachable", ("Orphan",)),
        FakeFinding("livelock", ("Running", "Paused")),
        FakeFinding("dead-end", ("Broken",)),
        FakeFinding("non-productive", ("Busy",)),
    )
)

CASES: dict[str, Callable[[], str]] = {
    "agent.dot": lambda: analysis.to_dot(AGENT),
    "agent.mmd": lambda: analysis.to_mermaid(AGENT),
    "agent.puml": lambda: analysis.to_plantuml(AGENT),
    "agent-trace.dot": lambda: analysis.to_dot(
        AGENT, highlight=["assign", "plan", "call_tool", ("result", "Planning"), "plan", "finish"]
    ),
    "agent-trace.mmd": lambda: analysis.to_mermaid(
        AGENT, highlight=["assign", "plan", "call_tool", ("result", "Planning"), "plan", "finish"]
    ),
    "door-tb.dot": lambda: analysis.to_dot(DOOR, direction="TB"),
    "door-tb.mmd": lambda: analysis.to_mermaid(DOOR, direction="TB"),
    "door-tb.puml": lambda: analysis.to_plantuml(DOOR, direction="TB"),
    "session.dot": lambda: analysis.to_dot(SESSION),
    "session.mmd": lambda: analysis.to_mermaid(SESSION),
    "session.puml": lambda: analysis.to_plantuml(SESSION),
    "session-report.dot": lambda: analysis.to_dot(SESSION, highlight=SESSION_REPORT),
    "session-report.mmd": lambda: analysis.to_mermaid(SESSION, highlight=SESSION_REPORT),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_the_golden_file(name: str) -> None:
    text = CASES[name]()
    path = GOLDEN / name
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{name} changed; if intended, regenerate with "
        f"TYPESTATE_REGEN_GOLDEN=1 python -m pytest tests/test_render_golden.py"
    )


def test_every_golden_file_has_a_case() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(CASES)


def test_the_docs_show_what_to_mermaid_gives() -> None:
    docs = (ROOT / "docs" / "diagrams.md").read_text(encoding="utf-8")
    block = docs.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == (GOLDEN / "agent-trace.mmd").read_text(encoding="utf-8")
