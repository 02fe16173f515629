"""Round-trip properties: DSL text and JSON both give back the same Machine."""

from __future__ import annotations

import json

from hypothesis import given

import fsm

from .strategies import machines


@given(machines())
def test_parse_of_dumps_is_identity(machine: fsm.Machine) -> None:
    assert fsm.parse(fsm.dumps(machine)) == machine


@given(machines())
def test_dumps_is_stable(machine: fsm.Machine) -> None:
    assert fsm.dumps(fsm.parse(fsm.dumps(machine))) == fsm.dumps(machine)


@given(machines())
def test_from_dict_of_to_dict_is_identity(machine: fsm.Machine) -> None:
    document = json.loads(json.dumps(machine.to_dict()))
    assert fsm.Machine.from_dict(document) == machine


@given(machines())
def test_equal_machines_share_hash_and_fingerprint(machine: fsm.Machine) -> None:
    again = fsm.parse(fsm.dumps(machine))
    assert hash(again) == hash(machine)
    assert again.fingerprint == machine.fingerprint
