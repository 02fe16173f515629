"""analysis.strategies: traces are valid, invalid steps are refused, payloads follow types."""

from __future__ import annotations

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

import fsm
from analysis import strategies
from analysis.testing import check_trace
from tests.strategies import machines
from typestate import State, transition

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


def _typed(annotation: str) -> fsm.Machine:
    transition = fsm.Transition("A", "go", "A", params=[("x", annotation), ("y", None)])
    return fsm.Machine("M", ("A",), "A", transitions=[transition])


def test_an_unresolvable_annotation_is_an_error_not_untyped_values() -> None:
    with pytest.raises(ValueError) as caught:
        strategies.payloads(_typed("lsit[str]"), "go", fallback=st.just(7))
    assert str(caught.value) == (
        "payload 'x' of event 'go': cannot resolve annotation 'lsit[str]': unknown name "
        "'lsit'; pass it in namespace= (to draw untyped values for a name on purpose, "
        "map it to object in namespace=)"
    )


def test_the_fallback_is_for_payloads_without_a_type_or_mapped_to_object() -> None:
    payloads = strategies.payloads(
        _typed("Order"), "go", namespace={"Order": object}, fallback=st.just(7)
    )
    assert find(payloads, lambda p: True) == {"x": 7, "y": 7}


def test_an_unresolvable_method_annotation_is_a_definition_error() -> None:
    class Idle(State):
        @transition
        def go(self, x: Nope) -> Idle:  # type: ignore[name-defined]  # noqa: F821
            return Idle()

    with pytest.raises(fsm.DefinitionError) as caught:
        strategies.method_payloads(Idle, "go")
    assert caught.value.messages == (
        "cannot resolve the annotations of Idle.go: NameError: name 'Nope' is not defined; "
        "fix the annotation or import the name it uses in the class's module",
    )


def test_an_unknown_event_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^'fly' is not an event of 'Agent'; its events are: "):
        strategies.payloads(AGENT, "fly")
