"""Benchmark the fsm runtime against a hand-written baseline and its peers.

One process, interleaved rounds: in each round every contestant runs the same
workload once, in a rotating order, so that drift in the machine (frequency
scaling, other load) spreads over all of them. The figure kept is the median
over the rounds.

Workload: the 4-state cycle ``idle -start-> running -pause-> paused -resume->
running -stop-> stopped -reset-> idle``, driven by event *names*:

- ``events``: 200,000 valid events on one instance;
- ``invalid``: 20,000 events refused in the current state (raise and catch);
- ``create``: creating 10,000 instances of the (already defined or bound)
  machine.

A second table times a send whose transition runs a guard, an action and an
enter hook (``A -go [ok] / act-> B``, ``B -back [ok] / act-> A``, each state
with an ``on_enter_`` hook) against a hand-written dict-based ``send`` that
calls the same three functions: 100,000 events per round.

Run: ``python benchmarks/runtime.py`` (``--rounds N``; the peers come with
``pip install -e '.[dev]'``; a peer that is not installed is skipped).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, Protocol

import fsm

STATES = ("idle", "running", "paused", "stopped")
CYCLE = (
    ("idle", "start", "running"),
    ("running", "pause", "paused"),
    ("paused", "resume", "running"),
    ("running", "stop", "stopped"),
    ("stopped", "reset", "idle"),
)
EVENTS = [event for _, event, _ in CYCLE] * 40_000  # 200,000 events, ends in idle
INVALID = 20_000  # "pause" sent in idle
INSTANCES = 10_000


class Contestant(Protocol):
    """How the harness drives one implementation."""

    name: str

    def new(self) -> Any: ...  # a fresh instance in "idle"

    def sender(self, inst: Any) -> Callable[[str], object]: ...

    def invalid_error(self) -> type[BaseException]: ...


# -- the hand-written baseline ---------------------------------------------------------

TABLE = {(source, event): target for source, event, target in CYCLE}


class HandWritten:
    """What one would write by hand: a ``send`` over ``dict[(state, event)]``."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = "idle"

    def send(self, event: str) -> str:
        try:
            self.state = state = TABLE[self.state, event]
        except KeyError:
            raise ValueError(f"Can't send {event!r} in state {self.state!r}") from None
        return state


class Baseline:
    name = "hand-written dict"

    def new(self) -> Any:
        return HandWritten()

    def sender(self, inst: Any) -> Callable[[str], object]:
        return inst.send  # type: ignore[no-any-return]

    def invalid_error(self) -> type[BaseException]:
        return ValueError


# -- fsm ---------------------------------------------------------------------------------

MACHINE = fsm.Machine(
    "Cycle",
    states=STATES,
    initial="idle",
    transitions=tuple(fsm.Transition(*t) for t in CYCLE),
)


class Fsm:
    def __init__(self, *, history: bool = False) -> None:
        self.bound = MACHINE.bind()
        self.history = history
        self.name = "fsm.Instance" + (" (history on)" if history else "")

    def new(self) -> Any:
        if self.history:
            return self.bound.start(history=True)
        return self.bound.start()

    def sender(self, inst: Any) -> Callable[[str], object]:
        return inst.send  # type: ignore[no-any-return]

    def invalid_error(self) -> type[BaseException]:
        return fsm.InvalidTransition


# -- peers -------------------------------------------------------------------------------


class Transitions:
    """pytransitions: one Machine shared by many models (``add_model``)."""

    name = "transitions"

    def __init__(self) -> None:
        from transitions import Machine, MachineError

        self.error = MachineError
        self.machine = Machine(
            model=None,
            states=list(STATES),
            transitions=[{"trigger": e, "source": s, "dest": t} for s, e, t in CYCLE],
            initial="idle",
            auto_transitions=False,
        )

    def new(self) -> Any:
        model = _Model()
        self.machine.add_model(model)
        return model

    def release(self, instances: list[Any]) -> None:
        self.machine.remove_model(instances)

    def sender(self, inst: Any) -> Callable[[str], object]:
        return inst.trigger  # type: ignore[no-any-return]

    def invalid_error(self) -> type[BaseException]:
        return self.error


class _Model:
    pass


