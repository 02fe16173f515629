"""analysis.to_promela: the product as a Promela model, checked by the real SPIN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import analysis
import fsm

from .spin_support import NEEDS_SPIN, needs_spin, run_spin
from .strategies import machines
from .test_analysis_compose import machine, philosophers

EXAMPLES = Path(__file__).parent.parent / "examples"
SLOW = settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def agree(composition: list[fsm.Machine], folder: Path) -> None:
    """SPIN and analysis agree: same reachable states, a deadlock in both or neither."""
    verdict = run_spin(analysis.to_promela(*composition), folder)
    assert verdict.stored == len(analysis.compose(*composition, max_states=10**6).states)
    assert verdict.deadlock == (not analysis.deadlocks(*composition).ok)


@pytest.mark.parametrize("n", range(3, 9))
def test_spin_counts_the_philosophers_states_as_we_do(n: int, tmp_path: Path) -> None:
    # Left fork first: philosopher i eating holds fork i+1, so philosopher i+1
    # is thinking; those configurations number (1+√2)^n + (1-√2)^n.
    expected = {3: 14, 4: 34, 5: 82, 6: 198, 7: 478, 8: 1154}[n]
    assert len(analysis.compose(*philosophers(n)).states) == expected
    verdict = run_spin(analysis.to_promela(*philosophers(n)), tmp_path)
    assert (verdict.stored, verdict.deadlock) == (expected, True)


def either_first(n: int) -> list[fsm.Machine]:
    """Philosophers who take either fork first: every fork state combination, 3^n."""
    composition = philosophers(n)
    for i in range(n):
        phil = composition[i]
        composition[i] = fsm.Machine(
            phil.name,
            states=(*phil.states, "HasRight"),
            initial=phil.initial,
            transitions=(
                *phil.transitions,
                fsm.Transition("Thinking", f"right{i}", "HasRight"),
                fsm.Transition("HasRight", f"left{i}", "Eating"),
            ),
        )
    return composition


@pytest.mark.parametrize("n", [3, 4, 5])
def test_spin_counts_3_to_the_n_states_when_either_fork_comes_first(n: int, tmp_path: Path) -> None:
    assert len(analysis.compose(*either_first(n)).states) == 3**n
    verdict = run_spin(analysis.to_promela(*either_first(n)), tmp_path)
    assert (verdict.stored, verdict.deadlock) == (3**n, True)


def test_without_spin_the_tests_skip_and_under_ci_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no spin, no gcc
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=rf"^{re.escape(NEEDS_SPIN)} \(missing"):
        needs_spin()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"missing: spin, gcc\); CI must run SPIN$"):
        needs_spin()


@pytest.mark.parametrize(
    "files",
    [
        [f"two_phase_commit_{name}" for name in ("coordinator", "participant_1", "participant_2")],
        [f"two_phase_commit_{n}" for n in ("coordinator_buggy", "participant_1", "participant_2")],
        ["contract_net_manager", *(f"contract_net_contractor_{i}" for i in (1, 2, 3))],
        ["agent"],  # a superstate whose transitions its leaves inherit
        ["tcp"],
    ],
)
def test_spin_agrees_on_the_examples(files: list[str], tmp_path: Path) -> None:
    agree([fsm.load(EXAMPLES / f"{name}.mmd") for name in files], tmp_path)


def test_a_final_product_state_without_moves_is_not_a_deadlock(tmp_path: Path) -> None:
    a = machine("A", "[*] --> A0\nA0 --> A1 : go\nA1 --> [*]")
    b = machine("B", "[*] --> B0\nB0 --> B1 : go\nB1 --> [*]")
    assert analysis.deadlocks(a, b).ok
    assert run_spin(analysis.to_promela(a, b), tmp_path).deadlock is False


def test_guards_and_branches_may_always_be_taken(tmp_path: Path) -> None:
    a = machine(
        "A",
        "[*] --> Idle\nIdle --> Sent : ask [ready]\nIdle --> Stuck : ask [else]\n"
        "Sent --> Idle : reply",
    )
    b = machine("B", "[*] --> Wait\nWait --> Busy : ask\nBusy --> Wait : reply")
    (found,) = analysis.deadlocks(a, b)
    assert found.states == ("Stuck", "Busy")
    verdict = run_spin(analysis.to_promela(a, b), tmp_path)
    assert (verdict.stored, verdict.deadlock) == (3, True)


def test_a_trail_replays_in_our_runtime_to_the_deadlock(tmp_path: Path) -> None:
    composition = philosophers(4)
    verdict = run_spin(analysis.to_promela(*composition), tmp_path)
    instances = [m.start() for m in composition]
    for event in verdict.events:
        involved = [i for i in instances if event in i.machine.events]
        assert involved, event
        assert all(i.can(event) for i in involved), event
        for i in involved:
            i.send(event)
    reached = tuple(i.state for i in instances)
    assert reached == tuple(m.states[s] for m, s in zip(composition, verdict.end, strict=True))
    assert reached in {f.states for f in analysis.deadlocks(*composition)}


def test_a_conversation_stands_for_its_projections(tmp_path: Path) -> None:
    conversation = fsm.load_conversation(EXAMPLES / "two_phase_commit_conversation.mmd")
    roles = list(analysis.projections(conversation).values())
    assert analysis.to_promela(conversation) == analysis.to_promela(*roles)
    agree(roles, tmp_path)


@st.composite
def overlapping(draw: st.DrawFn) -> list[fsm.Machine]:
    """2 or 3 small plain machines over one alphabet of 3 events."""
    found: list[fsm.Machine] = []
    for number in range(draw(st.integers(2, 3))):
        states = [f"S{number}_{i}" for i in range(draw(st.integers(1, 3)))]
        moves = draw(
            st.lists(
                st.tuples(st.sampled_from(states), st.sampled_from("abc"), st.sampled_from(states)),
                min_size=1,
                max_size=5,
            )
        )
        final = draw(st.sets(st.sampled_from(states)))
        moves = list(dict.fromkeys(moves))
        branch = {(s, e) for s, e, _ in moves if sum(m[:2] == (s, e) for m in moves) > 1}
        transitions = [fsm.Transition(s, e, t, branch=(s, e) in branch) for s, e, t in moves]
        found.append(
            fsm.Machine(
                f"M{number}", states=states, initial=states[0], final=final, transitions=transitions
            )
        )
    return found


@SLOW
@given(composition=overlapping())
def test_spin_agrees_on_random_compositions(composition: list[fsm.Machine], tmp_path: Path) -> None:
    agree(composition, tmp_path)


@SLOW
@given(composition=st.lists(machines(max_states=5), min_size=1, max_size=2))
def test_spin_agrees_with_hierarchy_and_guards(
    composition: list[fsm.Machine], tmp_path: Path
) -> None:
    try:
        analysis.compose(*composition)
    except ValueError:  # two product states with one name: a state name holds "__"
        assume(False)
    agree(composition, tmp_path)


def test_a_list_of_machines_is_refused() -> None:
    with pytest.raises(
        TypeError,
        match=r"^to_promela\(\) got a list \(\[<fsm.Machine .*\); pass the machines as "
        r"separate arguments: to_promela\(\*machines\)$",
    ):
        analysis.to_promela(philosophers(3))  # type: ignore[arg-type]


def test_no_machine_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^no machine given; pass one or more fsm.Machine"):
        analysis.to_promela()


def test_state_numbers_are_named_in_the_header() -> None:
    text = analysis.to_promela(*philosophers(3)[:1])
    assert "/* m0: 'Phil0': 0 Thinking, 1 HasLeft, 2 Eating */\nbyte m0 = 0;" in text


@pytest.mark.parametrize(("final", "deadlock"), [("", True), ("\nA --> [*]", False)])
def test_a_machine_without_transitions(final: str, deadlock: bool, tmp_path: Path) -> None:
    lone = machine("Lone", "[*] --> A" + final)
    assert analysis.deadlocks(lone).ok is not deadlock
    verdict = run_spin(analysis.to_promela(lone), tmp_path)
    assert (verdict.stored, verdict.deadlock, verdict.events) == (1, deadlock, ())


def counter(n: int, events: int = 1) -> fsm.Machine:
    """``S0 --tick--> S1 --tick--> ... S{n-1}``, final at the end; with
    ``events`` > 1, also ``S0 --e{k}--> S1`` for each ``k``."""
    states = [f"S{i}" for i in range(n)]
    ticks = [fsm.Transition(states[i], "tick", states[i + 1]) for i in range(n - 1)]
    more = [fsm.Transition("S0", f"e{k}", "S1") for k in range(events - 1)]
    return fsm.Machine(
        "Counter", states=states, initial="S0", final={states[-1]}, transitions=ticks + more
    )


def test_spin_parses_an_event_with_thousands_of_targets(tmp_path: Path) -> None:
    # One event, 5,000 sources with distinct targets: as nested conditionals
    # 5,000 deep, `spin -a` ran out of memory.
    verdict = run_spin(analysis.to_promela(counter(5000)), tmp_path)
    assert (verdict.stored, verdict.deadlock) == (5000, False)


def branching(count: int) -> list[fsm.Machine]:
    """``count`` machines, each taking the shared ``x`` to one of two states."""
    moves = [fsm.Transition("A", "x", t, branch=True) for t in ("B", "C")]
    return [
        fsm.Machine(
            f"B{i}", states=["A", "B", "C"], initial="A", final={"B", "C"}, transitions=moves
        )
        for i in range(count)
    ]


def test_the_product_of_choices_on_one_event_is_bounded() -> None:
    # One option per combination of the machines' choices: 2**14 = 16,384.
    shown = ", ".join(f"'B{i}': 2" for i in range(14))
    with pytest.raises(ValueError) as raised:
        analysis.to_promela(*branching(14))
    assert str(raised.value) == (
        "event 'x' needs 16,384 options in the Promela model (one per combination of the"
        f" targets its machines may choose ({shown})), more than max_options=10,000;"
        " pass a larger max_options= (SPIN parses about 10,000 options per event; the model"
        " grows with the product) or check the composition with analysis.deadlocks()"
    )
    assert analysis.to_promela(*branching(13)).count("event: x") == 2**13


def test_the_export_grows_in_proportion_to_the_machines() -> None:
    # The nested conditional was rebuilt once per target: 2x the states took
    # 5.5x the time (32,000 states 1.3 s, 64,000 states 7.1 s).
    from .test_limits import MAX_GROWTH, growth

    def exporting(n: int) -> object:
        machine = counter(n, events=n // 4)
        return lambda: analysis.to_promela(machine)

    ratio = growth(exporting, 8_000)
    assert ratio < MAX_GROWTH, f"4x the states took {ratio:.1f}x the time"
