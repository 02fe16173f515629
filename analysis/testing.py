"""Property tests of an implementation against its protocol, and checks of recorded runs.

:func:`conformance` builds a Hypothesis ``RuleBasedStateMachine`` that drives an
implementation (an :class:`fsm.Instance`, a typestate protocol, or any object
behind an :class:`Adapter`) with the events the :class:`fsm.Machine` allows
and with events it refuses, and checks after every step that the
implementation is in a state the Machine allows. :func:`check_trace` checks a
recorded run (a list of event names) without running anything;
:func:`check_recording` checks a whole recording (as ``fsm.JsonLinesRecorder``
writes it) instance by instance.

Import this module explicitly (``from analysis import testing``); it needs
Hypothesis (``pip install 'typestate[testing]'``) for :func:`conformance`.
See ``docs/testing.md``.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

import fsm

from ._conformance_types import Adapter, ConformanceFailure, Coverage
from ._recording import Recorded, RecordingCheck, RecordingFinding, check_recording
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
    "Recorded",
    "RecordingCheck",
    "RecordingFinding",
    "TraceCheck",
    "check_recording",
    "check_trace",
    "conformance",
]

#: Payload strategies given by the user: event -> strategy of keyword dicts.
PayloadStrategies = Mapping[str, "st.SearchStrategy[Mapping[str, object]]"]


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
        self._strategies: dict[tuple[type[Any], str], st.SearchStrategy[dict[str, object]]] = {}

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

    def payload_strategy(self, event: str) -> st.SearchStrategy[dict[str, object]] | None:
        """The payload strategy of ``event``, from the annotations of the current state's method.

        None when the current state has no such method (an event it must
        refuse): :func:`conformance` then draws payloads from the Machine.
        """
        from .strategies import method_payloads

        if not callable(getattr(self._current, event, None)):
            return None
        kind = cast("type[object]", type(self._current))
        key = (kind, event)
        found = self._strategies.get(key)
        if found is None:
            found = self._strategies[key] = method_payloads(*key)
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


def coverage_report(coverages: Iterable[Coverage]) -> str:
    """The text the ``--typestate-coverage`` pytest option prints for ``coverages``.

    Each coverage that ran at least one test case gets its table.
    """
    ran = [c for c in coverages if c.cases]
    if not ran:
        return "no conformance test ran"
    return "\n".join(c.to_text() for c in ran)


def conformance(
    machine: fsm.Machine,
    adapter: object,
    *,
    payload_strategies: PayloadStrategies | None = None,
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
        payload_strategies: event -> a payload strategy (of keyword dicts),
            to use instead of the one drawn from the annotations.
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
        from ._conformance import Config, ConformanceMachine, PayloadChooser, TestCaseWithCoverage
    except ImportError as error:
        if (error.name or "").partition(".")[0] != "hypothesis":
            raise
        raise ModuleNotFoundError(
            "conformance() needs Hypothesis, which is not installed: "
            "pip install 'typestate[testing]'",
            name="hypothesis",
        ) from error

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
    config = Config(
        machine=machine,
        walker=walker,
        impl=impl,
        payload_strategy=PayloadChooser(
            machine, payload_strategies or {}, getattr(impl, "payload_strategy", None), namespace
        ),
        rejects=rejects,
        invalid=invalid,
        # Routes only ever need the leaves; the longest useful route visits each once.
        budget=2 * len(walker.leaves) + 10,
        coverage=coverage,
    )
    body = {"config": config, "coverage": coverage, "TestCase": TestCaseWithCoverage()}
    made = type(label, (ConformanceMachine,), body)
    made.__qualname__ = label
    return made


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


def _show_public_paths() -> None:
    # Names defined in a private module (Adapter, ConformanceFailure, Coverage)
    # print, pickle and show in tracebacks as analysis.testing.<name>.
    for name in __all__:
        value = globals()[name]
        if getattr(value, "__module__", "").startswith("analysis._"):
            value.__module__ = __name__


_show_public_paths()
del _show_public_paths
