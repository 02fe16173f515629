"""The product explorer against a plain reference product on small random machines.

The reference works on tuples of leaf names, reads the machines through the
public API only (transitions, parents, entries), and walks the product breadth
first with its moves in the documented order: the events one machine alone
has, machine by machine, then the shared events by the first machine that has
them, each machine's events in the order its leaf looks them up (its own,
then its superstates', nearest first).
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm

EVENTS = ("a", "b", "c", "d")
PAYLOAD = {"d": (("n", "int"),)}  # one event with payload types, the same in every machine


@st.composite
def parts(draw: st.DrawFn, name: str) -> fsm.Machine:
    """A machine of 1-4 leaves, maybe a superstate, maybe nondeterministic, over EVENTS."""
    leaves = [f"{name}{i}" for i in range(draw(st.integers(1, 4)))]
    parents: dict[str, str] = {}
    entries: dict[str, str] = {}
    states = list(leaves)
    inside = draw(st.lists(st.sampled_from(leaves), unique=True, max_size=len(leaves)))
    if inside:
        superstate = f"{name}S"
        states.append(superstate)
        parents = dict.fromkeys(inside, superstate)
        entries = {superstate: inside[0]}
    transitions: list[fsm.Transition] = []
    for _ in range(draw(st.integers(0, 8))):
        source = draw(st.sampled_from(states))
        event = draw(st.sampled_from(EVENTS))
        if any(t.source == source and t.event == event for t in transitions):
            continue
        targets = draw(st.lists(st.sampled_from(states), min_size=1, max_size=3))
        # Several targets: a guarded group (nondeterministic to the product).
        guards = [f"g{k}" for k in range(len(targets))] if len(targets) > 1 else [None]
        transitions += [
            fsm.Transition(source, event, target, guard=guard, params=PAYLOAD.get(event, ()))
            for target, guard in zip(targets, guards, strict=True)
        ]
    return fsm.Machine(
        name,
        states=states,
        initial=draw(st.sampled_from(states)),
        final=draw(st.sets(st.sampled_from(leaves))),
        transitions=transitions,
        parents=parents,
        entries=entries,
    )


def local(m: fsm.Machine, leaf: str) -> dict[str, list[str]]:
    """Event -> the distinct leaves it may lead to from ``leaf``, in lookup order."""
    moves: dict[str, list[str]] = {}
    state: str | None = leaf
    while state is not None:
        mine: dict[str, list[fsm.Transition]] = {}
        for t in m.transitions:
            if t.source == state:
                mine.setdefault(t.event, []).append(t)
        for event, group in mine.items():
            if event not in moves:
                group.sort(key=lambda t: t.guard == "else")
                moves[event] = list(dict.fromkeys(m.resolve(t.target) for t in group))
        state = m.parents.get(state)
    return moves


def reference(
    machines: Sequence[fsm.Machine],
) -> tuple[list[tuple[str, ...]], list[tuple[int, str, int, bool]], dict[int, tuple[str, ...]]]:
    """The reachable product: states in breadth-first order, moves, and the trace to each."""
    owners: dict[str, list[int]] = {}
    for i, m in enumerate(machines):
        for event in m.events:
            owners.setdefault(event, []).append(i)

    def moves(state: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], bool]]:
        found: list[tuple[str, tuple[str, ...], bool]] = []
        for shared in (False, True):
            for i, m in enumerate(machines):
                for event in local(m, state[i]):
                    if (len(owners[event]) > 1) != shared or owners[event][0] != i:
                        continue
                    combos = [state]
                    for p in owners[event]:
                        theirs = local(machines[p], state[p]).get(event, [])
                        combos = [(*c[:p], t, *c[p + 1 :]) for c in combos for t in theirs]
                    found += [(event, c, len(combos) > 1) for c in combos]
        return found

    start = tuple(m.resolve(m.initial) for m in machines)
    order = [start]
    traces: dict[tuple[str, ...], tuple[str, ...]] = {start: ()}
    edges: list[tuple[int, str, int, bool]] = []
    number = {start: 0}
    for n, state in enumerate(order):
        for event, target, branch in moves(state):
            if target not in number:
                number[target] = len(order)
                order.append(target)
                traces[target] = (*traces[state], event)
            edges.append((n, event, number[target], branch))
    return order, edges, {number[s]: t for s, t in traces.items()}


def is_final(machines: Sequence[fsm.Machine], state: tuple[str, ...]) -> bool:
    return all(leaf in m.final for m, leaf in zip(machines, state, strict=True))


systems = st.lists(st.sampled_from("PQR"), min_size=1, max_size=3, unique=True).flatmap(
    lambda names: st.tuples(*(parts(name) for name in names))
)


@settings(max_examples=150)
@given(systems)
def test_deadlocks_are_the_reference_ones(machines: tuple[fsm.Machine, ...]) -> None:
    order, edges, traces = reference(machines)
    stuck = {source for source, *_ in edges}
    expected = [
        (state, traces[n])
        for n, state in enumerate(order)
        if n not in stuck and not is_final(machines, state)
    ]
    assert [(f.states, f.trace) for f in analysis.deadlocks(*machines)] == expected


@settings(max_examples=100)
@given(systems)
def test_every_deadlock_trace_is_real_and_shortest(machines: tuple[fsm.Machine, ...]) -> None:
    order, edges, _ = reference(machines)
    depth = {0: 0}
    for source, _, target, _ in edges:
        depth.setdefault(target, depth[source] + 1)
    for finding in analysis.deadlocks(*machines):
        assert finding.trace is not None
        here = {0}
        for event in finding.trace:  # replay in the reference product
            here = {t for s, e, t, _ in edges if s in here and e == event}
        assert order.index(finding.states) in here
        assert len(finding.trace) == depth[order.index(finding.states)]


@settings(max_examples=150)
@given(systems)
def test_the_product_machine_is_the_reference_one(machines: tuple[fsm.Machine, ...]) -> None:
    order, edges, _ = reference(machines)
    names = ["__".join(state) for state in order]
    product = analysis.compose(*machines)
    assert product.states == tuple(names)
    assert product.initial == names[0]
    assert product.final == {names[n] for n, s in enumerate(order) if is_final(machines, s)}
    assert product.transitions == tuple(
        fsm.Transition(names[s], event, names[t], params=PAYLOAD.get(event, ()), branch=branch)
        for s, event, t, branch in edges
    )
