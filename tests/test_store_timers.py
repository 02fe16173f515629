"""Timers of stored instances: fired through the store, kept across restarts and migrations."""

from __future__ import annotations

import asyncio
import json

import pytest

import fsm

from .store_support import Backend

WAIT = """
stateDiagram-v2
    [*] --> Waiting
    Waiting --> Escalated : timeout after 30s
    Waiting --> Done : answer
    Escalated --> Done : answer
"""


@pytest.fixture(scope="module")
def wait() -> fsm.Machine:
    return fsm.parse(WAIT, name="Wait")


def timers(backend: Backend, id: str) -> object:
    (text,) = backend.raw("SELECT snapshot FROM typestate_instances WHERE id = ?", (id,))[0]
    return json.loads(text).get("timers")


def test_fire_due_fires_the_due_timers_and_commits_their_steps(
    backend: Backend, store: fsm.Store, wait: fsm.Machine
) -> None:
    clock = fsm.ManualClock(100.0)
    inst = store.create(wait, "w", clock=clock)
    assert timers(backend, "w") == [["timeout", 130.0, "Waiting"]]
    assert inst.fire_due() == ()  # not due yet: nothing written
    assert inst.version == 1
    clock.advance(30)
    assert inst.fire_due() == ("timeout",)
    assert (inst.state, inst.version) == ("Escalated", 2)
    assert store.load(wait, "w").history == (fsm.Step("Waiting", "timeout", "Escalated"),)
    assert timers(backend, "w") == []
    assert [(s.seq, s.version, s.event) for s in store.steps("w")] == [(1, 2, "timeout")]


def test_a_timer_survives_a_restart(backend: Backend, wait: fsm.Machine) -> None:
    with backend.open() as store:
        store.create(wait, "w", clock=fsm.ManualClock(1000.0))
    with backend.open() as store:  # another process, later
        later = fsm.ManualClock(1029.0)
        again = store.load(wait, "w", clock=later)
        assert again.instance.timers == (fsm.PendingTimer("timeout", 1030.0, "Waiting"),)
        assert again.fire_due() == ()
        later.advance(1)
        assert again.fire_due() == ("timeout",)
    with backend.open() as store:
        assert store.load(wait, "w").state == "Escalated"


def test_afire_due_commits_like_fire_due(store: fsm.Store, wait: fsm.Machine) -> None:
    clock = fsm.ManualClock()
    inst = store.create(wait, "w", clock=clock)
    clock.advance(31)
    assert asyncio.run(inst.afire_due()) == ("timeout",)
    assert store.load(wait, "w").state == "Escalated"


def test_fire_due_conflicts_like_send(
    backend: Backend, store: fsm.Store, wait: fsm.Machine
) -> None:
    clock = fsm.ManualClock()
    inst = store.create(wait, "w", clock=clock)
    store.load(wait, "w").send("answer")
    clock.advance(31)
    with pytest.raises(fsm.Conflict):
        inst.fire_due()
    assert (inst.state, inst.instance.timers[0].due) == ("Waiting", 30.0)  # as it was
    assert store.load(wait, "w").state == "Done"


def test_migrate_keeps_the_timers_of_a_kept_state_and_drops_those_of_a_renamed_one(
    backend: Backend, store: fsm.Store, wait: fsm.Machine
) -> None:
    store.create(wait, "kept", clock=fsm.ManualClock(5.0))
    store.create(wait, "renamed", clock=fsm.ManualClock(7.0))
    v2 = fsm.parse(WAIT + "    Waiting --> Waiting : ping\n", name="Wait")
    assert store.migrate(wait, v2, {}) == 2
    assert timers(backend, "kept") == [["timeout", 35.0, "Waiting"]]
    assert timers(backend, "renamed") == [["timeout", 37.0, "Waiting"]]
    clock = fsm.ManualClock(35.0)
    assert store.load(v2, "kept", clock=clock).fire_due() == ("timeout",)
    v3 = fsm.parse(WAIT.replace("Waiting", "Pending"), name="Wait")
    assert store.migrate(v2, v3, {"Waiting": "Pending"}) == 2  # "kept" is in Escalated
    assert timers(backend, "renamed") == []  # dropped: they start when it is entered again
    assert store.load(v3, "renamed", clock=fsm.ManualClock(1e9)).fire_due() == ()
    no_timers = fsm.parse(WAIT.replace(" after 30s", ""), name="Wait")
    assert store.migrate(v3, no_timers, {"Pending": "Waiting"}) == 2
    assert timers(backend, "kept") is None
    assert store.load(no_timers, "kept").state == "Escalated"
