"""The conversations of ``examples/``: valid Mermaid, and what their projections are."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
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


# -- the projections against the hand-written machines ------------------------------------
#
# The hand-written machines of examples/ broadcast: one `prepare` event is
# shared by the coordinator and both participants. A conversation sends one
# message per receiver, in the order the diagram writes them. `split`
# replaces each broadcast event by that sequence of messages (and renames
# the others), so that the languages can be compared with `equivalent`.

PARTICIPANTS = ("Participant1", "Participant2")
CONTRACTORS = ("Contractor1", "Contractor2", "Contractor3")


def split(machine: fsm.Machine, steps: Mapping[str, Sequence[str]]) -> fsm.Machine:
    """``machine`` with each event ``e`` replaced by the events ``steps[e]``, in order."""
    states = list(machine.states)
    moves: dict[tuple[str, str, str], None] = {}
    for n, t in enumerate(machine.transitions):
        chain = steps.get(t.event, (t.event,))
        source = t.source
        for k, event in enumerate(chain):
            target = t.target if k == len(chain) - 1 else f"{t.source}_{n}_{k}"
            if target != t.target:
                states.append(target)
            moves.setdefault((source, event, target))
            source = target
    transitions = tuple(fsm.Transition(*move) for move in moves)
    return fsm.Machine(machine.name, tuple(states), machine.initial, machine.final, transitions)


def two_phase_commit() -> fsm.Conversation:
    return fsm.load_conversation(EXAMPLES / "two_phase_commit_conversation.mmd")


def test_two_phase_commit_coordinator_is_the_hand_written_one_with_a_message_per_participant() -> (
    None
):
    steps = {
        w: [f"Coordinator_{w}_{p}" for p in PARTICIPANTS] for w in ("prepare", "commit", "abort")
    }
    for n, p in enumerate(PARTICIPANTS, start=1):
        steps |= {f"{vote}_{n}": [f"{p}_{vote}_Coordinator"] for vote in ("yes", "no")}
    projected = analysis.project(two_phase_commit(), "Coordinator")
    hand_written = fsm.load(EXAMPLES / "two_phase_commit_coordinator.mmd")
    assert analysis.equivalent(projected, split(hand_written, steps))
    assert analysis.equivalent(projected, hand_written).trace == (
        "Coordinator_prepare_Participant1",
    )


@pytest.mark.parametrize("n", [1, 2])
def test_two_phase_commit_participants_are_the_hand_written_ones(n: int) -> None:
    p = PARTICIPANTS[n - 1]
    steps = {w: [f"Coordinator_{w}_{p}"] for w in ("prepare", "commit", "abort")}
    steps |= {f"{vote}_{n}": [f"{p}_{vote}_Coordinator"] for vote in ("yes", "no")}
    hand_written = fsm.load(EXAMPLES / f"two_phase_commit_participant_{n}.mmd")
    assert analysis.equivalent(analysis.project(two_phase_commit(), p), split(hand_written, steps))


def contract_net() -> fsm.Conversation:
    return fsm.load_conversation(EXAMPLES / "contract_net_conversation.mmd")


def test_contract_net_hand_written_manager_leaves_to_the_contractors_who_may_report() -> None:
    """The hand-written manager takes a report from any contractor; the projection
    only from the one it awarded (the hand-written contractors make up for it)."""
    steps = {w: [f"Manager_{w}_{c}" for c in CONTRACTORS] for w in ("cfp", "cancel")}
    for n, c in enumerate(CONTRACTORS, start=1):
        steps[f"award_{n}"] = [
            f"Manager_award_{c}",
            *(f"Manager_reject_{other}" for other in CONTRACTORS if other != c),
        ]
        for label in ("propose", "refuse", "inform_done", "failure"):
            steps[f"{label}_{n}"] = [f"{c}_{label}_Manager"]
    hand_written = fsm.load(EXAMPLES / "contract_net_manager.mmd")
    found = analysis.equivalent(
        analysis.project(contract_net(), "Manager"), split(hand_written, steps)
    )
    assert found.trace is not None
    assert found.trace[-4:] == (
        "Manager_award_Contractor1",
        "Manager_reject_Contractor2",
        "Manager_reject_Contractor3",
        "Contractor2_failure_Manager",
    )
    assert found.reason.endswith("is possible in 'ContractNetManager' (second) but not in "
                                 "'ContractNet.Manager' (first)")  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 3])
def test_contract_net_contractor_that_refused_may_still_be_awarded_in_the_conversation(
    n: int,
) -> None:
    """A choice in a conversation does not depend on data: the manager's award
    is free, so a contractor that refused must still handle an award."""
    c = CONTRACTORS[n - 1]
    steps = {"cfp": [f"Manager_cfp_{c}"], "cancel": [f"Manager_cancel_{c}"]}
    for m in (1, 2, 3):
        steps[f"award_{m}"] = [f"Manager_award_{c}" if m == n else f"Manager_reject_{c}"]
    for label in ("propose", "refuse", "inform_done", "failure"):
        steps[f"{label}_{n}"] = [f"{c}_{label}_Manager"]
    hand_written = fsm.load(EXAMPLES / f"contract_net_contractor_{n}.mmd")
    found = analysis.equivalent(analysis.project(contract_net(), c), split(hand_written, steps))
    assert found.trace == (f"Manager_cfp_{c}", f"{c}_refuse_Manager", f"Manager_award_{c}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_example_is_well_formed_and_its_projections_compose_without_deadlock(
    path: Path,
) -> None:
    conversation = fsm.load_conversation(path)
    assert not analysis.check_conversation(conversation).findings
    machines = analysis.projections(conversation).values()
    assert not analysis.deadlocks(*machines).findings


def test_the_docs_draw_participant_1_as_its_projection() -> None:
    page = (ROOT / "docs" / "explanation" / "conversations.md").read_text(encoding="utf-8")
    block = page.split("```mermaid\nstateDiagram-v2\n", 1)[1].split("```", 1)[0]
    drawn = fsm.parse("stateDiagram-v2\n" + block)
    projected = analysis.project(two_phase_commit(), "Participant1")
    assert (drawn.states, drawn.transitions) == (projected.states, projected.transitions)
