"""Timers at run time, with the manual clock: no test here sleeps."""

from __future__ import annotations

import asyncio
import json
import pickle
import time
from typing import Any

import pytest

import fsm
from fsm import FSMError, Machine, ManualClock, PendingTimer, SnapshotError, Transition

# A tool call that times out after 30 s; progress (internal) keeps the timer,
# retry (external) starts it again.
TOOL = Machine(
    "Tool",
    states=("Idle", "Calling", "Done", "TimedOut"),
    initial="Idle",
    transitions=(
        Transition("Idle", "call", "Calling"),
        Transition("Calling", "reply", "Done"),
        Transition("Calling", "timeout", "TimedOut", after=30),
        Transition("Calling", "progress", "Calling", internal=True),
        Transition("Calling", "retry", "Calling"),
        Transition("TimedOut", "reset", "Idle"),
    ),
)


def calling(at: float = 100.0) -> tuple[fsm.Instance, ManualClock]:
    clock = ManualClock(at)
    inst = TOOL.start(clock=clock, history=True)
    inst.send("call")
    return inst, clock


def test_entering_a_timed_state_starts_its_timer() -> None:
    inst, _ = calling()
    assert inst.timers == (PendingTimer("timeout", 130.0, "Calling"),)
    assert inst.snapshot()["timers"] == [["timeout", 130.0, "Calling"]]


def test_a_timer_fires_once_due_and_not_before() -> None:
    inst, clock = calling()
    clock.advance(29.5)
    assert inst.fire_due() == ()
    assert inst.state == "Calling"
    clock.advance(0.5)
    assert inst.fire_due() == ("timeout",)
    assert (inst.state, inst.timers) == ("TimedOut", ())
    assert inst.history[-1] == fsm.Step("Calling", "timeout", "TimedOut")


def test_leaving_the_state_cancels_its_timer() -> None:
    inst, clock = calling()
    inst.send("reply")
    assert inst.timers == ()
    clock.advance(60)
    assert (inst.fire_due(), inst.state) == ((), "Done")


def test_an_internal_transition_keeps_the_timer_running() -> None:
    inst, clock = calling(0)
    clock.advance(20)
    inst.send("progress")
    assert inst.timers == (PendingTimer("timeout", 30.0, "Calling"),)
    clock.advance(10)
    assert inst.fire_due() == ("timeout",)


def test_an_external_self_transition_starts_the_timer_again() -> None:
    inst, clock = calling(0)
    clock.advance(20)
    inst.send("retry")
    assert inst.timers == (PendingTimer("timeout", 50.0, "Calling"),)
    clock.advance(10)
    assert inst.fire_due() == ()
    clock.advance(20)
    assert inst.fire_due() == ("timeout",)


NESTED = Machine(
    "Escalation",
    states=("Open", "New", "Seen", "Escalated"),
    initial="Open",
    parents={"New": "Open", "Seen": "Open"},
    entries={"Open": "New"},
    transitions=(
        Transition("Open", "escalate", "Escalated", after=86400),
        Transition("New", "read", "Seen"),
        Transition("Seen", "nudge", "Seen", after=3600, guard="worth_it"),
        Transition("Escalated", "reopen", "Open"),
    ),
)


def test_a_superstates_timer_runs_across_its_substates() -> None:
    clock = ManualClock()
    inst = NESTED.start(clock=clock, handlers={"worth_it": lambda _c: False})
    assert inst.timers == (PendingTimer("escalate", 86400.0, "Open"),)  # initial state: now
    clock.advance(100)
    inst.send("read")  # New -> Seen, inside Open: Open's timer keeps running
    assert inst.timers == (
        PendingTimer("nudge", 3700.0, "Seen"),
        PendingTimer("escalate", 86400.0, "Open"),
    )
    clock.advance(3600)
    assert inst.fire_due() == ()  # the nudge's guard is false: the timer is spent
    assert inst.timers == (PendingTimer("escalate", 86400.0, "Open"),)
    clock.advance(86400)
    assert (inst.fire_due(), inst.state, inst.timers) == (("escalate",), "Escalated", ())


def test_due_timers_fire_soonest_first_and_cancelled_ones_do_not() -> None:
    clock = ManualClock()
    inst = NESTED.start(clock=clock, handlers={"worth_it": lambda _c: True})
    inst.send("read")
    clock.advance(100_000)  # both due: the nudge (at 3600) first, then the escalation
    assert inst.fire_due() == ("nudge", "escalate")
    assert inst.state == "Escalated"


