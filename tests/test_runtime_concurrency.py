"""Threads (``lock=True``) and asyncio (``asend``) on one shared instance."""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any

import pytest

from fsm import InvalidTransition, Machine, Step, Transition, TransitionFailed

# A ring of 4 states on one event: after k accepted events the state is S(k % 4).
RING = Machine(
    "Ring",
    states=("S0", "S1", "S2", "S3"),
    initial="S0",
    transitions=tuple(Transition(f"S{n}", "tick", f"S{(n + 1) % 4}", actions=("count",))
                      for n in range(4)),
)  # fmt: skip


class Counter:
    """Counts ticks; the read-modify-write is a race without the instance lock."""

    def __init__(self) -> None:
        self.ticks = 0

    def count(self, **payload: Any) -> None:
        value = self.ticks
        self.ticks = value + 1


def test_eight_threads_sending_to_one_locked_instance() -> None:
    counter = Counter()
    inst = RING.start(counter, lock=True, history=True)
    per_thread, threads = 10_000, 8

    def worker() -> None:
        for _ in range(per_thread):
            inst.send("tick")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that a missing lock shows
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    total = per_thread * threads
    history = inst.history
    assert len(history) == total == counter.ticks
    assert inst.state == f"S{total % 4}"
    assert all(
        step == Step(f"S{n % 4}", "tick", f"S{(n + 1) % 4}") for n, step in enumerate(history)
    )


async def _slow_count(ctx: Counter, **payload: Any) -> None:
    value = ctx.ticks
    await asyncio.sleep(0)  # another task runs here; the instance must wait for us
    ctx.ticks = value + 1


def test_two_hundred_concurrent_asends_are_serialized() -> None:
    counter = Counter()
    inst = RING.start(counter, handlers={"count": _slow_count}, history=True)

    async def main() -> list[str]:
        return await asyncio.gather(*(inst.asend("tick") for _ in range(200)))

    entered = asyncio.run(main())
    assert counter.ticks == len(inst.history) == 200
    assert inst.state == "S0"
    assert entered == [f"S{(n + 1) % 4}" for n in range(200)]
    assert [step.source for step in inst.history] == [f"S{n % 4}" for n in range(200)]


@pytest.mark.parametrize("runs", [2, 5])
def test_concurrent_asends_in_successive_event_loops(runs: int) -> None:
    """Each asyncio.run makes a new loop; the instance must serve every one of them."""
    counter = Counter()
    inst = RING.start(counter, handlers={"count": _slow_count}, history=True)
    per_run = 50

    async def burst() -> list[str]:
        return await asyncio.gather(*(inst.asend("tick") for _ in range(per_run)))

    for run in range(runs):
        first = run * per_run
        assert asyncio.run(burst()) == [f"S{(first + n + 1) % 4}" for n in range(per_run)]
    total = runs * per_run
    assert counter.ticks == len(inst.history) == total
    assert [step.source for step in inst.history] == [f"S{n % 4}" for n in range(total)]


def test_asend_alternating_between_two_open_loops() -> None:
    """Two loops that both stay open, used in turn (as some test runners do)."""
    counter = Counter()
    inst = RING.start(counter, handlers={"count": _slow_count}, history=True)

    async def burst() -> list[str]:
        return await asyncio.gather(*(inst.asend("tick") for _ in range(10)))

    loops = [asyncio.new_event_loop(), asyncio.new_event_loop()]
    try:
        for turn in range(6):
            loops[turn % 2].run_until_complete(burst())
    finally:
        for loop in loops:
            loop.close()
    assert counter.ticks == len(inst.history) == 60
    assert [step.source for step in inst.history] == [f"S{n % 4}" for n in range(60)]


def test_asend_awaits_async_guards_and_refuses_like_send() -> None:
    m = Machine(
        "Gate",
        states=("Shut", "Open"),
        initial="Shut",
        transitions=(Transition("Shut", "push", "Open", guard="unlocked"),),
    )

    async def unlocked(_ctx: object, key: str) -> bool:
        await asyncio.sleep(0)
        return key == "k"

    inst = m.start(handlers={"unlocked": unlocked})
    with pytest.raises(
        InvalidTransition,
        match=r"^Can't send 'push' in state 'Shut' \(guard unlocked is false\); allowed here: "
        r"push\.$",
    ):
        asyncio.run(inst.asend("push", key="x"))
    assert asyncio.run(inst.asend("push", key="k")) == "Open"


def test_async_listener_raising_rolls_back() -> None:
    async def veto(*_args: object) -> None:
        raise ValueError("no")

    inst = RING.start(Counter(), listeners=[veto], history=True)
    with pytest.raises(
        TransitionFailed,
        match=r"^Transition S0 --tick--> S1 failed in listener .*veto: ValueError: no; the "
        r"instance is unchanged, still in 'S0'$",
    ):
        asyncio.run(inst.asend("tick"))
    assert (inst.state, inst.history) == ("S0", ())


def test_cancelled_asend_changes_nothing() -> None:
    started = asyncio.Event()

    async def hang(_ctx: object, **payload: Any) -> None:
        started.set()
        await asyncio.sleep(3600)

    async def main() -> None:
        inst = RING.start(handlers={"count": hang}, history=True)
        task = asyncio.ensure_future(inst.asend("tick"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (inst.state, inst.history) == ("S0", ())

    asyncio.run(main())


def test_asend_cancelled_in_a_listener_rolls_back() -> None:
    started = asyncio.Event()

    async def hang(*_args: object) -> None:
        started.set()
        await asyncio.sleep(3600)

    async def main() -> None:
        inst = RING.start(Counter(), listeners=[hang], history=True)
        task = asyncio.ensure_future(inst.asend("tick"))
        await started.wait()
        assert inst.state == "S1"  # listeners see the new state
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (inst.state, inst.history) == ("S0", ())

    asyncio.run(main())
