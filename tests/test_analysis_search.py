"""The one breadth-first search of the analysis."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from analysis._graph import Graph, breadth_first, path_to
from analysis._walk import Walker

from .analysis_reference import digraph
from .strategies import machines


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


def test_a_route_to_an_unknown_state_is_none() -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go")
    assert Walker(m).route("A", "Nowhere") is None
