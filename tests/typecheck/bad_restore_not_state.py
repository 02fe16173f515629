# must fail: restore() returns a state, so it refuses a type that is not one
from typing import Any

from agent import Idle

from typestate import restore


def resume(data: dict[str, Any]) -> None:
    restore(data, Idle | int)

# expect mypy:
#   10: error: Value of type variable "S" of "restore" cannot be "Idle | int"  [type-var]
# expect pyright:
#   10:19 - error: Argument of type "UnionType" cannot be assigned to parameter "states" of type "TypeForm[S@restore]" in function "restore"
#     "UnionType" is not assignable to "TypeForm[S@restore]" (reportArgumentType)