class PythonStatemachine:
    """python-statemachine: a StateMachine subclass, ``send(event_name)``."""

    name = "python-statemachine"

    def __init__(self) -> None:
        from statemachine import State, StateMachine
        from statemachine.exceptions import TransitionNotAllowed

        class Cycle(StateMachine):
            idle = State(initial=True)
            running = State()
            paused = State()
            stopped = State()
            start = idle.to(running)
            pause = running.to(paused)
            resume = paused.to(running)
            stop = running.to(stopped)
            reset = stopped.to(idle)

        self.cls = Cycle
        self.error = TransitionNotAllowed

    def new(self) -> Any:
        return self.cls()

    def sender(self, inst: Any) -> Callable[[str], object]:
        return inst.send  # type: ignore[no-any-return]

    def invalid_error(self) -> type[BaseException]:
        return self.error


class Automat:
    """Automat's TypeMachineBuilder; events are methods, so a name is a getattr."""

    name = "automat (TypeMachineBuilder)"

    def __init__(self) -> None:
        from automat import NoTransition, TypeMachineBuilder

        class Inputs(Protocol):
            def start(self) -> None: ...
            def pause(self) -> None: ...
            def resume(self) -> None: ...
            def stop(self) -> None: ...
            def reset(self) -> None: ...

        class Core:
            pass

        builder = TypeMachineBuilder(Inputs, Core)
        states = {name: builder.state(name) for name in STATES}
        for source, event, target in CYCLE:
            states[source].upon(getattr(Inputs, event)).to(states[target]).returns(None)
        self.factory = builder.build()
        self.core = Core
        self.error = NoTransition

    def new(self) -> Any:
        return self.factory(self.core())

    def sender(self, inst: Any) -> Callable[[str], object]:
        def send(event: str) -> object:
            return getattr(inst, event)()

        return send

    def invalid_error(self) -> type[BaseException]:
        return self.error


# -- a send that runs handlers -----------------------------------------------------------

HANDLER_EVENTS = ["go", "back"] * 50_000


class Context:
    """The guard, action and enter hooks both contestants call."""

    def ok(self, **payload: Any) -> bool:
        return True

    def act(self, **payload: Any) -> None:
        pass

    def on_enter_A(self) -> None:
        pass

    def on_enter_B(self) -> None:
        pass


HANDLER_TABLE = {
    ("A", "go"): (Context.ok, Context.act, "B", Context.on_enter_B),
    ("B", "back"): (Context.ok, Context.act, "A", Context.on_enter_A),
}


class HandWrittenHandlers:
    """By hand: look the transition up, check the guard, run the action and the hook."""

    __slots__ = ("context", "state")

    def __init__(self) -> None:
        self.state = "A"
        self.context = Context()

    def send(self, event: str, /, **payload: Any) -> str:
        try:
            guard, action, target, enter = HANDLER_TABLE[self.state, event]
        except KeyError:
            raise ValueError(f"Can't send {event!r} in state {self.state!r}") from None
        context = self.context
        if not guard(context, **payload):
            raise ValueError(f"Guard refused {event!r} in state {self.state!r}")
        action(context, **payload)
        enter(context)
        self.state = target
        return target


HANDLER_MACHINE = fsm.Machine(
    "Handlers",
    states=("A", "B"),
    initial="A",
    transitions=(
        fsm.Transition("A", "go", "B", guard="ok", actions=("act",)),
        fsm.Transition("B", "back", "A", guard="ok", actions=("act",)),
    ),
)


def run_handlers(send: Callable[[str], object]) -> float:
    events = HANDLER_EVENTS
    start = time.perf_counter()
    for event in events:
        send(event)
    return time.perf_counter() - start


def handler_senders() -> dict[str, Callable[[], Callable[[str], object]]]:
    bound = HANDLER_MACHINE.bind(Context)

    def fsm_send() -> Callable[[str], object]:
        inst = bound.start(Context())
        assert inst.send("go") == "B"
        assert inst.send("back") == "A"
        return inst.send

    def hand_send() -> Callable[[str], object]:
        inst = HandWrittenHandlers()
        assert inst.send("go") == "B"
        assert inst.send("back") == "A"
        return inst.send

    return {"hand-written dict + handlers": hand_send, "fsm.Instance + handlers": fsm_send}


# -- the harness ---------------------------------------------------------------------------


def run_events(c: Contestant) -> float:
    send = c.sender(c.new())
    events = EVENTS
    start = time.perf_counter()
    for event in events:
        send(event)
    return time.perf_counter() - start


def run_invalid(c: Contestant) -> float:
    send = c.sender(c.new())
    error = c.invalid_error()
    start = time.perf_counter()
    for _ in range(INVALID):
        try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timing
            send("pause")
        except error:
            pass
    return time.perf_counter() - start


