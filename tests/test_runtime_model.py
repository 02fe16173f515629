"""Model-based test: fsm.Instance against a tiny reference interpreter.

Random machines with superstates, guarded groups with ``[else]``, actions and
hooks, internal transitions and timers, driven with valid and invalid events
while guards flip, handlers start and stop raising, actions send events to
their own instance (run-to-completion) and a manual clock moves. The reference
below is written from DESIGN section 4 and docs/explanation/runtime-semantics.md
alone (it does not use ``Machine.compiled``): states, histories, pending
timers, the handlers called and the errors raised must always agree.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import fsm
from fsm import (
    InvalidTransition,
    Machine,
    ManualClock,
    QueuedEventRejected,
    Step,
    Transition,
    TransitionFailed,
)

GUARDS = ("g0", "g1", "g2")
#: q0 and q1 send e0 and e1 to the instance they run in.
ACTIONS = ("a0", "a1", "q0", "q1")
SENDS = {"q0": "e0", "q1": "e1"}
EVENTS = ("e0", "e1", "e2")


@st.composite
def machines(draw: st.DrawFn) -> Machine:
    """Valid machines of 2-6 states, some of them superstates."""
    size = draw(st.integers(2, 6))
    states = [f"S{n}" for n in range(size)]
    parents: dict[str, str] = {}
    for n in range(1, size):
        if draw(st.booleans()):
            parents[states[n]] = states[draw(st.integers(0, n - 1))]
    supers = set(parents.values())
    entries = {p: min((c for c, q in parents.items() if q == p), key=states.index) for p in supers}
    leaves = [s for s in states if s not in supers]
    transitions: list[Transition] = []
    for source in states:
        for event in EVENTS:
            kind = draw(st.sampled_from(["none", "none", "plain", "guarded"]))
            if kind == "none":
                continue
            after = draw(st.sampled_from([None, None, 1.0, 2.0, 3.0]))
            if kind == "plain":
                guards: list[str | None] = [None]
            else:
                guards = list(draw(st.lists(st.sampled_from(GUARDS), min_size=1, max_size=2,
                                            unique=True)))  # fmt: skip
                if draw(st.booleans()):
                    guards.append("else")
            for guard in guards:
                target = draw(st.sampled_from(states))
                transitions.append(
                    Transition(
                        source,
                        event,
                        target,
                        guard=guard,
                        actions=tuple(draw(st.lists(st.sampled_from(ACTIONS), max_size=2))),
                        internal=target == source and source in leaves and draw(st.booleans()),
                        after=after,
                    )
                )
    final = draw(st.frozensets(st.sampled_from(leaves)))
    return Machine(
        "Random",
        states=tuple(states),
        initial=draw(st.sampled_from(states)),
        final=final,
        transitions=tuple(transitions),
        parents=parents,
        entries=entries,
    )


class Context:
    """Guards read ``truth``; any name in ``raising`` raises; calls go to ``log``."""

    def __init__(self) -> None:
        self.truth = dict.fromkeys(GUARDS, False)
        self.raising: set[str] = set()
        self.log: list[str] = []
        self.sender: Any = None  # sends an event to the instance (q0, q1)
        # Sends left in this rule: a self-loop whose action sends its own
        # event would run to completion for ever, here as in any runtime.
        self.budget = 0

    def call(self, name: str, payload: dict[str, Any] | None = None) -> None:
        self.log.append(name if payload is None else f"{name}{sorted(payload.items())}")
        if name in self.raising:
            raise RuntimeError(f"{name} raised")
        if name in SENDS and self.budget > 0:
            self.budget -= 1
            self.sender(SENDS[name])


def handlers_for(m: Machine) -> dict[str, Any]:
    def guard(name: str) -> Any:
        def check(ctx: Context, **payload: Any) -> bool:
            ctx.call(name, payload)
            return ctx.truth[name]

        return check

    def action(name: str) -> Any:
        return lambda ctx, **payload: ctx.call(name, payload)

    def hook(name: str) -> Any:
        return lambda ctx: ctx.call(name)

    used = {t.guard for t in m.transitions} | {a for t in m.transitions for a in t.actions}
    found: dict[str, Any] = {g: guard(g) for g in GUARDS if g in used}
    found.update({a: action(a) for a in ACTIONS if a in used})
    for state in m.states:
        found[f"on_enter_{state}"] = hook(f"on_enter_{state}")
        found[f"on_exit_{state}"] = hook(f"on_exit_{state}")
    return found


class Failed(Exception):
    """The reference's TransitionFailed: ``stage`` is what raised."""

    def __init__(self, stage: str) -> None:
        super().__init__(stage)
        self.stage = stage


