# must fail: a timer takes no payload (the runtime sends its event with none)
from __future__ import annotations

from typestate import State, transition


class Waiting(State):
    @transition(after=30)
    def timeout(self, reason: str) -> Escalated:
        return Escalated()


class Escalated(State, final=True): ...

# expect mypy:
#   8: error: Value of type variable "_ReturnsStateNoPayload" of function cannot be "Callable[[Waiting, str], Escalated]"  [type-var]
# expect pyright:
#   8:6 - error: Argument of type "(self: Self@Waiting, reason: str) -> Escalated" cannot be assigned to parameter of type "_ReturnsStateNoPayload@transition"
#     Type "(self: Self@Waiting, reason: str) -> Escalated" is not assignable to type "(Any) -> (State | Coroutine[Any, Any, State])"
#       Type "(self: Self@Waiting, reason: str) -> Escalated" is not assignable to type "(Any) -> (State | Coroutine[Any, Any, State])"
#         Extra parameter "reason" (reportArgumentType)
#   8:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
