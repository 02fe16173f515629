# must fail: @transition on methods annotated to return something that is not a state
from __future__ import annotations

from agent import Done
from typestate import State, transition


class Wrapping(State):
    @transition
    def finish(self) -> str:
        return "done"

    @transition
    async def later(self) -> int:
        return 1

    @transition
    def maybe(self) -> Done | None:
        return None

# expect mypy:
#   9: error: Value of type variable "_ReturnsState" of "transition" cannot be "Callable[[Wrapping], str]"  [type-var]
#   13: error: Value of type variable "_ReturnsState" of "transition" cannot be "Callable[[Wrapping], Coroutine[Any, Any, int]]"  [type-var]
#   17: error: Value of type variable "_ReturnsState" of "transition" cannot be "Callable[[Wrapping], Done | None]"  [type-var]
# expect pyright:
#   9:6 - error: Argument of type "(self: Self@Wrapping) -> str" cannot be assigned to parameter "method" of type "_ReturnsState@transition" in function "transition"
#     Type "(self: Self@Wrapping) -> str" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#       Type "(self: Self@Wrapping) -> str" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#         Function return type "str" is incompatible with type "State | Coroutine[Any, Any, State]"
#           Type "str" is not assignable to type "State | Coroutine[Any, Any, State]"
#             "str" is not assignable to "State"
#             "str" is not assignable to "Coroutine[Any, Any, State]" (reportArgumentType)
#   9:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
#   13:6 - error: Argument of type "(self: Self@Wrapping) -> CoroutineType[Any, Any, int]" cannot be assigned to parameter "method" of type "_ReturnsState@transition" in function "transition"
#     Type "(self: Self@Wrapping) -> CoroutineType[Any, Any, int]" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#       Type "(self: Self@Wrapping) -> CoroutineType[Any, Any, int]" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#         Function return type "CoroutineType[Any, Any, int]" is incompatible with type "State | Coroutine[Any, Any, State]"
#           Type "CoroutineType[Any, Any, int]" is not assignable to type "State | Coroutine[Any, Any, State]"
#             "CoroutineType[Any, Any, int]" is not assignable to "State"
#             "CoroutineType[Any, Any, int]" is not assignable to "Coroutine[Any, Any, State]" (reportArgumentType)
#   13:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
#   17:6 - error: Argument of type "(self: Self@Wrapping) -> (Done | None)" cannot be assigned to parameter "method" of type "_ReturnsState@transition" in function "transition"
#     Type "(self: Self@Wrapping) -> (Done | None)" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#       Type "(self: Self@Wrapping) -> (Done | None)" is not assignable to type "(...) -> (State | Coroutine[Any, Any, State])"
#         Function return type "Done | None" is incompatible with type "State | Coroutine[Any, Any, State]"
#           Type "Done | None" is not assignable to type "State | Coroutine[Any, Any, State]"
#             Type "None" is not assignable to type "State | Coroutine[Any, Any, State]" (reportArgumentType)
#   17:6 - error: Untyped function decorator obscures type of function; ignoring decorator (reportUntypedFunctionDecorator)
