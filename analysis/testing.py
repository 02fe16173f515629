"""Property tests of an implementation against its protocol, and checks of recorded runs.

:func:`conformance` builds a Hypothesis ``RuleBasedStateMachine`` that drives an
implementation (an :class:`fsm.Instance`, a typestate protocol, or any object
behind an :class:`Adapter`) with the events the :class:`fsm.Machine` allows
and with events it refuses, and checks after every step that the
implementation is in a state the Machine allows. :func:`check_trace` checks a
recorded run (a list of event names) without running anything.

Import this module explicitly (``from analysis import testing``); it needs
Hypothesis (``pip install 'typestate[testing]'``) for :func:`conformance`.
See ``docs/testing.md``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import attrs

import fsm

from ._walk import Walker

if TYPE_CHECKING:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine

__all__ = [
    "Adapter",
    "ConformanceFailure",
    "Coverage",
    "InstanceAdapter",
    "ProtocolAdapter",
    "TraceCheck",
    "check_trace",
    "conformance",
]

#: Payload strategies given by the user: event -> strategy of keyword dicts.
Payloads = Mapping[str, "st.SearchStrategy[Mapping[str, object]]"]


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
    - optionally, ``payloads(event)`` returns a Hypothesis strategy of payload
      dicts for ``event``, or None to use the one drawn from the Machine's
      annotations. An exception it raises is not caught.
    """

    def reset(self) -> None: ...

    @property
    def state(self) -> str: ...

    def send(self, event: str, payload: Mapping[str, object]) -> object: ...


class InstanceAdapter:
    """Drives :class:`fsm.Instance` objects made by ``factory`` (one per test case).

    Examples:
        >>> import fsm
        >>> from analysis.testing import InstanceAdapter
        >>> door = fsm.parse("stateDiagram-v2\\n[*] --> Shut\\nShut --> Open : open\\n")
        >>> adapter = InstanceAdapter(door.start)
        >>> adapter.send("open", {})
        'Open'
        >>> adapter.reset()
        >>> adapter.state
        'Shut'
    """

    def __init__(self, factory: Callable[[], fsm.Instance]) -> None:
        self._factory = factory
        self._instance = factory()

    def __repr__(self) -> str:
        return f"InstanceAdapter({self._instance!r})"

    def reset(self) -> None:
        """Start a new instance."""
        self._instance = self._factory()

    @property
    def state(self) -> str:
        """The instance's state."""
        return self._instance.state

    @property
    def instance(self) -> fsm.Instance:
        """The instance of the current test case."""
        return self._instance

    def send(self, event: str, payload: Mapping[str, object]) -> object:
        """``instance.send(event, **payload)``."""
        return self._instance.send(event, **payload)


class ProtocolAdapter:
    """Drives a typestate protocol: calls the real transition methods.

    Each step calls the method named by the event on the current state object
    with the payload, then checks what the typestate contract promises:

    - the method returned a State, which the protocol's own run-time check
      has compared with the return annotation (a
      :class:`typestate.ProtocolViolation` fails the step);
    - the returned object was not consumed already (a transition that hands
      back a used state breaks linearity);
    - the object the method was called on is now consumed: calling the
      method on it again raises :class:`typestate.StateConsumed` (unless it
      returned itself, a ``Self`` loop, or its class is ``linear=False``).

    Payloads come from the method's annotations (:func:`strategies.method_payloads`).

    Args:
        initial: makes the initial state object (a State class, or a
            function returning one); called before every test case.
    """

    def __init__(self, initial: Callable[[], Any]) -> None:
        self._initial = initial
        self._current: Any = initial()
        self._used: list[tuple[Any, str]] = []
        self._payloads: dict[tuple[type[Any], str], st.SearchStrategy[dict[str, object]]] = {}

    def __repr__(self) -> str:
        return f"ProtocolAdapter({getattr(self._initial, '__name__', self._initial)!r})"

    def reset(self) -> None:
        """Make a new initial state object."""
        self._current = self._initial()
        self._used = []

    @property
    def state(self) -> str:
        """The class name of the current state object."""
        return type(self._current).__name__

    @property
    def current(self) -> object:
        """The current state object."""
        return self._current

    def payloads(self, event: str) -> st.SearchStrategy[dict[str, object]] | None:
        """Payloads for ``event`` from the annotations of the current state's method.

        None when the current state has no such method (an event it must
        refuse): :func:`conformance` then draws payloads from the Machine.
        """
        from .strategies import method_payloads

        if not callable(getattr(self._current, event, None)):
            return None
        kind = cast("type[object]", type(self._current))
        key = (kind, event)
        found = self._payloads.get(key)
        if found is None:
            found = self._payloads[key] = method_payloads(*key)
        return found

    def send(self, event: str, payload: Mapping[str, object]) -> object:
        """Call ``event`` on the current state object and check the result."""
        import typestate

        old = self._current
        source = type(old).__name__
        method = getattr(old, event, None)
        if method is None or not callable(method):
            raise fsm.InvalidTransition(source, event, (), f"{source} has no method {event!r}")
        result = _settle(method(**payload))
        if not isinstance(result, typestate.State):
            raise AssertionError(
                f"{source}.{event}() returned {result!r}, which is not a typestate State"
            )
        target = type(result).__name__
        for used, by in self._used:
            if used is result:
                raise AssertionError(
                    f"{source}.{event}() returned a {target} that was already consumed by "
                    f"{target}.{by}(); a transition must return a new state (or itself)"
                )
        if result is not old and typestate.is_linear(old):
            try:
                _settle(method(**payload))
            except typestate.StateConsumed:
                pass
            else:
                raise AssertionError(
                    f"{source}.{event}() could be called again on the {source} it consumed; "
                    f"typestate.StateConsumed was expected"
                )
            self._used.append((old, event))
        self._current = result
        return result


