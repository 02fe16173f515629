"""The installed `typestate` console script, run in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "examples" / "agent.mmd"


def script_env() -> dict[str, str]:
    """The environment for the console script: it imports this checkout's code."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


def typestate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    return subprocess.run(
        [exe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=script_env(),
    )


def test_show_prints_states_and_transitions() -> None:
    result = typestate("show", "examples/agent.mmd")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "machine Agent (7 states, 8 transitions)\n"
        "states:\n"
        "  Idle          (initial)\n"
        "  Planning\n"
        "  Working       (superstate, entry Acting)\n"
        "  Failed        (final)\n"
        "  Acting        (in Working)\n"
        "  AwaitingTool  (in Working)\n"
        "  Done          (final)\n"
        "transitions:\n"
        "  Idle --> Planning : assign(task)\n"
        "  Planning --> Working : plan(steps)\n"
        "  Planning --> Failed : give_up\n"
        "  Acting --> AwaitingTool : call_tool(name, args)\n"
        "  AwaitingTool --> Acting : result(output) [ok]\n"
        "  AwaitingTool --> Planning : result(output) [else] / count_retry\n"
        "  Working --> Failed : cancel\n"
        "  Acting --> Done : finish / notify\n"
    )


def test_show_json_is_the_machine_document() -> None:
    import fsm

    result = typestate("show", str(AGENT), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert fsm.Machine.from_dict(json.loads(result.stdout)) == fsm.load(AGENT)


def test_show_a_json_file(tmp_path: Path) -> None:
    import fsm

    path = tmp_path / "agent.json"
    path.write_text(json.dumps(fsm.load(AGENT).to_dict()), encoding="utf-8")
    result = typestate("show", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine Agent (7 states, 8 transitions)\n")


def test_show_a_module_attribute(tmp_path: Path) -> None:
    (tmp_path / "door_spec.py").write_text(
        "import fsm\n"
        "DOOR = fsm.parse('stateDiagram-v2\\n[*] --> Shut\\nShut --> Open : open\\n', "
        "name='Door')\n",
        encoding="utf-8",
    )
    result = typestate("show", "door_spec:DOOR", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "machine Door (2 states, 1 transitions)"


def test_bad_spec_exits_2_with_the_error_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.mmd"
    path.write_text("stateDiagram-v2\n    [*] --> A\n    A --> B : go: now\n", encoding="utf-8")
    result = typestate("show", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"typestate: error: {path}:3:17: ':' is not allowed in a label (Mermaid 10 cannot "
        "draw it); write 'event(payload) [guard] / action, action'\n"
        "        A --> B : go: now\n"
        "                    ^\n"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing.mmd", "typestate: error: no such file: 'missing.mmd'\n"),
        (
            "nowhere",
            "typestate: error: no such file: 'nowhere'; a TARGET is a .mmd, .md or .json "
            "file, or module:attribute naming a Machine or a State class\n",
        ),
        (
            "no_such_module_xyz:M",
            "typestate: error: cannot import module 'no_such_module_xyz': No module named "
            "'no_such_module_xyz'\n",
        ),
        (
            "fsm:parse",
            "typestate: error: 'fsm:parse' is a function, not an fsm.Machine or a typestate "
            "State class\n",
        ),
        (
            "examples",
            "typestate: error: cannot tell what kind of file 'examples' is; use a "
            ".mmd, .md or .json file, or module:attribute\n",
        ),
    ],
)
def test_bad_targets_exit_2(target: str, message: str) -> None:
    result = typestate("show", target)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_usage_errors_exit_2() -> None:
    result = typestate("show")
    assert result.returncode == 2
    assert result.stderr.endswith(
        "typestate: error: the following arguments are required: TARGET\n"
    )
    assert typestate().returncode == 2
    assert typestate("frobnicate").returncode == 2
