# must fail: a restored state offers only what every state of its type has, until narrowed
from typing import Any

from agent import Idle, Planning

from typestate import restore

Agent = Idle | Planning


def resume(data: dict[str, Any]) -> None:
    restore(data, Agent).plan(["a"])

# expect mypy:
#   12: error: Item "Idle" of "Idle | Planning" has no attribute "plan"  [union-attr]
# expect pyright:
#   12:26 - error: Cannot access attribute "plan" for class "Idle"
#     Attribute "plan" is unknown (reportAttributeAccessIssue)
#   12:5 - error: Type of "plan" is partially unknown
#     Type of "plan" is "Unknown | ((steps: list[str]) -> (Acting | Failed))" (reportUnknownMemberType)
