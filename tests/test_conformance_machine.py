"""The state machine conformance() returns: one set of rules, Hypothesis' lifecycle."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

import fsm
from analysis.testing import ConformanceFailure, conformance

DOOR = fsm.parse(
    "stateDiagram-v2\n[*] --> Shut\nShut --> Open : open\nOpen --> Shut : close\n", name="Door"
)
QUICK = settings(max_examples=3, stateful_step_count=3, deadline=None, database=None)


class Logged:
    """A correct door that logs the calls it gets."""

    def __init__(self, start: str = "Shut") -> None:
        self.start = start
        self.state = start
        self.log: list[str] = []

    def reset(self) -> None:
        self.log.append("reset")
        self.state = self.start

    def send(self, event: str, payload: Mapping[str, object]) -> object:
        self.log.append(event)
        moves = {("Shut", "open"): "Open", ("Open", "close"): "Shut"}
        if (self.state, event) not in moves:
            raise ValueError(f"can't {event}")
        self.state = moves[self.state, event]
        return self.state


def test_the_rules_are_written_once_for_every_conformance_class() -> None:
    one, two = conformance(DOOR, Logged()), conformance(DOOR, Logged(), name="Other")
    assert (one.__name__, two.__name__) == ("DoorConformance", "Other")
    assert (one.step, one.refused, one.go_to) == (two.step, two.refused, two.go_to)


def test_making_the_machine_does_not_reset_the_implementation() -> None:
    door = Logged()
    machine = conformance(DOOR, door)
    machine()  # what Hypothesis does first; resetting is its initialize rule's job
    assert door.log == []
    run_state_machine_as_test(machine, settings=QUICK)
    assert door.log[0] == "reset"


def test_a_wrong_initial_state_fails_with_no_event_sent() -> None:
    with pytest.raises(ConformanceFailure) as caught:
        run_state_machine_as_test(conformance(DOOR, Logged(start="Open")), settings=QUICK)
    assert str(caught.value) == (
        "the implementation starts in 'Open'; the machine starts in 'Shut'\n  trace: (no event)"
    )
    assert (caught.value.trace, caught.value.event, caught.value.state) == ((), None, "Shut")
