"""A stored instance remembers its machine: a changed machine is refused until migrated."""

from __future__ import annotations

from typing import Any

import pytest

import fsm

from .store_support import Backend

V1 = """
stateDiagram-v2
    [*] --> Idle
    Idle --> Planning : assign
    Planning --> Acting : plan
    Acting --> Done : finish
    Done --> [*]
"""

# Version 2 renames Planning to Thinking and adds a review before Done.
V2 = """
stateDiagram-v2
    [*] --> Idle
    Idle --> Thinking : assign
    Thinking --> Acting : plan
    Acting --> Review : finish
    Review --> Done : approve
    Done --> [*]
"""


@pytest.fixture(scope="module")
def v1() -> fsm.Machine:
    return fsm.parse(V1, name="Agent")


@pytest.fixture(scope="module")
def v2() -> fsm.Machine:
    return fsm.parse(V2, name="Agent")


def table(backend: Backend) -> list[tuple[Any, ...]]:
    return backend.raw("SELECT * FROM typestate_instances ORDER BY id", ())


def stored_in(store: fsm.Store, machine: fsm.Machine, states: dict[str, list[str]]) -> None:
    for id, events in states.items():
        inst = store.create(machine, id)
        for event in events:
            inst.send(event)


def test_loading_with_another_version_of_the_machine_is_refused(
    backend: Backend, store: fsm.Store, v1: fsm.Machine, v2: fsm.Machine
) -> None:
    store.create(v1, "a1").send("assign")
    before = table(backend)
    with pytest.raises(fsm.MachineMismatch) as caught:
        store.load(v2, "a1")
    assert str(caught.value) == (
        f"instance 'a1' was stored by another version of machine 'Agent' (fingerprint "
        f"{v1.fingerprint}), not by the machine 'Agent' loading it (fingerprint "
        f"{v2.fingerprint}); nothing was changed; load it with the machine it was stored "
        f"by, or move the instances stored by the old one with "
        f"store.migrate(old_fingerprint, new_machine, states={{old_state: new_state}})"
    )
    error = caught.value
    assert (error.id, error.stored, error.expected) == ("a1", v1.fingerprint, v2.fingerprint)
    assert table(backend) == before
    assert store.ids(v2) == []
    assert store.ids(v1) == ["a1"]


def test_loading_with_another_machine_names_both(store: fsm.Store, v1: fsm.Machine) -> None:
    other = fsm.parse(V1, name="Other")
    store.create(other, "o1")
    with pytest.raises(fsm.MachineMismatch, match=r"^instance 'o1' was stored by machine 'Other'"):
        store.load(v1, "o1")


def test_migrate_moves_every_instance_and_renames_states(
    backend: Backend, store: fsm.Store, v1: fsm.Machine, v2: fsm.Machine
) -> None:
    stored_in(store, v1, {"a": [], "b": ["assign"], "c": ["assign", "plan"]})
    other = fsm.parse(V1, name="Other")
    store.create(other, "z")
    assert store.migrate(v1, v2, {"Planning": "Thinking"}) == 3
    moved = {id: store.load(v2, id) for id in ("a", "b", "c")}
    assert {id: inst.state for id, inst in moved.items()} == {
        "a": "Idle",
        "b": "Thinking",
        "c": "Acting",
    }
    assert [inst.version for inst in moved.values()] == [2, 3, 4]
    # The history is kept as it was taken, in the old machine's words.
    assert moved["b"].history == (fsm.Step("Idle", "assign", "Planning"),)
    assert moved["c"].send("finish") == "Review"
    assert store.ids(v1) == []
    assert store.ids(v2, state="Thinking") == ["b"]
    assert store.load(other, "z").state == "Idle"  # another machine's instance is untouched
    with pytest.raises(fsm.MachineMismatch):
        store.load(v1, "a")
    assert backend.raw("SELECT machine FROM typestate_instances WHERE id = 'c'", ()) == [("Agent",)]


def test_migrate_takes_the_fingerprint_a_mismatch_gives(
    store: fsm.Store, v1: fsm.Machine, v2: fsm.Machine
) -> None:
    store.create(v1, "a")
    with pytest.raises(fsm.MachineMismatch) as caught:
        store.load(v2, "a")
    assert store.migrate(caught.value.stored, v2, {}) == 1
    assert store.load(v2, "a").state == "Idle"
    assert store.migrate(caught.value.stored, v2, {}) == 0


def test_a_send_that_read_before_the_migration_conflicts(
    store: fsm.Store, v1: fsm.Machine, v2: fsm.Machine
) -> None:
    stale = store.create(v1, "a")
    store.migrate(v1, v2, {})
    with pytest.raises(fsm.Conflict, match=r"\(version 1 read, 2 stored now\)"):
        stale.send("assign")
    assert store.load(v2, "a").state == "Idle"


def test_migrate_changes_nothing_when_a_state_has_no_place_in_the_new_machine(
    backend: Backend, store: fsm.Store, v1: fsm.Machine, v2: fsm.Machine
) -> None:
    stored_in(store, v1, {"a": [], "b": ["assign"], "c": ["assign"]})
    before = table(backend)
    with pytest.raises(fsm.StoreError) as caught:
        store.migrate(v1, v2, {})
    assert str(caught.value) == (
        "instance 'b' is in state 'Planning', which machine 'Agent' does not have; map it "
        "with states={'Planning': ...} (nothing was changed)"
    )
    with pytest.raises(fsm.StoreError, match=r"^states maps 'Planning' to 'Nowhere', which"):
        store.migrate(v1, v2, {"Planning": "Nowhere"})
    with pytest.raises(fsm.StoreError, match=r"^the old and the new machine are the same"):
        store.migrate(v2, v2, {})
    assert table(backend) == before
