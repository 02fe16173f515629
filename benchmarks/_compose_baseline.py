"""analysis._compose before the windowed explorer: the baseline of benchmarks/analysis.py.

The synchronous product of machines, explored on the fly, and its deadlocks.

An event in the alphabets of several machines (the events on their
transitions) fires only when every one of them can take it, and they all move
together; an event of one machine alone fires on its own (interleaving).
Guards are not evaluated: a guarded transition or a branch outcome may always
be taken, so the product over-approximates what the real components can do.
"""

from __future__ import annotations

import operator
import reprlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import Final, cast

import fsm
from analysis._check import SEVERITY, Finding, Report
from analysis._words import SEPARATOR as SEPARATOR

__all__ = ["DEFAULT_MAX_STATES", "compose", "deadlocks"]

#: The default bound on explored product states.
DEFAULT_MAX_STATES: Final = 1_000_000

#: Per machine and leaf: the moves of the events this machine alone has, as
#: ``(event, delta)`` pairs, and those of shared events, as ``(event, deltas)``.
#: Adding a delta to a product code moves this machine to one target (deltas
#: are precomputed so the search does no multiplication).
_Table = tuple[
    list[tuple[tuple[int, int], ...]],
    list[tuple[tuple[int, tuple[int, ...]], ...]],
]


