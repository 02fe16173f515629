# must pass: a restored state has the type it is restored as, and narrowing it gives each state's transitions
from __future__ import annotations

from typing import Any

from agent import Acting, Done, Failed, Idle, Planning
from typing_extensions import assert_never, assert_type

from typestate import restore, snapshot

Agent = Idle | Planning | Acting | Done | Failed


def resume(data: dict[str, Any]) -> None:
    state = restore(data, Agent)
    assert_type(state, Idle | Planning | Acting | Done | Failed)
    match state:
        case Idle():
            assert_type(state.assign("t"), Planning)
        case Planning():
            assert_type(state.plan(["a"]), Acting | Failed)
        case Acting():
            assert_type(state.think(), Acting)
        case Done() | Failed():
            pass
        case _:
            assert_never(state)


planning = restore(snapshot(Idle().assign("t")), Planning)
assert_type(planning, Planning)
branch = restore(snapshot(planning), Acting | Failed)
assert_type(branch, Acting | Failed)
