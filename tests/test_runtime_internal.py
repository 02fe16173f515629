"""Internal transitions at run time: guard and actions, no exit or enter hook, same leaf."""

from __future__ import annotations

from typing import Any

import pytest

import fsm
from fsm import Machine, Step, Transition

# Outer { Idle, Busy }; Idle --poke--> Idle (internal), Busy --poke--> Busy (external).
NESTED = Machine(
    "Nested",
    states=("Outer", "Idle", "Busy"),
    initial="Outer",
    parents={"Idle": "Outer", "Busy": "Outer"},
    entries={"Outer": "Idle"},
    transitions=(
        Transition("Idle", "poke", "Idle", guard="ok", actions=("note",), internal=True),
        Transition("Idle", "work", "Busy"),
        Transition("Busy", "poke", "Busy", guard="ok", actions=("note",)),
    ),
)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def ok(self, **payload: Any) -> bool:
        self.calls.append("guard ok")
        return True

    def note(self, **payload: Any) -> None:
        self.calls.append("action note")


def hooks() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for state in NESTED.states:
        found[f"on_enter_{state}"] = lambda ctx, s=state: ctx.calls.append(f"enter {s}")
        found[f"on_exit_{state}"] = lambda ctx, s=state: ctx.calls.append(f"exit {s}")
    return found


def test_an_internal_transition_runs_guard_and_actions_but_no_hook() -> None:
    ctx = Recorder()
    inst = NESTED.start(ctx, handlers=hooks(), history=True)
    assert inst.send("poke") == "Idle"
    assert ctx.calls == ["guard ok", "action note"]
    assert inst.history == (Step("Idle", "poke", "Idle"),)


def test_an_external_self_transition_exits_and_enters_as_before() -> None:
    ctx = Recorder()
    inst = NESTED.start(ctx, handlers=hooks())
    inst.send("work")
    ctx.calls.clear()
    assert inst.send("poke") == "Busy"
    assert ctx.calls == ["guard ok", "exit Busy", "action note", "enter Busy"]


def test_an_internal_transition_of_a_superstate_is_refused_with_the_fix() -> None:
    # At run time it would keep the substate, but the analysis reads a
    # superstate's target as its entry substate: refused until both agree.
    with pytest.raises(fsm.DefinitionError, match="put it on each substate that needs it"):
        Machine(
            "Nested",
            states=("Outer", "Idle"),
            initial="Outer",
            parents={"Idle": "Outer"},
            entries={"Outer": "Idle"},
            transitions=(Transition("Outer", "ping", "Outer", internal=True),),
        )


def test_an_internal_transition_without_handlers_takes_the_fast_path() -> None:
    m = Machine("Tick", states=("A",), initial="A",
                transitions=(Transition("A", "tick", "A", internal=True),))  # fmt: skip
    inst = m.bind().start(history=True)
    assert inst.send("tick") == "A"
    assert inst.history == (Step("A", "tick", "A"),)
    assert isinstance(inst, fsm.Instance)
