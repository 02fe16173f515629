# must fail: an internal transition returns its own state, not another one
from __future__ import annotations

from typestate import State, transition


class Busy(State):
    @transition(internal=True)
    def ping(self) -> Done:
        return Done()

    @transition(internal=True)
    async def refresh(self) -> Done:
        return Done()


class Done(State, final=True): ...



# A rejected method keeps its synchronous type at call sites (no "await" asked).
def use(busy: Busy) -> None:
    busy.ping()

# expect mypy:
#   8: error: Cannot infer value of type parameter "_OwnState" of "__call__" of "_InternalDecorator"  [misc]
#   12: error: Cannot infer value of type parameter "_OwnState" of "__call__" of "_InternalDecorator"  [misc]
# expect pyright:
#   8:6 - error: No overloads for "__call__" match the provided arguments (reportCallIssue)
#   8:6 - error: Argument of type "(self: Self@Busy) -> Done" cannot be assigned to parameter "method" of type "(_OwnState@__call__, **_Payload@__call__) -> _OwnState@__call__" in function "__call__"
#     Type "(self: Self@Busy) -> Done" is not assignable to type "(_OwnState@__call__, **_Payload@__call__) -> _OwnState@__call__"
#       Function return type "Done" is incompatible with type "_OwnState@__call__"
#         Type "Done" is not assignable to type "Self@Busy"
#           "Done" is not assignable to "Busy" (reportArgumentType)
#   8:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
#   12:6 - error: No overloads for "__call__" match the provided arguments (reportCallIssue)
#   12:6 - error: Argument of type "(self: Self@Busy) -> CoroutineType[Any, Any, Done]" cannot be assigned to parameter "method" of type "(_OwnState@__call__, **_Payload@__call__) -> _OwnState@__call__" in function "__call__"
#     Type "(self: Self@Busy) -> CoroutineType[Any, Any, Done]" is not assignable to type "(_OwnState@__call__, **_Payload@__call__) -> _OwnState@__call__"
#       Function return type "CoroutineType[Any, Any, Done]" is incompatible with type "_OwnState@__call__"
#         Type "CoroutineType[Any, Any, Done]" is not assignable to type "Self@Busy"
#           "CoroutineType[Any, Any, Done]" is not assignable to "Busy" (reportArgumentType)
#   12:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
