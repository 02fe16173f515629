"""Runs through a store agree with runs in memory; racing writers commit exactly once."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm

from .store_support import Backend

LOOP = """
stateDiagram-v2
    [*] --> Idle
    Idle --> Busy : start(n)
    Busy --> Busy : tick(n) [small]
    Busy --> Idle : stop
    Busy --> Done : finish
    Done --> [*]
"""


class Counter:
    def small(self, n: int) -> bool:
        return n < 5


@pytest.fixture(scope="module")
def loop() -> fsm.Machine:
    return fsm.parse(LOOP, name="Loop")


EVENTS = st.lists(
    st.tuples(st.sampled_from(["start", "tick", "stop", "finish", "nope"]), st.integers(0, 9)),
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(events=EVENTS)
def test_a_stored_run_is_the_run_in_memory(events: list[tuple[str, int]]) -> None:
    machine = fsm.parse(LOOP, name="Loop")
    memory = machine.start(Counter(), history=True)
    with (
        tempfile.TemporaryDirectory() as directory,
        fsm.SQLiteStore(Path(directory) / "s.db") as store,
    ):
        stored = store.create(machine, "x", Counter())
        for event, n in events:
            payload: dict[str, Any] = {"n": n} if event in ("start", "tick") else {}
            try:
                expected: object = memory.send(event, **payload)
            except fsm.FSMError as error:
                expected = type(error)
            try:
                got: object = stored.send(event, **payload)
            except fsm.FSMError as error:
                got = type(error)
            assert got == expected
        again = store.load(machine, "x", Counter())
        assert again.state == memory.state
        assert again.history == memory.history
        assert again.version == 1 + len(memory.history)


def test_racing_writers_on_one_instance_commit_exactly_once(
    backend: Backend, loop: fsm.Machine
) -> None:
    writers = 4
    with backend.open() as store:
        store.create(loop, "x", Counter())
    stores = [backend.open() for _ in range(writers)]
    loaded = [s.load(loop, "x", Counter()) for s in stores]
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def write(n: int) -> None:
        barrier.wait()
        try:
            loaded[n].send("start", n=n)
            outcomes.append("won")
        except fsm.Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
    assert backend.raw("SELECT count(*) FROM typestate_steps", ()) == [(1,)]
    assert backend.raw("SELECT version FROM typestate_instances", ()) == [(2,)]


def test_a_send_from_inside_a_handler_to_the_stored_instance_is_refused(
    store: fsm.Store, loop: fsm.Machine
) -> None:
    box: list[fsm.StoredInstance] = []
    caught: list[str] = []

    def stop(context: object) -> None:
        try:
            box[0].send("finish")
        except fsm.StoreError as error:
            caught.append(str(error))

    machine = fsm.parse(LOOP.replace("Busy --> Idle : stop", "Busy --> Idle : stop / halt"))
    box.append(store.create(machine, "x", handlers={"halt": stop, "small": lambda c, n: True}))
    box[0].send("start", n=1)
    assert box[0].send("stop") == "Idle"
    assert caught == [
        "a send to instance 'x' is already under way; await it before the next, and from "
        "inside a handler send to its .instance (the event is queued and committed with "
        "the send under way)"
    ]


def test_a_keyboard_interrupt_writes_nothing_and_leaves_the_instance_as_it_was(
    backend: Backend, store: fsm.Store, loop: fsm.Machine
) -> None:
    def interrupt(instance: fsm.Instance, step: fsm.Step, payload: dict[str, Any]) -> None:
        raise KeyboardInterrupt

    inst = store.create(loop, "x", Counter(), listeners=[interrupt])
    with pytest.raises(KeyboardInterrupt):
        inst.send("start", n=1)
    assert (inst.state, inst.version) == ("Idle", 1)
    assert backend.raw("SELECT count(*) FROM typestate_steps", ()) == [(0,)]


def test_every_step_of_a_run_to_completion_send_is_committed_in_one_transaction(
    backend: Backend, store: fsm.Store
) -> None:
    machine = fsm.parse(LOOP.replace("Idle --> Busy : start(n)", "Idle --> Busy : start(n) / go"))
    box: list[fsm.StoredInstance] = []

    def go(context: object, n: int) -> None:
        box[0].instance.send("tick", n=n + 1)
        box[0].instance.send("finish")

    box.append(store.create(machine, "x", handlers={"go": go, "small": lambda c, n: True}))
    assert box[0].send("start", n=1) == "Done"
    assert box[0].version == 2
    assert backend.raw(
        "SELECT seq, version, event, payload FROM typestate_steps ORDER BY seq", ()
    ) == [(1, 2, "start", '{"n":1}'), (2, 2, "tick", '{"n":2}'), (3, 2, "finish", "{}")]


def test_when_a_queued_event_fails_the_steps_before_it_are_committed_as_in_memory(
    backend: Backend, store: fsm.Store
) -> None:
    machine = fsm.parse(LOOP.replace("Idle --> Busy : start(n)", "Idle --> Busy : start(n) / go"))
    box: list[fsm.StoredInstance] = []

    def go(context: object, n: int) -> None:
        box[0].instance.send("tick", n=9)  # the guard is false: refused
        box[0].instance.send("finish")

    box.append(store.create(machine, "x", Counter(), handlers={"go": go}))
    with pytest.raises(fsm.QueuedEventRejected) as caught:
        box[0].send("start", n=1)
    assert isinstance(caught.value.__cause__, fsm.InvalidTransition)
    assert (box[0].state, box[0].version) == ("Busy", 2)
    assert store.load(machine, "x", Counter(), handlers={"go": go}).state == "Busy"
    assert backend.raw("SELECT event FROM typestate_steps", ()) == [("start",)]