class _Product:
    """The reachable part of a product, as integers.

    A product state is the code ``sum(leaf_i * radix_i)``; ``codes`` lists them
    in breadth-first order and ``edges`` (when kept) holds, per state,
    ``(event, target code)`` pairs.
    """

    def __init__(
        self, machines: Sequence[fsm.Machine], max_states: int, *, keep_edges: bool
    ) -> None:
        if not machines:
            raise ValueError("no machine given; pass one or more fsm.Machine values")
        if max_states < 1:
            raise ValueError(f"max_states must be at least 1 (got {max_states})")
        self.machines = tuple(machines)
        events = _alphabet(machines)
        self.events = tuple(events)
        owners = [0] * len(events)
        for m in machines:
            for name in m.events:
                owners[events[name]] += 1
        self.sizes = [len(m.states) for m in machines]
        self.radix = list(accumulate(self.sizes[:-1], operator.mul, initial=1))
        tables = [_moves(m, r, events, owners) for m, r in zip(machines, self.radix, strict=True)]
        self._explore(tables, owners, max_states, keep_edges=keep_edges)

    def _explore(
        self, tables: list[_Table], needed: list[int], max_states: int, *, keep_edges: bool
    ) -> None:
        """Breadth first from the initial product state, on the fly, up to ``max_states``."""
        start = sum(m.compiled.initial * r for m, r in zip(self.machines, self.radix, strict=True))
        index: dict[int, int] = {start: 0}
        codes = [start]
        parent = array("i", [-1])
        via = array("i", [-1])
        stuck: list[int] = []
        edges: list[list[tuple[int, int]]] = []
        parts = [(size, own, sync) for size, (own, sync) in zip(self.sizes, tables, strict=True)]
        for number, code in enumerate(codes):  # grows while read: a FIFO queue
            moves: list[tuple[int, int]] = []
            waiting: dict[int, list[tuple[int, ...]]] = {}
            rest = code
            for size, own, sync in parts:
                rest, s = divmod(rest, size)  # the digits of the code, machine by machine
                for e, d in own[s]:
                    moves.append((e, code + d))
                for e, deltas in sync[s]:
                    if e in waiting:
                        waiting[e].append(deltas)
                    else:
                        waiting[e] = [deltas]
            for e, ready in waiting.items():
                if len(ready) != needed[e]:
                    continue  # a machine that has the event cannot take it here
                combos = [code]  # each machine takes one of its deltas
                for deltas in ready:
                    if len(deltas) == 1:
                        d = deltas[0]
                        combos = [c + d for c in combos]
                    else:
                        combos = [c + d for c in combos for d in deltas]
                for c in combos:
                    moves.append((e, c))
            if not moves:
                stuck.append(number)
            for e, target in moves:
                if target not in index:
                    if len(codes) >= max_states:
                        raise self._too_large(max_states)
                    index[target] = len(codes)
                    codes.append(target)
                    parent.append(number)
                    via.append(e)
            if keep_edges:
                edges.append(list(dict.fromkeys(moves)))
        self.codes = codes
        self.index = index
        self.parent = parent
        self.via = via
        self.stuck = stuck
        self.edges = edges

    def _too_large(self, max_states: int) -> ValueError:
        names = " x ".join(repr(m.name) for m in self.machines)
        return ValueError(
            f"the product of {names} has more than {max_states:,} reachable "
            f"states; pass a larger max_states= or compose fewer machines"
        )

    def components(self, code: int) -> tuple[str, ...]:
        """The component state names of one product state."""
        return tuple(
            m.states[code // r % size]
            for m, r, size in zip(self.machines, self.radix, self.sizes, strict=True)
        )

    def is_final(self, code: int) -> bool:
        return all(
            m.states[code // r % size] in m.final
            for m, r, size in zip(self.machines, self.radix, self.sizes, strict=True)
        )

    def trace(self, number: int) -> tuple[str, ...]:
        events: list[str] = []
        while number > 0:
            events.append(self.events[self.via[number]])
            number = self.parent[number]
        events.reverse()
        return tuple(events)


def _alphabet(machines: Sequence[fsm.Machine]) -> dict[str, int]:
    """Every event of the machines, numbered in order of first appearance."""
    events: dict[str, int] = {}
    for m in machines:
        for name in m.events:
            events.setdefault(name, len(events))
    return events


def _moves(m: fsm.Machine, radix: int, events: dict[str, int], owners: list[int]) -> _Table:
    """The moves of each of ``m``'s states, split into own and shared events."""
    compiled = m.compiled
    local = [events[name] for name in compiled.events]
    own: list[tuple[tuple[int, int], ...]] = []
    sync: list[tuple[tuple[int, tuple[int, ...]], ...]] = []
    for s, dispatch in enumerate(compiled.dispatch):
        moves = [
            (
                local[e],
                tuple((t - s) * radix for t in dict.fromkeys(compiled.targets[n] for n in group)),
            )
            for e, group in dispatch.items()
        ]
        own.append(tuple((e, d) for e, deltas in moves if owners[e] == 1 for d in deltas))
        sync.append(tuple((e, deltas) for e, deltas in moves if owners[e] > 1))
    return own, sync


def _machines(items: tuple[object, ...], function: str) -> list[fsm.Machine]:
    """The machines passed to ``function``, each a separate argument."""
    for item in items:
        if not isinstance(item, fsm.Machine):
            shown = f"a {type(item).__name__} ({reprlib.repr(item)})"
            hint = (
                "pass the machines as separate arguments: "
                if isinstance(item, (list, tuple))
                else "pass fsm.Machine values, as separate arguments: "
            )
            raise TypeError(f"{function}() got {shown}; {hint}{function}(*machines)")
    return cast("list[fsm.Machine]", list(items))


def compose(*machines: fsm.Machine, max_states: int = DEFAULT_MAX_STATES) -> fsm.Machine:
    """The synchronous product of ``machines``, as a Machine of its reachable states.

    A product state is named by its component leaf states joined with ``__``
    (``Idle__Ready``), which is an identifier because state names are; with
    one machine the names are its own. The product's final states are those
    where every component is final. Product transitions carry the event and
    its payload (from the first machine that has the event); guards and
    actions are dropped, and when one event may lead to several product
    states (guards or branches in a component) the transitions are marked as
    a branch.

    Args:
        machines: one or more machines.
        max_states: stop with an error past this many product states.

    Returns:
        An :class:`fsm.Machine` named ``A x B``.

    Raises:
        TypeError: an argument is not a Machine (a list of machines is
            passed as ``compose(*machines)``).
        ValueError: no machine given, the bound exceeded, or two product
            states would get the same name (component state names containing
            ``__``).

    Examples:
        >>> import fsm, analysis
        >>> client = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Idle
        ...     Idle --> Waiting : request
        ...     Waiting --> Idle : reply
        ... ''')
        >>> server = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Ready
        ...     Ready --> Busy : request
        ...     Busy --> Ready : reply
        ...     Busy --> Busy : log
        ... ''')
        >>> product = analysis.compose(client, server)
        >>> product.states
        ('Idle__Ready', 'Waiting__Busy')
        >>> for t in product.transitions:
        ...     print(t.describe())
        Idle__Ready --request--> Waiting__Busy
        Waiting__Busy --log--> Waiting__Busy
        Waiting__Busy --reply--> Idle__Ready
    """
    product = _Product(_machines(machines, "compose"), max_states, keep_edges=True)
    names = [SEPARATOR.join(product.components(code)) for code in product.codes]
    if len(set(names)) != len(names):
        seen: dict[str, int] = {}
        for code, name in zip(product.codes, names, strict=True):
            if name in seen:
                first = product.components(product.codes[seen[name]])
                raise ValueError(
                    f"product states {first} and {product.components(code)} would both be "
                    f"named {name!r}; rename component states that contain {SEPARATOR!r}"
                )
            seen[name] = product.index[code]
    params = {
        event: m.payload_types(event) for m in reversed(product.machines) for event in m.events
    }
    transitions: list[fsm.Transition] = []
    for number, moves in enumerate(product.edges):
        source = names[number]
        by_event: dict[int, list[int]] = {}
        for e, target in moves:
            by_event.setdefault(e, []).append(target)
        for e, targets in by_event.items():
            event = product.events[e]
            branch = len(targets) > 1
            for target in targets:
                transitions.append(
                    fsm.Transition(
                        source,
                        event,
                        names[product.index[target]],
                        params=params[event],
                        branch=branch,
                    )
                )
    return fsm.Machine(
        " x ".join(m.name for m in product.machines),
        states=tuple(names),
        initial=names[0],
        final=frozenset(names[n] for n, code in enumerate(product.codes) if product.is_final(code)),
        transitions=tuple(transitions),
    )


def deadlocks(*machines: fsm.Machine, max_states: int = DEFAULT_MAX_STATES) -> Report:
    """The reachable product states where nothing is enabled and not every machine is final.

    The product is explored on the fly, without building a Machine; given one
    machine (for example a product made by :func:`compose`), its reachable
    non-final states without a way out are its deadlocks.

    Args:
        machines: one or more machines, as separate arguments.
        max_states: stop with an error past this many product states.

    Returns:
        A :class:`Report` named ``A x B`` (ok when there is no deadlock) with
        one :class:`Finding` of kind ``deadlock`` per deadlocked product state,
        nearest first: ``states`` holds the component states, ``trace`` a
        shortest event sequence that leads there.

    Raises:
        TypeError: an argument is not a Machine (a list of machines is
            passed as ``deadlocks(*machines)``).
        ValueError: no machine given, or the bound exceeded.

    Examples:
        >>> import fsm, analysis
        >>> a = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A0
        ...     A0 --> A1 : x
        ...     A1 --> A2 : y
        ...     A2 --> [*]
        ... ''')
        >>> b = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> B0
        ...     B0 --> B1 : y
        ...     B1 --> B2 : x
        ...     B2 --> [*]
        ... ''')
        >>> report = analysis.deadlocks(a, b)
        >>> bool(report)
        False
        >>> [(f.states, f.trace) for f in report]
        [(('A0', 'B0'), ())]
    """
    product = _Product(_machines(machines, "deadlocks"), max_states, keep_edges=False)
    found: list[Finding] = []
    for number in product.stuck:
        code = product.codes[number]
        if product.is_final(code):
            continue
        states = product.components(code)
        shown = ", ".join(
            f"{m.name!r} in {s!r}" for m, s in zip(product.machines, states, strict=True)
        )
        found.append(
            Finding(
                "deadlock",
                f"no event is enabled with {shown}, and not every machine is in a final state",
                states,
                product.trace(number),
                SEVERITY["deadlock"],
            )
        )
    return Report(" x ".join(m.name for m in product.machines), tuple(found))
