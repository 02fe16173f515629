"""Property tests per role of ``conversation_agents.py`` against the role's projection.

Two kinds, for each role of the tool-approval conversation:

- the role's policy (the agents' own code) is played against its projection:
  the messages the role receives are drawn from what the projection allows
  (payloads from the declared types), and each time the role must speak its
  real policy decides; the test fails when the policy sends a message its
  projection does not allow now, or a payload without exactly the message's
  parameters or of the wrong type. ``test_a_broken_policy_is_caught`` shows it
  failing on two broken policies;
- ``conformance`` drives the role's :class:`Endpoint` with every message its
  projected machine allows (sends and receives alike) and with messages it
  refuses, and checks after each step that the endpoint is where the
  projection says. Run it with ``pytest examples --typestate-coverage`` to see
  what it exercised.
"""

from __future__ import annotations

import re
import unittest
from collections.abc import Callable, Mapping
from typing import cast

import pytest
from conversation_agents import (
    CONVERSATION,
    Endpoint,
    Network,
    Policy,
    agent_policy,
    approver_policy,
    tool_policy,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
from analysis.strategies import payloads, resolve_annotation
from analysis.testing import conformance

PROJECTIONS = analysis.projections(CONVERSATION)
MESSAGES = CONVERSATION.events()  # event -> fsm.Message
EVENTS = {m.label: e for e, m in MESSAGES.items()}  # the labels are distinct here


def play(role: str, policy: Policy, data: st.DataObject, steps: int = 30) -> None:
    """Play ``policy`` as ``role`` against the other roles as its projection allows them."""
    machine = PROJECTIONS[role]
    endpoint = Endpoint(Network(CONVERSATION, "test"), role, machine)
    state = machine.initial
    for _ in range(steps):
        allowed = machine.enabled_events(state)
        sends = [e for e in allowed if MESSAGES[e].sender == role]
        if sends:
            event, payload = policy(endpoint, sends)
            message = MESSAGES[event]
            assert event in sends, (
                f"{role} sent {message.label!r} in {state}, where its projection allows "
                f"only {', '.join(MESSAGES[e].label for e in sends)}"
            )
            wanted = [name for name, _ in message.params]
            assert sorted(payload) == sorted(wanted), (
                f"{role} sent {message.label!r} with {sorted(payload)}, not {wanted}"
            )
            for name, annotation in message.params:
                kind = resolve_annotation(annotation or "object")
                if isinstance(kind, type):
                    assert isinstance(payload[name], kind), (
                        f"{role} sent {message.label!r} with {name}={payload[name]!r}, "
                        f"not {annotation}"
                    )
            endpoint.send(event, **payload)
        elif allowed:
            event = data.draw(st.sampled_from(allowed))
            endpoint.deliver(event, data.draw(payloads(machine, event)))
        else:
            return
        [move] = machine.transitions_from(state, event)
        state = move.target
        assert endpoint.state == state


def policy_test(
    role: str, make: Callable[[], Policy], *, keep_examples: bool = True
) -> Callable[[], None]:
    """A property test that plays the policy ``make()`` gives as ``role``."""
    chosen = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    if not keep_examples:
        chosen = settings(chosen, database=None)

    @chosen
    @given(st.data())
    def test(data: st.DataObject) -> None:
        play(role, make(), data)

    return test


test_agent_policy = policy_test(
    "Agent", lambda: agent_policy(["search flights", "delete old bookings", "book"])
)
test_approver_policy = policy_test("Approver", lambda: approver_policy)
test_tool_policy = policy_test("Tool", lambda: tool_policy)


def _denies_with_a_number(endpoint: Endpoint, options: list[str]) -> tuple[str, dict[str, object]]:
    return EVENTS["deny"], {"reason": 404}


def _calls_at_once(endpoint: Endpoint, options: list[str]) -> tuple[str, dict[str, object]]:
    return EVENTS["call"], {"action": "rm -rf /"}


@pytest.mark.parametrize(
    ("role", "policy", "error"),
    [
        ("Approver", _denies_with_a_number, "Approver sent 'deny' with reason=404, not str"),
        (
            "Agent",
            _calls_at_once,
            "Agent sent 'call' in Agent0, where its projection allows only ask, finish",
        ),
    ],
)
def test_a_broken_policy_is_caught(role: str, policy: Policy, error: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(error)):
        policy_test(role, lambda: policy, keep_examples=False)()


class RoleAdapter:
    """An endpoint of one role, on a network of its own, as ``conformance`` drives it."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.endpoint = self._new()

    def _new(self) -> Endpoint:
        return Endpoint(Network(CONVERSATION, "test"), self.role, PROJECTIONS[self.role])

    def reset(self) -> None:
        self.endpoint = self._new()

    @property
    def state(self) -> str:
        return self.endpoint.state

    def send(self, event: str, payload: Mapping[str, object]) -> object:
        if self.endpoint.messages[event].sender == self.role:
            self.endpoint.send(event, **payload)
        else:
            self.endpoint.deliver(event, payload)
        return self.endpoint.state


def _test_case(role: str) -> type[unittest.TestCase]:
    machine = conformance(PROJECTIONS[role], lambda: RoleAdapter(role), name=f"{role}Conformance")
    # Three small machines: a few dozen runs each reach every transition.
    machine = settings(max_examples=30, stateful_step_count=20)(machine)
    # Hypothesis adds TestCase to the class at run time; type checkers cannot see it.
    return cast(
        "type[unittest.TestCase]",
        machine.TestCase,  # pyright: ignore[reportUnknownMemberType]
    )


TestAgentConformance = _test_case("Agent")
TestApproverConformance = _test_case("Approver")
TestToolConformance = _test_case("Tool")
