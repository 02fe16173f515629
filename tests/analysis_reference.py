"""A tiny reference interpreter and a networkx view of machines, for the analysis tests.

Both are written against the public model only (``transitions_from``,
``resolve``), independently of ``analysis``'s integer tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import fsm


def leaves(machine: fsm.Machine) -> list[str]:
    """The states that can be current: leaves, and where an entry chain ends."""
    entered = [machine.initial, *(t.target for t in machine.transitions)]
    ends = {machine.resolve(s) for s in entered}
    return [s for s in machine.states if s not in machine.superstates or s in ends]


def steps(machine: fsm.Machine, state: str) -> list[tuple[str, fsm.Transition, str]]:
    """Every ``(event, transition, next leaf)`` that may fire in the leaf ``state``."""
    return [
        (event, t, machine.resolve(t.target))
        for event in machine.enabled_events(state)
        for t in machine.transitions_from(state, event)
    ]


def run(machine: fsm.Machine, trace: Iterable[str]) -> set[str]:
    """The leaves a run may be in after ``trace`` (empty: the trace is impossible)."""
    current = {machine.resolve(machine.initial)}
    for event in trace:
        current = {
            machine.resolve(t.target)
            for state in current
            for t in machine.transitions_from(state, event)
        }
    return current


def digraph(machine: fsm.Machine) -> Any:
    """The leaf graph as a networkx MultiDiGraph (edge key: the transition)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(leaves(machine))
    for state in leaves(machine):
        for event, t, target in steps(machine, state):
            graph.add_edge(state, target, key=(event, t))
    return graph


def language(machine: fsm.Machine, length: int) -> set[tuple[tuple[str, ...], bool]]:
    """Every possible trace up to ``length`` events, with whether it may end final."""
    found: set[tuple[tuple[str, ...], bool]] = set()
    layer: list[tuple[tuple[str, ...], set[str]]] = [((), run(machine, ()))]
    for _ in range(length + 1):
        following: list[tuple[tuple[str, ...], set[str]]] = []
        for trace, current in layer:
            found.add((trace, bool(current & machine.final)))
            events = {e for s in current for e in machine.enabled_events(s)}
            for event in sorted(events):
                after = run(machine, (*trace, event))
                if after:
                    following.append(((*trace, event), after))
        layer = following
    return found
