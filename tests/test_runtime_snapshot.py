"""Snapshots: JSON round trips, and every kind of tampering refused on its own terms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fsm import Machine, SnapshotError, Step, Transition

DOOR = Machine(
    "Door",
    states=("Closed", "Open", "Broken", "Shut", "Gone"),
    initial="Closed",
    parents={"Shut": "Broken", "Gone": "Broken"},
    entries={"Broken": "Shut"},
    transitions=(
        Transition("Closed", "open", "Open"),
        Transition("Open", "close", "Closed"),
        Transition("Open", "kick", "Broken"),
    ),
)


def _snapshot(**changes: Any) -> dict[str, Any]:
    inst = DOOR.start(history=True)
    inst.send("open")
    data: dict[str, Any] = json.loads(json.dumps(inst.snapshot()))
    data.update(changes)
    return data


def test_snapshot_is_plain_json_and_round_trips() -> None:
    inst = DOOR.start(history=True)
    inst.send("open")
    inst.send("kick")
    data = inst.snapshot()
    assert data == {
        "machine": "Door",
        "fingerprint": DOOR.fingerprint,
        "state": "Shut",
        "history": [["Closed", "open", "Open"], ["Open", "kick", "Shut"]],
    }
    back = DOOR.restore(json.loads(json.dumps(data)))
    assert (back.state, back.history) == (inst.state, inst.history)
    assert back.history[-1] == Step("Open", "kick", "Shut")


def test_snapshot_without_history_restores_without_history() -> None:
    inst = DOOR.start()
    inst.send("open")
    assert "history" not in inst.snapshot()
    back = DOOR.restore(inst.snapshot(), history=3)
    assert (back.state, back.history) == ("Open", ())


def test_restore_with_bounded_history_keeps_the_last_steps() -> None:
    back = DOOR.bind().restore(_snapshot(), history=1)
    assert back.history == (Step("Closed", "open", "Open"),)


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        (
            ["Door"],
            r"^snapshot must be a dict as returned by Instance\.snapshot\(\) \(got \['Door'\] "
            r"of type list\)$",
        ),
        (
            {"machine": "Door", "state": "Open"},
            r"^snapshot is missing the key 'fingerprint'; pass the whole dict returned by "
            r"Instance\.snapshot\(\)$",
        ),
        (
            _snapshot(context={"x": 1}),
            r"^snapshot has an unknown key 'context'; expected only machine, fingerprint, state, "
            r"history and timers$",
        ),
        (
            _snapshot(state=3),
            r"^snapshot\['state'\] must be a string \(got 3 of type int\)$",
        ),
        (
            _snapshot(machine="Window"),
            r"^snapshot is of machine 'Window', not 'Door'; restore it with the machine it was "
            r"taken from$",
        ),
        (
            _snapshot(fingerprint="0" * 64),
            r"^snapshot fingerprint 0{12}\.\.\. does not match machine 'Door' \(fingerprint "
            r"[0-9a-f]{12}\.\.\.\): the definition changed since the snapshot was taken; restore "
            r"it with the definition it was taken from$",
        ),
        (
            _snapshot(state="Ajar", history=[]),
            r"^snapshot state 'Ajar' is not a state of machine 'Door'; its states are Closed, "
            r"Open, Shut, Gone$",
        ),
        (
            _snapshot(state="Broken", history=[]),
            r"^snapshot state 'Broken' is a superstate; an instance is always in a leaf state, "
            r"such as 'Shut'$",
        ),
        (
            _snapshot(history="open"),
            r"^snapshot\['history'\] must be a list of \[source, event, target\] lists \(got "
            r"'open' of type str\)$",
        ),
        (
            _snapshot(history=[["Closed", "open"]]),
            r"^snapshot\['history'\]\[0\] must be a \[source, event, target\] list of three "
            r"strings \(got \['Closed', 'open'\]\)$",
        ),
        (
            _snapshot(history=[["Closed", "kick", "Open"]]),
            r"^snapshot\['history'\]\[0\] \['Closed', 'kick', 'Open'\] is not a transition of "
            r"machine 'Door'; the history was edited or is of another machine$",
        ),
        (
            _snapshot(history=[["Closed", "open", "Open"], ["Closed", "open", "Open"]]),
            r"^snapshot\['history'\]\[1\] starts in 'Closed' but the step before it ends in "
            r"'Open'; the history was edited$",
        ),
        (
            _snapshot(state="Closed"),
            r"^snapshot history ends in 'Open' but its state is 'Closed'; the snapshot was "
            r"edited$",
        ),
    ],
    ids=[
        "not-a-dict",
        "missing-key",
        "unknown-key",
        "wrong-type",
        "other-machine",
        "wrong-fingerprint",
        "unknown-state",
        "superstate",
        "history-not-a-list",
        "malformed-step",
        "unknown-step",
        "broken-chain",
        "history-disagrees-with-state",
    ],
)
def test_tampered_snapshot_is_refused_with_its_own_message(snapshot: object, message: str) -> None:
    with pytest.raises(SnapshotError, match=message):
        DOOR.restore(snapshot)


def test_snapshot_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^snapshot is missing the key 'machine'"):
        DOOR.restore({})


# -- fuzzing: whatever restore() is given, it restores a valid snapshot or says why -------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Python values a careless caller might pass: tuples, non-string keys, bytes.
python_values = st.recursive(
    json_values | st.binary(max_size=4),
    lambda children: (
        st.tuples(children, children)
        | st.dictionaries(st.integers() | st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)
names = st.sampled_from([*DOOR.states, "open", "close", "kick", "Door", "", "Nope"])
steps = st.tuples(names, names, names).map(list) | python_values


def _deep(depth: int) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def real_snapshots(draw: st.DrawFn) -> dict[str, Any]:
    """A snapshot taken by a real instance after a random walk."""
    inst = DOOR.start(history=draw(st.sampled_from([False, True, 2])))
    for event in draw(st.lists(st.sampled_from(["open", "close", "kick"]), max_size=6)):
        if inst.can(event):
            inst.send(event)
    data: dict[str, Any] = json.loads(json.dumps(inst.snapshot()))
    return data


@st.composite
def mutated_snapshots(draw: st.DrawFn) -> object:
    data: dict[Any, Any] = draw(real_snapshots())
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        keys = sorted(data, key=repr)
        kind = draw(
            st.sampled_from(["set", "delete", "add", "state", "step", "drop-step", "insert-step"])
        )
        if kind == "set" and keys:
            data[draw(st.sampled_from(keys))] = draw(python_values)
        elif kind == "delete" and keys:
            del data[draw(st.sampled_from(keys))]
        elif kind == "add":
            data[draw(st.text(max_size=8) | st.integers())] = draw(json_values)
        elif kind == "state":
            data["state"] = draw(names)
        elif isinstance(data.get("history"), list):
            history: list[Any] = data["history"]
            if kind == "step" and history:
                history[draw(st.integers(0, len(history) - 1))] = draw(steps)
            elif kind == "drop-step" and history:
                del history[draw(st.integers(0, len(history) - 1))]
            else:
                history.insert(draw(st.integers(0, len(history))), draw(steps))
    return data


def _restore_or_refuse(snapshot: object) -> None:
    message: str | None = None
    try:
        inst = DOOR.restore(snapshot)
    except SnapshotError as error:
        message = str(error)
    if message is not None:
        assert 0 < len(message) < 1000  # a message, short whatever the input
        return
    # Accepted: it was a valid snapshot, and the instance reproduces it exactly.
    assert isinstance(snapshot, dict)
    normal = json.loads(json.dumps(snapshot))
    assert inst.snapshot() == normal


@settings(max_examples=150)
@given(json_values | python_values)
def test_restore_of_any_value_is_a_snapshot_or_a_snapshot_error(snapshot: object) -> None:
    _restore_or_refuse(snapshot)


@settings(max_examples=200)
@given(mutated_snapshots())
@example({**_snapshot(), "history": [["Closed", "open", "Open"], ("Closed", "open")]})
def test_restore_of_a_mutated_snapshot_is_a_snapshot_or_a_snapshot_error(snapshot: object) -> None:
    _restore_or_refuse(snapshot)


@settings(max_examples=50)
@given(real_snapshots())
def test_every_real_snapshot_restores_to_itself(snapshot: dict[str, Any]) -> None:
    assert DOOR.restore(snapshot).snapshot() == snapshot


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        (
            _deep(100_000),
            r"^snapshot must be a dict as returned by Instance\.snapshot\(\) \(got "
            r"\[\[\[\[\[\.\.\.\]\]\]\]\] of type list\)$",
        ),
        (
            {"machine": "Door", "fingerprint": DOOR.fingerprint, "state": _deep(100_000)},
            r"^snapshot\['state'\] must be a string \(got \[\[\[\[\[\.\.\.\]\]\]\]\] of "
            r"type list\)$",
        ),
        (
            _snapshot(history=[_deep(100_000)]),
            r"^snapshot\['history'\]\[0\] must be a \[source, event, target\] list of three "
            r"strings \(got \[\[\[\[\[\.\.\.\]\]\]\]\]\)$",
        ),
        (
            _snapshot(history=_deep(100_000)),
            r"^snapshot\['history'\]\[0\] must be a \[source, event, target\] list",
        ),
    ],
    ids=["snapshot", "state", "step", "history"],
)
def test_deeply_nested_values_are_refused_without_recursion_error(
    snapshot: object, message: str
) -> None:
    with pytest.raises(SnapshotError, match=message):
        DOOR.restore(snapshot)


def test_long_strings_are_shortened_in_the_message() -> None:
    huge = "X" * 1_000_000
    for snapshot in (
        _snapshot(state=huge),
        _snapshot(machine=huge),
        _snapshot(**{huge: 1}),
        _snapshot(history=[["Closed", huge, "Open"]]),
    ):
        with pytest.raises(SnapshotError) as info:
            DOOR.restore(snapshot)
        assert "XXXX..." in str(info.value)
        assert len(str(info.value)) < 300
