# must fail: a transition on a final state
from agent import Done

Done().assign("t")

# expect mypy:
#   4: error: "Done" has no attribute "assign"  [attr-defined]
# expect pyright:
#   4:8 - error: Cannot access attribute "assign" for class "Done"
#     Attribute "assign" is unknown (reportAttributeAccessIssue)
#   4:1 - error: Type of "assign" is unknown (reportUnknownMemberType)