def test_a_timer_started_by_a_fired_step_waits_for_the_next_call() -> None:
    m = Machine(
        "Ping",
        states=("A", "B"),
        initial="A",
        transitions=(Transition("A", "go", "B", after=1), Transition("B", "back", "A", after=1)),
    )
    clock = ManualClock()
    inst = m.start(clock=clock)
    clock.advance(5)
    assert inst.fire_due() == ("go",)
    assert inst.timers == (PendingTimer("back", 6.0, "B"),)
    clock.advance(1)
    assert inst.fire_due() == ("back",)


def test_a_failing_timer_step_leaves_the_timer_due() -> None:
    m = Machine(
        "Flaky",
        states=("A", "B"),
        initial="A",
        transitions=(Transition("A", "expire", "B", after=10, actions=("cleanup",)),),
    )
    errors = [RuntimeError("disk full")]

    def cleanup(_ctx: object) -> None:
        if errors:
            raise errors.pop()

    clock = ManualClock()
    inst = m.start(clock=clock, handlers={"cleanup": cleanup})
    clock.advance(10)
    with pytest.raises(fsm.TransitionFailed, match=r"RuntimeError: disk full"):
        inst.fire_due()
    assert (inst.state, inst.timers) == ("A", (PendingTimer("expire", 10.0, "A"),))
    assert inst.fire_due() == ("expire",)


def test_a_timer_event_may_also_be_sent_by_hand() -> None:
    inst, _ = calling()
    assert inst.send("timeout") == "TimedOut"
    assert inst.timers == ()


def test_snapshot_and_restore_keep_the_due_times() -> None:
    inst, clock = calling(1000)
    clock.advance(10)
    data = json.loads(json.dumps(inst.snapshot()))
    assert data["timers"] == [["timeout", 1030.0, "Calling"]]
    later = ManualClock(1029)  # another process, another clock: the due time holds
    back = TOOL.restore(data, clock=later)
    assert back.timers == (PendingTimer("timeout", 1030.0, "Calling"),)
    assert back.fire_due() == ()
    later.advance(1)
    assert back.fire_due() == ("timeout",)


def test_a_snapshot_of_a_machine_without_timers_has_no_timers_key() -> None:
    door = Machine(
        "Door", states=("A", "B"), initial="A", transitions=(Transition("A", "go", "B"),)
    )
    inst = door.start()
    assert inst.snapshot().keys() == {"machine", "fingerprint", "state"}
    assert inst.timers == ()
    assert inst.fire_due() == ()
    with pytest.raises(SnapshotError, match=r"^snapshot has timers but machine 'Door' has none"):
        door.restore({**inst.snapshot(), "timers": []})


def test_a_restored_snapshot_without_timers_starts_them_now() -> None:
    inst, _ = calling()
    data = inst.snapshot()
    del data["timers"]
    back = TOOL.restore(data, clock=ManualClock(500))
    assert back.timers == (PendingTimer("timeout", 530.0, "Calling"),)


NOT_A_TRIPLE = (
    r"^snapshot\['timers'\]\[0\] must be an \[event, due, state\] triple: a string, a finite"
)


@pytest.mark.parametrize(
    ("timers", "message"),
    [
        (
            "x",
            r"^snapshot\['timers'\] must be a list of \[event, due, state\] triples \(got 'x' of ",
        ),
        ([["timeout"]], NOT_A_TRIPLE),
        ([["timeout", 1.0]], NOT_A_TRIPLE),
        ([["timeout", float("nan"), "Calling"]], NOT_A_TRIPLE),
        ([["timeout", True, "Calling"]], NOT_A_TRIPLE),
        ([["timeout", 1.0, None]], NOT_A_TRIPLE),
        (
            [["reply", 1.0, "Calling"]],
            r"^snapshot\['timers'\]\[0\] 'reply' of 'Calling' is not a timer that state "
            r"'Calling' ",
        ),
        (
            [["timeout", 1.0, "Idle"]],
            r"^snapshot\['timers'\]\[0\] 'timeout' of 'Idle' is not a timer that state "
            r"'Calling' ",
        ),
        (
            [["timeout", 1.0, "Calling"], ["timeout", 2.0, "Calling"]],
            r"^snapshot\['timers'\]\[1\] .*listed twice",
        ),
    ],
)
def test_a_bad_timers_entry_is_a_snapshot_error(timers: object, message: str) -> None:
    inst, _ = calling()
    with pytest.raises(SnapshotError, match=message):
        TOOL.restore({**inst.snapshot(), "timers": timers})