def _settle(value: object) -> object:
    if inspect.isawaitable(value):

        async def wait() -> object:
            return await value

        return asyncio.run(wait())
    return value


def _adapt(target: object) -> Adapter:
    import typestate

    if isinstance(target, fsm.Instance):
        instance = target
        return InstanceAdapter(lambda: instance.bound.start(instance.context))
    if isinstance(target, type) and issubclass(target, typestate.State):
        return ProtocolAdapter(target)
    if not isinstance(target, type) and isinstance(target, Adapter):
        return target
    if callable(target):
        made: object = target()
        if isinstance(made, fsm.Instance):
            return InstanceAdapter(cast("Callable[[], fsm.Instance]", target))
        if isinstance(made, typestate.State):
            return ProtocolAdapter(target)
        if isinstance(made, Adapter):
            return made
    raise TypeError(
        f"conformance() cannot drive {target!r}: pass an fsm.Instance or a function "
        f"returning one, a typestate State class or a function returning a State, or "
        f"an object with reset(), state and send(event, payload) (analysis.testing.Adapter)"
    )


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


def coverage_report(coverages: Iterable[Coverage]) -> str:
    """The text the ``--typestate-coverage`` pytest option prints for ``coverages``.

    Each coverage that ran at least one test case gets its table.
    """
    ran = [c for c in coverages if c.cases]
    if not ran:
        return "no conformance test ran"
    return "\n".join(c.to_text() for c in ran)


class _TestCaseWithCoverage:
    """``.TestCase`` of a conformance class: Hypothesis' one, with the class's ``coverage``.

    The pytest plugin reads it from the test item, so the report lists the
    classes that ran in this session, with no list kept by this module.
    """

    def __get__(self, instance: object, owner: type[Any]) -> type[Any]:
        from hypothesis.stateful import RuleBasedStateMachine

        made: type[Any] = RuleBasedStateMachine.__dict__["TestCase"].__get__(None, owner)
        made.coverage = owner.coverage
        return made


