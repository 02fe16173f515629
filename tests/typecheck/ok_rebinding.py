# must pass: rebinding one name (s = s.plan(...)) with mypy's allow_redefinition_new
from agent import Done, Failed, Idle


async def run() -> Done | Failed:
    s = Idle()
    s = s.assign("t")
    s = s.plan(["a"])
    if isinstance(s, Failed):
        return s
    s = s.think()
    return await s.finish()

# expect mypy without allow_redefinition_new:
#   7: error: Incompatible types in assignment (expression has type "Planning", variable has type "Idle")  [assignment]
#   8: error: "Idle" has no attribute "plan"  [attr-defined]
#   12: error: Returning Any from function declared to return "Done | Failed"  [no-any-return]
