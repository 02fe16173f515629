"""``drive()``: run a typestate protocol by event names, as the fsm runtime does."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from fsm import InvalidTransition, Machine, Step

from ._protocol import protocol
from ._state import State

__all__ = ["Driver", "drive"]


class Driver:
    """Dispatches event names to the transition methods of the current state.

    Made by :func:`drive`. The Driver holds the current state object and
    replaces it with the one each transition returns. It reads like an
    :class:`fsm.Instance`: ``allowed``, ``can(event, **payload)`` and
    ``history`` (of :class:`fsm.Step`) mean the same; ``state`` and what
    ``send`` returns are a :class:`State` object here, a state name there.

    Attributes:
        machine: the Machine extracted from the classes (:func:`protocol`).
    """

    __slots__ = ("_history", "_state", "machine")

    machine: Machine

    def __init__(self, state: State, machine: Machine) -> None:
        self._state = state
        self.machine = machine
        self._history: list[Step] = []

    def __repr__(self) -> str:
        return f"<typestate.Driver {self.machine.name!r} in {type(self._state).__name__}>"

    @property
    def state(self) -> State:
        """The current state object."""
        return self._state

    @property
    def allowed(self) -> tuple[str, ...]:
        """The events allowed in the current state."""
        return self.machine.enabled_events(type(self._state).__name__)

    @property
    def history(self) -> tuple[Step, ...]:
        """The steps taken so far, oldest first, as :attr:`fsm.Instance.history` holds them.

        A step names the leaf states: the class of the state object left (even
        when the transition is declared on an abstract superstate) and of the
        one entered.
        """
        return tuple(self._history)

    def can(self, event: str, /, **payload: Any) -> bool:
        """Return True when ``send(event, **payload)`` would find a transition.

        The same signature as :meth:`fsm.Instance.can`. Typestate classes have
        no guards (a transition method decides in its body), so the answer is
        whether ``event`` is allowed in the current state, whatever the
        payload; nothing is called and nothing changes.
        """
        return event in self.allowed

    def _method(self, event: str) -> Any:
        allowed = self.allowed
        if event not in allowed:
            reason = None
            if event not in self.machine.events:  # worded as the fsm runtime words it
                reason = f"machine {self.machine.name!r} has no event {event!r}"
            raise InvalidTransition(type(self._state).__name__, event, allowed, reason)
        return getattr(self._state, event)

    def _record(self, event: str, result: State) -> State:
        # The transition method checked that result is one of its targets.
        self._history.append(Step(type(self._state).__name__, event, type(result).__name__))
        self._state = result
        return result

    def send(self, event: str, /, **payload: Any) -> State:
        """Call the transition ``event`` of the current state with ``payload``.

        Returns:
            The new current state.

        Raises:
            fsm.InvalidTransition: ``event`` is not allowed in the current state.
            TypeError: the transition is ``async``; use :meth:`asend`.
        """
        method = self._method(event)
        if inspect.iscoroutinefunction(method):
            raise TypeError(
                f"{type(self._state).__name__}.{event} is an async transition; "
                f"use 'await driver.asend({event!r}, ...)'"
            )
        result: State = method(**payload)
        return self._record(event, result)

    async def asend(self, event: str, /, **payload: Any) -> State:
        """Like :meth:`send`, awaiting the transition when it is ``async``."""
        method = self._method(event)
        result: Any = method(**payload)
        if inspect.isawaitable(result):
            result = await result
        return self._record(event, result)


def drive(
    state: State,
    *,
    machine: Machine | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> Driver:
    """Drive the protocol of ``state`` by event names, from ``state`` on.

    Args:
        state: the current state object (usually an initial state).
        machine: the protocol's Machine, when already extracted (default:
            ``protocol(type(state), namespace=namespace)``).
        namespace: passed to :func:`protocol` to resolve annotations.

    Raises:
        fsm.InvalidTransition: from :meth:`Driver.send`, for an event not
            allowed in the current state.

    Examples:
        >>> from typestate import State, drive, transition
        >>> class Closed(State):
        ...     @transition
        ...     def open(self) -> "Opened":
        ...         return Opened()
        >>> class Opened(State):
        ...     @transition
        ...     def close(self) -> Closed:
        ...         return Closed()
        >>> door = drive(Closed())
        >>> door.send("open")
        Opened()
        >>> door.allowed
        ('close',)
        >>> door.send("open")
        Traceback (most recent call last):
          ...
        fsm.InvalidTransition: Can't send 'open' in state 'Opened'; allowed here: close.
    """
    if machine is None:
        machine = protocol(type(state), namespace=namespace)
    return Driver(state, machine)