def conformance(
    machine: fsm.Machine,
    adapter: object,
    *,
    payloads: Payloads | None = None,
    namespace: Mapping[str, object] | None = None,
    rejects: type[Exception] | tuple[type[Exception], ...] = Exception,
    invalid: bool = True,
    name: str | None = None,
) -> type[RuleBasedStateMachine]:
    """A Hypothesis state machine that tests an implementation against ``machine``.

    Its rules send an event the Machine allows in the current state; an event
    it refuses (the implementation must refuse it and stay where it is); and
    a *deep-state* step that drives the implementation along a shortest path
    to a chosen reachable state, event by event, so that every reachable state
    is reached however deep it is, whatever Hypothesis' step limit. After each
    event the implementation must be in a state the Machine allows (one of the
    outcomes, for a guarded group or a branch). Everything shrinks: a failure
    is reported with the shortest trace Hypothesis found
    (:class:`ConformanceFailure`).

    Args:
        machine: the protocol.
        adapter: the implementation: an :class:`fsm.Instance` (restarted with
            its context for each test case) or a function returning a new
            one; a typestate State class or a function returning the initial
            state object; an :class:`Adapter` or a function returning one.
        payloads: event -> a strategy of payload dicts, to use instead of the
            one drawn from the annotations.
        namespace: names for resolving the Machine's annotation strings.
        rejects: the exceptions that mean "refused" (others fail the step).
            A ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``,
            ``SystemExit``) is never caught: it stops the run.
        invalid: False to send only events the Machine allows.
        name: the class's name (default ``<machine name>Conformance``).

    Returns:
        A ``RuleBasedStateMachine`` subclass: run ``.TestCase`` under pytest or
        unittest. Its ``coverage`` attribute is a :class:`Coverage`.

    Examples:
        >>> import fsm
        >>> from analysis.testing import conformance
        >>> door = fsm.parse("stateDiagram-v2\\n[*] --> Shut\\nShut --> Open : open\\n"
        ...                  "Open --> Shut : close\\n", name="Door")
        >>> Door = conformance(door, door.start)
        >>> Door.TestCase().runTest()
        >>> Door.coverage.uncovered_transitions
        ()
    """
    try:
        from hypothesis import strategies as st
        from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
    except ImportError as error:
        raise ModuleNotFoundError(
            "conformance() needs Hypothesis, which is not installed: "
            "pip install 'typestate[testing]'",
            name="hypothesis",
        ) from error

    from . import strategies

    walker = Walker(machine)
    impl = _adapt(adapter)
    # "ToolCalls" -> "ToolCallsConformance", "tool calls" -> "ToolCallsConformance".
    words = re.findall(r"[A-Za-z0-9]+", machine.name)
    label = name or "".join(w[:1].upper() + w[1:] for w in words) + "Conformance"
    coverage = Coverage(
        label=label,
        machine=machine,
        reachable_states=walker.reachable,
        reachable_transitions=tuple(
            (leaf, t) for leaf in walker.reachable for _, t, _ in walker.moves[leaf]
        ),
    )
    given: Mapping[str, st.SearchStrategy[Mapping[str, object]]] = dict(payloads or {})
    from_machine: dict[str, st.SearchStrategy[dict[str, object]]] = {}
    own_payloads: Callable[[str], st.SearchStrategy[dict[str, object]] | None] | None = getattr(
        impl, "payloads", None
    )
    # Routes only ever need the leaves; the longest useful route visits each once.
    budget = 2 * len(walker.leaves) + 10

    def payload_strategy(event: str) -> st.SearchStrategy[Mapping[str, object]]:
        if event in given:
            return given[event]
        if own_payloads is not None:
            own = own_payloads(event)
            if own is not None:  # None: no strategy of its own (no such method here)
                return own
        if event not in from_machine:
            from_machine[event] = strategies.payloads(machine, event, namespace=namespace)
        return from_machine[event]

    class Conformance(RuleBasedStateMachine):
        TestCase = _TestCaseWithCoverage()

        def __init__(self) -> None:
            super().__init__()
            self.sent: list[tuple[str, Mapping[str, object]]] = []
            self.model = walker.initial
            impl.reset()
            coverage.cases += 1
            coverage.states.add(walker.initial)
            self.compare(None, (walker.initial,))

        def fail(self, message: str, event: str | None, state: str) -> None:
            # Every failure is raised here, so Hypothesis sees one bug and shrinks it.
            raise ConformanceFailure(message, self.sent, state, event)

        def observed(self, event: str | None) -> str:
            try:
                return impl.state
            except Exception as error:
                self.fail(f"reading the implementation's state raised {error!r}", event, self.model)
                raise  # pragma: no cover - fail() raised

        def compare(self, event: str | None, allowed: tuple[str, ...]) -> str:
            now = self.observed(event)
            if now not in allowed:
                if event is None:
                    self.fail(
                        f"the implementation starts in {now!r}; the machine starts in "
                        f"{walker.initial!r}",
                        None,
                        walker.initial,
                    )
                self.fail(
                    f"after {event!r} in state {self.model!r} the implementation is in "
                    f"{now!r}; the machine goes to {' or '.join(map(repr, allowed))}",
                    event,
                    self.model,
                )
            return now

        def deliver(self, event: str, data: st.DataObject) -> str:
            """Send an allowed event; return the state entered (or the same, if refused)."""
            source = self.model
            payload = dict(data.draw(payload_strategy(event), label=f"payload of {event}"))
            self.sent.append((event, payload))
            options = machine.transitions_from(source, event)
            try:
                impl.send(event, payload)
            except Exception as error:
                # A guarded group without [else] may refuse: every guard may be false.
                may_refuse = all(t.guard not in (None, "else") for t in options)
                if may_refuse and isinstance(error, rejects):
                    self.compare(event, (source,))  # every guard false: nothing changes
                    return source
                self.fail(
                    f"{event!r} is allowed in state {source!r} but the implementation "
                    f"raised {type(error).__name__}: {error}",
                    event,
                    source,
                )
            now = self.compare(event, walker.targets[source, event])
            coverage.states.add(now)
            for t in options:
                if machine.resolve(t.target) == now:
                    coverage.transitions.add((source, t))
                    break
            self.model = now
            return now

        @precondition(lambda self: bool(walker.enabled[self.model]))
        @rule(data=st.data())
        def step(self, data: st.DataObject) -> None:
            """Send one event the machine allows now."""
            event = data.draw(st.sampled_from(walker.enabled[self.model]), label="event")
            self.deliver(event, data)

        @precondition(
            lambda self: invalid and len(walker.enabled[self.model]) < len(machine.events)
        )
        @rule(data=st.data())
        def refused(self, data: st.DataObject) -> None:
            """Send one event the machine refuses now: it must be refused and change nothing."""
            source = self.model
            allowed = walker.enabled[source]
            event = data.draw(
                st.sampled_from([e for e in machine.events if e not in allowed]), label="event"
            )
            payload = dict(data.draw(payload_strategy(event), label=f"payload of {event}"))
            self.sent.append((event, payload))
            try:
                impl.send(event, payload)
            except Exception as error:
                if not isinstance(error, rejects):
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
                return
            self.fail(
                f"{event!r} is not allowed in state {source!r} (allowed here: "
                f"{', '.join(allowed) or 'nothing'}) but the implementation accepted it "
                f"(now in {self.observed(event)!r})",
                event,
                source,
            )

        @rule(goal=st.sampled_from(walker.reachable), data=st.data())
        def go_to(self, goal: str, data: st.DataObject) -> None:
            """Drive along a shortest path to ``goal``, event by event (a deep-state step).

            From a state that cannot reach ``goal`` (a final state, say) the
            implementation is reset first. A guard or branch that goes another
            way is followed by a new shortest path from where it went.
            """
            for _ in range(budget):
                if self.model == goal:
                    return
                route = walker.route(self.model, goal)
                if route is None:
                    impl.reset()
                    self.sent.clear()
                    self.model = walker.initial
                    self.compare(None, (walker.initial,))
                    continue
                event, _ = route[0]
                self.deliver(event, data)

    Conformance.__name__ = Conformance.__qualname__ = label
    setattr(Conformance, "coverage", coverage)  # noqa: B010 - a class attribute added late
    return Conformance


