"""Projection of a conversation to each role's machine, and its well-formedness.

A conversation (:class:`fsm.Conversation`) is compiled once into a small
graph: one node per message (its event, then the next node), one *split* node
per choice (its branches) and per loop (go round again, or leave), and one
end node. Every function here reads that graph.

**The global machine** (:func:`conversation_machine`) runs the messages in
the order the diagram writes them: the graph with splits made silent and
then made deterministic (a subset construction). Its states are ``G0``,
``G1``, ...; a state is final where the conversation may end.

**Projection** (:func:`project`) of a role erases every message the role does
not send or receive (they become silent, as the splits are) and makes the
result deterministic, merging the states the role cannot tell apart. The
role's machine has the events of its messages, each named
``<sender>_<label>_<receiver>`` as in :attr:`fsm.Message.event`, shared with
the other end of the message, so that :func:`analysis.compose` (synchronous)
joins them. Its states are ``<role>0``, ``<role>1``, ... in breadth-first
order from the initial ``<role>0``; a state is final where the role may have
nothing left to do.

On a well-formed conversation (:func:`check_conversation` is ok) this agrees
with the standard projection of multiparty session types with full merging
where that is defined (the subset construction may also merge some branches
that the textbook merge refuses; a role that would have to merge a return to
a loop with what follows the loop is refused, as the textbook merge does):

- the deciding role of a choice gets a choice of sends;
- a role told of the branch by a message gets a choice of receives, one per
  label (the branches it learns about are merged);
- a role that does the same in every branch gets that, once (identical
  branches merge);
- a loop projects to a cycle back to the role's state at the loop's start;
- a role that takes no part in a loop's body skips the loop: it goes on with
  what follows the loop, and the loop leaves no state in its machine; a role
  that takes part in it learns that the loop ended from the first message
  after the loop it receives (or, when the conversation ends there, by being in
  a final state with the next round's message still possible, as a
  synchronous composition allows).

Anything the merging cannot make sound (a role that must send before it can
know the branch, branches it cannot tell apart) is what
:func:`check_conversation` reports.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

import attrs

import fsm

from ._check import KINDS, Finding, Kind, Report

__all__ = [
    "DEFAULT_MAX_STATES",
    "check_conversation",
    "conversation_machine",
    "project",
    "projections",
]

#: How many states a projection or the global machine may have before the
#: subset construction stops with an error (a hostile conversation could
#: otherwise make it exponential).
DEFAULT_MAX_STATES: Final = 100_000

_MESSAGE: Final = 0
_SPLIT: Final = 1
_END: Final = 2


@attrs.define
class _Point:
    """A choice or a loop, as a split node and where its branches start."""

    node: int
    at: str | None  # the deciding role written in the model (None for a loop)
    branches: list[int]
    is_loop: bool
    number: int  # its position among the choices and loops, in writing order


class _Graph:
    """The compiled conversation (see the module's docstring)."""

    def __init__(self, conversation: fsm.Conversation) -> None:
        self.conversation = conversation
        self.kind: list[int] = []
        self.message: list[fsm.Message | None] = []
        self.succ: list[list[int]] = []
        self.points: list[_Point] = []
        self.made: dict[tuple[int, ...], _Point] = {}
        self._active: dict[str, list[bool]] = {}
        self._before: list[list[int]] | None = None
        self.end = self._new(_END, None)
        self.start = self._body(conversation.body, self.end)
        self._number()
        self.points.sort(key=lambda p: p.number)
        # Each node's place in writing order, so that transitions list in it.
        first: dict[int, int] = {}
        for n, message in enumerate(conversation.messages()):
            first.setdefault(id(message), n)
        self.rank = [-1 if m is None else first.get(id(m), len(self.kind)) for m in self.message]

    def _new(self, kind: int, message: fsm.Message | None) -> int:
        self.kind.append(kind)
        self.message.append(message)
        self.succ.append([])
        return len(self.kind) - 1

    def _body(
        self,
        items: Sequence[fsm.Message | fsm.Choice | fsm.Loop],
        then: int,
        path: tuple[int, ...] = (),
    ) -> int:
        # Nesting is at most fsm.MAX_DEPTH deep (the Conversation checks it),
        # so this recursion stays far inside Python's limit.
        for index in range(len(items) - 1, -1, -1):
            then = self._item(items[index], then, (*path, index))
        return then

    def _item(
        self, item: fsm.Message | fsm.Choice | fsm.Loop, then: int, path: tuple[int, ...]
    ) -> int:
        if isinstance(item, fsm.Message):
            node = self._new(_MESSAGE, item)
            self.succ[node].append(then)
            return node
        node = self._new(_SPLIT, None)
        # Bodies compile from their end, so a point's number in writing
        # order is set by _number() once all are made.
        point = _Point(node, None, [], isinstance(item, fsm.Loop), 0)
        self.points.append(point)
        self.made[path] = point
        if isinstance(item, fsm.Loop):
            point.branches = [self._body(item.body, node, (*path, 0)), then]
        else:
            point.at = item.at
            point.branches = [
                self._body(branch, then, (*path, b)) for b, branch in enumerate(item.branches)
            ]
        self.succ[node] = list(point.branches)
        return node

    def _number(self) -> None:
        # A point's path (its place: indexes of items and branches) sorts in
        # writing order; an object used at two places is two points.
        for count, path in enumerate(sorted(self.made), 1):
            self.made[path].number = count

    # -- reading -----------------------------------------------------------------------

    def involves(self, node: int, role: str) -> bool:
        message = self.message[node]
        return message is not None and role in (message.sender, message.receiver)

    def closure(self, nodes: Iterable[int], role: str | None) -> frozenset[int]:
        """The message and end nodes reached from ``nodes`` through splits and silent messages.

        Silent are no messages for the global view (``role`` None), and the
        messages ``role`` takes no part in for a role. From a node after which
        the role has nothing to do, only the end is reached: that is known
        without walking the rest of the conversation.
        """
        seen: set[int] = set()
        found: set[int] = set()
        stack = list(nodes)
        kind, succ, message = self.kind, self.succ, self.message
        active = None if role is None else self.active(role)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if active is not None and not active[node]:
                found.add(self.end)  # every node reaches the end
                continue
            if kind[node] == _SPLIT:
                stack.extend(succ[node])
            elif kind[node] == _MESSAGE and role is not None:
                m = message[node]
                assert m is not None
                if role in (m.sender, m.receiver):
                    found.add(node)
                else:
                    stack.extend(succ[node])
            else:
                found.add(node)
        return frozenset(found)

    def active(self, role: str) -> list[bool]:
        """For each node, whether a message of ``role`` can still come after it (cached)."""
        cached = self._active.get(role)
        if cached is not None:
            return cached
        if self._before is None:
            before: list[list[int]] = [[] for _ in self.kind]
            for node, targets in enumerate(self.succ):
                for target in targets:
                    before[target].append(node)
            self._before = before
        mark = [False] * len(self.kind)
        stack = [n for n in range(len(self.kind)) if self.involves(n, role)]
        for node in stack:
            mark[node] = True
        while stack:
            for prior in self._before[stack.pop()]:
                if not mark[prior]:
                    mark[prior] = True
                    stack.append(prior)
        self._active[role] = mark
        return mark


def _graph(conversation: fsm.Conversation) -> _Graph:
    if not isinstance(conversation, fsm.Conversation):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"expected an fsm.Conversation, got {type(conversation).__name__}")
    return _Graph(conversation)


