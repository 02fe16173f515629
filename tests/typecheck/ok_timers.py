# must pass: timers and internal transitions keep their exact signatures and return types
from __future__ import annotations

from typing_extensions import Self, assert_type

from typestate import State, transition


class Waiting(State):
    @transition(after=30)
    def timeout(self) -> Escalated:
        return Escalated()

    @transition(after=0.5)
    async def later(self) -> Escalated:
        return Escalated()

    @transition()
    def start(self, task: str) -> Busy:
        return Busy(task=task)


class Working(State, abstract=True):
    @transition(internal=True)
    def heartbeat(self) -> Self:
        return self


class Busy(Working):
    task: str
    pings: int = 0

    @transition(internal=True)
    def ping(self, by: int = 1, *, note: str = "") -> Busy:
        return Busy(task=self.task, pings=self.pings + by)

    @transition(internal=True)
    async def refresh(self, source: str) -> Self:
        return self

    @transition(internal=True, after=5)
    def tick(self) -> Busy:
        return self

    @transition
    def done(self) -> Escalated:
        return Escalated()


class Escalated(State, final=True): ...


async def run(waiting: Waiting) -> Escalated:
    assert_type(await waiting.later(), Escalated)
    busy = Waiting().start("write the docs")
    assert_type(busy.ping(2, note="slow"), Busy)
    assert_type(busy.heartbeat(), Busy)
    assert_type(await busy.refresh(source="db"), Busy)
    assert_type(busy.tick(), Busy)
    return assert_type(waiting.timeout(), Escalated)


# A synchronous internal transition returning Self on a superstate, with or
# without a delay, and on a concrete state: mypy once made these coroutines.
class Watching(State, abstract=True):
    @transition(internal=True, after=5)
    def tick(self) -> Self:
        return self

    @transition(internal=True)
    def nudge(self) -> Self:
        return self


class Reading(Watching):
    @transition(internal=True, after=7)
    def t7(self) -> Self:
        return self


def watch(reading: Reading) -> Reading:
    assert_type(reading.tick(), Reading)
    assert_type(reading.nudge(), Reading)
    return assert_type(reading.t7(), Reading)
