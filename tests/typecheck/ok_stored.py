# must pass: a stored state has the type it is loaded as; narrowed, it offers its transitions
from __future__ import annotations

from agent import Acting, Done, Failed, Idle, Planning
from typing_extensions import assert_type

import fsm
import typestate

Agent = Idle | Planning | Acting | Done | Failed
AGENT = typestate.protocol(Idle)


def step(store: fsm.Store) -> None:
    agent = typestate.load(store, AGENT, "a1", Agent)
    assert_type(agent, typestate.Stored[Idle | Planning | Acting | Done | Failed])
    match agent.state:
        case Idle() as idle:
            assert_type(agent.save(idle.assign("t")), Idle | Planning | Acting | Done | Failed)
        case Planning() as planning:
            agent.save(planning.plan(["a"]))
        case _:
            pass
    typestate.create(store, AGENT, "a2", Agent)
