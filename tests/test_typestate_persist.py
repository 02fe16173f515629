"""typestate.snapshot() and typestate.restore(): a state object as JSON, back under its type."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm
from typestate import State, restore, snapshot, transition


class Drafting(State):
    task: str

    @transition
    def propose(self, command: str) -> Waiting:
        return Waiting(task=self.task, command=command, tries=(1, 2))


class Waiting(State):
    task: str
    command: str
    tries: tuple[int, ...] = ()

    @transition
    def approve(self) -> Approved:
        return Approved(command=self.command)


class Working(State, abstract=True):
    @transition
    def cancel(self) -> Drafting:
        return Drafting(task="again")


class Approved(Working):
    command: str
    limit: int = attrs.field(default=1, validator=attrs.validators.gt(0))


Agent = Drafting | Waiting | Approved


def through_json(state: State) -> Any:
    return json.loads(json.dumps(snapshot(state)))


def test_a_state_comes_back_equal_and_unconsumed() -> None:
    waiting = Drafting(task="t").propose("rm -rf build")
    back = restore(through_json(waiting), Agent)
    assert back == waiting  # the tuple field is a tuple again
    assert snapshot(waiting) == {
        "state": "Waiting",
        "data": {"task": "t", "command": "rm -rf build", "tries": [1, 2]},
    }
    assert isinstance(back, Waiting)
    assert back.approve() == Approved(command="rm -rf build")


def test_an_abstract_superstate_stands_for_its_substates() -> None:
    assert restore(through_json(Approved(command="c")), Working) == Approved(command="c")


def test_a_state_outside_the_type_is_refused() -> None:
    message = (
        "snapshot state 'Approved' is not one of the states it is restored as "
        "(Drafting, Waiting); restore it as a type that includes its state"
    )
    with pytest.raises(fsm.SnapshotError, match=f"^{re.escape(message)}$"):
        restore(through_json(Approved(command="c")), Drafting | Waiting)


def test_a_consumed_state_has_no_snapshot() -> None:
    drafting = Drafting(task="t")
    drafting.propose("ls")
    message = (
        "can't take a snapshot of this Drafting: it was consumed by "
        "Drafting.propose() -> Waiting; take one of the Waiting that call returned"
    )
    with pytest.raises(fsm.SnapshotError, match=f"^{re.escape(message)}$"):
        snapshot(drafting)


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ({1, 2}, "{1, 2} of type set, which JSON cannot hold"),
        (float("nan"), "the float nan, which JSON has no number for"),
        (["a", ("b",)], "a tuple, which JSON gives back as a list (only a field annotated "
         "tuple[...] is made a tuple again)"),
        ({1: "a"}, "a dict with the key 1, and JSON keys are strings"),
    ],
)  # fmt: skip
def test_a_field_json_would_change_is_refused(value: object, what: str) -> None:
    where = "Drafting.task[1]" if isinstance(value, list) else "Drafting.task"
    message = (
        f"can't take a snapshot: {where} holds {what}; a stored field holds str, int, "
        f"float, bool or None, or a list or str-keyed dict of them"
    )
    with pytest.raises(fsm.SnapshotError, match=f"^{re.escape(message)}$"):
        snapshot(Drafting(task=value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "snapshot must be the dict typestate.snapshot() returns (got [] of type list)"),
        ({"state": "Drafting"}, "snapshot must have exactly the keys 'state' and 'data' "
         "(got 'state'); pass the dict typestate.snapshot() returned"),
        ({"state": "Drafting", "data": []}, "snapshot['data'] must be a dict of Drafting's "
         "fields by name (got [])"),
        ({"state": "Drafting", "data": {"job": "x"}}, "snapshot data does not fit Drafting: "
         "Drafting has no field job and needs task; the class changed since the snapshot "
         "was taken, so migrate the stored data"),
        ({"state": "Approved", "data": {"command": "c", "limit": 0}}, "snapshot data does "
         "not fit Approved: Approved(...) raised ValueError: 'limit' must be > 0: 0"),
    ],
)  # fmt: skip
def test_bad_data_is_refused_with_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(fsm.SnapshotError, match=f"^{re.escape(message)}$"):
        restore(data, Agent)


def test_restore_needs_state_types() -> None:
    with pytest.raises(
        TypeError,
        match=r"^typestate.restore\(\) restores as a state class or "
        r"a union of them \(got 'Agent'\); pass the alias or the union itself",
    ):
        restore({"state": "Drafting", "data": {"task": "t"}}, "Agent")  # type: ignore[misc]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@given(task=json_values, command=st.text(), tries=st.lists(st.integers(), max_size=4))
def test_every_json_value_round_trips(task: Any, command: str, tries: list[int]) -> None:
    waiting = Waiting(task=task, command=command, tries=tuple(tries))
    assert restore(through_json(waiting), Agent) == waiting
