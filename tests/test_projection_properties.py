"""The guarantee, checked: well-formed conversations compose without deadlock and run exactly.

For a well-formed conversation, the synchronous composition of its
projections (``analysis.compose``) must have no deadlock, every state of it
must be able to finish, and its complete message sequences of up to
``BOUND`` messages must be exactly those of the conversation: the sequences
of the global machine, in any order of two adjacent messages that have no role
in common (independent agents may send those in either order; the diagram
writes one). Sequences are compared as sets, so a loop is checked up to as
many rounds as fit in ``BOUND`` messages.

Ill-formed ones are refused with a witness that replays on the global machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

import analysis
import fsm

from .conversation_support import conversations, well_formed_conversations
from .test_projection import REQUESTS, TWO_BUYERS
from .test_projection_wellformed import UNMERGEABLE, replay

#: The longest complete message sequence compared.
BOUND = 7


def complete_runs(machine: fsm.Machine, bound: int) -> Iterator[tuple[str, ...]]:
    """Every event sequence of at most ``bound`` events that ends in a final state."""
    moves: dict[str, list[tuple[str, str]]] = {}
    for t in machine.transitions:
        moves.setdefault(t.source, []).append((t.event, t.target))
    stack: list[tuple[str, tuple[str, ...]]] = [(machine.initial, ())]
    while stack:
        state, trace = stack.pop()
        if state in machine.final:
            yield trace
        if len(trace) < bound:
            stack.extend((target, (*trace, event)) for event, target in moves.get(state, ()))


def closed_under_swaps(
    runs: set[tuple[str, ...]], roles_of: dict[str, frozenset[str]]
) -> set[tuple[str, ...]]:
    """``runs`` and every reordering of two adjacent messages with no role in common."""
    found = set(runs)
    todo = list(runs)
    while todo:
        run = todo.pop()
        for n in range(len(run) - 1):
            a, b = run[n], run[n + 1]
            if a != b and not roles_of[a] & roles_of[b]:
                swapped = (*run[:n], b, a, *run[n + 2 :])
                if swapped not in found:
                    found.add(swapped)
                    todo.append(swapped)
    return found


def assert_realised(conversation: fsm.Conversation) -> None:
    machines = analysis.projections(conversation)
    product = analysis.compose(*machines.values())
    assert analysis.deadlocks(*machines.values()).ok
    report = analysis.check(product)
    assert not report.of("non-productive"), str(report)
    assert not report.of("livelock"), str(report)
    roles_of = {
        event: frozenset((m.sender, m.receiver)) for event, m in conversation.events().items()
    }
    expected = closed_under_swaps(
        set(complete_runs(analysis.conversation_machine(conversation), BOUND)), roles_of
    )
    composed = set(complete_runs(product, BOUND))
    assert composed == expected, (
        f"only composed: {sorted(composed - expected)[:3]}; "
        f"only in the conversation: {sorted(expected - composed)[:3]}\n"
        + fsm.dumps_conversation(conversation)
    )


def assert_refused_with_witnesses(conversation: fsm.Conversation) -> None:
    report = analysis.check_conversation(conversation)
    assert report.findings
    for finding in report:
        assert finding.trace is not None
        replay(conversation, finding.trace)  # raises if the witness does not run
        if finding.kind != "choice-not-by-one-role":
            # The last message of the witness is the role's blind send, or
            # the receive it cannot place.
            role = finding.message.split("'")[1]
            last = conversation.events()[finding.trace[-1]]
            assert role in (last.sender, last.receiver)


@pytest.mark.parametrize("conversation", [TWO_BUYERS, REQUESTS], ids=["two-buyers", "requests"])
def test_the_textbook_conversations_are_realised_by_their_projections(
    conversation: fsm.Conversation,
) -> None:
    assert analysis.check_conversation(conversation).ok
    assert_realised(conversation)


def test_independent_messages_may_run_in_either_order() -> None:
    # A->B and C->D have no role in common: the composition runs both orders.
    c = fsm.parse_conversation("sequenceDiagram\n  A->>B: x\n  C->>D: y\n")
    product = analysis.compose(*analysis.projections(c).values())
    assert set(complete_runs(product, 2)) == {("A_x_B", "C_y_D"), ("C_y_D", "A_x_B")}
    assert_realised(c)


def test_an_unmergeable_conversation_is_refused_with_a_witness() -> None:
    assert_refused_with_witnesses(fsm.parse_conversation(UNMERGEABLE))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed_conversations())
def test_conversations_well_formed_by_construction_pass_and_are_realised(
    conversation: fsm.Conversation,
) -> None:
    report = analysis.check_conversation(conversation)
    assert report.ok, str(report) + "\n" + fsm.dumps_conversation(conversation)
    assert_realised(conversation)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(max_roles=3))
def test_random_conversations_are_realised_when_well_formed_and_refused_with_witnesses_else(
    conversation: fsm.Conversation,
) -> None:
    if analysis.check_conversation(conversation).ok:
        assert_realised(conversation)
    else:
        assert_refused_with_witnesses(conversation)
