"""analysis.check: every finding kind, with its message and witness trace."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from hypothesis import given

import analysis
import fsm

from .analysis_reference import digraph, leaves, run
from .strategies import machines


def machine(body: str) -> fsm.Machine:
    return fsm.parse("stateDiagram-v2\n" + body)


def only(report: analysis.Report, kind: str) -> analysis.Finding:
    (finding,) = report.of(kind)
    return finding


def test_clean_example_is_ok() -> None:
    report = analysis.check(fsm.load("examples/agent.mmd"))
    assert report.ok
    assert [f.kind for f in report.findings] == ["nondeterministic"]


def test_unreachable_state_has_no_trace() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> [*]\nC --> B : back")
    f = only(analysis.check(m), "unreachable")
    assert f.message == (
        "state 'C' cannot be reached from the initial state 'A'; "
        "add a transition into it or remove it"
    )
    assert (f.states, f.trace, f.severity) == (("C",), None, "warning")


def test_unused_event_only_on_unreachable_states() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> [*]\nC --> B : back")
    f = only(analysis.check(m), "unused-event")
    assert f.message == (
        "event 'back' is never enabled in a reachable state; its transitions leave "
        "only unreachable or overridden states ('C')"
    )
    assert (f.states, f.trace, f.severity) == (("C",), None, "warning")


def test_dead_end_with_trace() -> None:
    m = machine("[*] --> A\nA --> B : go\nA --> C : other\nC --> [*]")
    report = analysis.check(m)
    f = only(report, "dead-end")
    assert f.message == (
        "state 'B' is not final and has no way out; mark it final or add a transition out of it"
    )
    assert (f.states, f.trace, f.severity) == (("B",), ("go",), "error")
    assert not report.ok


def test_livelock_names_the_cycle() -> None:
    m = machine(
        "[*] --> A\nA --> B : go\nB --> C : spin\nC --> B : back\nA --> D : finish\nD --> [*]"
    )
    f = only(analysis.check(m), "livelock")
    assert f.message == (
        "states 'B', 'C' form a cycle that can never reach a final state; a run that "
        "enters it cannot finish, so add a way out towards a final state"
    )
    assert (f.states, f.trace) == (("B", "C"), ("go",))


def test_livelock_on_a_self_loop() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> B : again\nA --> D : finish\nD --> [*]")
    f = only(analysis.check(m), "livelock")
    assert f.message.startswith("state 'B' loops on itself that can never reach a final state")
    assert f.trace == ("go",)


def test_non_productive_leads_only_to_trouble() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> X : fail\nA --> D : finish\nD --> [*]")
    report = analysis.check(m)
    f = only(report, "non-productive")
    assert f.message == (
        "state 'B' cannot reach any final state; every way out of it leads to a dead "
        "end or a livelock"
    )
    assert (f.states, f.trace) == (("B",), ("go",))
    assert only(report, "dead-end").trace == ("go", "fail")


def test_without_final_states_only_dead_ends_count() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> A : back")
    assert analysis.check(m).findings == ()


def test_final_has_outgoing() -> None:
    m = machine("[*] --> A\nA --> D : finish\nD --> A : again\nD --> [*]")
    f = only(analysis.check(m), "final-has-outgoing")
    assert f.message == (
        "final state 'D' has outgoing transitions (again); a run may end there or go on, "
        "so make sure that is meant, or move the transitions"
    )
    assert (f.trace, f.severity) == (("finish",), "warning")


def test_branch_is_info_level_nondeterminism() -> None:
    m = fsm.Machine(
        "M",
        states=("A", "B", "C"),
        initial="A",
        final={"B", "C"},
        transitions=[
            fsm.Transition("A", "go", "B", branch=True),
            fsm.Transition("A", "go", "C", branch=True),
        ],
    )
    report = analysis.check(m)
    f = only(report, "nondeterministic")
    assert f.message == "event 'go' in state 'A' may lead to 'B', 'C'; the implementation chooses"
    assert (f.trace, f.severity) == ((), "info")
    assert report.ok


def test_guards_are_info_level_nondeterminism() -> None:
    m = fsm.load("examples/agent.mmd")
    f = only(analysis.check(m), "nondeterministic")
    assert f.message == (
        "event 'result' in state 'AwaitingTool' may lead to 'Acting', 'Planning'; "
        "the guards decide (ok, then else)"
    )
    assert f.trace == ("assign", "plan", "call_tool")


def test_superstate_transitions_are_inherited() -> None:
    m = machine(
        "[*] --> Idle\nIdle --> Working : go\nstate Working {\n[*] --> A\nA --> B : step\n}\n"
        "Working --> Done : cancel\nDone --> [*]"
    )
    assert analysis.check(m).findings == ()


def test_unreachable_superstate_reported_once() -> None:
    m = machine("[*] --> Idle\nIdle --> [*]\nstate Box {\n[*] --> A\nA --> B : step\n}")
    f = only(analysis.check(m), "unreachable")
    assert f.message.startswith("superstate 'Box' cannot be reached")


def test_ignore_silences_a_kind() -> None:
    m = machine("[*] --> A\nA --> B : go\nB --> [*]\nC --> B : back")
    report = analysis.check(m, ignore=["unreachable", "unused-event"])
    assert report.findings == ()
    assert report.ignored == ("unreachable", "unused-event")


def test_ignore_unknown_kind() -> None:
    m = machine("[*] --> A")
    with pytest.raises(ValueError, match=r"^unknown finding kind 'dead_end' in ignore=; kinds"):
        analysis.check(m, ignore=["dead_end"])


def test_text_and_json_forms() -> None:
    m = machine("[*] --> A\nA --> B : go\nA --> C : other\nC --> [*]")
    report = analysis.check(m)
    assert str(report).splitlines() == [
        "Machine: problems found (1 error)",
        "  error: dead-end: state 'B' is not final and has no way out; mark it final or "
        "add a transition out of it",
        "    trace: go",
    ]
    data = json.loads(json.dumps(report.to_dict()))
    assert (data["name"], data["ok"]) == ("Machine", False)
    assert "machine" not in data
    assert data["findings"][0] == {
        "kind": "dead-end",
        "severity": "error",
        "message": report.findings[0].message,
        "states": ["B"],
        "trace": ["go"],
    }


def test_a_report_is_truthy_exactly_when_it_is_ok() -> None:
    guarded = machine("[*] --> A\nA --> B : go [x]\nA --> C : go [else]\nB --> [*]\nC --> [*]")
    report = analysis.check(guarded)
    assert [f.kind for f in report] == ["nondeterministic"]
    assert (report.name, report.ok, bool(report), len(report)) == ("Machine", True, True, 1)
    stuck = analysis.check(machine("[*] --> A\nA --> B : go\nA --> C : end\nC --> [*]"))
    assert (stuck.ok, bool(stuck), len(stuck)) == (False, False, 1)


# -- properties, against networkx and a reference interpreter --------------------


@given(machines())
def test_witness_traces_replay(m: fsm.Machine) -> None:
    for f in analysis.check(m).findings:
        if f.trace is None:
            continue
        after = run(m, f.trace)
        assert after, f
        if f.kind in {"dead-end", "non-productive", "final-has-outgoing"}:
            assert f.states[0] in after


@given(machines())
def test_witness_traces_are_shortest(m: fsm.Machine) -> None:
    g = digraph(m)
    start = m.resolve(m.initial)
    for f in analysis.check(m).findings:
        if f.kind in {"dead-end", "non-productive"}:
            assert f.trace is not None
            assert len(f.trace) == nx.shortest_path_length(g, start, f.states[0])


@given(machines())
def test_reachability_agrees_with_networkx(m: fsm.Machine) -> None:
    g = digraph(m)
    start = m.resolve(m.initial)
    reached = nx.descendants(g, start) | {start}
    unreachable = set(leaves(m)) - reached
    reported = {s for f in analysis.check(m).of("unreachable") for s in f.states}
    covered = {s for s in leaves(m) if {s, *m.ancestors(s)} & reported}
    assert covered == unreachable
    assert {s for s in analysis.reachable(m) if s in leaves(m)} == reached


@given(machines())
def test_termination_agrees_with_networkx(m: fsm.Machine) -> None:
    g = digraph(m)
    start = m.resolve(m.initial)
    reached = nx.descendants(g, start) | {start}
    report = analysis.check(m)
    dead = {f.states[0] for f in report.of("dead-end")}
    assert dead == {s for s in reached if g.out_degree(s) == 0 and s not in m.final}
    if not m.final:
        return
    productive = set(m.final).union(*(nx.ancestors(g, s) for s in m.final))
    doomed = reached - productive
    loops = {frozenset(f.states) for f in report.of("livelock")}
    sub = g.subgraph(doomed)
    expected = {
        frozenset(c)
        for c in nx.strongly_connected_components(sub)
        if len(c) > 1 or sub.has_edge(next(iter(c)), next(iter(c)))
    }
    assert loops == expected
    rest = {f.states[0] for f in report.of("non-productive")}
    assert rest == doomed - dead - set().union(*loops)
