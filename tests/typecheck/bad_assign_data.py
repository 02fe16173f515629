# must fail: assigning to state data (frozen)
from agent import Planning

p = Planning(task="t")
p.task = "u"

# expect mypy:
#   5: error: Property "task" defined in "Planning" is read-only  [misc]
# expect pyright:
#   5:3 - error: Cannot assign to attribute "task" for class "Planning"
#     Attribute "task" is read-only (reportAttributeAccessIssue)