def run_create(c: Contestant) -> float:
    new = c.new
    made: list[Any] = []
    keep = made.append
    start = time.perf_counter()
    for _ in range(INSTANCES):
        keep(new())
    elapsed = time.perf_counter() - start
    release = getattr(c, "release", None)
    if release is not None:
        release(made)
    return elapsed


def bytes_per_instance(c: Contestant) -> float:
    """Memory one instance alone owns: traced allocations while making 1,000."""
    made: list[Any] = [None] * 1_000
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(1_000):
        made[n] = c.new()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    release = getattr(c, "release", None)
    if release is not None:
        release(made)
    return (after - before) / 1_000


def contestants() -> list[Contestant]:
    found: list[Contestant] = [Baseline(), Fsm(), Fsm(history=True)]
    for peer in (Transitions, PythonStatemachine, Automat):
        try:
            found.append(peer())
        except ImportError as error:
            print(f"skipping {peer.name}: {error} (pip install -e '.[dev]')", file=sys.stderr)
    return found


def check(c: Contestant) -> None:
    """Each contestant really runs the cycle and really refuses the invalid event."""
    inst = c.new()
    send = c.sender(inst)
    for event in EVENTS[:10]:
        send(event)
    try:
        send("pause")
    except c.invalid_error():
        return
    raise AssertionError(f"{c.name} accepted an invalid event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    field = contestants()
    for c in field:
        check(c)
    times: dict[str, dict[str, list[float]]] = {
        c.name: {"events": [], "invalid": [], "create": []} for c in field
    }
    runs: dict[str, Callable[[Contestant], float]] = {
        "events": run_events,
        "invalid": run_invalid,
        "create": run_create,
    }
    for round_number in range(args.rounds):
        shift = round_number % len(field)
        order = field[shift:] + field[:shift]
        for kind, run in runs.items():
            for c in order:
                gc.collect()
                times[c.name][kind].append(run(c))
    print(
        f"Python {sys.version.split()[0]}, {args.rounds} interleaved rounds, median; "
        f"ratio = speed / hand-written speed (higher is better)\n"
    )
    base = {kind: statistics.median(times[field[0].name][kind]) for kind in runs}
    sizes = {"events": len(EVENTS), "invalid": INVALID, "create": INSTANCES}
    header = (
        f"{'implementation':30} {'events/s':>12} {'ratio':>7} {'invalid ns':>11} "
        f"{'ratio':>7} {'created/s':>12} {'ratio':>7} {'B/inst':>7}"
    )
    print(header)
    print("-" * len(header))
    for c in field:
        med = {kind: statistics.median(times[c.name][kind]) for kind in runs}
        print(
            f"{c.name:30} {sizes['events'] / med['events']:>12,.0f} "
            f"{base['events'] / med['events']:>7.2f} "
            f"{med['invalid'] / INVALID * 1e9:>11,.0f} {base['invalid'] / med['invalid']:>7.2f} "
            f"{sizes['create'] / med['create']:>12,.0f} {base['create'] / med['create']:>7.2f} "
            f"{bytes_per_instance(c):>7,.0f}"
        )
    ours = {kind: statistics.median(times[field[1].name][kind]) for kind in runs}
    print(f"\n{field[1].name} is this many times as fast as each peer:")
    for c in field[3:]:
        med = {kind: statistics.median(times[c.name][kind]) for kind in runs}
        print(
            f"  {c.name:28} events {med['events'] / ours['events']:>8,.1f}x   "
            f"invalid {med['invalid'] / ours['invalid']:>6,.1f}x   "
            f"create {med['create'] / ours['create']:>8,.1f}x"
        )
    senders = handler_senders()
    handler_times: dict[str, list[float]] = {name: [] for name in senders}
    names = list(senders)
    for round_number in range(args.rounds):
        for name in names if round_number % 2 else names[::-1]:
            gc.collect()
            handler_times[name].append(run_handlers(senders[name]()))
    print("\nA send whose transition runs a guard, an action and an enter hook:")
    hand = statistics.median(handler_times[names[0]])
    for name in names:
        med = statistics.median(handler_times[name])
        print(
            f"  {name:30} {med / len(HANDLER_EVENTS) * 1e9:>7,.0f} ns/event   "
            f"ratio {hand / med:.2f}"
        )
    inst = Fsm().new()
    print(
        f"\nfsm.Instance, history off: sys.getsizeof = {sys.getsizeof(inst)} bytes, "
        f"no __dict__: {not hasattr(inst, '__dict__')}"
    )


if __name__ == "__main__":
    main()
