# must fail: a call the current state does not allow
from agent import Idle

Idle().plan(["a"])

# expect mypy:
#   4: error: "Idle" has no attribute "plan"  [attr-defined]
# expect pyright:
#   4:8 - error: Cannot access attribute "plan" for class "Idle"
#     Attribute "plan" is unknown (reportAttributeAccessIssue)
#   4:1 - error: Type of "plan" is unknown (reportUnknownMemberType)
