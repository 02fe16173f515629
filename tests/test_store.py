"""The store: create, load, send, list, delete, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import pickle
import re
from typing import Any

import pytest

import fsm

from .store_support import Backend

AGENT = """
stateDiagram-v2
    [*] --> Idle
    Idle --> Planning : assign(task)
    Planning --> Acting : plan(steps)
    Planning --> Failed : give_up
    state Working {
        [*] --> Acting
        Acting --> Waiting : call_tool(name)
        Waiting --> Acting : result [ok]
        Waiting --> Failed : result [else]
    }
    Working --> Done : finish / notify
    Done --> [*]
    Failed --> [*]
"""


class Agent:
    """A context whose handlers record what ran."""

    def __init__(self, fail: bool = False) -> None:
        self.ran: list[str] = []
        self.fail = fail

    def ok(self, **payload: Any) -> bool:
        self.ran.append("ok")
        return bool(payload.get("ok", True))

    def notify(self) -> None:
        self.ran.append("notify")
        if self.fail:
            raise RuntimeError("mail server down")


@pytest.fixture(scope="module")
def agent() -> fsm.Machine:
    return fsm.parse(AGENT, name="Agent")


def row(backend: Backend, id: str) -> tuple[Any, ...]:
    rows = backend.raw("SELECT * FROM typestate_instances WHERE id = ?", (id,))
    assert len(rows) == 1
    return rows[0]


def steps(backend: Backend, id: str) -> list[tuple[Any, ...]]:
    return backend.raw(
        "SELECT seq, version, source, event, target, payload FROM typestate_steps "
        "WHERE id = ? ORDER BY seq",
        (id,),
    )


def test_create_load_send_round_trip(store: fsm.Store, agent: fsm.Machine) -> None:
    created = store.create(agent, "a1", Agent())
    assert (created.id, created.state, created.version, created.history) == ("a1", "Idle", 1, ())
    assert created.send("assign", task="write") == "Planning"
    loaded = store.load(agent, "a1", Agent())
    assert (loaded.state, loaded.version) == ("Planning", 2)
    assert loaded.history == (fsm.Step("Idle", "assign", "Planning"),)
    assert loaded.allowed == ("plan", "give_up")
    assert loaded.can("plan", steps=[])
    assert not loaded.can("finish")
    assert isinstance(loaded.instance, fsm.Instance)
    assert loaded.instance.state == "Planning"


def test_each_step_is_stored_with_its_payload_and_version(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    inst = store.create(agent, "a1", Agent())
    inst.send("assign", task="write")
    inst.send("plan", steps=["search", "write"])
    assert steps(backend, "a1") == [
        (1, 2, "Idle", "assign", "Planning", '{"task":"write"}'),
        (2, 3, "Planning", "plan", "Acting", '{"steps":["search","write"]}'),
    ]
    version, count, state = backend.raw(
        "SELECT version, steps, state FROM typestate_instances WHERE id = ?", ("a1",)
    )[0]
    assert (version, count, state) == (3, 2, "Acting")


def test_create_refuses_an_id_in_use(store: fsm.Store, agent: fsm.Machine) -> None:
    store.create(agent, "a1", Agent())
    with pytest.raises(fsm.StoreError, match=r"^an instance 'a1' is already stored; load it"):
        store.create(agent, "a1", Agent())


def test_a_missing_id_is_not_stored_and_a_key_error(store: fsm.Store, agent: fsm.Machine) -> None:
    with pytest.raises(fsm.NotStored) as caught:
        store.load(agent, "ghost", Agent())
    assert isinstance(caught.value, KeyError)
    assert caught.value.id == "ghost"
    assert str(caught.value) == (
        "no instance 'ghost' is stored; create it with store.create(machine, id)"
    )
    with pytest.raises(fsm.NotStored, match="'ghost'"):
        store.delete("ghost")


def test_a_raising_action_writes_nothing(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    context = Agent(fail=True)
    inst = store.create(agent, "a1", context)
    inst.send("assign", task="t")
    inst.send("plan", steps=[])
    before = row(backend, "a1")
    with pytest.raises(fsm.TransitionFailed) as caught:
        inst.send("finish")
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert context.ran == ["notify"]
    assert row(backend, "a1") == before
    assert len(steps(backend, "a1")) == 2
    assert (inst.state, inst.version) == ("Acting", 3)
    context.fail = False
    assert inst.send("finish") == "Done"
    assert store.load(agent, "a1", context).state == "Done"


def test_a_refused_event_writes_nothing(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    inst = store.create(agent, "a1", Agent())
    before = row(backend, "a1")
    with pytest.raises(fsm.InvalidTransition, match=r"^Can't send 'finish' in state 'Idle'"):
        inst.send("finish")
    assert row(backend, "a1") == before
    assert steps(backend, "a1") == []


def test_a_payload_that_is_not_json_is_refused_before_any_handler_runs(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    context = Agent()
    inst = store.create(agent, "a1", context)
    for event in ("assign", "plan", "call_tool"):
        inst.send(event)
    before = row(backend, "a1")
    for bad in (object(), float("nan"), {1j: 2}):
        with pytest.raises(fsm.StoreError) as caught:
            inst.send("result", ok=bad)
        assert str(caught.value).startswith(
            "the payload of 'result' sent to instance 'a1' cannot be stored as JSON ("
        )
        assert str(caught.value).endswith("nothing was run or written")
    assert context.ran == []
    assert row(backend, "a1") == before
    assert inst.state == "Waiting"


def test_the_version_read_is_compared_and_set(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    store.create(agent, "a1", Agent())
    first, second = store.load(agent, "a1", Agent()), store.load(agent, "a1", Agent())
    first.send("assign", task="one")
    before = row(backend, "a1")
    with pytest.raises(fsm.Conflict) as caught:
        second.send("assign", task="two")
    assert str(caught.value) == (
        "instance 'a1' changed since it was read (version 1 read, 2 stored now): another "
        "writer sent to it first; nothing was written; reload it and send again"
    )
    assert (caught.value.id, caught.value.read, caught.value.current) == ("a1", 1, 2)
    assert row(backend, "a1") == before
    assert len(steps(backend, "a1")) == 1
    assert (second.state, second.version) == ("Idle", 1)
    second.reload()
    assert (second.state, second.version) == ("Planning", 2)
    assert second.send("give_up") == "Failed"


def test_two_stores_on_one_database_race_and_exactly_one_wins(
    backend: Backend, agent: fsm.Machine
) -> None:
    with backend.open() as one, backend.open() as two:
        one.create(agent, "a1", Agent())
        mine, theirs = one.load(agent, "a1", Agent()), two.load(agent, "a1", Agent())
        mine.send("assign", task="mine")
        with pytest.raises(fsm.Conflict):
            theirs.send("assign", task="theirs")
        assert two.load(agent, "a1", Agent()).history == (fsm.Step("Idle", "assign", "Planning"),)
    assert json.loads(steps(backend, "a1")[0][5]) == {"task": "mine"}


def test_a_send_to_a_deleted_instance_is_not_stored(store: fsm.Store, agent: fsm.Machine) -> None:
    inst = store.create(agent, "a1", Agent())
    store.delete("a1")
    with pytest.raises(fsm.NotStored, match="'a1'"):
        inst.send("assign")
    assert inst.state == "Idle"
    assert store.ids(agent) == []


def test_a_send_read_before_a_delete_never_commits_to_an_instance_created_again(
    backend: Backend, agent: fsm.Machine
) -> None:
    door = fsm.parse("stateDiagram-v2\n[*] --> Idle\nIdle --> Open : assign", name="Door")
    with backend.open() as one, backend.open() as two:
        same = one.create(agent, "a1", Agent())
        other = one.create(agent, "a2", Agent())
        two.delete("a1")
        two.create(agent, "a1", Agent())  # the same machine, the same version 1
        two.delete("a2")
        two.create(door, "a2")  # another machine whose initial state has the same name
        for stale, version in ((same, 1), (other, 1)):
            with pytest.raises(fsm.Conflict) as caught:
                stale.send("assign", task="stale")
            assert str(caught.value) == (
                f"instance {stale.id!r} changed since it was read (version 1 read, {version} "
                f"stored now): it was deleted and another instance was created under its id; "
                f"nothing was written; reload it and send again"
            )
            assert stale.state == "Idle"
        assert two.load(agent, "a1", Agent()).history == ()
        assert two.load(door, "a2").state == "Idle"
    assert steps(backend, "a1") == steps(backend, "a2") == []
    assert row(backend, "a1")[4] == row(backend, "a2")[4] == 1


def test_a_database_of_schema_version_1_gets_the_incarnation_column(
    backend: Backend, agent: fsm.Machine
) -> None:
    with backend.open() as store:
        store.create(agent, "old", Agent())
    backend.raw("ALTER TABLE typestate_instances DROP COLUMN incarnation", ())
    backend.raw("UPDATE typestate_schema SET version = 1", ())
    with backend.open() as store:
        stale = store.load(agent, "old", Agent())
        assert stale.send("assign") == "Planning"
        store.delete("old")
        store.create(agent, "old", Agent())
        with pytest.raises(fsm.Conflict, match="deleted and another instance was created"):
            stale.send("plan")
    assert backend.raw("SELECT version FROM typestate_schema", ()) == [(2,)]


def test_ids_by_state_and_superstate(store: fsm.Store, agent: fsm.Machine) -> None:
    for id in ("c", "a", "b", "d"):
        store.create(agent, id, Agent())
    store.load(agent, "b", Agent()).send("assign")
    for event in ("assign", "plan", "call_tool"):
        store.load(agent, "d", Agent()).send(event)
    assert store.ids(agent) == ["a", "b", "c", "d"]
    assert store.ids(agent, state="Idle") == ["a", "c"]
    assert store.ids(agent, state="Planning") == ["b"]
    assert store.ids(agent, state="Working") == ["d"]
    assert store.ids(agent, state="Done") == []
    with pytest.raises(ValueError, match=r"^'Nowhere' is not a state of machine 'Agent'"):
        store.ids(agent, state="Nowhere")


def test_delete_removes_the_instance_and_its_history(
    backend: Backend, store: fsm.Store, agent: fsm.Machine
) -> None:
    store.create(agent, "a1", Agent()).send("assign")
    store.create(agent, "a2", Agent())
    store.delete("a1")
    assert store.ids(agent) == ["a2"]
    assert steps(backend, "a1") == []
    store.create(agent, "a1", Agent())  # the id is free again
    assert store.load(agent, "a1", Agent()).history == ()


def test_asend_awaits_async_handlers_then_commits(store: fsm.Store, agent: fsm.Machine) -> None:
    ran: list[str] = []

    async def notify(context: object) -> None:
        await asyncio.sleep(0)
        ran.append("notify")

    handlers = {"notify": notify, "ok": lambda context: True}
    inst = store.create(agent, "a1", handlers=handlers)
    for event in ("assign", "plan"):
        inst.send(event)
    assert asyncio.run(inst.asend("finish")) == "Done"
    assert ran == ["notify"]
    assert (
        store.load(agent, "a1", handlers={"notify": notify, "ok": lambda c: True}).state == "Done"
    )


def test_listeners_run_before_the_commit(store: fsm.Store, agent: fsm.Machine) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def listener(instance: fsm.Instance, step: fsm.Step, payload: dict[str, Any]) -> None:
        seen.append((step.target, payload))

    inst = store.create(agent, "a1", Agent(), listeners=[listener])
    inst.send("assign", task="t")
    assert seen == [("Planning", {"task": "t"})]


def test_errors_pickle_with_their_fields() -> None:
    for error in (
        fsm.Conflict("a1", 3, 4),
        fsm.Conflict("a1", 3, 1, "it was deleted and another instance was created under its id"),
        fsm.NotStored("a1"),
        fsm.MachineMismatch("a1", "ab" * 32, "cd" * 32, "Old", "New"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.id == "a1"


def test_an_id_must_be_a_non_empty_string(store: fsm.Store, agent: fsm.Machine) -> None:
    for bad in ("", 3, None):
        with pytest.raises(TypeError, match=re.escape("an instance id must be a non-empty str")):
            store.load(agent, bad)  # type: ignore[arg-type]


def test_a_closed_store_says_so(backend: Backend, agent: fsm.Machine) -> None:
    store = backend.open()
    store.create(agent, "a1", Agent())
    store.close()
    with pytest.raises(fsm.StoreError, match=r" failed: .*closed.*; nothing was written$"):
        store.load(agent, "a1", Agent())


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_connection_lost_at_the_commit_says_the_outcome_is_unknown(
    backend: Backend, store: fsm.Store, agent: fsm.Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    from collections.abc import Iterator

    import psycopg

    inst = store.create(agent, "a1", Agent())
    connection: Any = store._db._connection  # type: ignore[attr-defined]
    real = connection.transaction

    @contextlib.contextmanager
    def lost() -> Iterator[object]:
        with real() as tx:
            yield tx
        # The server committed; its answer is lost with the connection.
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "transaction", lost)
    with pytest.raises(fsm.CommitUnknown) as caught:
        inst.send("assign", task="t")
    assert str(caught.value) == (
        "the PostgreSQL database failed at the commit (server closed the connection "
        "unexpectedly); the commit's outcome is unknown: it may have been written; open a "
        "new store and load the instance to see its stored state"
    )
    assert isinstance(caught.value, fsm.StoreError)
    monkeypatch.setattr(connection, "transaction", real)
    assert store.load(agent, "a1", Agent()).state == "Planning"  # it was written
    assert (inst.state, inst.version) == ("Idle", 1)  # as read: its next send conflicts
    with pytest.raises(fsm.Conflict):
        inst.send("assign", task="again")
    assert len(steps(backend, "a1")) == 1
