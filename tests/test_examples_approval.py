"""examples/approval.py: an agent stopped while it waits for approval resumes in a new process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fsm
import typestate

from .test_examples import _load

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "approval.py"

DEMO = """\
$ python approval.py start agents.db clean up old releases
agent-1 asks to call delete_branch('release-0.9'); waiting for approval
$ python approval.py resume agents.db
agent-1 is waiting for approval to call delete_branch; nothing ran
$ python approval.py approve agents.db alice
agent-1: delete_branch('release-0.9') approved by alice
$ python approval.py resume agents.db
agent-1 resumed in Approved: delete_branch('release-0.9') ran, approved by alice
"""


def run(*args: str) -> str:
    """One command of the example, in a new process."""
    env = {**os.environ, "PYTHONPATH": str(SCRIPT.parent.parent)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout


def test_the_demo_prints_what_the_docs_show() -> None:
    assert run() == DEMO
    assert DEMO in (SCRIPT.parent.parent / "docs" / "examples.md").read_text()


def test_each_command_resumes_the_agent_where_the_last_process_left_it(tmp_path: Path) -> None:
    database = str(tmp_path / "agents.db")
    approval = _load("approval")
    assert run("start", database, "tidy").endswith("waiting for approval\n")
    assert run("resume", database) == (
        "agent-1 is waiting for approval to call delete_branch; nothing ran\n"
    )
    with fsm.SQLiteStore(database) as store:
        agent = typestate.load(store, approval.AGENT, "agent-1", approval.Agent)
        assert type(agent.state).__name__ == "AwaitingApproval"
        assert [step.event for step in agent.history] == ["assign", "propose"]
    assert run("approve", database, "bob").endswith("approved by bob\n")
    assert run("approve", database, "eve") == "agent-1 is Approved: nothing to approve\n"
    assert run("resume", database).endswith("ran, approved by bob\n")
    assert run("resume", database) == (
        "agent-1 is done: delete_branch('release-0.9') ran, approved by bob\n"
    )
    with fsm.SQLiteStore(database) as store:
        assert store.ids(approval.AGENT, state="Done") == ["agent-1"]
        assert [step.event for step in store.load(approval.AGENT, "agent-1").history] == [
            "assign", "propose", "approve", "call_tool"
        ]  # fmt: skip


def test_two_resumes_at_once_both_run_the_tool_as_the_example_says(tmp_path: Path) -> None:
    database = str(tmp_path / "agents.db")
    approval = _load("approval")
    run("start", database, "tidy")
    run("approve", database, "bob")
    with fsm.SQLiteStore(database) as one, fsm.SQLiteStore(database) as two:
        first = typestate.load(one, approval.AGENT, "agent-1", approval.Agent)
        second = typestate.load(two, approval.AGENT, "agent-1", approval.Agent)
        assert isinstance(first.state, approval.Approved)
        assert isinstance(second.state, approval.Approved)
        ran = [first.state.call_tool(), second.state.call_tool()]  # both call the tool
        first.save(ran[0])
        with pytest.raises(fsm.Conflict):
            second.save(ran[1])  # too late: its call already ran
    doc = " ".join(str(approval.__doc__).split())
    assert "the tool runs, once" not in doc
    assert "two ``resume`` processes at once both run it" in doc
    assert "at least once, not exactly once" in doc
