"""The analysis on machines built by ``Machine.from_arrays``: the same answers, no Transition made.

The differential properties of the analysis tests (against networkx and the
reference interpreter) are run again here on bulk-built machines.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm
from fsm._model import _stored

from . import test_analysis_check as check_tests
from . import test_analysis_paths as paths_tests
from . import test_analysis_search as search_tests
from .strategies import bulk, bulk_machines, machines


def made_transitions(m: fsm.Machine) -> bool:
    """True once the machine has made its Transition objects (a private detail, watched here)."""
    return _stored(m) is not None


@settings(max_examples=50)
@given(bulk_machines)
def test_check_agrees_with_networkx_and_the_interpreter_on_bulk_machines(m: fsm.Machine) -> None:
    for test in (
        check_tests.test_witness_traces_replay,
        check_tests.test_witness_traces_are_shortest,
        check_tests.test_reachability_agrees_with_networkx,
        check_tests.test_termination_agrees_with_networkx,
        search_tests.test_graph_bfs_reaches_each_leaf_once_at_its_distance,
        search_tests.test_graph_bfs_backwards_finds_the_states_that_reach_the_sources,
        paths_tests.test_transition_cover_takes_every_reachable_transition,
        paths_tests.test_state_cover_enters_every_reachable_state,
    ):
        test.hypothesis.inner_test(m)  # type: ignore[attr-defined]


@settings(max_examples=50)
@given(machines())
def test_check_of_a_bulk_machine_is_the_check_of_the_ordinary_one(m: fsm.Machine) -> None:
    twin = bulk(m)
    assert analysis.check(twin) == analysis.check(m)
    assert not made_transitions(twin)


@settings(max_examples=30)
@given(st.integers(1, 40), st.randoms(use_true_random=False))
def test_a_bulk_machine_is_checked_and_fingerprinted_without_making_transitions(
    size: int, rng: object
) -> None:
    import random

    assert isinstance(rng, random.Random)
    m = fsm.Machine.from_arrays(
        "Random",
        states=[f"S{n}" for n in range(size)],
        events=["e0", "e1"],
        source=[n // 2 for n in range(2 * size)],
        event=[n % 2 for n in range(2 * size)],
        target=[rng.randrange(size) for _ in range(2 * size)],
        initial="S0",
        final=["S0"],
    )
    analysis.check(m)
    assert m.fingerprint
    assert m.compiled.dispatch[0] == {0: (0,), 1: (1,)}
    assert m.transitions_from("S0", "e1")[0].event == "e1"
    assert not made_transitions(m)
    assert len(m.transitions) == 2 * size
    assert made_transitions(m)