def _determinize(
    graph: _Graph, role: str | None, prefix: str, name: str, max_states: int
) -> fsm.Machine:
    first = graph.closure([graph.start], role)
    index: dict[frozenset[int], int] = {first: 0}
    closures: dict[tuple[int, ...], frozenset[int]] = {}
    order = [first]
    transitions: list[fsm.Transition] = []
    queue = deque([first])
    while queue:
        subset = queue.popleft()
        source = f"{prefix}{index[subset]}"
        moves: dict[str, list[int]] = {}
        carried: dict[str, fsm.Message] = {}
        for node in sorted(subset, key=lambda n: (graph.rank[n], n)):
            message = graph.message[node]
            if message is not None:
                moves.setdefault(message.event, []).extend(graph.succ[node])
                carried.setdefault(message.event, message)
        for event, targets in moves.items():
            # Many subsets move to the same nodes (a run of 'opt' blocks): the
            # closure of each is made once, so the work is the output's size.
            key = tuple(targets)
            reached = closures.get(key)
            if reached is None:
                reached = closures[key] = graph.closure(targets, role)
            number = index.get(reached)
            if number is None:
                if len(index) >= max_states:
                    raise _too_many(name, max_states)
                number = index[reached] = len(order)
                order.append(reached)
                queue.append(reached)
            transitions.append(
                fsm.Transition(source, event, f"{prefix}{number}", params=carried[event].params)
            )
    states = [f"{prefix}{n}" for n in range(len(order))]
    final = {states[n] for n, subset in enumerate(order) if graph.end in subset}
    return fsm.Machine(name, states=states, initial=states[0], final=final, transitions=transitions)


