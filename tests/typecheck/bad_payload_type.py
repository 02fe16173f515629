# must fail: a payload of the wrong type
from agent import Idle

Idle().assign(3)

# expect mypy:
#   4: error: Argument 1 to "assign" of "Idle" has incompatible type "int"; expected "str"  [arg-type]
# expect pyright:
#   4:15 - error: Argument of type "Literal[3]" cannot be assigned to parameter "task" of type "str" in function "assign"
#     "Literal[3]" is not assignable to "str" (reportArgumentType)
