"""Paths from the initial state: reachability, shortest paths, state and transition covers.

A path's trace is its sequence of event names. Guards are not evaluated and a
branch may go either way, so a trace names the events to send; the
:attr:`Cover.paths` say which transition each edge of a path takes.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

import fsm

from ._graph import Graph, Search, path_to

__all__ = ["Cover", "reachable", "shortest_path", "state_cover", "transition_cover"]

#: One edge of a path: the leaf state it fires in, and the transition taken.
Edge = tuple[str, fsm.Transition]


@attrs.frozen
class Cover:
    """Paths from the initial state that together visit every reachable state or transition.

    Attributes:
        traces: the event sequences, one per path.
        paths: the same paths, edge by edge: ``(state, transition)`` pairs,
            where ``state`` is the leaf the transition fires in (its source may
            be a superstate of it).
        length: the total number of events over all traces.
        required: how many items must be covered: reachable states other than
            the initial one, or reachable transitions (a superstate's
            transition counts once per leaf that inherits it).
        lower_bound: no cover is shorter than this (see :func:`transition_cover`).
    """

    traces: tuple[tuple[str, ...], ...]
    paths: tuple[tuple[Edge, ...], ...]
    length: int
    required: int
    lower_bound: int

    @property
    def ratio(self) -> float:
        """``length / lower_bound`` (1.0 is optimal; 1.0 when there is nothing to cover)."""
        return self.length / self.lower_bound if self.lower_bound else 1.0

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(self.traces)

    def __len__(self) -> int:
        return len(self.traces)


def _cover(g: Graph, edge_paths: list[list[int]], required: int, lower_bound: int) -> Cover:
    m = g.machine
    tails = g.tails()
    paths = tuple(
        tuple((m.states[tails[k]], m.transitions[g.transitions[k]]) for k in path)
        for path in edge_paths
    )
    traces = tuple(tuple(t.event for _, t in path) for path in paths)
    return Cover(traces, paths, sum(map(len, traces)), required, lower_bound)


def reachable(machine: fsm.Machine) -> frozenset[str]:
    """The states that some run can be in: reachable leaves and the superstates holding them.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A
        ...     A --> B : go
        ...     C --> A : back
        ... ''')
        >>> sorted(analysis.reachable(m))
        ['A', 'B']
    """
    search = Search(Graph(machine), machine.compiled.initial)
    names = {machine.states[s] for s in search.order}
    for name in list(names):
        names.update(machine.ancestors(name))
    return frozenset(names)


def shortest_path(machine: fsm.Machine, to: str) -> tuple[str, ...] | None:
    """The events of a shortest run from the initial state into ``to``.

    Args:
        machine: the machine.
        to: a state; a superstate means any of its leaves.

    Returns:
        The trace (empty when ``to`` is the initial state), or None when no
        run reaches ``to``.

    Raises:
        ValueError: ``to`` is not a state of ``machine``.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A
        ...     A --> B : go
        ...     B --> C : on
        ...     A --> C : jump
        ... ''')
        >>> analysis.shortest_path(m, "C")
        ('jump',)
        >>> analysis.shortest_path(m, "A")
        ()
    """
    index = machine.compiled.state_index.get(to)
    if index is None:
        raise ValueError(
            f"{to!r} is not a state of {machine.name!r}; its states are: "
            f"{', '.join(machine.states)}"
        )
    search = Search(Graph(machine), machine.compiled.initial)
    targets = {index}
    if not machine.compiled.is_leaf[index]:
        targets = {
            s
            for s, name in enumerate(machine.states)
            if machine.compiled.is_leaf[s] and to in machine.ancestors(name)
        }
    for s in search.order:
        if s in targets:
            return search.trace(s)
    return None


def state_cover(machine: fsm.Machine) -> Cover:
    """Shortest paths into every reachable state, none a prefix of another.

    Each reachable leaf is entered by a shortest path; a path that is a prefix
    of another is left out. ``lower_bound`` is the number of reachable leaves
    other than the initial one (each event enters at most one new state).

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A
        ...     A --> B : go
        ...     B --> C : on
        ...     A --> D : other
        ... ''')
        >>> cover = analysis.state_cover(m)
        >>> cover.traces
        (('go', 'on'), ('other',))
        >>> cover.length, cover.lower_bound
        (3, 3)
    """
    g = Graph(machine)
    search = Search(g, machine.compiled.initial)
    inner = {search.parent[s] for s in search.order[1:]}
    ends = sorted(s for s in search.order if s not in inner and s != search.start)
    edge_paths = [search.edges_to(s) for s in ends]
    required = len(search.order) - 1
    return _cover(g, edge_paths, required, required)


def transition_cover(machine: fsm.Machine) -> Cover:
    """Paths from the initial state that together take every reachable transition.

    Self-loops and back edges are included; a superstate's transition is taken
    once in each leaf that inherits it (it may behave differently there).
    Each path greedily takes the nearest transition not yet taken; when none
    can be reached from where it stands, a new path starts from the initial
    state.

    ``lower_bound`` is a Chinese-postman style bound. Every path starts in the
    initial state, so any other state is left at most as often as it is
    entered. A state ``v`` with ``b(v)`` more transitions to take out of it
    than into it must therefore be entered ``b(v)`` extra times, each time by
    a detour of at least ``d(v)`` steps, where ``d(v)`` is its distance from
    the nearest state a detour can start from: the initial state (a new path)
    or a state with more transitions to take into it than out of it. So no
    cover is shorter than ``required + sum(b(v) * d(v))``, ``required`` being
    the number of transitions to take.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Idle
        ...     Idle --> Busy : start
        ...     Busy --> Busy : work
        ...     Busy --> Idle : stop
        ... ''')
        >>> cover = analysis.transition_cover(m)
        >>> cover.traces
        (('start', 'work', 'stop'),)
        >>> cover.length, cover.required, cover.lower_bound
        (3, 3, 3)
    """
    g = Graph(machine)
    start = machine.compiled.initial
    search = Search(g, start)
    offsets = g.offsets
    heads = g.heads
    # Uncovered edges per state, as positions still to take.
    todo: dict[int, list[int]] = {}
    into = [0] * g.size
    out = [0] * g.size
    for s in search.order:
        edges = list(range(offsets[s], offsets[s + 1]))
        if edges:
            todo[s] = edges[::-1]  # popped from the end: definition order
            out[s] = len(edges)
            for k in edges:
                into[heads[k]] += 1
    required = sum(out)
    lower = required + _detours(g, start, search.order, into, out)
    paths: list[list[int]] = []
    path: list[int] = []
    here = start
    while todo:
        route = _route_to_work(g, here, todo)
        if route is None:
            paths.append(path)
            path = []
            here = start
            continue
        path.extend(route)
        if route:
            here = heads[route[-1]]
        # Prefer an edge whose target still has work, to keep the path going.
        edges = todo[here]
        pick = len(edges) - 1
        for i in range(len(edges) - 1, -1, -1):
            if heads[edges[i]] in todo and heads[edges[i]] != here:
                pick = i
                break
        k = edges.pop(pick)
        if not edges:
            del todo[here]
        path.append(k)
        here = heads[k]
    if path:
        paths.append(path)
    return _cover(g, paths, required, lower)


def _detours(g: Graph, start: int, order: list[int], into: list[int], out: list[int]) -> int:
    """The least total length of the detours a cover needs (see transition_cover)."""
    sources = [start, *(s for s in order if s != start and into[s] > out[s])]
    distance: dict[int, int] = {}
    for state, edge, tail in g.bfs(sources):  # multi-source: distance to the nearest
        distance[state] = 0 if edge < 0 else distance[tail] + 1
    total = 0
    for s in order:
        if s != start and out[s] > into[s]:
            total += (out[s] - into[s]) * distance[s]
    return total


def _route_to_work(g: Graph, start: int, todo: dict[int, list[int]]) -> list[int] | None:
    """Edges of a shortest path from ``start`` to a state with edges to take."""
    if start in todo:
        return []
    # Not Graph.bfs: this search runs once per detour and usually stops after a
    # few states, where the generator's cost per state made transition_cover
    # about 30% slower. Dicts, not arrays, so a short search costs little.
    offsets = g.offsets
    heads = g.heads
    via: dict[int, int] = {start: -1}
    tails: dict[int, int] = {start: -1}
    queue = [start]
    for state in queue:  # grows while read: a FIFO queue
        for k in range(offsets[state], offsets[state + 1]):
            head = heads[k]
            if head in via:
                continue
            via[head] = k
            tails[head] = state
            if head in todo:
                return path_to(head, via, tails)
            queue.append(head)
    return None
