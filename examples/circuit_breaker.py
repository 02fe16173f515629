"""A circuit breaker on the fsm runtime: guards, actions and a timer event.

The protocol is ``circuit_breaker.mmd``: ``Closed`` lets calls through and
counts failures, and the failure that reaches the threshold trips the breaker
(guard ``too_many_failures``, action ``trip``). ``Open`` refuses calls until a
``tick`` of the timer finds that the cool-down has passed (guard
``cooled_down``). ``HalfOpen`` lets one trial call through: a success closes
the breaker, a failure opens it again.

:class:`Breaker` is the context: the guards and actions named in the diagram
are its methods, resolved once when the machine is bound (a missing one is an
``fsm.DefinitionError`` then, not at the first event). The clock is a fake one
that the script advances, so the run is the same every time.

Run ``python examples/circuit_breaker.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import fsm

HERE = Path(__file__).resolve().parent


class ServiceError(Exception):
    """The flaky service failed."""


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Breaker:
    """The context of a circuit breaker: failure counter, clock and settings."""

    def __init__(self, clock: FakeClock, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.opened_at = 0.0

    # guards
    def too_many_failures(self) -> bool:
        return self.failures + 1 >= self.threshold

    def cooled_down(self) -> bool:
        return self.clock.now - self.opened_at >= self.cooldown

    # actions
    def count_failure(self) -> None:
        self.failures += 1

    def reset_failures(self) -> None:
        self.failures = 0

    def trip(self) -> None:
        self.failures = 0
        self.opened_at = self.clock.now


MACHINE = fsm.load(HERE / "circuit_breaker.mmd")
BOUND = MACHINE.bind(Breaker)


def call(breaker: fsm.Instance, service: Callable[[], str]) -> str:
    """Call ``service`` through the breaker and say what happened."""
    if not breaker.can("success"):  # Open: no call gets through
        return "refused"
    try:
        answer = service()
    except ServiceError as error:
        breaker.send("failure")
        return f"failed ({error})"
    breaker.send("success")
    return answer


def main() -> None:
    clock = FakeClock()
    context = Breaker(clock, threshold=3, cooldown=30.0)
    breaker = BOUND.start(context)
    up = True

    def service() -> str:
        if not up:
            raise ServiceError("timeout")
        return "ok"

    def show(what: str) -> None:
        print(f"t={clock.now:>3.0f}s {what:<22} -> {breaker.state} (failures: {context.failures})")

    def tick() -> None:  # what a timer would send every few seconds
        breaker.send("tick")
        show("tick")

    show("start")
    show(f"call: {call(breaker, service)}")
    up = False
    for _ in range(3):  # the third failure in a row trips the breaker
        show(f"call: {call(breaker, service)}")
        clock.advance(5)
    show(f"call: {call(breaker, service)}")
    tick()  # 5 s after tripping: still open
    clock.advance(25)
    tick()  # 30 s after tripping: half-open
    show(f"call: {call(breaker, service)}")  # the trial call fails: open again
    clock.advance(30)
    tick()
    up = True
    show(f"call: {call(breaker, service)}")  # the trial call succeeds: closed
    try:
        breaker.send("tick")  # the runtime refuses an event the state does not take
    except fsm.InvalidTransition as error:
        print(error)


if __name__ == "__main__":
    main()
