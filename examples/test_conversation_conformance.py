"""A property test per role of ``conversation_agents.py`` against the role's projection.

For each role of the tool-approval conversation, ``conformance`` drives the
role's :class:`Endpoint` with every message its projected machine allows
(sends and receives alike) and with messages it refuses, and checks after
each step that the endpoint is where the projection says. Run it with
``pytest examples --typestate-coverage`` to see what it exercised.
"""

from __future__ import annotations

import unittest
from collections.abc import Mapping
from typing import cast

from conversation_agents import CONVERSATION, Endpoint, Network
from hypothesis import settings

import analysis
from analysis.testing import conformance

PROJECTIONS = analysis.projections(CONVERSATION)


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
