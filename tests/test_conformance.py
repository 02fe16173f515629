"""conformance(): seeded bugs are found and shrunk to their minimal trace; correct code passes.

Each seeded bug runs with Hypothesis' default settings (100 examples, 50 steps,
generate and shrink), except that:

- the runs are derandomized: a fixed seed, so a bug found here is found on
  every run (with random seeds the 4-step accepted-finish bug was missed about
  once in thirty runs);
- the deadline is off (a loaded CI machine must not turn a slow step into a
  failure);
- the example database is off (a saved failure would be replayed, not found);
- the explain phase is off (it only annotates the report, and takes most of a
  minute on a stateful test; the ConformanceFailure carries the trace anyway).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

import fsm
from analysis.testing import ConformanceFailure, conformance
from tests.seeded import (
    AGENT,
    CHAIN,
    AgentImpl,
    ChainImpl,
    agent_instance,
    buggy_typestate_idle,
)

DEFAULTS = settings(
    settings.get_profile("default"),
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def failure(machine_class: type[RuleBasedStateMachine]) -> ConformanceFailure:
    """Run to the first failure and return the shrunk one Hypothesis reports."""
    with pytest.raises(ConformanceFailure) as caught:
        run_state_machine_as_test(machine_class, settings=DEFAULTS)
    return caught.value


def test_an_accepted_invalid_event_is_found_with_its_minimal_trace() -> None:
    found = failure(conformance(AGENT, lambda: AgentImpl(accept_finish_while_waiting=True)))
    assert found.trace == ("assign", "plan", "call_tool", "finish")
    assert (found.state, found.event) == ("AwaitingTool", "finish")
    assert str(found).startswith(
        "'finish' is not allowed in state 'AwaitingTool' (allowed here: result, cancel) "
        "but the implementation accepted it (now in 'Done')"
    )


def test_a_wrong_state_on_a_rare_branch_is_found_with_its_minimal_trace() -> None:
    found = failure(conformance(AGENT, lambda: AgentImpl(wrong_state_on_error=True)))
    assert found.trace == ("assign", "plan", "call_tool", "result")
    assert found.payloads[3] == {"output": ""}
    assert str(found).startswith(
        "after 'result' in state 'AwaitingTool' the implementation is in 'Failed'; "
        "the machine goes to 'Acting' or 'Planning'"
    )


def test_a_bug_60_steps_deep_is_found_with_its_minimal_trace() -> None:
    found = failure(conformance(CHAIN, lambda: ChainImpl(broken_at=60)))
    assert found.trace == ("next",) * 60
    assert (found.state, found.event) == ("C59", "next")


def test_a_typestate_method_returning_a_consumed_state_is_found() -> None:
    found = failure(conformance(AGENT, buggy_typestate_idle()))
    assert found.trace == ("assign", "plan", "call_tool", "result")
    assert found.payloads[3] == {"output": ""}
    assert "returned a Planning that was already consumed by Planning.plan()" in str(found)


@pytest.mark.parametrize(
    "adapter",
    [AgentImpl, agent_instance],
    ids=["hand-written", "fsm.Instance"],
)
def test_a_correct_implementation_passes(adapter: object) -> None:
    run_state_machine_as_test(conformance(AGENT, adapter), settings=DEFAULTS)


def test_the_deep_state_step_reaches_every_state_of_a_long_chain() -> None:
    chain = conformance(CHAIN, ChainImpl)
    run_state_machine_as_test(chain, settings=DEFAULTS)
    assert chain.coverage.uncovered_states == ()  # type: ignore[attr-defined]


def test_the_class_is_named_after_the_machine() -> None:
    machine = fsm.parse("stateDiagram-v2\n    [*] --> A\n    A --> B : go\n", name="ToolCalls")
    assert conformance(machine, machine.start).__name__ == "ToolCallsConformance"
    spaced = fsm.parse("stateDiagram-v2\n    [*] --> A\n", name="tool calls v2")
    assert conformance(spaced, spaced.start).__name__ == "ToolCallsV2Conformance"