class Rejected(Exception):
    """The reference's QueuedEventRejected."""

    def __init__(
        self, event: str, pending: list[tuple[str, dict[str, Any]]], error: Exception
    ) -> None:
        super().__init__(event)
        self.event, self.pending, self.error = event, pending, error


class Reference:
    """The tiny interpreter: DESIGN section 4 and the runtime-semantics page, read literally."""

    def __init__(self, m: Machine, ctx: Context, clock: ManualClock) -> None:
        self.m, self.ctx, self.clock = m, ctx, clock
        self.state = self.leaf(m.initial)
        self.history: list[Step] = []
        self.queue: list[tuple[str, dict[str, Any]]] = []
        ctx.sender = lambda event: self.queue.append((event, {}))
        #: (state, event) -> due, in the order started
        self.timers: dict[tuple[str, str], float] = {}
        self.start_timers(reversed(self.chain(self.state)))

    def delays(self, state: str) -> dict[str, float]:
        """The timers of ``state``: event -> delay, the first declared per event."""
        found: dict[str, float] = {}
        for t in self.m.transitions:
            if t.source == state and t.after is not None:
                found.setdefault(t.event, t.after)
        return found

    def start_timers(self, states: Any) -> None:
        for state in states:
            for event, delay in self.delays(state).items():
                self.timers.pop((state, event), None)
                self.timers[state, event] = self.clock.now() + delay

    def listed(self) -> list[tuple[str, float, str]]:
        items = sorted(self.timers.items(), key=lambda item: item[1])
        return [(event, due, state) for (state, event), due in items]

    def leaf(self, state: str) -> str:
        while state in self.m.entries:
            state = self.m.entries[state]
        return state

    def chain(self, state: str) -> list[str]:
        """``state`` and its superstates, innermost first."""
        out = [state]
        while out[-1] in self.m.parents:
            out.append(self.m.parents[out[-1]])
        return out

    def group(self, state: str, event: str) -> list[Transition]:
        for s in self.chain(state):
            group = [t for t in self.m.transitions if t.source == s and t.event == event]
            if group:
                return [t for t in group if t.guard != "else"] + [
                    t for t in group if t.guard == "else"
                ]
        return []

    def allowed(self) -> tuple[str, ...]:
        return tuple(e for e in self.m.events if self.group(self.state, e))

    def run(self, name: str, payload: dict[str, Any] | None, stage: str) -> None:
        try:
            self.ctx.call(name, payload)
        except RuntimeError:
            raise Failed(stage) from None

    def send(self, event: str, payload: dict[str, Any]) -> str:
        """Run to completion: the event's step, then each queued event, first in first out."""
        self.queue = []
        self.step(event, payload)
        while self.queue:
            queued, data = self.queue.pop(0)
            older = len(self.queue)
            try:
                self.step(queued, data)
            except (InvalidTransition, Failed) as error:
                pending = [(queued, data), *self.queue[:older]]
                self.queue = []
                raise Rejected(queued, pending, error) from None
        return self.state

    def step(self, event: str, payload: dict[str, Any]) -> str:
        mark = len(self.queue)
        try:
            return self.one_step(event, payload)
        except Exception:
            del self.queue[mark:]  # a failed step drops what it queued
            raise

    def fire_due(self) -> tuple[str, ...]:
        now = self.clock.now()
        due = sorted(((k, w) for k, w in self.timers.items() if w <= now), key=lambda i: i[1])
        fired: list[str] = []
        for key, when in due:
            if self.timers.get(key) != when:
                continue
            del self.timers[key]
            try:
                self.send(key[1], {})
            except InvalidTransition:
                continue
            except Failed:
                self.timers[key] = when
                raise
            fired.append(key[1])
        return tuple(fired)

    def one_step(self, event: str, payload: dict[str, Any]) -> str:
        chosen = None
        for t in self.group(self.state, event):
            if t.guard in (None, "else"):
                chosen = t
                break
            self.run(t.guard, payload, f"guard {t.guard!r}")
            if self.ctx.truth[t.guard]:
                chosen = t
                break
        if chosen is None:
            raise InvalidTransition(self.state, event, self.allowed())
        target = self.state if chosen.internal else self.leaf(chosen.target)
        source_chain, target_chain = self.chain(self.state), self.chain(target)
        if chosen.internal:
            exits, enters = [], []
        elif self.state == target:
            exits, enters = [self.state], [target]
        else:
            exits = [s for s in source_chain if s not in target_chain]
            enters = [s for s in reversed(target_chain) if s not in source_chain]
        for s in exits:
            self.run(f"on_exit_{s}", None, f"exit hook 'on_exit_{s}'")
        for a in chosen.actions:
            self.run(a, payload, f"action {a!r}")
        for s in enters:
            self.run(f"on_enter_{s}", None, f"enter hook 'on_enter_{s}'")
        step = Step(self.state, event, target)
        self.run("listener", None, "listener")
        self.state = target
        self.history.append(step)
        for s in exits:
            for e in self.delays(s):
                self.timers.pop((s, e), None)
        self.start_timers(enters)
        return target


