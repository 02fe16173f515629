"""The call-time errors of the typestate face.

Both derive from :class:`fsm.FSMError`, so one ``except fsm.FSMError`` catches
every error of the library, and from the builtin that matches the condition.
Definition-time problems (a bad annotation, a bad hierarchy) are
:class:`fsm.DefinitionError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from fsm import FSMError

__all__ = ["ProtocolViolation", "StateConsumed"]


class StateConsumed(FSMError, RuntimeError):
    """A transition was called on a state object that was already used.

    A state object whose transition completed is consumed: the protocol has
    moved on, and the object that transition returned is the current state.
    An object whose async transition is still running is *in flight* and is
    refused the same way.

    Attributes:
        state: the class name of the consumed object.
        method: the transition that was refused.
        consumed_by: the transition that consumed the object (or is running).
        target: the class name of the state that transition returned, or None
            while it is still in flight.
    """

    state: str
    method: str
    consumed_by: str
    target: str | None

    def __init__(self, state: str, method: str, consumed_by: str, target: str | None) -> None:
        self.state = state
        self.method = method
        self.consumed_by = consumed_by
        self.target = target
        if target is None:
            message = (
                f"Can't call {state}.{method}(): this {state} is in flight in "
                f"{state}.{consumed_by}(), an async transition that has not finished; "
                f"await that call and use the state it returns."
            )
        else:
            message = (
                f"Can't call {state}.{method}(): this {state} was consumed by "
                f"{state}.{consumed_by}() -> {target}; use the {target} that call returned."
            )
        super().__init__(message)

    def __reduce__(
        self,
    ) -> tuple[type[StateConsumed], tuple[str, str, str, str | None], dict[str, object]]:
        # The third item keeps what else is in __dict__, such as __notes__.
        return (type(self), (self.state, self.method, self.consumed_by, self.target), self.__dict__)


class ProtocolViolation(FSMError, TypeError):
    """A transition returned an object that is not one of its declared targets.

    Attributes:
        state: the class name of the state whose transition ran.
        method: the transition's name.
        returned: the class name of the object it returned.
        expected: the class names its return annotation declares.
    """

    state: str
    method: str
    returned: str
    expected: tuple[str, ...]

    def __init__(self, state: str, method: str, returned: str, expected: Sequence[str]) -> None:
        self.state = state
        self.method = method
        self.returned = returned
        self.expected = tuple(expected)
        declared = " | ".join(self.expected)
        super().__init__(
            f"{state}.{method}() returned a {returned}, which is not one of its "
            f"declared targets ({declared}); return one of them, or add {returned} "
            f"to its return annotation."
        )

    def __reduce__(
        self,
    ) -> tuple[type[ProtocolViolation], tuple[str, str, str, tuple[str, ...]], dict[str, object]]:
        # The third item keeps what else is in __dict__, such as __notes__.
        return (type(self), (self.state, self.method, self.returned, self.expected), self.__dict__)
