"""Internal transitions in the spec: DSL, JSON, validation, analysis and diagrams."""

from __future__ import annotations

import pytest

import analysis
import fsm
from fsm import DefinitionError, Machine, Transition

from .mermaid_parser import assert_mermaid_accepts
from .render_support import dot_svg, plantuml_errors

BUSY = """\
stateDiagram-v2
    [*] --> Busy
    Busy --> Busy : internal progress(percent) / report
    Busy --> Busy : retry
    Busy --> Busy : internal heartbeat after 5s
    Busy --> Done : finish
    Done --> [*]
"""


def test_the_dsl_reads_internal_transitions() -> None:
    m = fsm.parse(BUSY)
    assert m.transitions[0] == Transition(
        "Busy", "progress", "Busy", actions=("report",), params=(("percent", None),), internal=True
    )
    assert m.transitions[1].internal is False  # an external self-transition, as before
    assert (m.transitions[2].internal, m.transitions[2].after) == (True, 5.0)


def test_an_event_named_internal_still_reads() -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : internal\nB --> B : internal internal")
    assert [(t.event, t.internal) for t in m.transitions] == [
        ("internal", False),
        ("internal", True),
    ]
    assert fsm.parse(fsm.dumps(m)) == m


def test_dumps_and_json_round_trip() -> None:
    m = fsm.parse(BUSY)
    assert "    Busy --> Busy : internal progress(percent) / report\n" in fsm.dumps(m)
    assert fsm.parse(fsm.dumps(m)) == m
    document = m.to_dict()
    assert document["transitions"][0]["internal"] is True
    assert "internal" not in document["transitions"][1]
    assert Machine.from_dict(document) == m


def test_the_fingerprint_tells_internal_from_external() -> None:
    def one(internal: bool) -> Machine:
        return Machine(
            "M", ("A",), "A", transitions=(Transition("A", "t", "A", internal=internal),)
        )

    assert one(True).fingerprint != one(False).fingerprint
    assert one(True) != one(False)


def test_the_real_mermaid_parsers_accept_internal_transitions(mermaid: None) -> None:
    assert_mermaid_accepts([BUSY, fsm.dumps(fsm.parse(BUSY))])


def test_an_internal_transition_stays_in_its_state() -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : internal go")
    assert [str(p) for p in info.value.problems] == [
        "line 3, column 11: A --go--> B is marked internal but leaves 'A' for 'B'; an internal "
        "transition stays in its state, so make the target 'A' or drop internal\n"
        "    A --> B : internal go\n"
        "              ^"
    ]


def test_internal_on_a_superstate_is_refused_for_now() -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse("stateDiagram-v2\n[*] --> S\nstate S {\n[*] --> A\n}\nS --> S : internal ping")
    assert [p.message for p in info.value.problems] == [
        "S --ping--> S is an internal transition of superstate 'S', which is not supported; "
        "put it on each substate that needs it"
    ]


def test_internal_must_be_a_boolean() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine("M", ("A",), "A", transitions=(Transition("A", "t", "A", internal=1),))  # type: ignore[arg-type]
    assert [p.message for p in info.value.problems] == [
        "transitions[0].internal must be True or False, got 1 (an int)"
    ]
    document = Machine("M", ("A",), "A", transitions=(Transition("A", "t", "A"),)).to_dict()
    document["transitions"][0]["internal"] = "yes"
    with pytest.raises(DefinitionError) as json_info:
        Machine.from_dict(document)
    assert [str(p) for p in json_info.value.problems] == [
        "$.transitions[0].internal: expected true or false, got a string ('yes')"
    ]


def test_an_internal_self_loop_is_still_a_livelock() -> None:
    m = fsm.parse(
        "stateDiagram-v2\n[*] --> A\nA --> Done : finish\nA --> Spin : stall\n"
        "Spin --> Spin : internal tick after 1s\nDone --> [*]"
    )
    [finding] = analysis.check(m).of("livelock")
    assert (finding.states, finding.trace) == (("Spin",), ("stall",))
    assert finding.message.startswith("state 'Spin' loops on itself")


def test_diagrams_draw_internal_transitions_dotted() -> None:
    m = fsm.parse(BUSY)
    dot = analysis.to_dot(m)
    assert 'Busy -> Busy [label="internal progress(percent) / report" style=dotted]' in dot
    assert "Busy -> Busy [label=retry]" in dot
    dot_svg(dot)  # the real dot reads it
    plantuml = analysis.to_plantuml(m)
    assert "Busy -[dotted]-> Busy : internal progress(percent) / report\n" in plantuml
    assert "Busy --> Busy : retry\n" in plantuml
    traced = analysis.to_plantuml(m, highlight=["heartbeat"])
    assert "Busy -[#0969da,bold,dotted]-> Busy : 1: internal heartbeat after 5s\n" in traced
    assert [problem for problem, _ in plantuml_errors([plantuml, traced])] == [None, None]
    assert "Busy --> Busy : internal heartbeat after 5s\n" in analysis.to_mermaid(m)
