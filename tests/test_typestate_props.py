"""Properties: classes built from random graphs extract to the right Machine and drive alike."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm
from typestate import State, StateConsumed, drive, protocol, transition

EVENTS = ("a", "b", "c", "d")

# A graph: for each state number, event -> the target numbers (two or more: a branch).
Graph = dict[int, dict[str, list[int]]]


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(1, 6))
    numbers = st.integers(0, size - 1)
    return {
        state: draw(
            st.dictionaries(
                st.sampled_from(EVENTS), st.lists(numbers, min_size=1, max_size=3, unique=True)
            )
        )
        for state in range(size)
    }


def _classes(graph: Graph) -> dict[str, Any]:
    """Make State classes S0, S1, ... whose methods return ``targets[pick % n]``."""
    namespace: dict[str, Any] = {}
    for state, edges in graph.items():
        body: dict[str, Any] = {}
        for event, targets in edges.items():

            def method(self: State, pick: int, targets: list[int] = targets) -> State:
                chosen: State = namespace[f"S{targets[pick % len(targets)]}"]()
                return chosen

            method.__name__ = event
            method.__qualname__ = f"S{state}.{event}"
            method.__annotations__ = {
                "pick": "int",
                "return": " | ".join(f"S{t}" for t in targets),
            }
            body[event] = transition(method)
        namespace[f"S{state}"] = type(f"S{state}", (State,), body, final=not edges)
    return namespace


def _reachable(graph: Graph) -> set[int]:
    seen, todo = {0}, [0]
    while todo:
        for targets in graph[todo.pop()].values():
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
    return seen


@given(graphs())
def test_protocol_extracts_the_reachable_graph(graph: Graph) -> None:
    namespace = _classes(graph)
    m = protocol(namespace["S0"], namespace=namespace)
    reachable = _reachable(graph)
    assert set(m.states) == {f"S{n}" for n in reachable}
    assert {(t.source, t.event, t.target) for t in m.transitions} == {
        (f"S{s}", e, f"S{t}") for s in reachable for e, ts in graph[s].items() for t in ts
    }
    assert all(t.branch == (len(graph[int(t.source[1:])][t.event]) > 1) for t in m.transitions)
    assert m.final == {f"S{n}" for n in reachable if not graph[n]}
    assert fsm.parse(fsm.dumps(m)) == m


@given(graphs(), st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 5)), max_size=20))
def test_random_walks_through_drive_follow_the_machine(
    graph: Graph, steps: list[tuple[str, int]]
) -> None:
    namespace = _classes(graph)
    driver = drive(namespace["S0"](), namespace=namespace)
    m = driver.machine
    for event, pick in steps:
        here = type(driver.state).__name__
        assert driver.allowed == m.enabled_events(here)
        if event not in driver.allowed:
            with pytest.raises(fsm.InvalidTransition):
                driver.send(event, pick=pick)
            assert type(driver.state).__name__ == here
            continue
        before = driver.state
        driver.send(event, pick=pick)
        targets = {t.target for t in m.transitions_from(here, event)}
        assert type(driver.state).__name__ in targets
        assert driver.history[-1].source == here
        with pytest.raises(StateConsumed):  # the old state object is consumed
            getattr(before, event)(pick=pick)


class _Context:
    """What the runtime's branch deciders see: the instance, to know its state."""

    instance: fsm.Instance | None = None


def _instance(machine: fsm.Machine) -> fsm.Instance:
    """Start ``machine`` with deciders that pick as the classes of ``_classes`` do."""

    def decider(event: str) -> Any:
        def decide(context: _Context, pick: int) -> str:
            assert context.instance is not None
            targets = machine.transitions_from(context.instance.state, event)
            return targets[pick % len(targets)].target

        return decide

    branching = {t.event for t in machine.transitions if t.branch}
    context = _Context()
    handlers = {f"decide_{event}": decider(event) for event in branching}
    context.instance = machine.start(context, handlers=handlers)
    return context.instance


@given(graphs(), st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 5)), max_size=20))
def test_drive_agrees_with_the_runtime(graph: Graph, steps: list[tuple[str, int]]) -> None:
    """The same allowed events, the same states and the same refusals, step by step."""
    namespace = _classes(graph)
    driver = drive(namespace["S0"](), namespace=namespace)
    instance = _instance(driver.machine)
    for event, pick in steps:
        assert driver.allowed == instance.allowed
        assert type(driver.state).__name__ == instance.state
        if event not in instance.allowed:
            with pytest.raises(fsm.InvalidTransition) as by_runtime:
                instance.send(event, pick=pick)
            with pytest.raises(fsm.InvalidTransition) as by_driver:
                driver.send(event, pick=pick)
            assert str(by_driver.value) == str(by_runtime.value)
            continue
        instance.send(event, pick=pick)
        driver.send(event, pick=pick)
    assert type(driver.state).__name__ == instance.state
    assert instance.is_final == (type(driver.state).__name__ in driver.machine.final)
