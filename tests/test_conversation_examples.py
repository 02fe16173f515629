"""The conversations of ``examples/``: valid Mermaid, and what their projections are."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import analysis
import fsm

from .mermaid_parser import mermaid_errors

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(EXAMPLES.glob("*_conversation.mmd"))


def test_every_example_conversation_is_found() -> None:
    assert [f.name for f in FILES] == [
        "contract_net_conversation.mmd",
        "tool_approval_conversation.mmd",
        "two_phase_commit_conversation.mmd",
    ]


@pytest.mark.usefixtures("mermaid")
def test_the_real_mermaid_parsers_accept_each_conversation_as_written_and_as_dumped() -> None:
    texts = [f.read_text(encoding="utf-8") for f in FILES]
    texts += [fsm.dumps_conversation(fsm.load_conversation(f)) for f in FILES]
    assert mermaid_errors(texts) == [{"mermaid10": None, "mermaid11": None}] * len(texts)


ROOT = EXAMPLES.parent


def _tool(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)


@pytest.fixture(scope="module")
def role_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``typestate codegen --role`` for every role of every example conversation."""
    folder = tmp_path_factory.mktemp("role_modules")
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    for path in FILES:
        for role in fsm.load_conversation(path).roles:
            out = folder / f"{path.stem.removesuffix('_conversation')}_{role.lower()}.py"
            done = _tool([exe, "codegen", str(path), "--role", role, "-o", str(out)], ROOT)
            assert (done.returncode, done.stderr) == (0, "")
    return folder


def test_every_role_module_passes_mypy_strict(role_modules: Path) -> None:
    done = _tool(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10",
         "--cache-dir", str(role_modules / ".mypy_cache"), "."],
        role_modules,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Success: no issues found in 10 source files\n")


def test_every_role_module_passes_pyright_strict(role_modules: Path) -> None:
    pyright = shutil.which("pyright")
    if pyright is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pyright is not installed, and CI must run it: pip install pyright")
        pytest.skip("needs the pyright command line (pip install pyright)")
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]}
    (role_modules / "pyrightconfig.json").write_text(json.dumps(config))
    report = json.loads(_tool([pyright, "--outputjson", "."], role_modules).stdout)
    assert report["generalDiagnostics"] == []
    assert report["summary"]["filesAnalyzed"] == 10


def test_every_role_module_passes_ruff(role_modules: Path) -> None:
    lint = _tool(
        ["ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "."], role_modules
    )
    form = _tool(["ruff", "format", "--isolated", "--check", "."], role_modules)
    assert (lint.stdout, form.stdout) == ("All checks passed!\n", "10 files already formatted\n")


# -- the asyncio agents -------------------------------------------------------------------


def _agents() -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(
            "examples_conversation_agents", EXAMPLES / "conversation_agents.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EXAMPLES))


def test_the_agents_talk_to_the_end_and_the_log_conforms(tmp_path: Path) -> None:
    log = tmp_path / "messages.jsonl"
    script = [sys.executable, str(EXAMPLES / "conversation_agents.py"), str(log)]
    done = _tool([*script, "--conversations", "4"], tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == (
        "c0: Agent took 12 steps; Approver took 7 steps; Tool took 5 steps"
    )
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {r["conversation"] for r in records} == {"c0", "c1", "c2", "c3"}
    assert [r["conversation"] for r in records[:3]] != ["c0"] * 3  # interleaved
    exe = shutil.which("typestate")
    assert exe is not None
    checked = _tool([exe, "check-trace", str(FILES[1]), str(log)], tmp_path)
    assert checked.stdout == f"{log}: conforms to ToolApproval (4 conversations, 4 complete)\n"


def test_the_denied_call_never_reaches_the_tool() -> None:
    agents = _agents()
    histories = asyncio.run(agents.converse("t", ["delete everything"]))
    assert histories["Tool"] == ["Agent_close_Tool"]
    assert histories["Approver"] == [
        "Agent_ask_Approver",
        "Approver_deny_Agent",
        "Agent_finish_Approver",
    ]


def test_an_endpoint_refuses_what_its_projection_does_not_allow() -> None:
    agents = _agents()
    network = agents.Network(agents.CONVERSATION, "t")
    tool = agents.Endpoint(network, "Tool", analysis.project(agents.CONVERSATION, "Tool"))
    with pytest.raises(fsm.InvalidTransition, match=r"^Can't send 'Tool_result_Agent' in state"):
        tool.send("Tool_result_Agent", output="too early")
    with pytest.raises(ValueError, match=r"^Tool does not send 'Agent_call_Tool'; it receives it$"):
        tool.send("Agent_call_Tool", action="x")
    assert network.queues["Tool", "Agent"].empty()