class _LazyGlobal:
    """The global machine's state names, found without building all of it.

    The subset construction of :func:`_determinize`, breadth first in the same
    order, run only until the subset asked for has its number: a finding near
    the start is named without the states far from it (which may be
    exponentially many).
    """

    def __init__(self, graph: _Graph, name: str, max_states: int) -> None:
        self.graph = graph
        self.name = name
        self.max_states = max_states
        first = graph.closure([graph.start], None)
        self.index: dict[frozenset[int], int] = {first: 0}
        self.queue = deque([first])

    def number(self, subset: frozenset[int]) -> int:
        graph, index = self.graph, self.index
        while subset not in index:
            if not self.queue:  # pragma: no cover - a witness runs on the graph
                raise AssertionError("a witness left the global machine")
            for targets in _moves(graph, self.queue.popleft()).values():
                reached = graph.closure(targets, None)
                if reached not in index:
                    if len(index) >= self.max_states:
                        raise _too_many(self.name, self.max_states)
                    index[reached] = len(index)
                    self.queue.append(reached)
        return index[subset]

    def state_after(self, trace: Sequence[str]) -> str:
        graph = self.graph
        subset = graph.closure([graph.start], None)
        for event in trace:
            subset = graph.closure(_moves(graph, subset)[event], None)
        return f"G{self.number(subset)}"


def _moves(graph: _Graph, subset: frozenset[int]) -> dict[str, list[int]]:
    """Each event a subset's messages send, and the nodes after it, in writing order."""
    moves: dict[str, list[int]] = {}
    for node in sorted(subset, key=lambda n: (graph.rank[n], n)):
        message = graph.message[node]
        if message is not None:
            moves.setdefault(message.event, []).extend(graph.succ[node])
    return moves


def _too_many(name: str, max_states: int) -> ValueError:
    return ValueError(
        f"the machine of {name!r} has more than {max_states} states; pass a larger "
        f"max_states= if the conversation is meant to be this large, or give the ways of its "
        f"choices and loops first messages of their own (branches a role cannot tell apart "
        f"make the subset construction grow exponentially)"
    )


def conversation_machine(
    conversation: fsm.Conversation, *, max_states: int = DEFAULT_MAX_STATES
) -> fsm.Machine:
    """The global machine: the conversation's messages in the order it writes them.

    Its events are the messages' events (``<sender>_<label>_<receiver>``),
    its states ``G0``, ``G1``, ... (``G0`` initial); a state is final where
    the conversation may end. This is the conversation read by one observer
    who sees every message in the diagram's order; the roles' composition may
    also run two messages with no role in common in the other order.

    Raises:
        TypeError: ``conversation`` is not an :class:`fsm.Conversation`.
        ValueError: more than ``max_states`` states.

    Examples:
        >>> import fsm, analysis
        >>> c = fsm.parse_conversation("sequenceDiagram\\n  A->>B: ping\\n  B->>A: pong")
        >>> g = analysis.conversation_machine(c)
        >>> [(t.source, t.event, t.target) for t in g.transitions]
        [('G0', 'A_ping_B', 'G1'), ('G1', 'B_pong_A', 'G2')]
    """
    graph = _graph(conversation)
    return _determinize(graph, None, "G", conversation.name, max_states)


