# must fail: a timer's delay is a number of seconds, not a DSL duration
from __future__ import annotations

from typestate import State, transition


class Waiting(State):
    @transition(after="30s")
    def timeout(self) -> Escalated:
        return Escalated()


class Escalated(State, final=True): ...

# expect mypy:
#   8: error: No overload variant of "transition" matches argument type "str"  [call-overload]
#   8: note: Possible overload variants:
#   8: note:     def [_ReturnsState: Callable[..., State | Coroutine[Any, Any, State]]] transition(_ReturnsState, /) -> _ReturnsState
#   8: note:     def transition(*, internal: Literal[False] = ..., after: None = ...) -> Callable[[_ReturnsState], _ReturnsState]
#   8: note:     def transition(*, internal: Literal[False] = ..., after: float) -> Callable[[_ReturnsStateNoPayload], _ReturnsStateNoPayload]
#   8: note:     def transition(*, internal: Literal[True], after: None = ...) -> _InternalDecorator
#   8: note:     def transition(*, internal: Literal[True], after: float) -> _InternalTimerDecorator
#   8: note:     def transition(*, internal: bool, after: None = ...) -> Callable[[_ReturnsState], _ReturnsState]
#   8: note:     def transition(*, internal: bool, after: float) -> Callable[[_ReturnsStateNoPayload], _ReturnsStateNoPayload]
#   8: error: Untyped decorator makes function "timeout" untyped  [untyped-decorator]
# expect pyright:
#   8:6 - error: No overloads for "transition" match the provided arguments (reportCallIssue)
#   8:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
#   8:23 - error: Argument of type "Literal['30s']" cannot be assigned to parameter "after" of type "float" in function "transition"
#     "Literal['30s']" is not assignable to "float" (reportArgumentType)
