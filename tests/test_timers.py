"""Timers in the spec: DSL, JSON, validation, Machine.timers, analysis and diagrams."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm
from fsm import DefinitionError, Machine, Transition

from .mermaid_parser import assert_mermaid_accepts
from .render_support import dot_svg, plantuml_errors, svg_texts

TIMED = """\
stateDiagram-v2
    [*] --> Waiting
    Waiting --> Approved : approve
    Waiting --> Escalated : timeout after 1d
    Escalated --> Approved : approve
    Escalated --> Escalated : remind after 30m / notify
    Approved --> [*]
"""


def parse(*lines: str) -> Machine:
    return fsm.parse("stateDiagram-v2\n    [*] --> A\n" + "\n".join(lines) + "\n")


def dsl_error(label: str) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        parse(f"    A --> B : {label}")
    return [str(p) for p in info.value.problems]


def model_error(**fields: Any) -> list[str]:
    target = fields.pop("target", "B")
    with pytest.raises(DefinitionError) as info:
        Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", target, **fields),))
    return [p.message for p in info.value.problems]


def test_the_dsl_reads_a_timer_in_seconds() -> None:
    m = fsm.parse(TIMED)
    assert m.transitions[1] == Transition("Waiting", "timeout", "Escalated", after=86400.0)
    assert m.transitions[3].after == 1800.0
    assert m.transitions[3].actions == ("notify",)
    assert m.transitions[0].after is None


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("500ms", 0.5), ("30s", 30.0), ("1.5m", 90.0), ("2h", 7200.0), ("1d", 86400.0)],
)
def test_every_unit(written: str, seconds: float) -> None:
    assert parse(f"    A --> B : t after {written}").transitions[0].after == seconds


def test_machine_timers_lists_each_timed_state() -> None:
    m = fsm.parse(TIMED)
    assert {state: dict(events) for state, events in m.timers.items()} == {
        "Waiting": {"timeout": 86400.0},
        "Escalated": {"remind": 1800.0},
    }
    assert fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go").timers == {}


def test_a_timer_event_may_also_be_plain_elsewhere() -> None:
    m = parse("    A --> B : timeout after 5s", "    B --> A : timeout")
    assert dict(m.timers) == {"A": {"timeout": 5.0}}
    assert m.start().send("timeout") == "B"  # a user may send a timer's event too


def test_dumps_writes_the_delay_in_its_largest_whole_unit() -> None:
    text = fsm.dumps(fsm.parse(TIMED))
    assert "    Waiting --> Escalated : timeout after 1d\n" in text
    assert "    Escalated --> Escalated : remind after 30m / notify\n" in text
    m = Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=0.25),))
    assert "A --> B : t after 250ms\n" in fsm.dumps(m)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_any_delay_round_trips_through_the_dsl_and_json(seconds: float) -> None:
    m = Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=seconds),))
    assert fsm.parse(fsm.dumps(m)) == m
    assert Machine.from_dict(m.to_dict()) == m


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=2**1000))
def test_an_int_delay_is_the_float_the_runtime_uses(seconds: int) -> None:
    m = Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=seconds),))
    as_float = Machine(
        "M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=float(seconds)),)
    )
    assert m.transitions[0].after == float(seconds)
    assert type(m.transitions[0].after) is float
    assert m == as_float
    assert m.fingerprint == as_float.fingerprint
    assert fsm.parse(fsm.dumps(m)) == m
    assert Machine.from_dict(m.to_dict()) == m


def test_ints_above_2_to_the_53_get_distinct_fingerprints_only_when_distinct_floats() -> None:
    def one(after: int) -> Machine:
        return Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=after),))

    assert one(2**53 + 1) == one(2**53)
    assert one(2**53 + 1).fingerprint == one(2**53).fingerprint
    assert one(2**53 + 2).fingerprint != one(2**53).fingerprint


def test_the_real_mermaid_parsers_accept_timers(mermaid: None) -> None:
    tiny = Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=1e-5),))
    assert_mermaid_accepts([TIMED, fsm.dumps(fsm.parse(TIMED)), fsm.dumps(tiny)])


def test_json_writes_after_as_seconds() -> None:
    document = fsm.parse(TIMED).to_dict()
    assert document["transitions"][1] == {
        "source": "Waiting",
        "event": "timeout",
        "target": "Escalated",
        "after": 86400.0,
    }
    assert Machine.from_dict(document) == fsm.parse(TIMED)


def test_the_fingerprint_changes_with_a_timer_and_its_delay() -> None:
    def one(after: float | None) -> Machine:
        return Machine("M", ("A", "B"), "A", transitions=(Transition("A", "t", "B", after=after),))

    prints = {one(None).fingerprint, one(30.0).fingerprint, one(31.0).fingerprint}
    assert len(prints) == 3
    # after=30 and after=30.0 are equal machines, with one fingerprint.
    assert one(30).fingerprint == one(30.0).fingerprint


@pytest.mark.parametrize(
    ("after", "why"),
    [
        (0, "must be more than 0 seconds (got 0)"),
        (-1.5, "must be more than 0 seconds (got -1.5)"),
        (float("nan"), "must be a finite number of seconds (got nan)"),
        (float("inf"), "must be a finite number of seconds (got inf)"),
        (True, "must be a number of seconds (got True of type bool)"),
        ("30s", "must be a number of seconds (got '30s' of type str)"),
        (10**400, "must be a finite number of seconds (got an integer of 1329 bits, too large)"),
    ],
)
def test_a_delay_must_be_a_positive_finite_number(after: object, why: str) -> None:
    [message] = model_error(after=after)
    assert message.startswith(f"transitions[0].after {why}")
    assert message.endswith(
        "in A --t--> B; a timer's delay is a positive number of seconds, such as after=30.0"
    )


def test_a_timer_carries_no_payload() -> None:
    assert model_error(after=5.0, params=(("x", "int"),)) == [
        "A --t--> B is a timer (after 5s) but its event 't' carries a payload (x: int); the "
        "runtime sends a timer's event with no payload, so drop the payload or use another event"
    ]


def test_a_timer_is_no_branch() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine(
            "M",
            ("A", "B", "C"),
            "A",
            transitions=(
                Transition("A", "t", "B", branch=True, after=5.0),
                Transition("A", "t", "C", branch=True, after=5.0),
            ),
        )
    assert info.value.problems[0].message == (
        "A --t--> B is a timer and a branch outcome; a timer fires with no one to decide the "
        "branch, so use guards instead of [branch]"
    )


def test_guarded_timers_on_one_event_share_one_delay() -> None:
    with pytest.raises(DefinitionError) as info:
        parse("    A --> B : t after 5s [ok]", "    A --> C : t after 6s [else]")
    assert [p.message for p in info.value.problems] == [
        "the transitions on 't' from 'A' disagree on the timer's delay (A --t [ok]--> B after "
        "5.0s, A --t [else]--> C after 6.0s); give every one of them the same delay"
    ]
    same = parse("    A --> B : t after 5s [ok]", "    A --> C : t after 5s [else]")
    assert dict(same.timers) == {"A": {"t": 5.0}}


def test_dsl_delay_errors_point_at_the_delay() -> None:
    assert dsl_error("t after 0s") == [
        "line 3, column 23: the delay '0s' is not more than 0 seconds (got 0.0)\n"
        "        A --> B : t after 0s\n"
        "                          ^"
    ]
    assert dsl_error("t after 1e5s")[0].startswith(
        "line 3, column 23: cannot read the delay '1e5s'; write a number and a unit with no "
        "space, like 'after 30s' (units: ms, s, m, h, d)"
    )
    assert dsl_error("t after 30 s")[0].startswith(
        "line 3, column 17: a timer's delay is a number and a unit with no space between, "
        "like 'timeout after 30s' (units: ms, s, m, h, d)"
    )


def test_json_refuses_a_bad_delay() -> None:
    document = fsm.parse(TIMED).to_dict()
    document["transitions"][1]["after"] = "1d"
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict(document)
    assert [str(p) for p in info.value.problems] == [
        "$.transitions[1].after: a timer's delay must be a number of seconds (got '1d' of "
        "type str); write a positive number of seconds, such as 30.0"
    ]


def test_an_event_named_after_still_reads() -> None:
    m = parse("    A --> B : after", "    B --> A : after after 2s")
    assert [(t.event, t.after) for t in m.transitions] == [("after", None), ("after", 2.0)]
    assert fsm.parse(fsm.dumps(m)) == m


# -- analysis ------------------------------------------------------------------------


def test_a_state_left_only_by_a_timer_is_no_dead_end() -> None:
    m = parse(
        "    A --> Waiting : go", "    Waiting --> Done : timeout after 5m", "    Done --> [*]"
    )
    assert analysis.check(m).ok
    assert not analysis.check(m).of("dead-end")


def test_a_livelock_through_a_timeout_is_found() -> None:
    m = parse(
        "    A --> Done : finish",
        "    A --> Retry : fail",
        "    Retry --> Waiting : wait",
        "    Waiting --> Retry : timeout after 10s",
        "    Done --> [*]",
    )
    [finding] = analysis.check(m).of("livelock")
    assert finding.states == ("Retry", "Waiting")
    assert finding.trace == ("fail",)


# -- diagrams ------------------------------------------------------------------------


def test_every_diagram_shows_the_delay() -> None:
    m = fsm.parse(TIMED)
    svg, _ = dot_svg(analysis.to_dot(m))
    assert "timeout after 1d" in svg_texts(svg)
    assert "remind after 30m / notify" in svg_texts(svg)
    assert "Waiting --> Escalated : timeout after 1d\n" in analysis.to_mermaid(m)
    plantuml = analysis.to_plantuml(m)
    assert "Waiting --> Escalated : timeout after 1d\n" in plantuml
    [(problem, _)] = plantuml_errors([plantuml])
    assert problem is None