def project(
    conversation: fsm.Conversation, role: str, *, max_states: int = DEFAULT_MAX_STATES
) -> fsm.Machine:
    """The machine of one role: its sends and receives, in the order the conversation allows.

    See the module documentation (``docs/reference/analysis.md``) for the rule:
    the other roles' messages are erased and the states the role cannot tell
    apart are merged. The machine is named ``<conversation>.<role>``; its
    states are ``<role>0``, ``<role>1``, ...

    Check the conversation with :func:`check_conversation` first: only for a
    well-formed conversation do the projections, composed, run exactly the
    conversation.

    Raises:
        TypeError: ``conversation`` is not an :class:`fsm.Conversation`.
        ValueError: ``role`` is not one of its roles, or more than
            ``max_states`` states.

    Examples:
        >>> import fsm, analysis
        >>> c = fsm.parse_conversation('''
        ... sequenceDiagram
        ...     Client->>Server: ask
        ...     alt
        ...         Server->>Client: answer
        ...     else
        ...         Server->>Client: refuse
        ...     end
        ... ''')
        >>> print(fsm.dumps(analysis.project(c, "Client")), end="")
        ---
        title: Conversation.Client
        ---
        stateDiagram-v2
            Client0
            Client1
            Client2
            [*] --> Client0
            Client0 --> Client1 : Client_ask_Server
            Client1 --> Client2 : Server_answer_Client
            Client1 --> Client2 : Server_refuse_Client
            Client2 --> [*]
    """
    graph = _graph(conversation)
    if role not in conversation.roles:
        raise ValueError(
            f"{role!r} is not a role of conversation {conversation.name!r}; its roles are "
            + ", ".join(conversation.roles)
        )
    return _determinize(graph, role, role, f"{conversation.name}.{role}", max_states)


def projections(
    conversation: fsm.Conversation, *, max_states: int = DEFAULT_MAX_STATES
) -> dict[str, fsm.Machine]:
    """The machine of every role (:func:`project`), in the order of ``conversation.roles``.

    Examples:
        >>> import fsm, analysis
        >>> c = fsm.parse_conversation("sequenceDiagram\\n  A->>B: ping\\n  B->>A: pong")
        >>> machines = analysis.projections(c)
        >>> analysis.deadlocks(*machines.values()).ok
        True
    """
    graph = _graph(conversation)
    return {
        role: _determinize(graph, role, role, f"{conversation.name}.{role}", max_states)
        for role in conversation.roles
    }


# -- well-formedness -------------------------------------------------------------------

_Position = tuple[int, int]  # (branch, node)


def _describe(graph: _Graph, role: str, nodes: Iterable[int]) -> str:
    """What ``role`` does first from ``nodes``, in words: "send 'x'", "receive 'y'", "end"."""
    words: list[str] = []
    for node in sorted(nodes, key=lambda n: (graph.rank[n], n)):
        message = graph.message[node]
        if message is None:
            words.append("end")
        elif message.sender == role:
            words.append(f"send {message.event!r}")
        else:
            words.append(f"receive {message.event!r}")
    return " or ".join(dict.fromkeys(words))


class _Prefix:
    """The events of a shortest run to a node, found only when a finding needs them."""

    def __init__(self, checker: _WellFormed, node: int) -> None:
        self.checker = checker
        self.node = node
        self.events: list[str] | None = None

    def __iter__(self) -> Iterator[str]:
        if self.events is None:
            self.events = self.checker.prefix(self.node)
        return iter(self.events)


def _passes(graph: _Graph, nodes: Iterable[int], role: str, split: int) -> bool:
    """Whether the closure of ``nodes`` for ``role`` goes through ``split``."""
    active = graph.active(role)
    seen: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node in seen or not active[node]:
            continue
        if node == split:
            return True
        seen.add(node)
        message = graph.message[node]
        if graph.kind[node] == _SPLIT or (
            message is not None and role not in (message.sender, message.receiver)
        ):
            stack.extend(graph.succ[node])
    return False


def _event(graph: _Graph, node: int) -> str | None:
    message = graph.message[node]
    return None if message is None else message.event


def _branch(point: _Point, n: int) -> str:
    if point.is_loop:
        return "another round" if n == 0 else "leaving the loop"
    return f"branch {n + 1}"


