# must pass: a run narrowed with match (exhaustive by assert_never), a Self loop, an awaited async transition
from typing_extensions import assert_never

from agent import Acting, Done, Failed, Idle


async def run() -> Done | Failed:
    s = Idle()
    p = s.assign("write the docs")
    r = p.plan(["outline", "draft"])
    match r:
        case Acting():
            return await r.think().finish()
        case Failed():
            return r
        case _:
            assert_never(r)
