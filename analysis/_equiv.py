"""Language equivalence of machines, and minimization.

The language of a machine is what an observer of its events sees: the traces
it can run from the initial state, and which of them may end in a final
state. Guards are not evaluated and branches may go either way, so a machine
is read as a nondeterministic automaton over event names.
"""

from __future__ import annotations

import attrs

import fsm

from ._graph import Graph, Search

__all__ = ["Equivalence", "equivalent", "minimize"]

_Moves = list[dict[str, frozenset[int]]]
_Pair = tuple[frozenset[int], frozenset[int]]


@attrs.frozen
class Equivalence:
    """The answer of :func:`equivalent`: true or false, and why.

    A value of this class is truthy exactly when the machines are equivalent.

    Attributes:
        equivalent: True when the languages are the same.
        trace: when not, a shortest trace that tells them apart: it is
            possible in one machine and not in the other, or it may end in a
            final state in one and not in the other.
        reason: the difference in words ("" when equivalent).
    """

    equivalent: bool
    trace: tuple[str, ...] | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.equivalent


def _moves(machine: fsm.Machine) -> _Moves:
    c = machine.compiled
    moves: _Moves = []
    for dispatch in c.dispatch:
        moves.append(
            {c.events[e]: frozenset(c.targets[n] for n in group) for e, group in dispatch.items()}
        )
    return moves


def _finals(machine: fsm.Machine) -> frozenset[int]:
    return frozenset(machine.compiled.state_index[s] for s in machine.final)


def _step(moves: _Moves, subset: frozenset[int], event: str) -> frozenset[int]:
    reached: set[int] = set()
    for s in subset:
        reached.update(moves[s].get(event, ()))
    return frozenset(reached)


def _shown(trace: tuple[str, ...]) -> str:
    return " ".join(trace) if trace else "the empty trace"


def equivalent(a: fsm.Machine, b: fsm.Machine) -> Equivalence:
    """Whether ``a`` and ``b`` have the same event language, with a counterexample if not.

    Both machines are determinized on the fly (subset construction) and
    explored side by side, breadth first, so the counterexample is a shortest
    one. State names, guards, actions and payloads do not matter.

    Examples:
        >>> import fsm, analysis
        >>> a = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A
        ...     A --> B : go
        ...     B --> A : back
        ... ''')
        >>> b = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> X
        ...     X --> Y : go
        ...     Y --> X : back
        ...     Y --> X : again
        ... ''')
        >>> bool(analysis.equivalent(a, a))
        True
        >>> result = analysis.equivalent(a, b)
        >>> result.trace
        ('go', 'again')
        >>> result.reason
        "the trace go again is possible in 'Machine' (second) but not in 'Machine' (first)"
    """
    moves = (_moves(a), _moves(b))
    finals = (_finals(a), _finals(b))
    names = (f"{a.name!r} (first)", f"{b.name!r} (second)")
    start = (frozenset({a.compiled.initial}), frozenset({b.compiled.initial}))

    def accepting_differs(pair: _Pair, trace: tuple[str, ...]) -> Equivalence | None:
        accepting = [bool(side & f) for side, f in zip(pair, finals, strict=True)]
        if accepting[0] == accepting[1]:
            return None
        yes, no = (0, 1) if accepting[0] else (1, 0)
        return Equivalence(
            False,
            trace,
            f"after {_shown(trace)}, {names[yes]} may be in a final state and {names[no]} may not",
        )

    # Breadth first, and every pair is judged when it is found, not when it is
    # expanded: a pair found at depth d gives a trace of length d, so no
    # counterexample of length d is missed for a longer one found earlier.
    found = accepting_differs(start, ())
    if found is not None:
        return found
    seen: dict[_Pair, tuple[str, ...]] = {start: ()}
    queue = [start]
    for pair in queue:
        trace = seen[pair]
        events = [
            {e for s in side for e in table[s]} for side, table in zip(pair, moves, strict=True)
        ]
        for event in sorted(events[0] | events[1]):
            longer = (*trace, event)
            if (event in events[0]) != (event in events[1]):
                yes, no = (0, 1) if event in events[0] else (1, 0)
                return Equivalence(
                    False,
                    longer,
                    f"the trace {_shown(longer)} is possible in {names[yes]} but not in "
                    f"{names[no]}",
                )
            after = (_step(moves[0], pair[0], event), _step(moves[1], pair[1], event))
            if after not in seen:
                found = accepting_differs(after, longer)
                if found is not None:
                    return found
                seen[after] = longer
                queue.append(after)
    return Equivalence(True)


def _blocks(machine: fsm.Machine) -> tuple[list[int], dict[int, int], _Moves]:
    """Reachable leaves and their bisimulation classes (partition refinement)."""
    search = Search(Graph(machine), machine.compiled.initial)
    states = sorted(search.order)
    moves = _moves(machine)
    finals = _finals(machine)
    block = {s: int(s in finals) for s in states}
    count = len(set(block.values()))
    while True:
        signatures: dict[object, int] = {}
        refined: dict[int, int] = {}
        for s in states:
            signature = (
                block[s],
                frozenset(
                    (e, frozenset(block[t] for t in targets)) for e, targets in moves[s].items()
                ),
            )
            refined[s] = signatures.setdefault(signature, len(signatures))
        block = refined
        if len(signatures) == count:
            return states, block, moves
        count = len(signatures)


def minimize(machine: fsm.Machine) -> fsm.Machine:
    """An equivalent machine with the fewest states this analysis can prove.

    Unreachable states are dropped and states that behave alike (bisimilar:
    same finality, and for each event, moves into the same classes) are
    merged. For a machine whose every ``(state, event)`` has one transition
    the result is the minimal machine for its language; with guards or
    branches it is the bisimulation quotient, which is equivalent and never
    larger, though not always the smallest. The hierarchy is flattened: the
    result has leaf states only, each named after the first (in definition
    order) of the states it stands for. Guards and actions are dropped; an
    event with several possible targets becomes a branch.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A
        ...     A --> B : go
        ...     B --> C : go
        ...     C --> B : go
        ...     D --> A : go
        ... ''')
        >>> small = analysis.minimize(m)
        >>> small.states
        ('A',)
        >>> [t.describe() for t in small.transitions]
        ['A --go--> A']
        >>> bool(analysis.equivalent(m, small))
        True
    """
    states, block, moves = _blocks(machine)
    names: dict[int, str] = {}
    representative: dict[int, int] = {}
    for s in states:
        if block[s] not in names:
            names[block[s]] = machine.states[s]
            representative[block[s]] = s
    params = machine.payload_types
    transitions: list[fsm.Transition] = []
    for b, s in representative.items():
        for event, targets in moves[s].items():
            into = list(dict.fromkeys(names[block[t]] for t in sorted(targets)))
            for target in into:
                transitions.append(
                    fsm.Transition(
                        names[b], event, target, params=params(event), branch=len(into) > 1
                    )
                )
    finals = _finals(machine)
    return fsm.Machine(
        machine.name,
        states=tuple(names.values()),
        initial=names[block[machine.compiled.initial]],
        final=frozenset(names[block[s]] for s in states if s in finals),
        transitions=tuple(transitions),
    )
