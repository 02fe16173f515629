"""Clocks and timers: :class:`Clock`, :class:`WallClock`, :class:`ManualClock`, pending timers.

A timer (a transition with ``after=``) is due ``after`` seconds after its
state was entered, by the clock the instance was started with. The default
is :class:`WallClock`, the wall time (:func:`time.time`), and not a monotonic
clock: a due time is stored in snapshots and durable stores and read back by
another process, maybe after a reboot, and only the wall time means the same
moment there (a monotonic clock counts from an arbitrary point, such as the
boot). The price is that a wall clock may be set back or forward (NTP, a
person): a timer then fires that much later or earlier. For timers of seconds
to days that is the right trade; tests use :class:`ManualClock`, which moves
only when told to.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ._errors import SnapshotError, short_repr

__all__ = ["Clock", "ManualClock", "PendingTimer", "WallClock"]


@runtime_checkable
class Clock(Protocol):
    """What the runtime needs of a clock: the time now, and a way to wait.

    ``now()`` is read when a timed state is entered (to set the due time) and
    by :meth:`fsm.Instance.fire_due`; ``sleep(seconds)`` is awaited by
    :meth:`fsm.Instance.run_timers` between timers. Times are seconds, as
    floats; a due time is ``now() + after``.
    """

    def now(self) -> float:
        """The time now, in seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` have passed on this clock."""
        ...


class WallClock:
    """The wall time, :func:`time.time`: the default clock (see the module docs for why)."""

    __slots__ = ()

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """:func:`asyncio.sleep` for ``seconds``."""
        await _asyncio().sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "fsm.WallClock()"

    def __reduce__(self) -> tuple[type[WallClock], tuple[()]]:
        return (WallClock, ())


class ManualClock:
    """A clock that moves only when :meth:`advance` is called: for tests, without sleeping.

    Examples:
        >>> import fsm
        >>> clock = fsm.ManualClock()
        >>> clock.now()
        0.0
        >>> clock.advance(30)
        >>> clock.now()
        30.0
    """

    __slots__ = ("_now", "_sleepers")

    def __init__(self, start: float = 0.0) -> None:
        self._now = _seconds("start", start)
        self._sleepers: list[tuple[float, Any]] = []

    def now(self) -> float:
        """The time this clock was set to."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the time forward by ``seconds`` and wake the sleepers now due.

        Raises:
            ValueError: ``seconds`` is negative, infinite or not a number.
        """
        step = _seconds("seconds", seconds)
        if step < 0:
            raise ValueError(
                f"a ManualClock only moves forward (got advance({seconds!r})); "
                f"start a new clock to go back"
            )
        self._now += step
        for when, future in self._sleepers:
            if when <= self._now and not future.done():
                future.set_result(None)

    async def sleep(self, seconds: float) -> None:
        """Return once :meth:`advance` has moved the time ``seconds`` on."""
        asyncio = _asyncio()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        entry = (self._now + seconds, future)
        self._sleepers.append(entry)
        try:
            await future
        finally:
            self._sleepers.remove(entry)

    def __repr__(self) -> str:
        return f"fsm.ManualClock({self._now!r})"

    def __reduce__(self) -> tuple[type[ManualClock], tuple[float]]:
        return (ManualClock, (self._now,))


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds (got {value!r})")
    return float(value)


def _asyncio() -> Any:
    # Imported when first needed: sync users never pay for asyncio.
    return importlib.import_module("asyncio")


#: The clock an instance uses when it is given none.
DEFAULT_CLOCK = WallClock()


# -- the pending timers of one instance ----------------------------------------------


class PendingTimer(NamedTuple):
    """A timer started and not yet fired: :attr:`fsm.Instance.timers` lists them.

    ``event`` is sent when the clock reaches ``due``, because ``state`` (the
    leaf or one of its superstates) has then been held for the timer's delay.
    """

    event: str
    due: float
    state: str


class TimerSpec:
    """One timer of a bound machine: ``state`` sends ``event`` after ``after`` seconds.

    One per ``(state, event)``: guarded timer transitions on one event share
    it (the first delay declared counts), and the guards choose when it fires.
    """

    __slots__ = ("after", "event", "state")

    def __init__(self, state: str, event: str, after: float) -> None:
        self.state = state
        self.event = event
        self.after = after

    def __repr__(self) -> str:
        return f"<timer {self.state} --{self.event}--> after {self.after}s>"


def timer_specs(transitions: Iterable[Any]) -> dict[str, tuple[TimerSpec, ...]]:
    """The timers of each state that has some, in definition order."""
    found: dict[str, dict[str, TimerSpec]] = {}
    for t in transitions:
        if t.after is not None:
            mine = found.setdefault(t.source, {})
            if t.event not in mine:
                mine[t.event] = TimerSpec(t.source, t.event, float(t.after))
    return {state: tuple(specs.values()) for state, specs in found.items()}


class Timers:
    """The pending timers of one instance, by the clock it was started with.

    ``pending`` maps each started timer to its due time, in the order they
    were started. ``wake`` is the future :meth:`fsm.Instance.run_timers`
    waits on besides the clock, set when a timer starts.
    """

    __slots__ = ("clock", "pending", "wake")

    def __init__(self, clock: Clock, pending: dict[TimerSpec, float]) -> None:
        self.clock = clock
        self.pending = pending
        self.wake: Any = None

    def __getstate__(self) -> dict[str, object]:
        return {"clock": self.clock, "pending": self.pending}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.clock = state["clock"]
        self.pending = state["pending"]
        self.wake = None

    def start(self, specs: Iterable[TimerSpec]) -> None:
        """Start (or start again) ``specs``: each is due ``after`` seconds from now."""
        now = self.clock.now()
        pending = self.pending
        for spec in specs:
            pending.pop(spec, None)
            pending[spec] = now + spec.after
        wake = self.wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def due_now(self) -> list[tuple[TimerSpec, float]]:
        """The timers due by the clock's time now, soonest first (ties: started first)."""
        now = self.clock.now()
        due = [(spec, when) for spec, when in self.pending.items() if when <= now]
        due.sort(key=_by_due)
        return due

    def listed(self) -> tuple[PendingTimer, ...]:
        items = sorted(self.pending.items(), key=_by_due)
        return tuple(PendingTimer(spec.event, when, spec.state) for spec, when in items)


def _by_due(item: tuple[TimerSpec, float]) -> float:
    return item[1]


def check_timers(
    raw: object, specs: Iterable[TimerSpec], state: str, machine: str
) -> dict[TimerSpec, float]:
    """Read ``snapshot["timers"]``: ``[[event, due, owner], ...]`` of timers the state may run.

    ``owner`` is the state whose timer it is (the leaf or one of its
    superstates): a substate and its superstate may both time the same event.
    """
    if not isinstance(raw, list):
        raise SnapshotError(
            f"snapshot['timers'] must be a list of [event, due, state] triples (got "
            f"{short_repr(raw)} of type {type(raw).__name__})"
        )
    free = {(spec.event, spec.state): spec for spec in specs}
    pending: dict[TimerSpec, float] = {}
    items: list[object] = raw  # pyright: ignore[reportUnknownVariableType]
    for n, item in enumerate(items):
        shown = short_repr(item)
        triple: list[object] = []
        if isinstance(item, (list, tuple)):
            triple = list(item)  # pyright: ignore[reportUnknownArgumentType]
        if (
            len(triple) != 3
            or not isinstance(triple[0], str)
            or isinstance(triple[1], bool)
            or not isinstance(triple[1], (int, float))
            or not math.isfinite(triple[1])
            or not isinstance(triple[2], str)
        ):
            raise SnapshotError(
                f"snapshot['timers'][{n}] must be an [event, due, state] triple: a string, "
                f"a finite number and a string (got {shown})"
            )
        event, due, owner = triple[0], float(triple[1]), triple[2]
        spec = free.pop((event, owner), None)
        if spec is None:
            raise SnapshotError(
                f"snapshot['timers'][{n}] {short_repr(event)} of {short_repr(owner)} is not a "
                f"timer that state {state!r} of machine {machine!r} runs (or is listed twice); "
                f"the snapshot was edited or is of another machine"
            )
        pending[spec] = due
    return pending
