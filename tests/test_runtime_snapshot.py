"""Snapshots: JSON round trips, and every kind of tampering refused on its own terms."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
            r"^snapshot has an unknown key 'context'; expected only machine, fingerprint, state "
            r"and history$",
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
