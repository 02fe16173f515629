"""What a diagram highlights: a replayed trace, or the findings of a report.

Both kinds of highlight are resolved here, once, into a :class:`Highlights`
value that every diagram writer reads, so the three formats cannot disagree
about which state a trace ends in or which states a report marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Protocol, cast, runtime_checkable

import attrs

import fsm

from ._words import SEPARATOR, Kind

__all__ = [
    "KIND_ORDER",
    "FindingLike",
    "Highlight",
    "Highlights",
    "ReportLike",
    "TraceStep",
    "resolve_highlight",
]


class FindingLike(Protocol):
    """What a diagram reads of one finding (``analysis.Finding`` has it)."""

    @property
    def kind(self) -> str:
        """The finding's kind, such as ``"dead-end"``."""
        ...

    @property
    def states(self) -> object:
        """The names of the states the finding is about (an iterable of str).

        Typed ``object`` because pyright does not match an attrs field with a
        converter (as ``analysis.Finding.states`` is) against a typed property;
        :func:`resolve_highlight` checks the value instead.
        """
        ...

    @property
    def trace(self) -> object:
        """The finding's witness (not drawn: the states carry the finding)."""
        ...


@runtime_checkable
class ReportLike(Protocol):
    """What a diagram reads of a report (``analysis.Report`` has it)."""

    @property
    def findings(self) -> Sequence[FindingLike]:
        """The report's findings."""
        ...


#: One step of a trace: an event name, or ``(event, target)`` to choose among
#: the outcomes of a guarded group or a branch.
TraceStep = str | tuple[str, str]

#: What ``highlight=`` accepts.
Highlight = Sequence[TraceStep] | ReportLike | None

#: The kinds of finding a diagram marks, strongest first: a state with several
#: findings is drawn as the first of its kinds in this order.
KIND_ORDER: Final[tuple[Kind, ...]] = ("unreachable", "dead-end", "livelock", "non-productive")


