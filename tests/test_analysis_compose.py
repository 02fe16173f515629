"""analysis.compose and analysis.deadlocks: the synchronous product."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

import analysis
import fsm

from .analysis_reference import leaves
from .strategies import machines


def machine(name: str, body: str) -> fsm.Machine:
    return fsm.parse(f"---\ntitle: {name}\n---\nstateDiagram-v2\n" + body)


def philosophers(n: int) -> list[fsm.Machine]:
    """n philosophers who take their left fork, then their right one."""
    phils = [
        machine(
            f"Phil{i}",
            f"[*] --> Thinking\nThinking --> HasLeft : left{i}\n"
            f"HasLeft --> Eating : right{i}\nEating --> Thinking : done{i}",
        )
        for i in range(n)
    ]
    # Fork i is philosopher i's left fork and philosopher i-1's right fork.
    forks = [
        machine(
            f"Fork{i}",
            f"[*] --> Free\nFree --> HeldL : left{i}\nHeldL --> Free : done{i}\n"
            f"Free --> HeldR : right{(i - 1) % n}\nHeldR --> Free : done{(i - 1) % n}",
        )
        for i in range(n)
    ]
    return phils + forks


@pytest.mark.parametrize("n", [3, 4, 5])
def test_dining_philosophers_deadlock(n: int) -> None:
    (found,) = analysis.deadlocks(*philosophers(n))
    assert found.kind == "deadlock"
    assert found.states == ("HasLeft",) * n + ("HeldL",) * n
    assert found.trace is not None
    assert sorted(found.trace) == sorted(f"left{i}" for i in range(n))


@pytest.mark.parametrize("function", [analysis.compose, analysis.deadlocks])
def test_a_list_of_machines_is_refused(function: Callable[..., object]) -> None:
    name = function.__name__
    with pytest.raises(
        TypeError,
        match=rf"^{name}\(\) got a list \(\[<fsm.Machine .*\); pass the machines as "
        rf"separate arguments: {name}\(\*machines\)$",
    ):
        function(philosophers(3))
    with pytest.raises(TypeError, match=rf"^{name}\(\) got a str \('A'\); pass fsm.Machine"):
        function("A")


def test_deadlocks_is_a_report_like_check() -> None:
    report = analysis.deadlocks(*philosophers(3))
    assert isinstance(report, analysis.Report)
    assert report.name == "Phil0 x Phil1 x Phil2 x Fork0 x Fork1 x Fork2"
    assert (bool(report), report.ok, len(report)) == (False, False, 1)
    assert [f.kind for f in report] == ["deadlock"]
    fine = analysis.deadlocks(*philosophers(3)[:1])
    assert (bool(fine), fine.findings) == (True, ())
    assert str(report).startswith("Phil0 x Phil1 x Phil2 x Fork0 x Fork1 x Fork2: problems found")


def test_deadlock_message() -> None:
    (found,) = analysis.deadlocks(*philosophers(3))
    assert found.message.startswith(
        "no event is enabled with 'Phil0' in 'HasLeft', 'Phil1' in 'HasLeft',"
    )
    assert found.message.endswith("and not every machine is in a final state")


COORDINATOR = (
    "[*] --> Init\nInit --> Waiting : prepare\nWaiting --> Committing : yes\n"
    "Committing --> Done : commit\nWaiting --> Aborting : no\nAborting --> Done : abort\n"
    "Done --> [*]"
)
PARTICIPANT = (
    "[*] --> Ready\nReady --> Voting : prepare\nVoting --> Prepared : yes\n"
    "Prepared --> Done : commit\nVoting --> Aborted : no\nAborted --> Done : abort\n"
    "Done --> [*]"
)


def test_two_phase_commit_has_no_deadlock() -> None:
    parts = [machine("Coordinator", COORDINATOR), machine("Participant", PARTICIPANT)]
    assert analysis.deadlocks(*parts).findings == ()
    product = analysis.compose(*parts)
    assert product.final == {"Done__Done"}
    assert analysis.check(product).ok


def test_two_phase_commit_with_a_timeout_deadlocks() -> None:
    # The coordinator may give up while the participant still waits to vote.
    coordinator = machine("Coordinator", COORDINATOR + "\nWaiting --> Aborting : timeout")
    (found,) = analysis.deadlocks(coordinator, machine("Participant", PARTICIPANT))
    assert found.states == ("Aborting", "Voting")
    assert found.trace == ("prepare", "timeout")
    product = analysis.compose(coordinator, machine("Participant", PARTICIPANT))
    assert analysis.deadlocks(product).findings[0].trace == ("prepare", "timeout")
    assert analysis.check(product).of("dead-end")[0].states == ("Aborting__Voting",)


def test_product_names_and_shape() -> None:
    product = analysis.compose(
        machine("Coordinator", COORDINATOR), machine("Participant", PARTICIPANT)
    )
    assert product.name == "Coordinator x Participant"
    assert product.initial == "Init__Ready"
    assert product.states == (
        "Init__Ready",
        "Waiting__Voting",
        "Committing__Prepared",
        "Aborting__Aborted",
        "Done__Done",
    )


def test_max_states_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError,
        match=r"^the product of 'Phil0' x .* has more than 10 reachable states; "
        r"pass a larger max_states= or compose fewer machines$",
    ):
        analysis.compose(*philosophers(3), max_states=10)


def test_name_collision_is_an_error() -> None:
    a = fsm.Machine(
        "A", states=("X__Y", "X"), initial="X__Y", transitions=[fsm.Transition("X__Y", "go", "X")]
    )
    b = fsm.Machine(
        "B", states=("Q", "Y__Q"), initial="Q", transitions=[fsm.Transition("Q", "go", "Y__Q")]
    )
    with pytest.raises(
        ValueError,
        match=r"^product states \('X__Y', 'Q'\) and \('X', 'Y__Q'\) would both be named "
        r"'X__Y__Q'; rename component states that contain '__'$",
    ):
        analysis.compose(a, b)


def test_no_machines() -> None:
    with pytest.raises(
        ValueError, match=r"^no machine given; pass one or more fsm.Machine values$"
    ):
        analysis.compose()
    with pytest.raises(ValueError, match=r"^no machine given"):
        analysis.deadlocks()


@given(machines())
def test_compose_of_one_machine_is_the_machine(m: fsm.Machine) -> None:
    product = analysis.compose(m)
    reached = {s for s in analysis.reachable(m) if s in leaves(m)}
    assert set(product.states) == reached
    assert product.initial == m.resolve(m.initial)
    assert analysis.equivalent(product, m)


@given(machines(max_states=4), machines(max_states=4))
def test_deadlocks_agree_with_the_product(a: fsm.Machine, b: fsm.Machine) -> None:
    try:
        product = analysis.compose(a, b)
    except ValueError:
        return  # two component state names joined into one name: not this test's concern
    direct = {(f.states, f.trace) for f in analysis.deadlocks(a, b)}
    via = {f.trace for f in analysis.deadlocks(product)}
    assert {trace for _, trace in direct} == via


def _stuck_pair() -> tuple[fsm.Machine, fsm.Machine]:
    x = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> [*]", name="X")
    y = fsm.parse("stateDiagram-v2\n[*] --> P\nP --> Q : go\nP --> R : stop\nR --> [*]", name="Y")
    return x, y


def test_a_deadlock_report_highlights_its_product_states_on_every_diagram() -> None:
    x, y = _stuck_pair()
    report = analysis.deadlocks(x, y)
    assert [f.states for f in report] == [("A", "R"), ("B", "Q")]
    product = analysis.compose(x, y)
    assert "    class A__R,B__Q deadEnd" in analysis.to_mermaid(product, highlight=report)
    dot = analysis.to_dot(product, highlight=report).splitlines()
    marked = [line.split()[0] for line in dot if 'fillcolor="#ffebe9"' in line]
    assert marked == ["A__R", "B__Q"]
    puml = analysis.to_plantuml(product, highlight=report).splitlines()
    assert [line.split(" as ")[1].split()[0] for line in puml if "#ffebe9" in line] == [
        "A__R",
        "B__Q",
    ]


def test_a_deadlock_report_on_a_component_says_to_draw_the_product() -> None:
    x, y = _stuck_pair()
    with pytest.raises(
        ValueError,
        match=r"^a 'deadlock' finding names state 'A__R', which machine 'X' does not have; "
        r"draw a deadlock on the product, analysis.compose\(\*machines\)$",
    ):
        analysis.to_mermaid(x, highlight=analysis.deadlocks(x, y))
