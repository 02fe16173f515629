# must fail: a branch used before it is narrowed
from agent import Planning

Planning(task="t").plan([]).think()

# expect mypy:
#   4: error: Item "Failed" of "Acting | Failed" has no attribute "think"  [union-attr]
# expect pyright:
#   4:29 - error: Cannot access attribute "think" for class "Failed"
#     Attribute "think" is unknown (reportAttributeAccessIssue)
#   4:1 - error: Type of "think" is partially unknown
#     Type of "think" is "(() -> Acting) | Unknown" (reportUnknownMemberType)
