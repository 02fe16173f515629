# must fail: an internal transition keeps its parameters' names and types
from __future__ import annotations

from typestate import State, transition


class Busy(State):
    @transition(internal=True)
    def ping(self, by: int, *, note: str = "") -> Busy:
        return self


busy = Busy()
busy.ping("1")
busy.ping(1, nope="x")

# expect mypy:
#   14: error: Argument 1 to "ping" of "Busy" has incompatible type "str"; expected "int"  [arg-type]
#   15: error: Unexpected keyword argument "nope" for "ping" of "Busy"  [call-arg]
# expect pyright:
#   14:11 - error: Argument of type "Literal['1']" cannot be assigned to parameter "by" of type "int"
#     "Literal['1']" is not assignable to "int" (reportArgumentType)
#   15:14 - error: No parameter named "nope" (reportCallIssue)
