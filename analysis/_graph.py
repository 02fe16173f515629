"""The leaf graph of a machine as integer arrays (CSR), and the searches on it.

Only a leaf state can be the current state of a running machine, so the
analysis works on the graph whose nodes are state numbers and whose edges are
the compiled dispatch table: in a state, every transition that may fire for an
event (its own, or inherited from its nearest ancestor that has one) is an edge
to the leaf that transition enters. Searches start from the initial leaf, so
superstates (which are never entered) play no part. Guards
are not evaluated: a guarded transition is an edge (an over-approximation).

Everything here is integers in :mod:`array` arrays, so that a machine of a
million states is searched without a dict or an object per edge.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, chain, repeat
from operator import sub

import fsm

__all__ = [
    "Graph",
    "Search",
    "backward",
    "breadth_first",
    "components",
    "coreachable",
    "has_cycle",
    "path_to",
    "transition",
]


def breadth_first(
    offsets: Sequence[int],
    heads: Sequence[int],
    sources: Iterable[int],
    marks: bytearray,
) -> Iterator[tuple[int, int, int]]:
    """The one breadth-first search: every node reached from ``sources``, nearest first.

    The graph is in compressed sparse row form: the edges out of node ``n`` are
    the positions ``offsets[n]`` to ``offsets[n + 1] - 1`` of ``heads``.
    Yields ``(node, edge, tail)`` when a node is first reached: ``edge`` is the
    position of the edge that reached it and ``tail`` that edge's source (both
    -1 for a source). ``marks`` are the reached flags, one byte per node: the
    search sets them, and a node marked beforehand is never entered. The caller
    may stop early by leaving the loop.
    """
    queue: list[int] = []
    for source in sources:
        if not marks[source]:
            marks[source] = 1
            queue.append(source)
            yield source, -1, -1
    for node in queue:  # the list grows while it is read: a FIFO queue
        for k in range(offsets[node], offsets[node + 1]):
            head = heads[k]
            if not marks[head]:
                marks[head] = 1
                queue.append(head)
                yield head, k, node


def path_to(
    node: int, via: Mapping[int, int] | Sequence[int], tails: Mapping[int, int] | Sequence[int]
) -> list[int]:
    """The edges of the search path to ``node``, from the :func:`breadth_first` records.

    ``via[n]`` and ``tails[n]`` are the ``edge`` and ``tail`` the search yielded
    with node ``n``; the path starts at the source (whose edge is -1).
    """
    path: list[int] = []
    edge = via[node]
    while edge >= 0:
        path.append(edge)
        node = tails[node]
        edge = via[node]
    path.reverse()
    return path


class Graph:
    """The leaf graph of one machine, in compressed sparse row form.

    Edges out of state ``s`` are the positions ``offsets[s]`` to
    ``offsets[s + 1] - 1`` of ``heads`` (the target leaf numbers) and of
    ``transitions`` (the transition number each edge takes).
    """

    __slots__ = ("_reverse", "heads", "machine", "offsets", "simple", "size", "transitions")

    def __init__(self, machine: fsm.Machine) -> None:
        compiled = machine.compiled
        self.machine = machine
        self.size = len(machine.states)
        # The compiled dispatch table in compressed sparse row form is the
        # graph. Superstates keep their tables: one is never current, except
        # when an entry chain ends in a superstate without an entry (then the
        # runtime dispatches from it), and a state that is never reached adds nothing.
        #: True when every (state, event) has one transition and there is no hierarchy.
        self.simple: bool = compiled.simple
        self.offsets: Sequence[int] = compiled.offsets
        self.transitions: Sequence[int] = compiled.edges
        targets = compiled.targets
        if self.transitions == range(len(targets)):
            self.heads: Sequence[int] = targets  # each transition once, in order
        else:
            self.heads = array("i", map(targets.__getitem__, self.transitions))
        self._reverse: tuple[array[int], array[int]] | None = None

    def successors(self, state: int) -> Sequence[int]:
        """The leaf numbers reached in one step from ``state`` (with repeats)."""
        return self.heads[self.offsets[state] : self.offsets[state + 1]]

    def tails(self) -> array[int]:
        """The source state of each edge (built on demand)."""
        offsets = self.offsets
        return array(
            "i",
            chain.from_iterable(map(repeat, range(self.size), map(sub, offsets[1:], offsets))),
        )

    def reverse(self) -> tuple[array[int], array[int]]:
        """The reverse graph as ``(offsets, sources)``: edges into each state."""
        if self._reverse is not None:
            return self._reverse
        size = self.size
        heads = self.heads
        counts = [0] * (size + 1)
        for head in heads:
            counts[head] += 1
        # positions[s] ends as the start of s's block once every edge is placed.
        positions = list(accumulate(counts))
        sources = array("i", bytes(4 * len(heads)))
        for tail, head in zip(self.tails(), heads, strict=True):
            p = positions[head] - 1
            positions[head] = p
            sources[p] = tail
        offsets = array("q", positions)
        offsets[size] = len(heads)
        self._reverse = (offsets, sources)
        return self._reverse

    def bfs(
        self, sources: Iterable[int], *, reverse: bool = False, marks: bytearray | None = None
    ) -> Iterator[tuple[int, int, int]]:
        """:func:`breadth_first` on this graph, or on its reverse (edges into each state).

        An edge is a position in :attr:`heads` (and :attr:`transitions`), or
        with ``reverse`` a position in the second array of :meth:`reverse`.
        """
        if marks is None:
            marks = bytearray(self.size)
        if reverse:
            offsets, tails = self.reverse()
            return breadth_first(offsets, tails, sources, marks)
        return breadth_first(self.offsets, self.heads, sources, marks)


class Search:
    """A breadth-first search from one state: distances and a shortest-path tree.

    ``order`` lists the reached states in order of distance; ``via[s]`` is the
    edge that first reached ``s`` (-1 for the start and for unreached states)
    and ``parent[s]`` its source.
    """

    __slots__ = ("graph", "order", "parent", "reached", "start", "via")

    def __init__(self, g: Graph, start: int) -> None:
        reached = bytearray(g.size)
        via = array("i", [-1]) * g.size
        parent = array("i", [-1]) * g.size
        order: list[int] = []
        for state, edge, tail in g.bfs((start,), marks=reached):
            order.append(state)
            via[state] = edge
            parent[state] = tail
        self.graph = g
        self.start = start
        self.order = order
        self.reached = reached
        self.via = via
        self.parent = parent

    def edges_to(self, state: int) -> list[int]:
        """The edges of a shortest path from the start to ``state`` (reached)."""
        return path_to(state, self.via, self.parent)

    def trace(self, state: int) -> tuple[str, ...]:
        """The events of a shortest path from the start to ``state`` (reached)."""
        compiled = self.graph.machine.compiled
        transitions = self.graph.transitions
        return tuple(compiled.events[compiled.event[transitions[k]]] for k in self.edges_to(state))


def backward(g: Graph, starts: Iterable[int]) -> bytearray:
    """The states from which one of ``starts`` can be reached (``starts`` included)."""
    marked = bytearray(g.size)
    deque(g.bfs(starts, reverse=True, marks=marked), maxlen=0)
    return marked


def coreachable(g: Graph, order: Sequence[int], goals: Iterable[int], sweeps: int = 4) -> bytearray:
    """Which of the states in ``order`` (closed under successors) can reach one of ``goals``.

    Sweeps the states in reverse ``order`` (reverse breadth-first order, so a
    state mostly comes after its successors), marking a state when one of its
    successors is marked, until a sweep marks nothing: then the marks are the
    least fixed point, the exact answer. Each sweep runs at C speed per state;
    if ``sweeps`` are not enough (long chains against the search order), the
    exact backward search over the reverse graph finishes the job.
    """
    offsets = g.offsets
    heads = g.heads
    goals = list(goals)
    marked = bytearray(g.size)
    for s in goals:
        marked[s] = 1
    backwards = order[::-1]
    test = marked.__getitem__
    for _ in range(sweeps):
        changed = False
        for s in backwards:
            if not marked[s] and any(map(test, heads[offsets[s] : offsets[s + 1]])):
                marked[s] = 1
                changed = True
        if not changed:
            return marked
    return backward(g, goals)


def components(g: Graph, members: Sequence[int], inside: bytearray) -> list[list[int]]:
    """The strongly connected components of the subgraph induced by ``inside``.

    Tarjan's algorithm, iterative. ``members`` are the states with ``inside``
    set, in the order the search starts from them. Components come out in
    reverse topological order (a component before any that reaches it).
    """
    offsets = g.offsets
    heads = g.heads
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in members:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[int, int]] = [(root, offsets[root])]
        while work:
            state, k = work[-1]
            end = offsets[state + 1]
            while k < end:
                head = heads[k]
                k += 1
                if not inside[head]:
                    continue
                if head not in index:
                    work[-1] = (state, k)
                    index[head] = low[head] = counter
                    counter += 1
                    stack.append(head)
                    on_stack.add(head)
                    work.append((head, offsets[head]))
                    break
                if head in on_stack and index[head] < low[state]:
                    low[state] = index[head]
            else:
                work.pop()
                if work:
                    up = work[-1][0]
                    if low[state] < low[up]:
                        low[up] = low[state]
                if low[state] == index[state]:
                    component: list[int] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == state:
                            break
                    found.append(component)
    return found


def has_cycle(g: Graph, component: Sequence[int]) -> bool:
    """True when ``component`` (strongly connected) holds a cycle: two states or a self-loop."""
    if len(component) > 1:
        return True
    state = component[0]
    return state in g.successors(state)


def transition(machine: fsm.Machine, number: int) -> fsm.Transition:
    """Transition ``number`` of ``machine``, made from the compiled arrays when it is plain.

    So that the analysis of a machine built by :meth:`fsm.Machine.from_arrays`
    never makes all its Transition objects.
    """
    compiled = machine.compiled
    found = compiled.rich.get(number)
    if found is not None:
        return found
    states = machine.states
    return fsm.Transition(
        states[compiled.source[number]],
        compiled.events[compiled.event[number]],
        states[compiled.target[number]],
    )
