"""``diff()`` and ``assert_matches()``: does a protocol match another, in words.

Two protocols are compared by what a run can do, not by how they are written:

- states, the initial state, the final states, and each state's superstate;
- the *effective* transitions: for every leaf state and event, the leaf
  states the event can lead to (a superstate's transitions count in each of
  its substates, a target superstate counts as its entry state);
- the payload names of each event;
- whether each transition is internal, its timer's delay, and whether the
  timer is the superstate's (it keeps running across substate changes).

Guards and actions are ignored, and so is whether several outcomes are a
guarded group or a branch: classes express both as a union return type.
Payload annotations are not compared, as the same type is often spelled in
different ways (``List[str]``, ``list[str]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsm import Machine

from ._protocol import protocol
from ._state import State

__all__ = ["assert_matches", "diff"]


def _machine(value: Machine | type[State], namespace: Mapping[str, Any] | None) -> Machine:
    if isinstance(value, Machine):
        return value
    return protocol(value, namespace=namespace)


# How one transition runs: internal or not, its timer's delay, and the state
# whose timer it is (only when that is a superstate of the leaf: such a
# timer keeps running across the leaf's changes).
_Kind = tuple[bool, float | None, str | None]


def _effective(m: Machine) -> dict[tuple[str, str, str], tuple[_Kind, ...]]:
    """Each effective transition, with how it runs (several ways for a guarded group)."""
    leaves = [s for s in m.states if s not in m.superstates]
    found: dict[tuple[str, str, str], list[_Kind]] = {}
    for state in leaves:
        for event in m.enabled_events(state):
            for t in m.transitions_from(state, event):
                owner = t.source if t.after is not None and t.source != state else None
                kinds = found.setdefault((state, event, m.resolve(t.target)), [])
                if (t.internal, t.after, owner) not in kinds:
                    kinds.append((t.internal, t.after, owner))
    return {key: tuple(sorted(kinds, key=_order)) for key, kinds in found.items()}


def _order(kind: _Kind) -> tuple[bool, float, str]:
    internal, after, owner = kind
    return (not internal, -1.0 if after is None else after, owner or "")


def _seconds(after: float) -> str:
    """The delay, exactly (``1000.001s`` is not ``1000s``)."""
    return f"{int(after)}s" if float(after).is_integer() else f"{after!r}s"


def _kind(kinds: tuple[_Kind, ...]) -> str:
    def one(internal: bool, after: float | None, owner: str | None) -> str:
        timer = "not a timer" if after is None else f"a timer after {_seconds(after)}"
        where = "" if owner is None else f" of superstate {owner!r}"
        return f"{'internal' if internal else 'external'} and {timer}{where}"

    return ", or ".join(one(*kind) for kind in kinds)


def _labels(a: Machine, b: Machine) -> tuple[str, str]:
    if a.name != b.name:
        return repr(a.name), repr(b.name)
    return "the first machine", "the second machine"


def diff(
    a: Machine | type[State],
    b: Machine | type[State],
    *,
    namespace: Mapping[str, Any] | None = None,
) -> list[str]:
    """The differences between two protocols, in words (empty when they agree).

    Args:
        a, b: Machines, or initial State classes (passed to :func:`protocol`).
        namespace: passed to :func:`protocol` to resolve annotations.

    Examples:
        >>> import fsm
        >>> from typestate import State, diff, transition
        >>> class Closed(State):
        ...     @transition
        ...     def open(self) -> "Opened":
        ...         return Opened()
        >>> class Opened(State, final=True): ...
        >>> spec = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Opened : open
        ...     Opened --> Closed : close
        ... ''', name="Door")
        >>> diff(Closed, spec)
        ["event 'close' is in 'Door' but not in 'Closed'", "transition Opened --close--> Closed is in 'Door' but not in 'Closed'", "state 'Opened' is final in 'Closed' but not in 'Door'"]
    """  # noqa: E501
    ma = _machine(a, namespace)
    mb = _machine(b, namespace)
    return _diff(ma, mb, *_labels(ma, mb))


def _diff(ma: Machine, mb: Machine, la: str, lb: str) -> list[str]:
    out: list[str] = []

    if ma.initial != mb.initial:
        out.append(f"the initial state is {ma.initial!r} in {la} but {mb.initial!r} in {lb}")

    def missing(kind: str, xs: list[str], ys: set[str], left: str, right: str) -> None:
        out.extend(f"{kind} {x!r} is in {left} but not in {right}" for x in xs if x not in ys)

    missing("state", list(ma.states), set(mb.states), la, lb)
    missing("state", list(mb.states), set(ma.states), lb, la)
    missing("event", list(ma.events), set(mb.events), la, lb)
    missing("event", list(mb.events), set(ma.events), lb, la)

    order: dict[str, int] = {}
    for state in (*ma.states, *mb.states):
        order.setdefault(state, len(order))
    ea, eb = _effective(ma), _effective(mb)

    def key(t: tuple[str, str, str]) -> tuple[int, str, int]:
        return (order[t[0]], t[1], order[t[2]])

    out.extend(
        f"transition {s} --{e}--> {t} is in {la} but not in {lb}"
        for s, e, t in sorted(ea.keys() - eb.keys(), key=key)
    )
    out.extend(
        f"transition {s} --{e}--> {t} is in {lb} but not in {la}"
        for s, e, t in sorted(eb.keys() - ea.keys(), key=key)
    )
    out.extend(
        f"transition {s} --{e}--> {t} is {_kind(ea[s, e, t])} in {la} but "
        f"{_kind(eb[s, e, t])} in {lb}"
        for s, e, t in sorted(ea.keys() & eb.keys(), key=key)
        if ea[s, e, t] != eb[s, e, t]
    )

    common = [s for s in ma.states if s in set(mb.states)]
    for state in common:
        fa, fb = state in ma.final, state in mb.final
        if fa != fb:
            yes, no = (la, lb) if fa else (lb, la)
            out.append(f"state {state!r} is final in {yes} but not in {no}")
    for state in common:
        pa, pb = ma.parents.get(state), mb.parents.get(state)
        if pa != pb:
            shown_a = repr(pa) if pa is not None else "none"
            shown_b = repr(pb) if pb is not None else "none"
            out.append(f"the superstate of {state!r} is {shown_a} in {la} but {shown_b} in {lb}")

    events_b = set(mb.events)
    for event in ma.events:
        if event not in events_b:
            continue
        na = tuple(name for name, _ in ma.payload_types(event))
        nb = tuple(name for name, _ in mb.payload_types(event))
        if na != nb:
            out.append(
                f"event {event!r} carries ({', '.join(na)}) in {la} but ({', '.join(nb)}) in {lb}"
            )
    return out


def assert_matches(
    classes_or_machine: Machine | type[State],
    machine: Machine,
    *,
    namespace: Mapping[str, Any] | None = None,
) -> None:
    """Raise AssertionError, listing the differences, unless both protocols agree.

    Args:
        classes_or_machine: an initial State class (see :func:`protocol`) or a
            Machine.
        machine: the reference, such as ``fsm.load("agent.mmd")``.
        namespace: passed to :func:`protocol` to resolve annotations.

    Raises:
        AssertionError: with one line per difference (see :func:`diff`).
    """
    actual = _machine(classes_or_machine, namespace)
    la, lb = _labels(actual, machine)
    if la == "the first machine":
        la = "the classes" if not isinstance(classes_or_machine, Machine) else la
        lb = "the reference machine"
    differences = _diff(actual, machine, la, lb)
    if differences:
        lines = "\n".join(f"- {d}" for d in differences)
        raise AssertionError(
            f"{actual.name!r} does not match {machine.name!r} "
            f"({len(differences)} difference{'s' if len(differences) > 1 else ''}):\n{lines}"
        )
