"""A property test of the agent of ``agent_typestate.py`` against ``agent.mmd``.

``conformance`` drives the real classes: it calls each transition method with
payloads drawn from its annotations, checks the state it returns against the
diagram and checks that the state it was called on is consumed. Run it with
``pytest examples --typestate-coverage`` to see what it exercised.
"""

from __future__ import annotations

import unittest
from pathlib import Path
from typing import cast

from agent_typestate import Idle
from hypothesis import strategies as st

import fsm
from analysis.testing import conformance

AGENT = fsm.load(Path(__file__).resolve().parent / "agent.mmd")

# A tool output starting with "error" takes the rare [else] branch back to
# Planning; draw it often enough to cover that transition.
outputs = st.one_of(st.text(), st.text().map("error: {}".format))

AgentConformance = conformance(
    AGENT, Idle, payload_strategies={"result": st.fixed_dictionaries({"output": outputs})}
)
# Hypothesis adds TestCase to the class at run time; type checkers cannot see it.
TestAgentConformance = cast(
    "type[unittest.TestCase]",
    AgentConformance.TestCase,  # pyright: ignore[reportUnknownMemberType]
)
