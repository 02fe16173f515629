"""The Hypothesis state machine behind :func:`analysis.testing.conformance`.

One module-level ``RuleBasedStateMachine``, :class:`ConformanceMachine`,
reads everything it tests from its class's :class:`Config`;
``conformance()`` makes a subclass that carries one. This module imports
Hypothesis, so :mod:`analysis.testing` imports it only when ``conformance()``
is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
from hypothesis import event as report_event
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import fsm

from . import strategies
from ._conformance_types import COLLECTOR, Adapter, ConformanceFailure, Coverage
from ._walk import Walker

__all__ = ["Config", "ConformanceMachine", "PayloadChooser"]

#: A strategy of payloads (keyword arguments) for one event.
PayloadStrategy = st.SearchStrategy[Mapping[str, object]]


class PayloadChooser:
    """Picks the payload strategy of an event: given, the adapter's own, or the Machine's."""

    def __init__(
        self,
        machine: fsm.Machine,
        given: Mapping[str, PayloadStrategy],
        own: Callable[[str], PayloadStrategy | None] | None,
        namespace: Mapping[str, object] | None,
    ) -> None:
        self._machine = machine
        self._given = dict(given)
        self._own = own
        self._namespace = namespace
        self._from_machine: dict[str, PayloadStrategy] = {}

    def __call__(self, event: str) -> PayloadStrategy:
        if event in self._given:
            return self._given[event]
        if self._own is not None:
            own = self._own(event)
            if own is not None:  # None: no strategy of its own (no such method here)
                return own
        found = self._from_machine.get(event)
        if found is None:
            found = self._from_machine[event] = strategies.payloads(
                self._machine, event, namespace=self._namespace
            )
        return found


@attrs.frozen
class Config:
    """Everything one conformance class tests, and how.

    Attributes:
        machine: the protocol.
        walker: its reachable leaves, moves and shortest routes.
        impl: the implementation, behind an adapter.
        payload_strategy: event -> the strategy its payloads are drawn from.
        rejects: the exceptions that mean "refused".
        invalid: whether refused events are sent too.
        budget: the most events one deep-state step sends.
        coverage: where what the test cases exercised is recorded.
    """

    machine: fsm.Machine
    walker: Walker
    impl: Adapter
    payload_strategy: Callable[[str], PayloadStrategy]
    rejects: type[Exception] | tuple[type[Exception], ...]
    invalid: bool
    budget: int
    coverage: Coverage


def _has_enabled(self: ConformanceMachine) -> bool:
    return bool(self.config.walker.enabled[self.model])


def _may_refuse(self: ConformanceMachine) -> bool:
    config = self.config
    return config.invalid and len(config.walker.enabled[self.model]) < len(config.machine.events)


class ConformanceMachine(RuleBasedStateMachine):
    """Drives ``config.impl`` with the events ``config.machine`` allows and refuses.

    ``model`` is the Machine's leaf state the implementation must be in;
    ``sent`` the events (with their payloads) since the last reset, which a
    :class:`ConformanceFailure` reports.
    """

    config: ClassVar[Config]
    coverage: ClassVar[Coverage]

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Mapping[str, object]]] = []
        self.model = self.config.walker.initial

    # -- the rules ----------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        """A new implementation in its initial state, for each test case."""
        coverage = self.config.coverage
        coverage.cases += 1
        collected = COLLECTOR.get()
        if collected is not None and not any(c is coverage for c in collected):
            collected.append(coverage)
        self.restart()

    @invariant()
    def in_the_model_state(self) -> None:
        """The implementation is in the state the Machine is in."""
        if self.sent:
            now = self.observed(self.sent[-1][0])
            if now != self.model:  # a rule left it elsewhere
                self.fail(
                    f"the implementation is in {now!r}; the machine is in {self.model!r}",
                    self.sent[-1][0],
                    self.model,
                )
        else:
            self.compare(None, (self.model,))

    @precondition(_has_enabled)
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """Send one event the machine allows now."""
        enabled = self.config.walker.enabled[self.model]
        event = data.draw(st.sampled_from(enabled), label="event")
        self.deliver(event, data)

    @precondition(_may_refuse)
    @rule(data=st.data())
    def refused(self, data: st.DataObject) -> None:
        """Send one event the machine refuses now: it must be refused and change nothing."""
        config, source = self.config, self.model
        allowed = config.walker.enabled[source]
        events = [e for e in config.machine.events if e not in allowed]
        event = data.draw(st.sampled_from(events), label="event")
        payload = self.draw_payload(event, data)
        try:
            config.impl.send(event, payload)
        except Exception as error:
            if not isinstance(error, config.rejects):
                self.fail(
                    f"{event!r} is not allowed in state {source!r}; the implementation "
                    f"raised {type(error).__name__} ({error}), which is not one of "
                    f"rejects=",
                    event,
                    source,
                )
            now = self.observed(event)
            if now != source:
                self.fail(
                    f"{event!r} is not allowed in state {source!r}; the implementation "
                    f"refused it but moved to {now!r}",
                    event,
                    source,
                )
            report_event("refused", event)
            return
        self.fail(
            f"{event!r} is not allowed in state {source!r} (allowed here: "
            f"{', '.join(allowed) or 'nothing'}) but the implementation accepted it "
            f"(now in {self.observed(event)!r})",
            event,
            source,
        )

    @rule(data=st.data())
    def go_to(self, data: st.DataObject) -> None:
        """Drive along a shortest path to a reachable state, event by event (a deep-state step).

        From a state that cannot reach the goal (a final state, say) the
        implementation is reset first. A guard or branch that goes another
        way is followed by a new shortest path from where it went.
        """
        walker = self.config.walker
        goal = data.draw(st.sampled_from(walker.reachable), label="goal")
        for _ in range(self.config.budget):
            if self.model == goal:
                return
            route = walker.route(self.model, goal)
            if route is None:
                note(f"reset to reach {goal!r} from {self.model!r}")
                self.restart()
                self.compare(None, (self.model,))
                continue
            event, _ = route[0]
            self.deliver(event, data)

    # -- helpers --------------------------------------------------------------------

    def restart(self) -> None:
        """Reset the implementation (it must then be in the initial state)."""
        initial = self.config.walker.initial
        self.config.impl.reset()
        self.sent.clear()
        self.model = initial
        self.config.coverage.states.add(initial)

    def fail(self, message: str, event: str | None, state: str) -> None:
        # Every failure is raised here, so Hypothesis sees one bug and shrinks it.
        raise ConformanceFailure(message, self.sent, state, event)

    def observed(self, event: str | None) -> str:
        try:
            return self.config.impl.state
        except Exception as error:
            self.fail(f"reading the implementation's state raised {error!r}", event, self.model)
            raise  # pragma: no cover - fail() raised

    def compare(self, event: str | None, allowed: tuple[str, ...]) -> str:
        now = self.observed(event)
        if now not in allowed:
            initial = self.config.walker.initial
            if event is None:
                self.fail(
                    f"the implementation starts in {now!r}; the machine starts in {initial!r}",
                    None,
                    initial,
                )
            self.fail(
                f"after {event!r} in state {self.model!r} the implementation is in "
                f"{now!r}; the machine goes to {' or '.join(map(repr, allowed))}",
                event,
                self.model,
            )
        return now

    def draw_payload(self, event: str, data: st.DataObject) -> dict[str, object]:
        strategy = self.config.payload_strategy(event)
        payload = dict(data.draw(strategy, label=f"payload of {event}"))
        self.sent.append((event, payload))
        return payload

    def deliver(self, event: str, data: st.DataObject) -> str:
        """Send an allowed event; return the state entered (or the same, if refused)."""
        config, source = self.config, self.model
        payload = self.draw_payload(event, data)
        options = config.machine.transitions_from(source, event)
        try:
            config.impl.send(event, payload)
        except Exception as error:
            # A guarded group without [else] may refuse: every guard may be false.
            may_refuse = all(t.guard not in (None, "else") for t in options)
            if may_refuse and isinstance(error, config.rejects):
                self.compare(event, (source,))  # every guard false: nothing changes
                note(f"{source} --{event}--> refused by every guard")
                return source
            self.fail(
                f"{event!r} is allowed in state {source!r} but the implementation "
                f"raised {type(error).__name__}: {error}",
                event,
                source,
            )
        now = self.compare(event, config.walker.targets[source, event])
        self.record(source, now, options)
        self.model = now
        return now

    def record(self, source: str, now: str, options: tuple[fsm.Transition, ...]) -> None:
        """Add what one event exercised to the coverage, and tell Hypothesis."""
        coverage = self.config.coverage
        coverage.states.add(now)
        report_event("entered state", now)
        for t in options:
            if self.config.machine.resolve(t.target) == now:
                coverage.transitions.add((source, t))
                report_event("took transition", t.describe())
                break


class TestCaseWithCoverage:
    """``.TestCase`` of a conformance class: Hypothesis' one, with the class's ``coverage``.

    (The pytest plugin does not need it: a class adds its coverage to the
    session's collector when its first test case starts.)
    """

    def __get__(self, instance: object, owner: type[Any]) -> type[Any]:
        made: type[Any] = RuleBasedStateMachine.__dict__["TestCase"].__get__(None, owner)
        made.coverage = owner.coverage
        return made
