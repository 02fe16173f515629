"""Walking a machine leaf by leaf: the moves of each leaf state and shortest routes.

Shared by :mod:`analysis.strategies` and :mod:`analysis.testing`. A *move* is
one way an event may go from a leaf: the transition and the leaf it enters.
Guards are not evaluated, so a guarded group or a branch gives one move per
outcome.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import fsm

from ._graph import breadth_first, path_to

__all__ = ["Move", "Walker"]

#: One way an event may go: (event, transition, the leaf entered).
Move = tuple[str, fsm.Transition, str]


class Walker:
    """The leaf-level graph of a machine, computed once."""

    def __init__(self, machine: fsm.Machine) -> None:
        self.machine = machine
        compiled = machine.compiled
        self.initial: str = machine.states[compiled.initial]
        self.leaves: tuple[str, ...] = tuple(
            s for n, s in enumerate(machine.states) if compiled.is_leaf[n]
        )
        self.moves: dict[str, tuple[Move, ...]] = {}
        for leaf in self.leaves:
            moves: list[Move] = []
            for event in machine.enabled_events(leaf):
                for t in machine.transitions_from(leaf, event):
                    moves.append((event, t, machine.resolve(t.target)))
            self.moves[leaf] = tuple(moves)
        self.enabled: dict[str, tuple[str, ...]] = {
            leaf: machine.enabled_events(leaf) for leaf in self.leaves
        }
        self.targets: dict[tuple[str, str], tuple[str, ...]] = {}
        for leaf, leaf_moves in self.moves.items():
            for event, _, target in leaf_moves:
                found = self.targets.setdefault((leaf, event), ())
                if target not in found:
                    self.targets[leaf, event] = (*found, target)
        # The moves as a graph over state numbers, edges in the order of the moves,
        # for the searches; an edge is an (event, leaf entered) pair.
        self._number = {state: n for n, state in enumerate(machine.states)}
        self._offsets = array("q", [0])
        self._heads = array("i")
        self._edges: list[tuple[str, str]] = []
        for state in machine.states:
            for event, _, target in self.moves.get(state, ()):
                self._heads.append(self._number[target])
                self._edges.append((event, target))
            self._offsets.append(len(self._heads))
        distance = self.distances(self.initial)
        #: Reachable leaves, nearest to the initial state first.
        self.reachable: tuple[str, ...] = tuple(
            sorted(
                (leaf for leaf in self.leaves if leaf in distance),
                key=lambda leaf: (distance[leaf], self.leaves.index(leaf)),
            )
        )

    def _search(self, start: str) -> Iterable[tuple[int, int, int]]:
        marks = bytearray(len(self.machine.states))
        return breadth_first(self._offsets, self._heads, (self._number[start],), marks)

    def distances(self, start: str) -> dict[str, int]:
        """Leaf -> the number of events of a shortest route from ``start``."""
        names = self.machine.states
        seen: dict[str, int] = {}
        for node, edge, tail in self._search(start):
            seen[names[node]] = 0 if edge < 0 else seen[names[tail]] + 1
        return seen

    def route(self, start: str, goal: str) -> list[tuple[str, str]] | None:
        """A shortest route as ``(event, leaf entered)`` pairs, or None when there is none."""
        via: dict[int, int] = {}
        tails: dict[int, int] = {}
        end = self._number.get(goal, -1)
        for node, edge, tail in self._search(start):
            via[node] = edge
            tails[node] = tail
            if node == end:
                return [self._edges[k] for k in path_to(node, via, tails)]
        return None

    def after(self, states: Iterable[str], event: str) -> tuple[str, ...]:
        """The leaves ``event`` may lead to from any of ``states``, in a stable order."""
        found: list[str] = []
        for leaf in states:
            for target in self.targets.get((leaf, event), ()):
                if target not in found:
                    found.append(target)
        return tuple(found)
