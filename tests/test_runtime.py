"""The runtime: starting, sending, guards, hooks, listeners, atomicity, branches."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest

import fsm
from fsm import (
    DefinitionError,
    FSMError,
    InvalidTransition,
    Machine,
    Step,
    Transition,
    TransitionFailed,
)

DOOR = fsm.parse(
    """---
title: Door
---
stateDiagram-v2
    [*] --> Closed
    Closed --> Open : open
    Open --> Closed : close
    Closed --> Locked : lock(code)
    Locked --> Closed : unlock(code) [right_code]
    Locked --> Locked : unlock(code) [else] / count_failure
"""
)

CONNECTION = fsm.parse(
    """
stateDiagram-v2
    [*] --> Offline
    Offline --> Connected : connect
    state Connected {
        [*] --> Idle
        Idle --> Busy : work
        Busy --> Idle : done
        Busy --> Busy : drop
    }
    Connected --> Offline : drop
"""
)


class Lock:
    """A context for DOOR: the code is checked by a guard."""

    def __init__(self, code: str = "1234") -> None:
        self.code = code
        self.failures = 0
        self.log: list[str] = []

    def right_code(self, code: str) -> bool:
        return code == self.code

    def count_failure(self, code: str) -> None:
        self.failures += 1
        self.log.append(f"failure {code}")

    def on_enter_Locked(self) -> None:
        self.log.append("enter Locked")

    def on_exit_Locked(self) -> None:
        self.log.append("exit Locked")


def test_start_is_in_the_initial_state() -> None:
    inst = DOOR.start(Lock())
    assert (inst.state, inst.allowed, inst.is_final) == ("Closed", ("open", "lock"), False)
    assert repr(inst) == "<fsm.Instance of 'Door' in 'Closed'>"


def test_send_returns_the_new_state_and_moves() -> None:
    inst = DOOR.start(Lock(), history=True)
    assert inst.send("open") == "Open"
    assert inst.send("close") == "Closed"
    assert inst.history == (Step("Closed", "open", "Open"), Step("Open", "close", "Closed"))


def test_invalid_event_names_state_event_and_allowed() -> None:
    inst = DOOR.start(Lock())
    with pytest.raises(
        InvalidTransition,
        match=r"^Can't send 'close' in state 'Closed'; allowed here: open, lock\.$",
    ) as info:
        inst.send("close")
    assert (info.value.state, info.value.event, info.value.allowed) == (
        "Closed",
        "close",
        ("open", "lock"),
    )
    assert inst.state == "Closed"


def test_unknown_event_says_the_machine_has_none() -> None:
    inst = DOOR.start(Lock())
    with pytest.raises(
        InvalidTransition,
        match=r"^Can't send 'kick' in state 'Closed' \(machine 'Door' has no event 'kick'\); "
        r"allowed here: open, lock\.$",
    ):
        inst.send("kick")


def test_guards_get_the_payload_and_else_is_the_fallback() -> None:
    lock = Lock()
    inst = DOOR.start(lock)
    inst.send("lock", code="1234")
    assert inst.send("unlock", code="0000") == "Locked"
    assert inst.send("unlock", code="1234") == "Closed"
    assert lock.failures == 1


def test_hooks_run_exit_then_actions_then_enter() -> None:
    lock = Lock()
    inst = DOOR.start(lock)
    inst.send("lock", code="1")
    inst.send("unlock", code="bad")
    inst.send("unlock", code="1234")
    assert lock.log == [
        "enter Locked",
        "exit Locked",
        "failure bad",
        "enter Locked",
        "exit Locked",
    ]


def test_all_guards_false_is_an_invalid_transition_saying_so() -> None:
    m = Machine(
        "Gate",
        states=("A", "B", "C"),
        initial="A",
        transitions=(
            Transition("A", "go", "B", guard="g1"),
            Transition("A", "go", "C", guard="g2"),
        ),
    )
    inst = m.start(handlers={"g1": lambda _: False, "g2": lambda _: False})
    with pytest.raises(
        InvalidTransition,
        match=r"^Can't send 'go' in state 'A' \(guards g1, g2 are false\); allowed here: go\.$",
    ):
        inst.send("go")
    assert inst.can("go") is False


def test_guards_are_evaluated_in_definition_order() -> None:
    m = Machine(
        "Gate",
        states=("A", "B", "C"),
        initial="A",
        transitions=(
            Transition("A", "go", "B", guard="g1"),
            Transition("A", "go", "C", guard="g2"),
        ),
    )
    calls: list[str] = []

    def guard(name: str) -> Any:
        def check(_ctx: object) -> bool:
            calls.append(name)
            return True

        return check

    assert m.start(handlers={"g1": guard("g1"), "g2": guard("g2")}).send("go") == "B"
    assert calls == ["g1"]


def test_superstate_transitions_apply_in_substates_unless_overridden() -> None:
    inst = CONNECTION.start(history=True)
    inst.send("connect")
    assert inst.state == "Idle"
    inst.send("work")
    assert inst.send("drop") == "Busy"  # Busy defines 'drop' itself
    inst.send("done")
    assert inst.send("drop") == "Offline"  # inherited from Connected
    assert inst.history[-1] == Step("Idle", "drop", "Offline")


def test_hooks_of_superstates_follow_the_nearest_common_superstate() -> None:
    log: list[str] = []
    handlers = {
        f"on_{kind}_{state}": (lambda _c, k=kind, s=state: log.append(f"{k} {s}"))
        for kind in ("enter", "exit")
        for state in ("Offline", "Connected", "Idle", "Busy")
    }
    inst = CONNECTION.start(handlers=handlers)
    inst.send("connect")
    inst.send("work")
    inst.send("drop")
    inst.send("done")
    inst.send("drop")
    assert log == [
        "exit Offline", "enter Connected", "enter Idle",
        "exit Idle", "enter Busy",
        "exit Busy", "enter Busy",
        "exit Busy", "enter Idle",
        "exit Idle", "exit Connected", "enter Offline",
    ]  # fmt: skip


def test_missing_guard_and_action_are_reported_together_at_bind() -> None:
    with pytest.raises(DefinitionError) as info:
        DOOR.bind()
    assert info.value.messages == (
        "guard of Locked --unlock [right_code]--> Closed 'right_code' of machine 'Door' is "
        "not defined; pass it in handlers=",
        "action of Locked --unlock [else]--> Locked 'count_failure' of machine 'Door' is "
        "not defined; pass it in handlers=",
    )


def test_missing_name_on_a_class_says_where_to_add_it() -> None:
    class Empty:
        pass

    with pytest.raises(
        DefinitionError,
        match=r"^2 problems in this definition:\n- guard of .* 'right_code' of machine 'Door' "
        r"is not defined; add a method to .*Empty or pass it in handlers=",
    ):
        DOOR.bind(Empty)


def test_non_callable_handler_is_a_definition_error() -> None:
    with pytest.raises(
        DefinitionError,
        match=r"^2 problems in this definition:\n- handlers\['right_code'\] \(guard of .*\) "
        r"must be callable \(got 3 of type int\); pass a function taking the context first",
    ):
        DOOR.bind(handlers={"right_code": 3})


def test_non_callable_class_attribute_is_a_definition_error() -> None:
    class Bad(Lock):
        right_code = "yes"  # type: ignore[assignment]

    with pytest.raises(
        DefinitionError,
        match=r"^Bad.right_code \(guard of .*\) must be a method, not a data attribute \(got "
        r"'yes' of type str\); "
        r"define 'def right_code\(self, \.\.\.\)'$",
    ):
        DOOR.bind(Bad)


def test_misspelt_handler_is_a_definition_error() -> None:
    with pytest.raises(
        DefinitionError,
        match=r"^handlers has 'on_enter_Opne', which names no guard, action, hook "
        r"\(on_enter_<State>, on_exit_<State>\) or decider \(decide_<event>\) of machine "
        r"'Door'; check its spelling or remove it$",
    ):
        DOOR.bind(Lock, handlers={"on_enter_Opne": print})


def test_bind_refuses_an_instance_for_the_class() -> None:
    with pytest.raises(TypeError, match=r"^bind\(\) takes the context's class, not an instance"):
        DOOR.bind(Lock())  # type: ignore[arg-type]


def test_context_must_be_of_the_bound_class() -> None:
    bound = DOOR.bind(Lock)
    with pytest.raises(
        TypeError,
        match=r"^context must be an instance of Lock, the class machine 'Door' was bound to "
        r"\(got None of type NoneType\); pass one, or bind the machine to NoneType$",
    ):
        bound.start()


def test_static_methods_and_callable_attributes_resolve() -> None:
    class Context:
        @staticmethod
        def right_code(code: str) -> bool:
            return code == "x"

        count_failure = staticmethod(lambda code: None)

    inst = DOOR.start(Context())
    inst.send("lock", code="x")
    assert inst.send("unlock", code="x") == "Closed"


def test_instance_cannot_be_made_directly() -> None:
    with pytest.raises(TypeError, match=r"^fsm.Instance cannot be made directly; use machine"):
        fsm.Instance()


def test_instance_is_small_and_has_no_dict() -> None:
    inst = CONNECTION.bind().start()
    assert not hasattr(inst, "__dict__")
    assert sys.getsizeof(inst) < 200
    assert type(inst).__module__ == "fsm"
    assert type(inst) is fsm.Instance


def test_history_off_raises_with_the_fix() -> None:
    with pytest.raises(
        FSMError,
        match=r"^history is off for this instance of 'Door'; start it with history=True "
        r"\(every step\) or history=N \(the last N steps\)$",
    ):
        _ = DOOR.start(Lock()).history


def test_bounded_history_keeps_the_last_steps() -> None:
    inst = DOOR.start(Lock(), history=2)
    for event in ("open", "close", "open"):
        inst.send(event)
    assert inst.history == (Step("Open", "close", "Closed"), Step("Closed", "open", "Open"))


@pytest.mark.parametrize("history", [0, -1, "yes", 1.5])
def test_bad_history_argument(history: Any) -> None:
    with pytest.raises(
        TypeError, match=r"^history must be False, True or a positive int \(got .*\); use True"
    ):
        DOOR.start(Lock(), history=history)


# -- atomicity ----------------------------------------------------------------------


class Boom(Exception):
    """Raised by the handlers under test."""


def _raise(*_args: object, **_kwargs: object) -> None:
    raise Boom("kaput")


def test_raising_action_leaves_state_and_history_unchanged() -> None:
    inst = DOOR.start(Lock(), history=True)
    inst.send("lock", code="1234")
    before = inst.history
    handlers = {"right_code": lambda _c, code: False, "count_failure": _raise}
    inst = DOOR.restore(inst.snapshot(), handlers=handlers)
    with pytest.raises(
        TransitionFailed,
        match=r"^Transition Locked --unlock \[else\]--> Locked failed in action 'count_failure': "
        r"Boom: kaput; the instance is unchanged, still in 'Locked'$",
    ) as info:
        inst.send("unlock", code="0")
    assert isinstance(info.value.__cause__, Boom)
    assert (inst.state, inst.history) == ("Locked", before)
    assert info.value.stage == "action 'count_failure'"


def test_raising_guard_names_the_guard() -> None:
    inst = DOOR.start(handlers={"right_code": _raise, "count_failure": print})
    inst.send("lock", code="1")
    with pytest.raises(
        TransitionFailed,
        match=r"^Transition Locked --unlock \[right_code\]--> Closed failed in guard 'right_code'",
    ):
        inst.send("unlock", code="1")
    assert inst.state == "Locked"


def test_raising_hook_of_a_superstate_names_the_substate() -> None:
    inst = CONNECTION.start(handlers={"on_exit_Connected": _raise})
    inst.send("connect")
    with pytest.raises(
        TransitionFailed,
        match=r"^Transition Connected --drop--> Offline \(from substate 'Idle'\) failed in "
        r"exit hook 'on_exit_Connected': Boom: kaput; the instance is unchanged, still in 'Idle'$",
    ):
        inst.send("drop")
    assert inst.state == "Idle"


def test_listeners_see_the_new_state_and_a_raising_one_rolls_back() -> None:
    seen: list[tuple[str, Step, dict[str, Any]]] = []

    def watch(inst: fsm.Instance, step: Step, payload: dict[str, Any]) -> None:
        seen.append((inst.state, step, payload))

    def veto(inst: fsm.Instance, step: Step, payload: dict[str, Any]) -> None:
        if step.target == "Open":
            raise Boom("no")

    inst = DOOR.start(Lock(), listeners=[watch, veto], history=1)
    inst.send("lock", code="1234")
    inst.send("unlock", code="1234")
    with pytest.raises(
        TransitionFailed, match=r"^Transition Closed --open--> Open failed in listener"
    ):
        inst.send("open")
    assert inst.state == "Closed"
    assert inst.history == (Step("Locked", "unlock", "Closed"),)
    assert seen[0] == ("Locked", Step("Closed", "lock", "Locked"), {"code": "1234"})
    assert seen[-1] == ("Open", Step("Closed", "open", "Open"), {})


def test_base_exceptions_are_not_wrapped_but_still_roll_back() -> None:
    def stop(*_args: object) -> None:
        raise KeyboardInterrupt

    inst = DOOR.start(Lock(), listeners=[stop], history=True)
    with pytest.raises(KeyboardInterrupt):
        inst.send("open")
    assert (inst.state, inst.history) == ("Closed", ())


def test_async_handler_in_send_says_to_use_asend() -> None:
    async def right_code(_ctx: object, code: str) -> bool:
        return True

    inst = DOOR.start(handlers={"right_code": right_code, "count_failure": print})
    inst.send("lock", code="1")
    with pytest.raises(
        FSMError,
        match=r"^guard 'right_code' of 'unlock' in state 'Locked' is async; use "
        r"'await inst.asend\('unlock', \.\.\.\)' instead of send\(\)$",
    ):
        inst.send("unlock", code="1")
    with pytest.raises(FSMError, match=r"^guard 'right_code' of .* is async, so can\('unlock'\)"):
        inst.can("unlock", code="1")


def test_can_evaluates_guards_with_the_payload() -> None:
    inst = DOOR.start(Lock())
    assert inst.can("open")
    assert not inst.can("close")
    assert not inst.can("nope")
    inst.send("lock", code="1")
    assert inst.can("unlock", code="9")  # the [else] branch
    with pytest.raises(TransitionFailed, match=r"^Transition Locked --unlock \[right_code\]"):
        DOOR.restore(inst.snapshot(), handlers={"right_code": _raise, "count_failure": print}).can(
            "unlock", code="1"
        )


# -- branches -----------------------------------------------------------------------

PLANNER = Machine(
    "Planner",
    states=("Planning", "Acting", "Failed"),
    initial="Planning",
    transitions=(
        Transition("Planning", "plan", "Acting", branch=True, params=(("steps", "int"),)),
        Transition("Planning", "plan", "Failed", branch=True, params=(("steps", "int"),)),
    ),
)


def test_branch_is_decided_by_the_decider() -> None:
    def decide(_ctx: object, steps: int) -> str:
        return "Acting" if steps else "Failed"

    bound = PLANNER.bind(handlers={"decide_plan": decide})
    assert bound.start().send("plan", steps=3) == "Acting"
    assert bound.start().send("plan", steps=0) == "Failed"
    assert bound.start().can("plan")


def test_branch_without_decider_is_a_definition_error() -> None:
    with pytest.raises(
        DefinitionError,
        match=r"^decider of the branch 'Planning' --plan--> 'Acting' \| 'Failed', which returns "
        r"the target's name, 'decide_plan' of machine 'Planner' is not defined; pass it in "
        r"handlers=$",
    ):
        PLANNER.bind()


def test_branch_decider_returning_another_name_fails() -> None:
    inst = PLANNER.start(handlers={"decide_plan": lambda _c, steps: "Done"})
    with pytest.raises(
        TransitionFailed,
        match=r"^Sending 'plan' in state 'Planning' failed in decider 'decide_plan': it returned "
        r"'Done'; return one of 'Acting', 'Failed'; the instance is unchanged, still in "
        r"'Planning'$",
    ):
        inst.send("plan", steps=1)


def test_public_names_live_in_fsm() -> None:
    for cls in (fsm.Instance, fsm.BoundMachine, fsm.Step, fsm.TransitionFailed):
        assert cls.__module__ == "fsm"
    assert repr(DOOR.bind(Lock)) == "<fsm.BoundMachine 'Door' bound to Lock>"


def test_instances_can_be_weakly_referenced() -> None:
    inst = DOOR.start(Lock())
    assert weakref.ref(inst)() is inst


def test_transition_failed_pickles_with_its_fields() -> None:
    error = TransitionFailed("Open", "close", DOOR.transitions[1], "action 'x'", "Boom: no")
    back = pickle.loads(pickle.dumps(error))
    assert (str(back), back.stage, back.detail, back.transition) == (
        str(error),
        "action 'x'",
        "Boom: no",
        DOOR.transitions[1],
    )


def test_locked_instance_is_an_instance_and_sends() -> None:
    inst = DOOR.start(Lock(), lock=True, history=True)
    assert isinstance(inst, fsm.Instance)
    assert repr(inst) == "<fsm.Instance of 'Door' in 'Closed' (locked)>"
    assert inst.send("open") == "Open"
    assert inst.snapshot()["history"] == [["Closed", "open", "Open"]]


def test_locked_instance_says_what_class_it_is() -> None:
    locked = CONNECTION.bind().start(lock=True)
    assert type(locked) is not fsm.Instance
    assert issubclass(type(locked), fsm.Instance)
    assert repr(type(locked)) == "<class 'fsm._runtime._LockedInstance'>"
    assert type(CONNECTION.bind().start(lock=False)) is fsm.Instance


@pytest.mark.parametrize("lock", [False, True])
def test_instance_pickles_to_an_instance_of_the_same_class(lock: bool) -> None:
    inst = CONNECTION.bind().start(lock=lock, history=True)
    inst.send("connect")
    back = pickle.loads(pickle.dumps(inst))
    assert type(back) is type(inst)
    assert (back.state, back.history, repr(back)) == (inst.state, inst.history, repr(inst))
    assert back.send("work") == "Busy"
    assert (inst.state, len(back.history)) == ("Idle", 2)


def test_locked_instance_copy_has_its_own_lock() -> None:
    inst = CONNECTION.bind().start(lock=True)
    back = pickle.loads(pickle.dumps(inst))
    assert back._lock is not inst._lock  # type: ignore[attr-defined]
    with inst._lock:  # type: ignore[attr-defined]  # held here: the copy still sends
        assert back.send("connect") == "Idle"


def test_instance_pickles_after_asend() -> None:
    inst = CONNECTION.bind().start(history=True)
    assert asyncio.run(inst.asend("connect")) == "Idle"
    back = pickle.loads(pickle.dumps(inst))
    assert asyncio.run(back.asend("work")) == "Busy"
    assert back.history == (Step("Offline", "connect", "Idle"), Step("Idle", "work", "Busy"))


def test_bound_machine_starts_independent_instances() -> None:
    bound = CONNECTION.bind()
    first, second = bound.start(), bound.start()
    first.send("connect")
    assert (first.state, second.state) == ("Idle", "Offline")
    assert first.bound is bound
    assert first.machine is CONNECTION
    assert first.context is None


def test_importing_fsm_does_not_import_asyncio() -> None:
    code = "import sys, fsm; print('asyncio' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "False"


SHADOWED_BRANCH = fsm.parse(
    """---
title: Shadowed
---
stateDiagram-v2
    [*] --> P
    state P {
        [*] --> S1
        S1 --> S2 : go
        S2 --> S1 : go
    }
    P --> X : go [branch]
    P --> Y : go [branch]
"""
)


def test_decider_of_a_shadowed_branch_is_resolved_and_required() -> None:
    """Every name is resolved at bind time, even when no leaf can take its transition."""
    inst = SHADOWED_BRANCH.start(handlers={"decide_go": lambda _c: "X"})
    assert inst.send("go") == "S2"
    with pytest.raises(
        DefinitionError,
        match=r"^decider of the branch 'P' --go--> 'X' \| 'Y', which returns the target's "
        r"name, 'decide_go' of machine 'Shadowed' is not defined; pass it in handlers=$",
    ):
        SHADOWED_BRANCH.bind()
