# must fail: a match over a branch that misses a case (assert_never)
from typing_extensions import assert_never

from agent import Acting, Planning

r = Planning(task="t").plan([])
match r:
    case Acting():
        pass
    case _:
        assert_never(r)

# expect mypy:
#   11: error: Argument 1 to "assert_never" has incompatible type "Failed"; expected "Never"  [arg-type]
# expect pyright:
#   11:22 - error: Argument of type "Failed" cannot be assigned to parameter "arg" of type "Never" in function "assert_never"
#     Type "Failed" is not assignable to type "Never" (reportArgumentType)