@attrs.frozen
class Highlights:
    """A highlight resolved against one machine.

    Attributes:
        steps: for each transition number, the 1-based trace steps taking it.
        visited: the states a trace passes through (entered leaves), in order
            of first visit, the initial leaf included.
        current: the state a trace ends in, or None without a trace.
        marks: state -> the kind of finding it is drawn as (see
            :data:`KIND_ORDER`).
        entered: the superstates a trace enters through their entry point
            (the initial state's included).
        is_trace: True when the highlight was a trace (even an empty one).
    """

    steps: dict[int, tuple[int, ...]] = attrs.Factory(dict[int, tuple[int, ...]])
    visited: tuple[str, ...] = ()
    current: str | None = None
    marks: dict[str, Kind] = attrs.Factory(dict[str, Kind])
    entered: frozenset[str] = frozenset()
    is_trace: bool = False

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The kinds of finding marked, in :data:`KIND_ORDER`."""
        present = set(self.marks.values())
        return tuple(kind for kind in KIND_ORDER if kind in present)


def resolve_highlight(machine: fsm.Machine, highlight: Highlight | Highlights) -> Highlights:
    """Resolve ``highlight`` against ``machine``.

    A trace is replayed from the initial state. A step is an event name, or an
    ``(event, target)`` pair. When an event has several possible outcomes (a
    guarded group or a branch), a bare event name takes the first in evaluation
    order (guards in definition order, ``[else]`` last); a pair takes the
    outcome that enters ``target`` (the target as written, or the substate it
    enters).

    Raises:
        fsm.InvalidTransition: a step's event is not allowed in the state the
            trace has reached, or its target is not one of the event's outcomes
            there; the message names the step.
        TypeError: ``highlight`` is neither a trace nor a report.
        ValueError: a finding names a state the machine does not have.
    """
    if highlight is None:
        return Highlights()
    if isinstance(highlight, Highlights):  # resolved already (an instance's last steps)
        return highlight
    if isinstance(highlight, ReportLike):
        return _report(machine, highlight)
    if isinstance(highlight, str):
        raise TypeError(
            f"highlight={highlight!r} is one string; pass a trace as a sequence of "
            f"event names, such as {[highlight]!r}"
        )
    return _trace(machine, highlight)


def _trace(machine: fsm.Machine, trace: Sequence[TraceStep]) -> Highlights:
    state = machine.resolve(machine.initial)
    visited: dict[str, None] = {state: None}
    entered = set(_entries(machine, machine.initial))
    steps: dict[int, list[int]] = {}
    numbers = {id(t): n for n, t in enumerate(machine.transitions)}
    for step, item in enumerate(trace, start=1):
        event, target = _step(item, step)
        options = machine.transitions_from(state, event)
        if not options:
            raise fsm.InvalidTransition(
                state,
                event,
                machine.enabled_events(state),
                reason=f"step {step} of the highlight trace",
            )
        chosen = options[0]
        if target is not None:
            matching = [t for t in options if target in (t.target, machine.resolve(t.target))]
            if not matching:
                leads = " or ".join(repr(t.target) for t in options)
                raise fsm.InvalidTransition(
                    state,
                    event,
                    machine.enabled_events(state),
                    reason=f"step {step} of the highlight trace wants target {target!r}, "
                    f"but {event!r} leads to {leads} there",
                )
            chosen = matching[0]
        steps.setdefault(numbers[id(chosen)], []).append(step)
        state = machine.resolve(chosen.target)
        visited.setdefault(state, None)
        entered.update(_entries(machine, chosen.target))
    return Highlights(
        steps={n: tuple(s) for n, s in steps.items()},
        visited=tuple(visited),
        current=state,
        entered=frozenset(entered),
        is_trace=True,
    )


def _entries(machine: fsm.Machine, state: str) -> list[str]:
    """The superstates whose entry point is passed when ``state`` is entered."""
    found: list[str] = []
    while state in machine.entries:
        found.append(state)
        state = machine.entries[state]
    return found


def _step(item: object, step: int) -> tuple[str, str | None]:
    if isinstance(item, str):
        return item, None
    if isinstance(item, tuple):
        parts = cast("tuple[object, ...]", item)
        if len(parts) == 2 and isinstance(parts[0], str) and isinstance(parts[1], str):
            return parts[0], parts[1]
    raise TypeError(
        f"step {step} of the highlight trace is {item!r}; a step is an event name "
        f"or an (event, target) pair of strings"
    )


def _report(machine: fsm.Machine, report: ReportLike) -> Highlights:
    drawn: dict[str, Kind] = {kind: kind for kind in KIND_ORDER}
    rank = {kind: n for n, kind in enumerate(KIND_ORDER)}
    known = set(machine.states)
    marks: dict[str, Kind] = {}
    for finding in report.findings:
        names = _state_names(finding)
        kind = drawn.get(finding.kind)
        if finding.kind == "deadlock":
            # A deadlock names one state per component; on the product (what
            # compose() built) it is one state without a way out: a dead end.
            kind, names = "dead-end", (SEPARATOR.join(names),)
        if kind is None:
            continue
        for state in names:
            if state not in known:
                hint = (
                    "draw a deadlock on the product, analysis.compose(*machines)"
                    if finding.kind == "deadlock"
                    else "is the report of another machine?"
                )
                raise ValueError(
                    f"a {finding.kind!r} finding names state {state!r}, which machine "
                    f"{machine.name!r} does not have; {hint}"
                )
            previous = marks.get(state)
            if previous is None or rank[kind] < rank[previous]:
                marks[state] = kind
    ordered: dict[str, Kind] = {state: marks[state] for state in machine.states if state in marks}
    return Highlights(marks=ordered)


def _state_names(finding: FindingLike) -> tuple[str, ...]:
    states = finding.states
    if isinstance(states, Iterable) and not isinstance(states, str):
        names = tuple(cast("Iterable[object]", states))
        if all(isinstance(name, str) for name in names):
            return cast("tuple[str, ...]", names)
    raise TypeError(f"the states of a {finding.kind!r} finding must be state names, got {states!r}")
