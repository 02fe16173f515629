"""What :func:`analysis.testing.conformance` needs and reports, without Hypothesis.

:class:`Adapter` (what it drives), :class:`ConformanceFailure` (what it
raises) and :class:`Coverage` (what it records); :mod:`analysis.testing`
exports them, and the Hypothesis state machine in ``_conformance`` uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

import attrs

import fsm

__all__ = ["COLLECTOR", "Adapter", "ConformanceFailure", "Coverage"]


@runtime_checkable
class Adapter(Protocol):
    """What :func:`conformance` needs of an implementation.

    - ``reset()`` puts the implementation back in its initial state (or makes
      a fresh one); it is called before every test case.
    - ``state`` is the name of the state the implementation is in now.
    - ``send(event, payload)`` delivers one event with its payload (a dict of
      keyword arguments). To refuse an event it raises an exception (any
      :class:`Exception` by default; see ``rejects=`` of :func:`conformance`)
      and changes nothing.
    - optionally, ``payload_strategy(event)`` returns a Hypothesis strategy of payload
      dicts for ``event``, or None to use the one drawn from the Machine's
      annotations. An exception it raises is not caught.
    """

    def reset(self) -> None: ...

    @property
    def state(self) -> str: ...

    def send(self, event: str, payload: Mapping[str, object]) -> object: ...


class ConformanceFailure(fsm.FSMError, AssertionError):
    """The implementation did something its protocol does not allow.

    Attributes:
        trace: the events sent since the last reset, the failing one last.
        payloads: the payload sent with each of them.
        state: the state the Machine was in before the failing event.
        event: the failing event, or None when the initial state is wrong.
    """

    def __init__(
        self,
        message: str,
        trace: Sequence[tuple[str, Mapping[str, object]]],
        state: str,
        event: str | None,
    ) -> None:
        self.trace: tuple[str, ...] = tuple(e for e, _ in trace)
        self.payloads: tuple[Mapping[str, object], ...] = tuple(p for _, p in trace)
        self.state = state
        self.event = event
        self._message = message
        shown = " ".join(self.trace) if self.trace else "(no event)"
        super().__init__(f"{message}\n  trace: {shown}")

    def __reduce__(self) -> tuple[type[ConformanceFailure], tuple[object, ...], dict[str, object]]:
        # Pickled (by pytest-xdist, multiprocessing) with its fields; the third
        # item keeps what else is in __dict__, such as __notes__.
        trace = tuple(zip(self.trace, self.payloads, strict=True))
        return (type(self), (self._message, trace, self.state, self.event), self.__dict__)


@attrs.define(eq=False)
class Coverage:
    """What the test cases of one conformance class exercised, across all of them.

    Attributes:
        label: the conformance class's name.
        machine: the Machine.
        states: the reachable leaf states entered by some test case.
        transitions: the ``(leaf, transition)`` pairs taken, where ``leaf`` is
            the state the transition fired in (its source may be a superstate).
        cases: how many test cases ran.
    """

    label: str
    machine: fsm.Machine
    reachable_states: tuple[str, ...]
    reachable_transitions: tuple[tuple[str, fsm.Transition], ...]
    states: set[str] = attrs.field(factory=set[str])
    transitions: set[tuple[str, fsm.Transition]] = attrs.field(
        factory=set[tuple[str, fsm.Transition]]
    )
    cases: int = 0

    @property
    def uncovered_states(self) -> tuple[str, ...]:
        """The reachable leaf states no test case entered."""
        return tuple(s for s in self.reachable_states if s not in self.states)

    @property
    def uncovered_transitions(self) -> tuple[tuple[str, fsm.Transition], ...]:
        """The reachable ``(leaf, transition)`` pairs no test case took."""
        return tuple(p for p in self.reachable_transitions if p not in self.transitions)

    def to_text(self) -> str:
        """A table row per item kind, then the uncovered items, one per line."""

        def row(kind: str, done: int, total: int) -> str:
            share = f"{100 * done // total}%" if total else "-"
            return f"  {kind:<12}{done:>5} / {total:<5}{share:>5}"

        lines = [
            f"{self.label} ({self.machine.name}, {self.cases} test cases)",
            row(
                "states",
                len(self.reachable_states) - len(self.uncovered_states),
                len(self.reachable_states),
            ),
            row(
                "transitions",
                len(self.reachable_transitions) - len(self.uncovered_transitions),
                len(self.reachable_transitions),
            ),
        ]
        for state in self.uncovered_states:
            lines.append(f"    uncovered state: {state}")
        for leaf, t in self.uncovered_transitions:
            lines.append(f"    uncovered transition: {_describe(leaf, t)}")
        return "\n".join(lines)


def _describe(leaf: str, t: fsm.Transition) -> str:
    text = t.describe()
    if leaf != t.source:
        text = f"{text} (in {leaf})"
    return text


#: The coverages of the conformance classes that ran in this pytest session, or
#: None outside a session run with ``--typestate-coverage``. The pytest plugin
#: sets it when the session starts and resets it when it ends; a conformance
#: class adds its coverage when its first test case starts.
COLLECTOR: ContextVar[list[Coverage] | None] = ContextVar("typestate_coverage", default=None)
