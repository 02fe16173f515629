# must fail: a missing payload argument
from agent import Idle

Idle().assign()

# expect mypy:
#   4: error: Missing positional argument "task" in call to "assign" of "Idle"  [call-arg]
# expect pyright:
#   4:1 - error: Argument missing for parameter "task" (reportCallIssue)
