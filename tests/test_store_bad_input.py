"""Bad rows and bad databases: a clear error naming the id, and nothing else changed."""

from __future__ import annotations

from typing import Any

import pytest

import fsm

from .store_support import Backend

DOOR = """
stateDiagram-v2
    [*] --> Closed
    Closed --> Open : open
    Open --> Closed : close
"""


@pytest.fixture(scope="module")
def door() -> fsm.Machine:
    return fsm.parse(DOOR, name="Door")


def everything(backend: Backend) -> list[list[tuple[Any, ...]]]:
    return [
        backend.raw("SELECT * FROM typestate_schema", ()),
        backend.raw("SELECT * FROM typestate_instances ORDER BY id", ()),
        backend.raw("SELECT * FROM typestate_steps ORDER BY id, seq", ()),
    ]


@pytest.fixture
def doors(store: fsm.Store, door: fsm.Machine) -> fsm.Store:
    store.create(door, "front").send("open")
    store.create(door, "back")
    return store


def corrupted(id: str, what: str) -> str:
    return (
        f"instance {id!r}: its stored row is corrupted ({what}); nothing was changed; "
        f"restore the row from a backup, or delete it with store.delete({id!r})"
    )


@pytest.mark.parametrize(
    ("snapshot", "what"),
    [
        (
            "{not json",
            "its snapshot is not JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        ),
        ("[1, 2]", "its snapshot is not a JSON object: [1, 2]"),
        ('{"state": "Closed"}', "its snapshot says state 'Closed', its row 'Open'"),
    ],
)
def test_a_corrupted_snapshot_is_a_clear_error_naming_the_id(
    backend: Backend, doors: fsm.Store, door: fsm.Machine, snapshot: str, what: str
) -> None:
    backend.raw("UPDATE typestate_instances SET snapshot = ? WHERE id = 'front'", (snapshot,))
    before = everything(backend)
    with pytest.raises(fsm.StoreError) as caught:
        doors.load(door, "front")
    assert str(caught.value) == corrupted("front", what)
    assert caught.value.__cause__ is None  # no traceback from inside the json module
    assert doors.load(door, "back").state == "Closed"
    assert everything(backend) == before
    doors.delete("front")  # what the message suggests works
    assert doors.ids(door) == ["back"]


def test_a_state_the_machine_does_not_have_is_a_clear_error_naming_the_id(
    backend: Backend, doors: fsm.Store, door: fsm.Machine
) -> None:
    backend.raw(
        "UPDATE typestate_instances SET state = 'Ajar', snapshot = replace(snapshot, "
        "'\"Open\"', '\"Ajar\"') WHERE id = 'front'",
        (),
    )
    before = everything(backend)
    with pytest.raises(fsm.StoreError) as caught:
        doors.load(door, "front")
    assert str(caught.value) == (
        "instance 'front' cannot be restored: snapshot state 'Ajar' is not a state of "
        "machine 'Door'; its states are Closed, Open; nothing was changed"
    )
    assert everything(backend) == before
    assert doors.ids(door, state="Open") == []
    assert doors.ids(door) == ["back", "front"]


@pytest.mark.parametrize(
    ("steps", "what"),
    [
        (0, "its steps column says 0 steps, but typestate_steps holds 1 numbered up to 1"),
        (2, "its steps column says 2 steps, but typestate_steps holds 1 numbered up to 1"),
    ],
)
def test_a_wrong_steps_count_is_a_clear_error_naming_the_id(
    backend: Backend, doors: fsm.Store, door: fsm.Machine, steps: int, what: str
) -> None:
    backend.raw("UPDATE typestate_instances SET steps = ? WHERE id = 'front'", (steps,))
    before = everything(backend)
    with pytest.raises(fsm.StoreError) as caught:
        doors.load(door, "front")
    assert str(caught.value) == corrupted("front", what)
    assert doors.load(door, "back").history == ()
    assert everything(backend) == before


def test_a_step_stored_by_hand_after_a_load_makes_the_commit_a_clear_error(
    backend: Backend, doors: fsm.Store, door: fsm.Machine
) -> None:
    loaded = doors.load(door, "front")  # one step, read before the step below
    backend.raw(
        "INSERT INTO typestate_steps (id, seq, version, source, event, target, payload, at) "
        "VALUES ('front', 2, 2, 'Open', 'close', 'Closed', '{}', 0)",
        (),
    )
    before = everything(backend)
    with pytest.raises(fsm.StoreError) as caught:
        loaded.send("close")
    assert str(caught.value) == corrupted(
        "front", "its steps column says 1 steps, but typestate_steps holds 1 more"
    )
    assert loaded.state == "Open"
    assert everything(backend) == before


def test_a_corrupted_step_is_a_clear_error_naming_the_id(tmp_path: Any, door: fsm.Machine) -> None:
    # Only SQLite lets a column hold a value of another type (here a blob).
    from .store_support import sqlite_backend

    backend = sqlite_backend(tmp_path)
    with backend.open() as store:
        store.create(door, "front").send("open")
        backend.raw("UPDATE typestate_steps SET event = X'00ff' WHERE id = 'front'", ())
        with pytest.raises(fsm.StoreError) as caught:
            _ = store.load(door, "front").history
    assert str(caught.value) == corrupted(
        "front", "a step is not three names: ('Closed', b'\\x00\\xff', 'Open')"
    )


def test_a_database_of_a_newer_schema_version_is_refused_and_left_alone(
    backend: Backend, doors: fsm.Store
) -> None:
    backend.raw("UPDATE typestate_schema SET version = 3", ())
    before = everything(backend)
    with pytest.raises(fsm.StoreError) as caught:
        backend.open()
    where = (
        f"SQLite database {backend.target!r}"
        if backend.name == "sqlite"
        else "the PostgreSQL database"
    )
    assert str(caught.value) == (
        f"{where} has store schema version 3, newer than version 2 that this typestate "
        f"reads; upgrade typestate to open it (nothing was changed)"
    )
    assert everything(backend) == before


def test_a_new_database_gets_the_current_schema_version(backend: Backend) -> None:
    with backend.open():
        pass
    with backend.open():  # opening again keeps it
        pass
    assert backend.raw("SELECT version FROM typestate_schema", ()) == [(2,)]


def test_a_version_that_is_not_a_count_is_a_clear_error_naming_the_id(
    tmp_path: Any, door: fsm.Machine
) -> None:
    # Only SQLite lets an integer column hold text.
    from .store_support import sqlite_backend

    backend = sqlite_backend(tmp_path)
    with backend.open() as store:
        store.create(door, "front")
        backend.raw("UPDATE typestate_instances SET version = 'two' WHERE id = 'front'", ())
        before = everything(backend)
        with pytest.raises(fsm.StoreError) as caught:
            store.load(door, "front")
    assert str(caught.value) == corrupted("front", "version 'two' and steps 0 must be counts")
    assert everything(backend) == before


def test_a_version_with_no_successor_is_a_clear_error_naming_the_id(
    backend: Backend, door: fsm.Machine
) -> None:
    # 2**63 - 1 is the largest integer both databases store; one more send
    # would overflow it (an OverflowError from the driver before this check).
    largest = 2**63 - 1
    with backend.open() as store:
        store.create(door, "front")
        backend.raw("UPDATE typestate_instances SET version = ? WHERE id = 'front'", (largest,))
        before = everything(backend)
        with pytest.raises(fsm.StoreError) as caught:
            store.load(door, "front").send("open")
    assert str(caught.value) == corrupted(
        "front", f"version {largest} leaves no room for another send (the largest is {largest})"
    )
    assert everything(backend) == before