@attrs.frozen
class TraceCheck:
    """The result of :func:`check_trace`.

    Attributes:
        ok: True when every event was allowed.
        index: the position (from 0) of the first refused event, or None.
        event: that event, or None.
        states: the states the run may be in before it (after the whole
            trace, when ``ok``); several when a guard or branch could go
            either way.
        allowed: the events allowed in those states.
        length: the number of events checked.
    """

    ok: bool
    index: int | None
    event: str | None
    states: tuple[str, ...]
    allowed: tuple[str, ...]
    length: int

    @property
    def state(self) -> str:
        """The state (or ``'A' or 'B'`` when it is not determined) as text."""
        return " or ".join(self.states)

    def __bool__(self) -> bool:
        return self.ok

    def to_text(self) -> str:
        """One line that says what went wrong, or that the run conforms."""
        where = " or ".join(repr(s) for s in self.states)
        if self.ok:
            return f"conforms: {self.length} events, ends in {where}"
        return (
            f"step {self.index}: can't send {self.event!r} in state {where}; "
            f"allowed here: {', '.join(self.allowed) or 'nothing'}"
        )


def check_trace(machine: fsm.Machine, events: Iterable[str]) -> TraceCheck:
    """Check a recorded run: the first event the protocol does not allow, or success.

    Guards are not evaluated: after a guarded group or a branch the run may be
    in any of its targets, and the following events tell them apart.

    Args:
        machine: the protocol.
        events: the event names, in order.

    Returns:
        A :class:`TraceCheck` (true when the run conforms).

    Examples:
        >>> import fsm
        >>> from analysis.testing import check_trace
        >>> agent = fsm.load("examples/agent.mmd")
        >>> check_trace(agent, ["assign", "plan", "call_tool", "result", "finish"])
        TraceCheck(ok=True, index=None, event=None, states=('Done',), allowed=(), length=5)
        >>> bad = check_trace(agent, ["assign", "plan", "call_tool", "finish"])
        >>> bad.to_text()
        "step 3: can't send 'finish' in state 'AwaitingTool'; allowed here: result, cancel"
        >>> (bad.index, bad.state, bad.event, bad.allowed)
        (3, 'AwaitingTool', 'finish', ('result', 'cancel'))
    """
    walker = Walker(machine)
    states: tuple[str, ...] = (walker.initial,)
    count = 0
    for index, event in enumerate(events):
        following = walker.after(states, event)
        if not following:
            return TraceCheck(False, index, event, states, _allowed(walker, states), index)
        states = following
        count = index + 1
    return TraceCheck(True, None, None, states, _allowed(walker, states), count)


def _allowed(walker: Walker, states: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for leaf in states:
        for event in walker.enabled[leaf]:
            if event not in found:
                found.append(event)
    return tuple(found)


for _cls in (Adapter, ConformanceFailure, Coverage, InstanceAdapter, ProtocolAdapter, TraceCheck):
    _cls.__module__ = "analysis.testing"
del _cls