def test_an_instance_with_timers_pickles_with_its_clock_and_due_times() -> None:
    inst, clock = calling()
    copy = pickle.loads(pickle.dumps(inst))
    assert copy.timers == inst.timers
    clock.advance(30)
    assert copy.fire_due() == ()  # the copy has its own clock
    assert inst.fire_due() == ("timeout",)


def test_the_default_clock_is_the_wall_time() -> None:
    before = time.time()
    inst = TOOL.start()
    inst.send("call")
    (timer,) = inst.timers
    assert before + 30 <= timer.due <= time.time() + 30


def test_a_locked_instance_fires_its_timers() -> None:
    clock = ManualClock()
    inst = TOOL.start(clock=clock, lock=True)
    inst.send("call")
    clock.advance(30)
    assert inst.fire_due() == ("timeout",)


def test_the_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(5)
    with pytest.raises(
        ValueError, match=r"^a ManualClock only moves forward \(got advance\(-1\)\)"
    ):
        clock.advance(-1)
    with pytest.raises(ValueError, match=r"^seconds must be a finite number of seconds"):
        clock.advance(float("inf"))
    assert clock.now() == 5.0


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)  # lets the driver task run; no time passes


def test_run_timers_fires_when_the_clock_reaches_the_due_time() -> None:
    async def main() -> list[str]:
        clock = ManualClock()
        inst = TOOL.start(clock=clock, history=True)
        driver = asyncio.ensure_future(inst.run_timers())
        await settle()
        await inst.asend("call")  # starts a timer: the sleeping driver wakes for it
        await settle()
        clock.advance(29)
        await settle()
        states = [inst.state]
        clock.advance(1)
        await settle()
        states.append(inst.state)
        driver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await driver
        return states

    assert asyncio.run(main()) == ["Calling", "TimedOut"]


def test_run_timers_awaits_async_handlers() -> None:
    seen: list[str] = []

    async def cleanup(_ctx: object) -> None:
        await asyncio.sleep(0)
        seen.append("cleanup")

    expire = Transition("A", "expire", "B", after=5, actions=("cleanup",))
    m = Machine("Job", states=("A", "B"), initial="A", transitions=(expire,))

    async def main() -> str:
        clock = ManualClock()
        inst = m.start(clock=clock, handlers={"cleanup": cleanup})
        driver = asyncio.ensure_future(inst.run_timers())
        await settle()
        clock.advance(5)
        await settle()
        driver.cancel()
        return inst.state

    assert asyncio.run(main()) == "B"
    assert seen == ["cleanup"]


def test_run_timers_needs_a_machine_with_timers() -> None:
    door = Machine(
        "Door", states=("A", "B"), initial="A", transitions=(Transition("A", "go", "B"),)
    )
    with pytest.raises(FSMError, match=r"^machine 'Door' has no timers \(no transition with "):
        asyncio.run(door.start().run_timers())


def test_fired_timers_respect_run_to_completion() -> None:
    m = Machine(
        "Chain",
        states=("A", "B", "C"),
        initial="A",
        transitions=(
            Transition("A", "expire", "B", after=1, actions=("follow",)),
            Transition("B", "next", "C"),
        ),
    )
    box: list[fsm.Instance] = []
    handlers: dict[str, Any] = {"follow": lambda _c: box[0].send("next")}
    clock = ManualClock()
    box.append(m.start(clock=clock, handlers=handlers))
    clock.advance(1)
    assert box[0].fire_due() == ("expire",)
    assert box[0].state == "C"


def test_a_snapshot_names_the_state_whose_timer_is_pending() -> None:
    # Outer and its substate Inner both time 'tick': after Inner's timer is
    # used up, only Outer's is pending, and a snapshot must not hand it to Inner.
    nested = Machine(
        "Nested",
        states=("Outer", "Inner"),
        initial="Outer",
        parents={"Inner": "Outer"},
        entries={"Outer": "Inner"},
        transitions=(
            Transition("Outer", "tick", "Outer", after=2.0),
            Transition("Inner", "tick", "Outer", guard="never", after=1.0),
        ),
    )
    clock = ManualClock(0)
    inst = nested.start(clock=clock, handlers={"never": lambda ctx: False})
    clock.advance(1.5)
    assert inst.fire_due() == ()  # Inner's: its guard is false, so it is used up
    pending = inst.timers
    assert pending == (fsm.PendingTimer("tick", 2.0, "Outer"),)
    data = json.loads(json.dumps(inst.snapshot()))
    assert [[t.event, t.due, t.state] for t in pending] == data["timers"]
    back = nested.restore(data, clock=ManualClock(1.5), handlers={"never": lambda ctx: False})
    assert back.timers == pending
