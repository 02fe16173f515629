"""analysis paths: reachable, shortest_path, state_cover, transition_cover."""

from __future__ import annotations

from collections import deque

import networkx as nx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import analysis
import fsm

from .analysis_reference import digraph, leaves, run, steps
from .strategies import machines


def machine(body: str) -> fsm.Machine:
    return fsm.parse("stateDiagram-v2\n" + body)


def test_shortest_path_to_a_superstate_enters_a_leaf() -> None:
    m = fsm.load("examples/agent.mmd")
    assert analysis.shortest_path(m, "Working") == ("assign", "plan")
    assert analysis.shortest_path(m, "Done") == ("assign", "plan", "finish")


def test_shortest_path_unreachable_is_none() -> None:
    m = machine("[*] --> A\nC --> A : back")
    assert analysis.shortest_path(m, "C") is None


def test_shortest_path_unknown_state() -> None:
    m = machine("[*] --> A\nA --> B : go")
    with pytest.raises(
        ValueError, match=r"^'Z' is not a state of 'Machine'; its states are: A, B$"
    ):
        analysis.shortest_path(m, "Z")


def test_transition_cover_of_the_agent() -> None:
    cover = analysis.transition_cover(fsm.load("examples/agent.mmd"))
    # Four transitions end a run (into Done or Failed), so four paths, each
    # with its detour back to Acting or AwaitingTool: 17 is the optimum.
    assert (cover.required, cover.length, cover.lower_bound) == (9, 17, 17)
    assert cover.ratio == 1.0
    assert len(cover) == 4


def test_cover_with_back_edges_and_self_loops() -> None:
    m = machine("[*] --> A\nA --> A : stay\nA --> B : go\nB --> A : back\nB --> C : end")
    cover = analysis.transition_cover(m)
    assert cover.traces == (("go", "back", "stay", "go", "end"),)
    assert (cover.length, cover.required, cover.lower_bound) == (5, 4, 5)


@given(machines())
def test_transition_cover_takes_every_reachable_transition(m: fsm.Machine) -> None:
    cover = analysis.transition_cover(m)
    taken: set[tuple[str, fsm.Transition]] = set()
    for trace, path in zip(cover.traces, cover.paths, strict=True):
        here = m.resolve(m.initial)
        assert trace == tuple(t.event for _, t in path)
        for state, t in path:
            assert state == here
            assert t in m.transitions_from(state, t.event)
            taken.add((state, t))
            here = m.resolve(t.target)
        assert run(m, trace)
    reached = {s for s in analysis.reachable(m) if s in leaves(m)}
    expected = {(s, t) for s in reached for _, t, _ in steps(m, s)}
    assert taken == expected
    assert cover.required == len(expected)
    assert len(expected) <= cover.lower_bound <= cover.length


@given(machines(), st.data())
def test_shortest_path_is_valid_and_shortest(m: fsm.Machine, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(leaves(m)))
    trace = analysis.shortest_path(m, target)
    g = digraph(m)
    start = m.resolve(m.initial)
    if trace is None:
        assert not nx.has_path(g, start, target)
    else:
        assert target in run(m, trace)
        assert len(trace) == nx.shortest_path_length(g, start, target)


@given(machines())
def test_state_cover_enters_every_reachable_state(m: fsm.Machine) -> None:
    cover = analysis.state_cover(m)
    entered = {m.resolve(m.initial)}
    for path in cover.paths:
        entered.update(m.resolve(t.target) for _, t in path)
    assert entered == {s for s in analysis.reachable(m) if s in leaves(m)}
    assert cover.lower_bound == len(entered) - 1 <= cover.length


def optimal_cover_length(m: fsm.Machine) -> int:
    """The length of a shortest transition cover, by brute force (0-1 BFS).

    Nodes are (current leaf, transitions taken so far); a step costs 1, and
    starting a new path from the initial state costs 0.
    """
    start = m.resolve(m.initial)
    reached = {s for s in analysis.reachable(m) if s in leaves(m)}
    edges = [(s, t, target) for s in reached for _, t, target in steps(m, s)]
    number = {(s, t): n for n, (s, t, _) in enumerate(edges)}
    goal = (1 << len(edges)) - 1
    best = {(start, 0): 0}
    queue = deque([(start, 0)])
    while queue:
        here, taken = node = queue.popleft()
        cost = best[node]
        if taken == goal:
            return cost
        moves = [((start, taken), 0)] + [
            ((target, taken | 1 << number[here, t]), 1) for _, t, target in steps(m, here)
        ]
        for after, step in moves:
            if cost + step < best.get(after, cost + step + 1):
                best[after] = cost + step
                if step:
                    queue.append(after)
                else:
                    queue.appendleft(after)
    raise AssertionError("every reachable transition can be covered")


@given(machines(max_states=4))
def test_cover_lower_bound_is_below_the_optimum(m: fsm.Machine) -> None:
    cover = analysis.transition_cover(m)
    assume(cover.required <= 8)
    assert cover.lower_bound <= optimal_cover_length(m) <= cover.length
