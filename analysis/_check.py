"""``check``: what a protocol designer asks before shipping, with witness traces.

See ``docs/analysis.md`` for what each finding kind proves and what it does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import compress, count
from typing import Any, Final, Literal

import attrs

import fsm

from ._graph import Graph, Search, components, coreachable, has_cycle, transition
from ._words import KINDS, Kind

__all__ = ["KINDS", "SEVERITY", "Finding", "Kind", "Report", "Severity", "check"]

Severity = Literal["error", "warning", "info"]

#: The severity of each kind.
SEVERITY: Final[Mapping[Kind, Severity]] = {
    "unreachable": "warning",
    "dead-end": "error",
    "deadlock": "error",
    "livelock": "error",
    "non-productive": "error",
    "final-has-outgoing": "warning",
    "unused-event": "warning",
    "nondeterministic": "info",
    "choice-not-by-one-role": "error",
    "indistinguishable-branches": "error",
    "uninformed-role": "error",
}


def _states(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _trace(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class Finding:
    """One problem found by :func:`check`.

    Attributes:
        kind: one of :data:`KINDS` (``unreachable``, ``dead-end``, ``deadlock``,
            ``livelock``, ``non-productive``, ``final-has-outgoing``,
            ``unused-event``, ``nondeterministic``; for a conversation
            ``choice-not-by-one-role``, ``uninformed-role``,
            ``indistinguishable-branches``).
        message: what is wrong and what to do, in one sentence.
        states: the states concerned, in definition order.
        trace: the shortest event sequence from the initial state that shows
            the problem, or None when there is none (an unreachable state).
        severity: ``error``, ``warning`` or ``info``.
    """

    kind: Kind
    message: str
    states: tuple[str, ...] = attrs.field(default=(), converter=_states)
    trace: tuple[str, ...] | None = attrs.field(default=None, converter=_trace)
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        """This finding as a JSON-safe dict."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "states": list(self.states),
            "trace": None if self.trace is None else list(self.trace),
        }


