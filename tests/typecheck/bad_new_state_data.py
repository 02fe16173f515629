# must fail: a wrong field name or field type in a new state's data
from __future__ import annotations

from typing_extensions import Self

from typestate import State, transition


class Counting(State):
    count: int

    @transition
    def bump(self) -> Self:
        return type(self)(count=str(self.count))

    @transition
    def reset(self) -> Self:
        return type(self)(cuont=0)

# expect mypy:
#   14: error: Argument "count" to "Counting" has incompatible type "str"; expected "int"  [arg-type]
#   18: error: Unexpected keyword argument "cuont" for "Counting"; did you mean "count"?  [call-arg]
# expect pyright:
#   14:33 - error: Argument of type "str" cannot be assigned to parameter "count" of type "int" in function "__init__"
#     "str" is not assignable to "int" (reportArgumentType)
#   18:16 - error: Argument missing for parameter "count" (reportCallIssue)
#   18:27 - error: No parameter named "cuont" (reportCallIssue)
