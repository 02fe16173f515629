"""The examples match their diagrams and run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import fsm
import typestate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agent_classes_match_the_diagram() -> None:
    agent = _load("agent_typestate")
    typestate.assert_matches(agent.Idle, fsm.load(EXAMPLES / "agent.mmd"))


def test_agent_classes_differing_from_the_diagram_is_caught() -> None:
    agent = _load("agent_typestate")
    spec = fsm.load(EXAMPLES / "agent.mmd")
    without_cancel = fsm.Machine(
        spec.name,
        spec.states,
        spec.initial,
        spec.final,
        tuple(t for t in spec.transitions if t.event != "cancel"),
        spec.parents,
        spec.entries,
    )
    with pytest.raises(
        AssertionError,
        match=r"^'Idle' does not match 'Agent' \(3 differences\):\n"
        r"- event 'cancel' is in 'Idle' but not in 'Agent'\n",
    ):
        typestate.assert_matches(agent.Idle, without_cancel)


def test_agent_script_runs_one_session() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "agent_typestate.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "assign: How many people live in Lyon?\n"
        "plan: search the web, answer (retries: 0)\n"
        "call_tool: search {'query': 'population of Lyon'}\n"
        "result: error: rate limited\n"
        "plan: search the web again, answer (retries: 1)\n"
        "call_tool: search {'query': 'Lyon population 2021'}\n"
        "result: Lyon has 522,250 inhabitants (2021).\n"
        "notify: Lyon has 522,250 inhabitants (2021).\n"
        "Done(answer='Lyon has 522,250 inhabitants (2021).')\n"
    )
