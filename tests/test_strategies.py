"""analysis.strategies: traces are valid, invalid steps are refused, payloads follow types."""

from __future__ import annotations

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

import fsm
from analysis import strategies
from analysis.testing import check_trace
from tests.strategies import machines

AGENT = fsm.load("examples/agent.mmd")


@given(st.data())
def test_traces_are_runs_of_the_machine(data: st.DataObject) -> None:
    machine = data.draw(machines())
    trace = data.draw(strategies.traces(machine, max_size=20))
    assert check_trace(machine, trace).ok


@given(strategies.invalid_steps(AGENT))
def test_invalid_steps_are_refused_after_a_valid_prefix(step: strategies.InvalidStep) -> None:
    assert check_trace(AGENT, step.prefix).ok
    assert check_trace(AGENT, (*step.prefix, step.event)).index == len(step.prefix)


def test_traces_shrink_to_the_shortest_run() -> None:
    found = find(strategies.traces(AGENT), lambda t: "result" in t)
    assert found == ("assign", "plan", "call_tool", "result")


def test_reachable_states_start_at_the_initial_state() -> None:
    assert find(strategies.reachable_states(AGENT), lambda s: True) == "Idle"


@given(strategies.payloads(AGENT, "call_tool"))
def test_payloads_follow_the_types_directive(payload: dict[str, object]) -> None:
    assert isinstance(payload["name"], str)
    assert isinstance(payload["args"], dict)


def test_an_unresolvable_annotation_uses_the_fallback() -> None:
    machine = fsm.Machine(
        "M", ("A",), "A", transitions=[fsm.Transition("A", "go", "A", params=[("x", "Nope")])]
    )
    assert find(strategies.payloads(machine, "go", fallback=st.just(7)), lambda p: True) == {"x": 7}


def test_an_unknown_event_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^'fly' is not an event of 'Agent'; its events are: "):
        strategies.payloads(AGENT, "fly")
