"""analysis.equivalent and analysis.minimize."""

from __future__ import annotations

import itertools

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import analysis
import fsm

from .analysis_reference import language, leaves, run
from .strategies import machines


def machine(body: str) -> fsm.Machine:
    return fsm.parse("stateDiagram-v2\n" + body)


def test_distinguishing_trace_on_acceptance() -> None:
    a = machine("[*] --> A\nA --> B : go\nB --> [*]")
    b = machine("[*] --> A\nA --> B : go")
    result = analysis.equivalent(a, b)
    assert not result
    assert result.trace == ("go",)
    assert result.reason == (
        "after go, 'Machine' (first) may be in a final state and 'Machine' (second) may not"
    )


def test_distinguishing_trace_on_an_event() -> None:
    a = machine("[*] --> A\nA --> B : go\nB --> A : back")
    b = machine("[*] --> X\nX --> Y : go\nY --> X : back\nY --> X : again")
    result = analysis.equivalent(a, b)
    assert result.trace == ("go", "again")
    assert result.reason == (
        "the trace go again is possible in 'Machine' (second) but not in 'Machine' (first)"
    )


def test_counterexample_on_acceptance_is_shorter_than_one_on_an_event() -> None:
    # After 'a' both are alike and 'z' tells them apart (length 2), but after 'b'
    # only the first may be final: the shortest counterexample has length 1.
    a = machine("[*] --> A\nA --> B : a\nA --> C : b\nB --> D : z\nC --> [*]")
    b = machine("[*] --> X\nX --> Y : a\nX --> W : b")
    result = analysis.equivalent(a, b)
    assert result.trace == ("b",)
    assert result.reason == (
        "after b, 'Machine' (first) may be in a final state and 'Machine' (second) may not"
    )


@st.composite
def small_machines(draw: st.DrawFn) -> fsm.Machine:
    """Flat machines over two events, where short and long counterexamples compete."""
    size = draw(st.integers(1, 4))
    states = [f"S{n}" for n in range(size)]
    transitions: list[fsm.Transition] = []
    for s in states:
        for e in ("a", "b"):
            targets = draw(st.lists(st.sampled_from(states), max_size=2, unique=True))
            transitions += [fsm.Transition(s, e, t, branch=len(targets) > 1) for t in targets]
    return fsm.Machine(
        "M",
        states=states,
        initial="S0",
        final=draw(st.sets(st.sampled_from(states))),
        transitions=transitions,
    )


def brute_force_distance(a: fsm.Machine, b: fsm.Machine, limit: int) -> int | None:
    """The length of a shortest trace telling ``a`` and ``b`` apart, up to ``limit``."""
    for length in range(limit + 1):
        for trace in itertools.product(("a", "b"), repeat=length):
            after_a, after_b = run(a, trace), run(b, trace)
            if bool(after_a) != bool(after_b):
                return length
            if bool(after_a & a.final) != bool(after_b & b.final):
                return length
    return None


@settings(max_examples=150)
@given(small_machines(), small_machines())
def test_counterexample_is_a_shortest_one(a: fsm.Machine, b: fsm.Machine) -> None:
    result = analysis.equivalent(a, b)
    limit = 7
    expected = brute_force_distance(a, b, limit)
    if result.trace is None or len(result.trace) > limit:
        assert expected is None
    else:
        assert len(result.trace) == expected


def test_minimize_merges_and_drops() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> C : go\nC --> B : go\nD --> A : go")
    small = analysis.minimize(m)
    assert small.states == ("A",)
    assert [t.describe() for t in small.transitions] == ["A --go--> A"]


@given(machines())
def test_equivalent_is_reflexive(m: fsm.Machine) -> None:
    assert analysis.equivalent(m, m) == analysis.Equivalence(True)


@given(machines(max_states=4), machines(max_states=4))
def test_equivalent_agrees_with_brute_force(a: fsm.Machine, b: fsm.Machine) -> None:
    result = analysis.equivalent(a, b)
    if result:
        assert language(a, 8) == language(b, 8)
    else:
        assert result.trace is not None
        after_a, after_b = run(a, result.trace), run(b, result.trace)
        assert bool(after_a) != bool(after_b) or bool(after_a & a.final) != bool(after_b & b.final)
        # No shorter trace tells them apart.
        assert language(a, len(result.trace) - 1) == language(b, len(result.trace) - 1)


@given(machines())
def test_minimize_is_equivalent_and_not_larger(m: fsm.Machine) -> None:
    small = analysis.minimize(m)
    assert analysis.equivalent(m, small)
    assert len(small.states) <= len(leaves(m))
    assert len(analysis.minimize(small).states) == len(small.states)


def deterministic_machines(events: tuple[str, ...], size: int) -> list[fsm.Machine]:
    """Every deterministic machine with ``size`` states over ``events`` (brute force)."""
    states = tuple(f"Q{n}" for n in range(size))
    slots = [(s, e) for s in states for e in events]
    found: list[fsm.Machine] = []
    for choice in itertools.product([None, *states], repeat=len(slots)):
        transitions = [
            fsm.Transition(s, e, t) for (s, e), t in zip(slots, choice, strict=True) if t
        ]
        for finals in itertools.product([False, True], repeat=size):
            final = {s for s, f in zip(states, finals, strict=True) if f}
            found.append(
                fsm.Machine("B", states=states, initial="Q0", final=final, transitions=transitions)
            )
    return found


@settings(max_examples=25)
@given(machines(max_states=4))
def test_minimize_is_minimal_for_deterministic_machines(m: fsm.Machine) -> None:
    assume(len(m.events) <= 2)
    small = analysis.minimize(m)
    assume(all(not t.branch for t in small.transitions))
    assume(len(small.states) <= 3)
    for size in range(1, len(small.states)):
        for other in deterministic_machines(m.events, size):
            assert not analysis.equivalent(small, other)