class _WellFormed:
    def __init__(self, conversation: fsm.Conversation, max_states: int) -> None:
        self.c = conversation
        self.g = _Graph(conversation)
        self.max_states = max_states
        self.global_states = _LazyGlobal(self.g, conversation.name, max_states)
        self.parent = self._paths_from_start()
        self.findings: list[Finding] = []

    # -- witnesses ---------------------------------------------------------------------

    def _paths_from_start(self) -> dict[int, tuple[int, str | None]]:
        """For each node, the node before it on a path with fewest messages (0-1 BFS)."""
        g = self.g
        parent: dict[int, tuple[int, str | None]] = {g.start: (-1, None)}
        dist = {g.start: 0}
        queue = deque([g.start])
        while queue:
            node = queue.popleft()
            message = g.message[node]
            cost = 0 if message is None else 1
            for nxt in g.succ[node]:
                d = dist[node] + cost
                if nxt not in dist or d < dist[nxt]:
                    dist[nxt] = d
                    parent[nxt] = (node, None if message is None else message.event)
                    if cost == 0:
                        queue.appendleft(nxt)
                    else:
                        queue.append(nxt)
        return parent

    def prefix(self, node: int) -> list[str]:
        """The events of a shortest run from the start to ``node``."""
        events: list[str] = []
        while True:
            before, event = self.parent[node]
            if before < 0:
                break
            if event is not None:
                events.append(event)
            node = before
        events.reverse()
        return events

    def run_in(self, start: int, role: str, seen: Sequence[str], then: str) -> list[str]:
        """A shortest run from ``start`` in which ``role`` does ``seen``, then ``then``."""
        g = self.g
        goal = len(seen)
        first: tuple[int, int] = (start, 0)
        parent: dict[tuple[int, int], tuple[tuple[int, int], str | None]] = {first: (first, None)}
        queue: deque[tuple[int, int]] = deque([first])
        while queue:
            node, k = queue.popleft()
            message = g.message[node]
            steps: list[tuple[tuple[int, int], str | None]] = []
            if message is None:
                steps = [((n, k), None) for n in g.succ[node]]
            elif not g.involves(node, role):
                steps = [((n, k), message.event) for n in g.succ[node]]
            elif k == goal and message.event == then:
                events = [then]
                at = (node, k)
                while at != first:
                    at, event = parent[at]
                    if event is not None:
                        events.append(event)
                events.reverse()
                return events
            elif k < goal and message.event == seen[k]:
                steps = [((n, k + 1), message.event) for n in g.succ[node]]
            for nxt, event in steps:
                if nxt not in parent:
                    parent[nxt] = ((node, k), event)
                    if event is None:
                        queue.appendleft(nxt)
                    else:
                        queue.append(nxt)
        raise AssertionError("no run for a position the merge reached")  # pragma: no cover

    def state_after(self, trace: Sequence[str]) -> str:
        return self.global_states.state_after(trace)

    def add(self, kind: Kind, message: str, at_choice: _Prefix, trace: Sequence[str]) -> None:
        state = self.state_after(list(at_choice))
        self.findings.append(Finding(kind, message, (state,), tuple(trace)))

    # -- the rules ---------------------------------------------------------------------

    def where(self, point: _Point) -> str:
        if point.is_loop:
            return f"loop {point.number}"
        return f"choice {point.number}"

    def run(self) -> list[Finding]:
        for point in self.g.points:
            before = _Prefix(self, point.node)
            decider = self.decider(point, before)
            if decider is None:
                continue
            for role in self.c.roles:
                if role != decider:
                    self.third_role(point, before, role, decider)
        order = {kind: n for n, kind in enumerate(KINDS)}
        return sorted(self.findings, key=lambda f: order[f.kind])

    def decider(self, point: _Point, before: _Prefix) -> str | None:
        """Check that one role makes the choice; return it, or None after a finding."""
        g = self.g
        firsts = [g.closure([b], None) for b in point.branches]
        senders: list[tuple[int, int, str]] = []  # (branch, node, sender)
        for n, nodes in enumerate(firsts):
            for node in sorted(nodes, key=lambda x: (g.rank[x], x)):
                message = g.message[node]
                if message is not None:
                    senders.append((n, node, message.sender))
        if not senders:
            return None
        decider = point.at if point.at is not None else senders[0][2]
        what = self.where(point)
        for n, node, sender in senders:
            if sender != decider:
                message = g.message[node]
                assert message is not None
                self.add(
                    "choice-not-by-one-role",
                    f"{what} is not made by one role: {decider!r} decides it, but "
                    f"{_branch(point, n)} begins with {message.event!r}, sent by {sender!r}; "
                    f"begin each way with a message from {decider!r} that tells which it is",
                    before,
                    [*before, message.event],
                )
                return None
        owner: dict[str | None, int] = {}  # each first event, and its first branch
        for m, nodes in enumerate(firsts):
            events = {_event(g, x) for x in nodes}
            clashes = sorted(
                ((owner[e], e is not None, e or "") for e in events if e in owner),
            )
            if clashes:
                n, _, text = clashes[0]
                event = text or None
                first = "the end of the conversation" if event is None else repr(event)
                self.add(
                    "choice-not-by-one-role",
                    f"{_branch(point, n)} and {_branch(point, m)} of {what} both begin "
                    f"with {first}, so the first message of {decider!r} does not tell "
                    f"which way it went; give each a first message of its own label",
                    before,
                    [*before] if event is None else [*before, event],
                )
                return None
            for e in events:
                owner.setdefault(e, m)
        return decider

    def third_role(self, point: _Point, before: _Prefix, role: str, decider: str) -> None:
        """Check that ``role`` never has to act on a branch it cannot know."""
        g = self.g
        start = frozenset(
            (n, node) for n, b in enumerate(point.branches) for node in g.closure([b], role)
        )
        seen_by: dict[frozenset[_Position], tuple[str, ...]] = {start: ()}
        queue = deque([start])
        while queue:
            merged = queue.popleft()
            branches: dict[int, set[int]] = {}
            for n, node in merged:
                branches.setdefault(n, set()).add(node)
            if len(branches) < 2:
                continue  # the role knows the branch by now
            problem = self.blind_send(role, branches)
            if problem is not None:
                self.confused(point, before, role, decider, seen_by[merged], branches, *problem)
                return
            race = self.two_senders(role, branches)
            if race is not None:
                self.raced(point, before, role, seen_by[merged], *race)
                return
            moves: dict[str, set[_Position]] = {}
            for n, node in merged:
                message = g.message[node]
                if message is not None:
                    moves.setdefault(message.event, set()).update((n, x) for x in g.succ[node])
            for event, targets in moves.items():
                if len({n for n, _ in targets}) < 2:
                    continue  # after it the role knows the branch: nothing to check
                reached = frozenset((n, x) for n, node in targets for x in g.closure([node], role))
                if (
                    point.is_loop
                    and len({n for n, _ in reached}) > 1
                    and _passes(g, [x for n, x in targets if n == 0], role, point.node)
                ):
                    self.unmerged_loop(point, before, role, seen_by[merged], event)
                    return
                if reached not in seen_by:
                    if len(seen_by) >= self.max_states:
                        raise ValueError(
                            f"checking {role!r} at {self.where(point)} takes more than "
                            f"{self.max_states} states; pass a larger max_states= if the "
                            f"conversation is meant to be this large, or tell {role!r} "
                            f"which way went with a message of its own label sooner"
                        )
                    seen_by[reached] = (*seen_by[merged], event)
                    queue.append(reached)

    def blind_send(self, role: str, branches: dict[int, set[int]]) -> tuple[int, int, int] | None:
        """A send of ``role`` possible in one branch and not in another: (branch, node, other)."""
        g = self.g
        events = {
            n: {m.event for x in nodes if (m := g.message[x]) is not None}
            for n, nodes in branches.items()
        }
        for n in sorted(branches):
            for node in sorted(branches[n], key=lambda x: (g.rank[x], x)):
                message = g.message[node]
                if message is None or message.sender != role:
                    continue
                for other in sorted(branches):
                    if message.event not in events[other]:
                        return n, node, other
        return None

    def two_senders(
        self, role: str, branches: dict[int, set[int]]
    ) -> tuple[int, int, int, int] | None:
        """Receives of ``role`` from two senders in two branches: (branch, node, branch, node).

        The role cannot tell which to wait for, and the two senders, who do
        not see each other, may send in either order (one may already be past
        the choice while the other has not sent yet), so the role's branches
        do not merge; the standard projection merges receives from one sender
        only.
        """
        g = self.g
        first: tuple[int, int, str] | None = None
        for n in sorted(branches):
            for node in sorted(branches[n], key=lambda x: (g.rank[x], x)):
                message = g.message[node]
                if message is None or message.receiver != role:
                    continue
                if first is None:
                    first = (n, node, message.sender)
                elif message.sender != first[2] and n != first[0]:
                    return first[0], first[1], n, node
        return None

    def unmerged_loop(
        self, point: _Point, before: _Prefix, role: str, seen: tuple[str, ...], event: str
    ) -> None:
        trace = [*before, *self.run_in(point.branches[0], role, seen, event)]
        self.add(
            "indistinguishable-branches",
            f"{role!r} cannot tell another round of {self.where(point)} from leaving it: after "
            f"{event!r} it may be back at the start of the loop or past it, and a role's "
            f"projection does not merge a return to the loop with what follows the loop; "
            f"send {role!r} a message of a different label when the loop goes round and "
            f"when it ends",
            before,
            trace,
        )

    def raced(
        self,
        point: _Point,
        before: _Prefix,
        role: str,
        seen: tuple[str, ...],
        n: int,
        node: int,
        other: int,
        other_node: int,
    ) -> None:
        one, two = self.g.message[node], self.g.message[other_node]
        assert one is not None
        assert two is not None
        trace = [*before, *self.run_in(point.branches[n], role, seen, one.event)]
        self.add(
            "indistinguishable-branches",
            f"{role!r} cannot tell {_branch(point, n)} of {self.where(point)} from "
            f"{_branch(point, other)}: it waits for {one.event!r} from {one.sender!r} in one "
            f"and for {two.event!r} from {two.sender!r} in the other, and two senders that "
            f"do not see each other may send in either order; let one role send {role!r} "
            f"the message that tells the branch",
            before,
            trace,
        )

    def confused(
        self,
        point: _Point,
        before: _Prefix,
        role: str,
        decider: str,
        seen: tuple[str, ...],
        branches: dict[int, set[int]],
        n: int,
        node: int,
        other: int,
    ) -> None:
        message = self.g.message[node]
        assert message is not None
        trace = [*before, *self.run_in(point.branches[n], role, seen, message.event)]
        what = self.where(point)
        instead = _describe(self.g, role, branches[other])
        if not seen:
            self.add(
                "uninformed-role",
                f"{role!r} must send {message.event!r} in {_branch(point, n)} of {what} "
                f"before anyone tells it which way {decider!r} went (in "
                f"{_branch(point, other)} it must {instead}); have {decider!r} tell "
                f"{role!r} first",
                before,
                trace,
            )
        else:
            self.add(
                "indistinguishable-branches",
                f"{role!r} cannot tell {_branch(point, n)} of {what} from "
                f"{_branch(point, other)}: it sees the same messages ({', '.join(seen)}) in "
                f"both, then must send {message.event!r} in one and {instead} in the other; "
                f"send {role!r} a message of a different label in each",
                before,
                trace,
            )


