"""check_trace() and `typestate check-trace`, the installed console script."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import fsm
from analysis.testing import check_trace

ROOT = Path(__file__).resolve().parent.parent
AGENT = fsm.load(ROOT / "examples" / "agent.mmd")


def typestate(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    return subprocess.run(
        [exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_conforming_trace_is_ok() -> None:
    result = check_trace(AGENT, ["assign", "plan", "call_tool", "result", "finish"])
    assert result.ok
    assert (result.index, result.states, result.length) == (None, ("Done",), 5)


def test_the_first_violation_names_index_state_event_and_allowed() -> None:
    result = check_trace(AGENT, ["assign", "plan", "call_tool", "finish", "cancel"])
    assert not result.ok
    assert (result.index, result.state, result.event) == (3, "AwaitingTool", "finish")
    assert result.allowed == ("result", "cancel")


def test_a_guarded_outcome_is_told_apart_by_the_next_event() -> None:
    result = check_trace(AGENT, ["assign", "plan", "call_tool", "result", "give_up", "assign"])
    assert (result.index, result.state, result.event) == (5, "Failed", "assign")


def test_cli_exits_0_for_a_conforming_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("assign\nplan\n", encoding="utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{log}: conforms to Agent (2 events, ends in 'Acting')\n"


def test_cli_exits_1_with_line_state_event_and_allowed(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_text(
        '{"event": "assign", "payload": {"task": "t"}}\n\n# retried\n'
        '{"event": "plan"}\ncall_tool\nfinish\n',
        encoding="utf-8",
    )
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        f"{log}:6: can't send 'finish' in state 'AwaitingTool' (event 4); "
        "allowed here: result, cancel\n"
    )


def test_cli_exits_2_on_a_bad_line_without_traceback(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_text('assign\n{"name": "plan"}\n', encoding="utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"typestate: error: {log}:2: a JSON line needs an 'event' field holding the "
        'event\'s name, as in {"event": "assign"}\n'
    )


def test_cli_exits_2_on_a_missing_log() -> None:
    result = typestate("check-trace", "examples/agent.mmd", "no/such.log")
    assert result.returncode == 2
    assert result.stderr.startswith("typestate: error: cannot read 'no/such.log': ")


def test_cli_exits_2_with_the_line_on_json_too_deep_or_too_long_to_read(tmp_path: Path) -> None:
    deep = tmp_path / "deep.jsonl"
    deep.write_text(
        'assign\n{"event": "plan", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
        encoding="utf-8",
    )
    long = tmp_path / "long.jsonl"
    long.write_text('{"event": "assign", "payload": {"n": 1' + "0" * 5000 + "}}\n", "utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(deep))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"typestate: error: {deep}:2: the JSON is nested too deeply to read\n")
    result = typestate("check-trace", "examples/agent.mmd", str(long))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"typestate: error: {long}:1: cannot read the JSON (")
    assert "Traceback" not in result.stderr
