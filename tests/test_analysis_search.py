"""The one breadth-first search, the finding kinds listed once, the DSL line emitter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Literal, get_args

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm
from analysis._check import KINDS, SEVERITY, Kind
from analysis._graph import Graph, breadth_first, path_to
from analysis._walk import Walker
from fsm._dsl import dsl_lines

from .analysis_reference import digraph
from .strategies import machines

ROOT = Path(__file__).resolve().parent.parent


@settings(max_examples=60)
@given(machines())
def test_graph_bfs_reaches_each_leaf_once_at_its_distance(m: fsm.Machine) -> None:
    g = Graph(m)
    start = m.compiled.initial
    expected = nx.single_source_shortest_path_length(digraph(m), m.states[start])
    distance: dict[int, int] = {}
    for node, edge, tail in g.bfs((start,)):
        assert node not in distance
        if edge < 0:
            assert (node, tail) == (start, -1)
            distance[node] = 0
        else:
            assert g.heads[edge] == node
            assert g.offsets[tail] <= edge < g.offsets[tail + 1]
            distance[node] = distance[tail] + 1
    assert {m.states[n]: d for n, d in distance.items()} == expected


@settings(max_examples=60)
@given(machines())
def test_graph_bfs_backwards_finds_the_states_that_reach_the_sources(m: fsm.Machine) -> None:
    g = Graph(m)
    start = m.compiled.initial
    reaching = {m.states[n] for n, _, _ in g.bfs((start,), reverse=True)}
    graph = digraph(m)
    expected = {s for s in graph if nx.has_path(graph, s, m.states[start])}
    assert reaching & set(graph) == expected


def test_breadth_first_skips_marked_nodes_and_repeated_sources() -> None:
    # 0 -> 1 -> 2, 0 -> 2; node 1 marked beforehand: 2 is reached from 0 directly.
    offsets, heads = [0, 2, 3, 3], [1, 2, 2]
    marks = bytearray([0, 1, 0])
    found = list(breadth_first(offsets, heads, (0, 0), marks))
    assert found == [(0, -1, -1), (2, 1, 0)]
    assert marks == bytearray([1, 1, 1])
    assert path_to(2, {0: -1, 2: 1}, {0: -1, 2: 0}) == [1]


@settings(max_examples=60)
@given(machines(), st.data())
def test_walker_routes_are_shortest_and_take_real_moves(
    m: fsm.Machine, data: st.DataObject
) -> None:
    walker = Walker(m)
    goal = data.draw(st.sampled_from(walker.leaves))
    route = walker.route(walker.initial, goal)
    graph = digraph(m)
    if not nx.has_path(graph, walker.initial, goal):
        assert route is None
        return
    assert route is not None
    assert len(route) == nx.shortest_path_length(graph, walker.initial, goal)
    assert walker.distances(walker.initial)[goal] == len(route)
    here = walker.initial
    for event, entered in route:
        assert entered in walker.targets[here, event]
        here = entered
    assert here == goal


@settings(max_examples=60)
@given(machines())
def test_walker_reachable_leaves_are_the_reachable_leaves(m: fsm.Machine) -> None:
    walker = Walker(m)
    assert set(walker.reachable) == {s for s in analysis.reachable(m) if s in walker.leaves}
    distance = walker.distances(walker.initial)
    assert [distance[leaf] for leaf in walker.reachable] == sorted(
        distance[leaf] for leaf in walker.reachable
    )


def test_a_route_to_an_unknown_state_is_none() -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go")
    assert Walker(m).route("A", "Nowhere") is None


# -- finding kinds ------------------------------------------------------------------


def test_the_kinds_are_the_literal_type_deadlock_included() -> None:
    assert get_args(Kind) == KINDS
    assert "deadlock" in KINDS
    assert tuple(SEVERITY) == KINDS


def test_the_docs_table_lists_every_kind_in_order() -> None:
    text = (ROOT / "docs" / "analysis.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \|", text, re.MULTILINE)
    assert rows == [(kind, SEVERITY[kind]) for kind in KINDS]


def test_check_ignore_accepts_exactly_the_kinds() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "analysis._cli", "check", "--ignore", "nonsense", "x.mmd"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    shown = ", ".join(repr(kind) for kind in KINDS)
    assert f"(choose from {shown})" in result.stderr


def test_check_ignores_deadlock_as_a_known_kind() -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> [*]")
    assert analysis.check(m, ignore=["deadlock"]).ignored == ("deadlock",)


# -- the DSL lines Mermaid diagrams are built from -------------------------------------


@settings(max_examples=40)
@given(machines(), st.sampled_from(["LR", "TB"]))
def test_dsl_lines_are_dumps_and_to_mermaid_adds_only_a_direction(
    m: fsm.Machine, direction: Literal["LR", "TB"]
) -> None:
    lines = dsl_lines(m)
    assert "\n".join(lines) + "\n" == fsm.dumps(m)
    header = lines.index("stateDiagram-v2") + 1
    expected = [*lines[:header], f"    direction {direction}", *lines[header:]]
    assert analysis.to_mermaid(m, direction=direction) == "\n".join(expected) + "\n"
    assert fsm.parse(analysis.to_mermaid(m)) == m
