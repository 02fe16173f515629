"""Run-to-completion: events sent from inside a transition are queued, then delivered."""

from __future__ import annotations

import asyncio
import pickle
import threading
from typing import Any

import pytest

import fsm
from fsm import InvalidTransition, Machine, QueuedEventRejected, Step, Transition, TransitionFailed

# A --go--> B (action: chain) ; B --next--> C ; C --last--> D ; B --fail--> D (action: boom)
CHAIN = Machine(
    "Chain",
    states=("A", "B", "C", "D"),
    initial="A",
    transitions=(
        Transition("A", "go", "B", actions=("chain",)),
        Transition("B", "next", "C", actions=("mark",)),
        Transition("C", "last", "D", actions=("mark",)),
        Transition("B", "fail", "D", actions=("boom",)),
        Transition("D", "reset", "A"),
    ),
)


def NOOP(_ctx: object, **payload: Any) -> None:
    return None


class Box:
    """Handlers that send to the instance they run in."""

    def __init__(self, *sends: str) -> None:
        self.sends = sends
        self.inst: fsm.Instance | None = None
        self.log: list[str] = []
        self.returned: list[str] = []

    def send(self, event: str) -> None:
        assert self.inst is not None
        self.returned.append(self.inst.send(event, who=event))


def start(*sends: str, history: bool = True, lock: bool = False) -> tuple[fsm.Instance, Box]:
    box = Box(*sends)

    def chain(ctx: Box, **payload: Any) -> None:
        for event in ctx.sends:
            ctx.send(event)
        ctx.log.append("chain done")

    def mark(ctx: Box, **payload: Any) -> None:
        ctx.log.append(f"mark {payload}")

    def boom(ctx: Box, **payload: Any) -> None:
        ctx.send("reset")  # queued by a step that fails: dropped
        raise ValueError("no")

    handlers = {"chain": chain, "mark": mark, "boom": boom}
    inst = CHAIN.start(box, handlers=handlers, history=history, lock=lock)
    box.inst = inst
    return inst, box


def test_events_sent_from_an_action_run_after_the_step_commits_in_order() -> None:
    inst, box = start("next", "last")
    assert inst.send("go") == "D"  # the state after the whole run-to-completion step
    assert box.returned == ["A", "A"]  # inside, the transition has not committed yet
    assert box.log == ["chain done", "mark {'who': 'next'}", "mark {'who': 'last'}"]
    assert inst.history == (Step("A", "go", "B"), Step("B", "next", "C"), Step("C", "last", "D"))


def test_a_failing_transition_drops_the_events_it_queued() -> None:
    box = Box()
    failures = [ValueError("late")]

    def fail_once_after_queueing(ctx: Box, **payload: Any) -> None:
        if failures:
            ctx.send("next")
            raise failures.pop()

    handlers = {"chain": fail_once_after_queueing, "mark": print, "boom": print}
    inst = box.inst = CHAIN.start(box, handlers=handlers, history=True)
    with pytest.raises(TransitionFailed, match=r"action 'chain': ValueError: late; the instance "
                       r"is unchanged, still in 'A'$"):  # fmt: skip
        inst.send("go")
    assert (inst.state, inst.history) == ("A", ())
    assert inst.send("go") == "B"  # 'next', queued by the failed step, was dropped
    assert inst.history == (Step("A", "go", "B"),)


def test_a_refused_queued_event_keeps_the_committed_steps_and_names_the_event() -> None:
    inst, _ = start("nope", "next")
    with pytest.raises(QueuedEventRejected) as caught:
        inst.send("go")
    assert str(caught.value) == (
        "Queued event 'nope' (sent from a handler) was not delivered: Can't send 'nope' in "
        "state 'B' (machine 'Chain' has no event 'nope'); allowed here: next, fail; the steps "
        "before it stay committed, the instance is in 'B'; not delivered: 'nope', 'next' "
        "(in .pending)"
    )
    error = caught.value
    assert (error.state, error.event) == ("B", "nope")
    assert error.pending == (("nope", {"who": "nope"}), ("next", {"who": "next"}))
    assert isinstance(error.__cause__, InvalidTransition)
    assert error.error is error.__cause__
    assert (inst.state, inst.history) == ("B", (Step("A", "go", "B"),))
    for event, payload in error.pending[1:]:  # nothing lost: the rest can be sent again
        inst.send(event, **payload)
    assert inst.state == "C"


def test_a_failing_queued_step_is_undone_and_drops_only_what_it_queued() -> None:
    inst, box = start("fail", "next")
    with pytest.raises(QueuedEventRejected, match=r"^Queued event 'fail' \(sent from a handler\) "
                       r"was not delivered: Transition B --fail--> D failed in action 'boom': "
                       r"ValueError: no; the instance is unchanged, still in 'B'; the steps "
                       r"before it stay committed, the instance is in 'B'; not delivered: "
                       r"'fail', 'next' \(in \.pending\)$") as caught:  # fmt: skip
        inst.send("go")
    assert isinstance(caught.value.__cause__, TransitionFailed)
    # 'reset', queued by the failing step, is gone; 'next' (queued before it) is pending.
    assert [event for event, _ in caught.value.pending] == ["fail", "next"]
    assert box.returned == ["A", "A", "B"]
    assert (inst.state, inst.history) == ("B", (Step("A", "go", "B"),))


