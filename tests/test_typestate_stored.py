"""typestate.create/load and Stored.save: typed state objects kept in an fsm store."""

from __future__ import annotations

import re

import pytest

import fsm
import typestate
from typestate import State, transition

from .store_support import Backend


class Idle(State):
    @transition
    def assign(self, task: str) -> Waiting:
        return Waiting(task=task, command=f"deploy {task}")


class Waiting(State):
    task: str
    command: str

    @transition
    def review(self, ok: bool) -> Approved | Idle:
        return Approved(command=self.command) if ok else Idle()


class Approved(State):
    command: str

    @transition
    def run_tool(self) -> Done:
        return Done(output=f"ran {self.command}")


class Done(State, final=True):
    output: str


Agent = Idle | Waiting | Approved | Done
AGENT = typestate.protocol(Idle)


def test_a_typed_state_is_saved_and_loaded_back_by_another_store(
    store: fsm.Store, backend: Backend
) -> None:
    agent = typestate.create(store, AGENT, "a1", Agent)
    assert isinstance(agent.state, Idle)
    agent.save(agent.state.assign("web"))
    with backend.open() as other:
        again = typestate.load(other, AGENT, "a1", Agent)
        assert again.state == Waiting(task="web", command="deploy web")
        assert isinstance(again.state, Waiting)
        again.save(again.state.review(True))  # a branch: the state entered decides
        assert (again.version, again.history[-1]) == (3, fsm.Step("Waiting", "review", "Approved"))
    last = typestate.load(store, AGENT, "a1", Agent)
    assert last.state == Approved(command="deploy web")
    assert store.steps("a1")[-1].payload == {
        "entered": {"state": "Approved", "data": {"command": "deploy web"}}
    }


def test_only_what_the_current_state_returned_is_saved(store: fsm.Store) -> None:
    agent = typestate.create(store, AGENT, "a1", Agent)
    message = (
        "can't save Done for instance 'a1': the current Idle has taken no transition yet; "
        "save what one of its transitions returns (or pass event= for a class declared "
        "linear=False)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        agent.save(Done(output="skipped the approval"))
    assert isinstance(agent.state, Idle)
    waiting = agent.state.assign("web")
    message = (
        "can't save Done for instance 'a1': the current Idle was consumed by Idle.assign() "
        "-> Waiting; save the Waiting that call returned"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        agent.save(Done(output="x"))
    assert agent.save(waiting) is waiting
    assert typestate.load(store, AGENT, "a1", Agent).version == 2


def test_two_writers_one_wins_and_the_other_gets_a_conflict(store: fsm.Store) -> None:
    typestate.create(store, AGENT, "a1", Agent).state.assign("web")
    first = typestate.load(store, AGENT, "a1", Agent)
    second = typestate.load(store, AGENT, "a1", Agent)
    assert isinstance(first.state, Idle)
    assert isinstance(second.state, Idle)
    first.save(first.state.assign("web"))
    with pytest.raises(fsm.Conflict):
        second.save(second.state.assign("mail"))
    assert typestate.load(store, AGENT, "a1", Agent).state == Waiting(
        task="web", command="deploy web"
    )


def test_an_instance_moved_by_a_plain_send_has_no_typed_state(store: fsm.Store) -> None:
    decide = {"decide_review": lambda context, **payload: "Idle"}
    store.create(AGENT, "a1", handlers=decide).send("assign", task="web")
    message = (
        "instance 'a1' has no typed state: its last step (Idle --assign--> Waiting) holds "
        "no snapshot of Waiting under 'entered'; a typed instance moves only through "
        "typestate.Stored.save"
    )
    with pytest.raises(fsm.StoreError, match=f"^{re.escape(message)}$"):
        typestate.load(store, AGENT, "a1", Agent)


def test_a_state_outside_the_type_loaded_as_is_refused(store: fsm.Store) -> None:
    agent = typestate.create(store, AGENT, "a1", Agent)
    assert isinstance(agent.state, Idle)
    agent.save(agent.state.assign("web"))
    with pytest.raises(fsm.SnapshotError, match=r"^snapshot state 'Waiting' is not one of"):
        typestate.load(store, AGENT, "a1", Idle | Done)


def test_a_machine_that_does_not_describe_the_classes_writes_nothing(store: fsm.Store) -> None:
    other = fsm.parse("stateDiagram-v2\n[*] --> Idle\nIdle --> Done : assign", name="Other")
    agent = typestate.create(store, other, "a1", Agent)
    assert isinstance(agent.state, Idle)
    message = (
        "can't save Waiting for instance 'a1': machine 'Other' has no transition Idle "
        "--assign--> Waiting; load it with the machine of these classes, "
        "typestate.protocol(<initial class>)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        agent.save(agent.state.assign("web"))
    assert store.load(other, "a1").version == 1


def test_a_typed_instance_loads_after_a_migration(store: fsm.Store) -> None:
    moved = typestate.create(store, AGENT, "a1", Agent)
    moved.save(moved.state.assign("web"))
    typestate.create(store, AGENT, "a2", Agent)  # never moved: no step at all
    again = typestate.protocol(Idle, name="AgentV2")  # the next version of the protocol
    assert store.migrate(AGENT, again, {}) == 2
    loaded = typestate.load(store, again, "a1", Agent)
    assert (loaded.state, loaded.version) == (Waiting(task="web", command="deploy web"), 3)
    loaded.save(loaded.state.review(True))
    assert typestate.load(store, again, "a1", Agent).state == Approved(command="deploy web")
    assert typestate.load(store, again, "a2", Agent).state == Idle()