def check_conversation(
    conversation: fsm.Conversation, *, max_states: int = DEFAULT_MAX_STATES
) -> Report:
    """Check that agents who see only their own messages can carry ``conversation`` out.

    Each choice and each loop (go round again or leave) is checked:

    - ``choice-not-by-one-role``: the first message of every branch must be
      sent by one deciding role, with a different label in each branch (for a
      loop, the first message of its body and the first after it);
    - ``uninformed-role``: a role must send something that differs between
      branches before any message has told it which branch was taken;
    - ``indistinguishable-branches``: a role receives the same messages in two
      branches and must then act differently in them, or waits in two
      branches for messages from two different roles (who may send in either
      order): the branches cannot be merged for it. Receives merge only when
      one role sends them all, as in the standard projection.

    Each finding's ``trace`` is a witness: a run of
    :func:`conversation_machine` from its initial state that reaches the
    choice and goes into a branch up to the offending message (the last
    event); ``states`` holds the global machine's state at the choice.
    Choices and loops are numbered in the order the diagram writes them,
    from 1.

    When the report is ok, the composition of :func:`projections` has no
    deadlock and runs exactly the conversation's messages, up to the order of
    two messages with no role in common.

    Raises:
        TypeError: ``conversation`` is not an :class:`fsm.Conversation`.
        ValueError: more than ``max_states`` states in one check.

    Examples:
        >>> import fsm, analysis
        >>> c = fsm.parse_conversation('''
        ... sequenceDiagram
        ...     alt
        ...         A->>B: left
        ...     else
        ...         A->>B: right
        ...     end
        ...     C->>B: report
        ... ''')
        >>> analysis.check_conversation(c).ok
        True
        >>> bad = fsm.parse_conversation('''
        ... sequenceDiagram
        ...     alt
        ...         A->>B: left
        ...         C->>B: yes
        ...     else
        ...         A->>B: right
        ...         C->>B: no
        ...     end
        ... ''')
        >>> [(f.kind, f.trace) for f in analysis.check_conversation(bad)]
        [('uninformed-role', ('A_left_B', 'C_yes_B'))]
    """
    checker = _WellFormed(_graph(conversation).conversation, max_states)
    return Report(conversation.name, tuple(checker.run()))