@attrs.frozen
class Report:
    """The findings of :func:`check` on one machine, or of :func:`analysis.deadlocks`.

    ``str(report)`` (or :meth:`to_text`) is the text form, :meth:`to_dict` the
    JSON form. A report is ``ok`` when it has no error and no warning; info
    findings (intended nondeterminism) do not count against it. A report is
    truthy exactly when it is ok; ``len(report)`` counts its findings.

    Attributes:
        name: the name of the machine checked (``A x B`` for a product).
        findings: the findings, in the order of :data:`KINDS`.
        ignored: the kinds left out on request.
        machine: the machine checked, when :func:`check` made the report
            (None for :func:`analysis.deadlocks`); a notebook draws it with
            the findings marked. Not compared: reports of equal machines
            with the same findings are equal.
    """

    name: str
    findings: tuple[Finding, ...]
    ignored: tuple[str, ...] = ()
    machine: fsm.Machine | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def ok(self) -> bool:
        """True when no finding is an error or a warning."""
        return all(f.severity == "info" for f in self.findings)

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def of(self, kind: Kind) -> tuple[Finding, ...]:
        """The findings of one kind."""
        return tuple(f for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        """This report as a JSON-safe dict: ``{name, ok, ignored, findings}``."""
        return {
            "name": self.name,
            "ok": self.ok,
            "ignored": list(self.ignored),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_text(self) -> str:
        """This report as text: a summary line, then one block per finding."""
        counts = dict.fromkeys(("error", "warning", "info"), 0)
        for f in self.findings:
            counts[f.severity] += 1
        parts = [f"{n} {level}{'' if n == 1 else 's'}" for level, n in counts.items() if n]
        summary = "ok" if self.ok else "problems found"
        lines = [f"{self.name}: {summary}" + (f" ({', '.join(parts)})" if parts else "")]
        for f in self.findings:
            lines.append(f"  {f.severity}: {f.kind}: {f.message}")
            if f.trace is not None:
                shown = " ".join(f.trace) if f.trace else "(the initial state)"
                lines.append(f"    trace: {shown}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """For Jupyter: the text, and the machine's diagram with the findings marked."""
        from ._notebook import report_bundle  # the diagram writers, loaded when shown

        return report_bundle(self)


def _names(machine: fsm.Machine, numbers: Iterable[int]) -> tuple[str, ...]:
    return tuple(machine.states[n] for n in sorted(numbers))


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check(machine: fsm.Machine, *, ignore: Iterable[Kind] = ()) -> Report:
    """Check ``machine`` for reachability, termination and ambiguity problems.

    Guards are not evaluated: a guarded transition counts as one that may fire,
    so "unreachable" is proved, while a witness trace may need its guards to
    hold. A state is reported under the most specific kind that applies:
    ``dead-end``, else ``livelock``, else ``non-productive``.

    Args:
        machine: the machine to check.
        ignore: finding kinds to leave out of the report.

    Returns:
        A :class:`Report`.

    Raises:
        ValueError: ``ignore`` names an unknown kind.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Idle
        ...     Idle --> Busy : start
        ...     Idle --> Stuck : jam
        ...     Busy --> Done : stop
        ...     Done --> [*]
        ... ''')
        >>> report = analysis.check(m)
        >>> report.ok
        False
        >>> [(f.kind, f.trace) for f in report.findings]
        [('dead-end', ('jam',))]
        >>> print(report)  # doctest: +NORMALIZE_WHITESPACE
        Machine: problems found (1 error)
          error: dead-end: state 'Stuck' is not final and has no way out;
            mark it final or add a transition out of it
            trace: jam
    """
    skip: tuple[Kind, ...] = tuple(dict.fromkeys(ignore))
    unknown: list[str] = [k for k in skip if k not in KINDS]
    if unknown:
        raise ValueError(
            f"unknown finding kind {unknown[0]!r} in ignore=; kinds are: {', '.join(KINDS)}"
        )
    found = _Checker(machine, Graph(machine)).run(frozenset(skip))
    return Report(machine.name, tuple(found), skip, machine)


class _Checker:
    def __init__(self, machine: fsm.Machine, g: Graph) -> None:
        self.m = machine
        self.g = g
        self.c = machine.compiled
        self.search = Search(g, self.c.initial)

    def run(self, skip: frozenset[str]) -> list[Finding]:
        found: list[Finding] = []
        # Each search, with the kinds it finds; it runs unless all of them are skipped.
        runs: tuple[tuple[tuple[Kind, ...], Callable[[], Iterator[Finding]]], ...] = (
            (("unreachable",), self.unreachable),
            (("dead-end", "livelock", "non-productive"), self.stuck),
            (("final-has-outgoing",), self.final_has_outgoing),
            (("unused-event",), self.unused_events),
            (("nondeterministic",), self.nondeterministic),
        )
        for kinds, run in runs:
            if skip.issuperset(kinds):
                continue
            found.extend(f for f in run() if f.kind not in skip)
        order = {kind: n for n, kind in enumerate(KINDS)}
        found.sort(key=lambda f: order[f.kind])
        return found

    # -- reachability -----------------------------------------------------------

    def unreachable(self) -> Iterator[Finding]:
        m = self.m
        c = self.c
        reached = self.search.reached
        # A superstate is reachable when one of its leaves is: mark upwards.
        live = bytearray(reached)
        parents = m.parents
        index = c.state_index
        if parents:
            for number in self.search.order:
                name = parents.get(m.states[number])
                while name is not None and not live[index[name]]:
                    live[index[name]] = 1
                    name = parents.get(name)
        for number in range(len(m.states)):
            if live[number]:
                continue
            name = m.states[number]
            parent = parents.get(name)
            if parent is not None and not live[index[parent]]:
                continue  # reported once, at the outermost unreachable superstate
            what = "superstate" if not c.is_leaf[number] else "state"
            yield Finding(
                "unreachable",
                f"{what} {name!r} cannot be reached from the initial state {m.initial!r}; "
                f"add a transition into it or remove it",
                (name,),
                None,
                SEVERITY["unreachable"],
            )

    # -- termination ------------------------------------------------------------

    def stuck(self) -> Iterator[Finding]:
        m = self.m
        c = self.c
        g = self.g
        search = self.search
        offsets = g.offsets
        final = [c.state_index[s] for s in m.final]
        dead = [
            s for s in search.order if offsets[s] == offsets[s + 1] and m.states[s] not in m.final
        ]
        dead_set = set(dead)
        for s in dead:
            yield Finding(
                "dead-end",
                f"state {m.states[s]!r} is not final and has no way out; mark it final "
                f"or add a transition out of it",
                (m.states[s],),
                search.trace(s),
                SEVERITY["dead-end"],
            )
        if not final:
            # A machine without final states runs forever by design (a server):
            # only dead ends are problems then.
            return
        productive = coreachable(g, search.order, final)
        doomed = [s for s in search.order if not productive[s]]
        if not doomed:
            return
        inside = bytearray(g.size)
        for s in doomed:
            inside[s] = 1
        trapped: set[int] = set()
        loops: list[list[int]] = []
        for component in components(g, doomed, inside):
            if has_cycle(g, component):
                loops.append(component)
                trapped.update(component)
        depth = {s: n for n, s in enumerate(search.order) if inside[s]}
        loops.sort(key=lambda comp: min(depth[s] for s in comp))
        for component in loops:
            nearest = min(component, key=depth.__getitem__)
            names = _names(m, component)
            what = (
                f"state {names[0]!r} loops on itself"
                if len(names) == 1
                else f"states {_quoted(names)} form a cycle"
            )
            yield Finding(
                "livelock",
                f"{what} that can never reach a final state; a run that enters it "
                f"cannot finish, so add a way out towards a final state",
                names,
                search.trace(nearest),
                SEVERITY["livelock"],
            )
        for s in doomed:
            if s in dead_set or s in trapped:
                continue
            yield Finding(
                "non-productive",
                f"state {m.states[s]!r} cannot reach any final state; every way out of "
                f"it leads to a dead end or a livelock",
                (m.states[s],),
                search.trace(s),
                SEVERITY["non-productive"],
            )

    # -- structure --------------------------------------------------------------

    def final_has_outgoing(self) -> Iterator[Finding]:
        m = self.m
        c = self.c
        offsets = self.g.offsets
        for name in m.states:
            if name not in m.final:
                continue
            s = c.state_index[name]
            if offsets[s] == offsets[s + 1]:
                continue
            events = m.enabled_events(name)
            reached = self.search.reached[s]
            yield Finding(
                "final-has-outgoing",
                f"final state {name!r} has outgoing transitions ({', '.join(events)}); "
                f"a run may end there or go on, so make sure that is meant, or move "
                f"the transitions",
                (name,),
                self.search.trace(s) if reached else None,
                SEVERITY["final-has-outgoing"],
            )

    def unused_events(self) -> Iterator[Finding]:
        m = self.m
        c = self.c
        used: set[int] = set()
        offsets = c.offsets
        edges = c.edges
        numbers = c.event
        every = len(c.events)
        for s in self.search.order:
            used.update(map(numbers.__getitem__, edges[offsets[s] : offsets[s + 1]]))
            if len(used) == every:
                return
        sources: dict[str, list[str]] = {}
        unused = [k not in used for k in range(every)]
        for n in compress(count(), map(unused.__getitem__, numbers)):
            name = c.events[numbers[n]]
            source = m.states[c.source[n]]
            sources.setdefault(name, [])
            if source not in sources[name]:
                sources[name].append(source)
        for event, states in sources.items():
            yield Finding(
                "unused-event",
                f"event {event!r} is never enabled in a reachable state; its transitions "
                f"leave only unreachable or overridden states ({_quoted(states)})",
                tuple(states),
                None,
                SEVERITY["unused-event"],
            )

    def nondeterministic(self) -> Iterator[Finding]:
        if self.g.simple:
            return  # every (state, event) has one transition
        m = self.m
        c = self.c
        search = self.search
        # A group is the transitions of one (declaring state, event); with
        # hierarchy, every leaf that inherits it shares the same tuple. Kept in
        # order of the first state (breadth first) where it applies.
        seen: dict[tuple[int, ...], int] = {}
        for s in search.order:
            for group in c.dispatch[s].values():
                if len(group) > 1 and group not in seen:
                    seen[group] = s
        for group, s in seen.items():
            first = transition(m, group[0])
            targets = list(dict.fromkeys(transition(m, n).target for n in group))
            if first.branch:
                how = "the implementation chooses"
            else:
                guards = [transition(m, n).guard or "" for n in group]
                how = f"the guards decide ({', then '.join(guards)})"
            yield Finding(
                "nondeterministic",
                f"event {first.event!r} in state {first.source!r} may lead to "
                f"{_quoted(targets)}; {how}",
                (first.source,),
                search.trace(s),
                SEVERITY["nondeterministic"],
            )