class RuntimeAgainstReference(RuleBasedStateMachine):
    """Drive an Instance and the Reference side by side."""

    @initialize(m=machines(), at=st.sampled_from([0.0, 1000.0]))
    def setup(self, m: Machine, at: float) -> None:
        self.real_ctx, self.ref_ctx = Context(), Context()
        self.real_clock, self.ref_clock = ManualClock(at), ManualClock(at)

        def listener(inst: fsm.Instance, step: Step, payload: dict[str, Any]) -> None:
            inst.context.call("listener")  # type: ignore[attr-defined]

        self.bound = m.bind(Context, handlers=handlers_for(m), listeners=[listener])
        self.inst = self.bound.start(self.real_ctx, history=True, clock=self.real_clock)
        self.real_ctx.sender = lambda event: self.inst.send(event)
        self.ref = Reference(m, self.ref_ctx, self.ref_clock)

    def step(self, event: str, n: int, *, use_async: bool) -> None:
        payload = {"n": n}
        self.real_ctx.budget = self.ref_ctx.budget = 4
        try:
            expected: object = self.ref.send(event, payload)
        except Exception as error:
            expected = error
        try:
            if use_async:
                got: object = asyncio.run(self.inst.asend(event, **payload))
            else:
                got = self.inst.send(event, **payload)
        except Exception as error:
            got = error
        self.agree_on(expected, got)

    def agree_on(self, expected: object, got: object) -> None:
        if isinstance(expected, Rejected):
            assert isinstance(got, QueuedEventRejected), got
            assert (got.event, got.state) == (expected.event, self.ref.state)
            assert list(got.pending) == expected.pending
            self.agree_on(expected.error, got.error)
        elif isinstance(expected, InvalidTransition):
            assert isinstance(got, InvalidTransition), got
            assert (got.state, got.event, got.allowed) == (
                expected.state,
                expected.event,
                expected.allowed,
            )
        elif isinstance(expected, Failed):
            assert isinstance(got, TransitionFailed), got
            assert got.stage.startswith(expected.stage), (got.stage, expected.stage)
            assert isinstance(got.__cause__, RuntimeError)
            assert str(got).endswith(f"; the instance is unchanged, still in {self.ref.state!r}")
        else:
            assert got == expected

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.5]))
    def advance(self, seconds: float) -> None:
        self.real_clock.advance(seconds)
        self.ref_clock.advance(seconds)

    @rule(use_async=st.booleans())
    def fire_due(self, use_async: bool) -> None:
        self.real_ctx.budget = self.ref_ctx.budget = 4
        try:
            expected: object = self.ref.fire_due()
        except Exception as error:
            expected = error
        try:
            if use_async:
                got: object = asyncio.run(self.inst.afire_due())
            else:
                got = self.inst.fire_due()
        except Exception as error:
            got = error
        self.agree_on(expected, got)

    @rule(event=st.sampled_from((*EVENTS, "nope")), n=st.integers(0, 3))
    def send(self, event: str, n: int) -> None:
        self.step(event, n, use_async=False)

    @rule(event=st.sampled_from(EVENTS), n=st.integers(0, 3))
    def asend(self, event: str, n: int) -> None:
        self.step(event, n, use_async=True)

    @rule(guard=st.sampled_from(GUARDS), value=st.booleans())
    def set_guard(self, guard: str, value: bool) -> None:
        self.real_ctx.truth[guard] = self.ref_ctx.truth[guard] = value

    @rule(name=st.sampled_from((*GUARDS, *ACTIONS, "listener", "on_enter_S1", "on_exit_S0")))
    def toggle_raising(self, name: str) -> None:
        for ctx in (self.real_ctx, self.ref_ctx):
            ctx.raising ^= {name}

    @rule()
    def snapshot_round_trip(self) -> None:
        self.inst = self.bound.restore(self.inst.snapshot(), self.real_ctx, clock=self.real_clock)

    @invariant()
    def agree(self) -> None:
        if hasattr(self, "inst"):
            assert self.inst.state == self.ref.state
            assert list(self.inst.history) == self.ref.history
            assert self.real_ctx.log == self.ref_ctx.log
            assert self.inst.allowed == self.ref.allowed()
            assert [tuple(t) for t in self.inst.timers] == self.ref.listed()


RuntimeAgainstReference.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRuntimeAgainstReference = RuntimeAgainstReference.TestCase