def test_events_queued_by_a_queued_step_go_to_the_back_of_the_queue() -> None:
    m = Machine(
        "Fifo",
        states=("S",),
        initial="S",
        transitions=tuple(
            Transition("S", e, "S", internal=True, actions=(e,)) for e in ("a", "b", "c", "d")
        ),
    )
    seen: list[str] = []
    box: list[fsm.Instance] = []

    def act(name: str, then: tuple[str, ...]) -> Any:
        def run(_ctx: object) -> None:
            seen.append(name)
            for event in then:
                box[0].send(event)

        return run

    handlers = {"a": act("a", ("b", "c")), "b": act("b", ("d",)), "c": act("c", ()),
                "d": act("d", ())}  # fmt: skip
    box.append(m.start(handlers=handlers, history=True))
    box[0].send("a")
    assert seen == ["a", "b", "c", "d"]  # breadth first: b and c before d, which b queued
    assert [step.event for step in box[0].history] == ["a", "b", "c", "d"]


def test_hooks_guards_and_listeners_may_send_too() -> None:
    sent: list[str] = []
    box: list[fsm.Instance] = []

    def listener(inst: fsm.Instance, step: Step, payload: dict[str, Any]) -> None:
        sent.append(f"{step.event} seen in {inst.state}")
        if step.event == "go":
            inst.send("next")

    def on_enter_C(_ctx: object) -> None:
        box[0].send("last")

    handlers = {"chain": lambda _c: None, "mark": lambda _c: None, "boom": print,
                "on_enter_C": on_enter_C}  # fmt: skip
    box.append(CHAIN.start(handlers=handlers, listeners=[listener], history=True))
    assert box[0].send("go") == "D"
    assert sent == ["go seen in B", "next seen in C", "last seen in D"]


def test_can_and_state_read_the_source_while_the_transition_runs() -> None:
    seen: list[object] = []
    box: list[fsm.Instance] = []

    def chain(_ctx: object) -> None:
        inst = box[0]
        seen.extend([inst.state, inst.can("go"), inst.can("next"), inst.allowed])

    box.append(CHAIN.start(handlers={"chain": chain, "mark": print, "boom": print}))
    box[0].send("go")
    assert seen == ["A", True, False, ("go",)]


def test_asend_from_an_async_handler_is_queued_not_deadlocked() -> None:
    box: list[fsm.Instance] = []
    order: list[str] = []

    async def chain(_ctx: object) -> None:
        assert await box[0].asend("next") == "A"
        order.append("chain done")

    async def mark(_ctx: object, **payload: Any) -> None:
        order.append("mark")

    async def main() -> str:
        box.append(CHAIN.start(handlers={"chain": chain, "mark": mark, "boom": print}))
        return await asyncio.wait_for(box[0].asend("go"), 5)

    assert asyncio.run(main()) == "C"
    assert order == ["chain done", "mark"]


def test_another_tasks_asend_still_waits_for_the_whole_step() -> None:
    gate = asyncio.Event
    order: list[str] = []

    async def main() -> None:
        release = gate()
        box: list[fsm.Instance] = []

        async def chain(_ctx: object) -> None:
            await box[0].asend("next")
            await release.wait()
            order.append("chain done")

        async def mark(_ctx: object, **payload: Any) -> None:
            order.append(f"mark in {box[0].state}")

        box.append(CHAIN.start(handlers={"chain": chain, "mark": mark, "boom": print}))
        first = asyncio.ensure_future(box[0].asend("go"))
        await asyncio.sleep(0)
        other = asyncio.ensure_future(box[0].asend("last"))
        await asyncio.sleep(0)
        release.set()
        assert await first == "C"
        assert await other == "D"  # it waited for go and the queued next

    asyncio.run(main())
    assert order == ["chain done", "mark in B", "mark in C"]


def test_a_queued_event_with_an_async_handler_in_send_names_asend() -> None:
    async def mark(_ctx: object, **payload: Any) -> None:
        return None

    box: list[fsm.Instance] = []
    handlers = {"chain": lambda _c: box[0].send("next"), "mark": mark, "boom": print}
    box.append(CHAIN.start(handlers=handlers))
    message = r"action 'mark' of 'next' in state 'B' is async; use 'await inst\.asend\('next'"
    with pytest.raises(QueuedEventRejected, match=message):
        box[0].send("go")
    assert box[0].state == "B"


def test_a_locked_instance_queues_its_own_sends_and_blocks_other_threads() -> None:
    box = Box()
    seen: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def chain(ctx: Box, **payload: Any) -> None:
        ctx.send("next")
        entered.set()
        release.wait(5)

    inst = CHAIN.start(box, handlers={"chain": chain, "mark": NOOP, "boom": NOOP}, lock=True)
    box.inst = inst
    worker = threading.Thread(target=lambda: seen.append(inst.send("go")))
    worker.start()
    entered.wait(5)
    other = threading.Thread(target=lambda: seen.append(inst.send("last")))
    other.start()
    release.set()
    worker.join(5)
    other.join(5)
    assert seen == ["C", "D"]


def test_queued_event_rejected_pickles() -> None:
    error = QueuedEventRejected("B", "x", {"n": 1}, [("y", {})], InvalidTransition("B", "x", ()))
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.pending, copy.state, copy.event) == (
        str(error),
        error.pending,
        "B",
        "x",
    )
