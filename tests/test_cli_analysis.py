"""`typestate check`, `paths`, `compose` and `render` through the installed script."""

from __future__ import annotations

import json
from pathlib import Path

import analysis
import fsm

from .test_cli import typestate

ROOT = Path(__file__).resolve().parent.parent
AGENT = "examples/agent.mmd"

FLAWED = """\
stateDiagram-v2
    [*] --> A
    A --> B : go
    B --> B : spin
    C --> A : back
    A --> [*]
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_a_clean_machine_exits_0() -> None:
    result = typestate("check", AGENT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Agent: ok (1 info)"


def test_check_findings_exit_1_with_witness_traces(tmp_path: Path) -> None:
    result = typestate("check", write(tmp_path, "flawed.mmd", FLAWED))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "flawed: problems found (1 error, 3 warnings)"
    assert any(line.startswith("  error: livelock: state 'B'") for line in lines)
    assert "    trace: go" in lines


def test_check_json_and_ignore(tmp_path: Path) -> None:
    path = write(tmp_path, "flawed.mmd", FLAWED)
    result = typestate(
        "check", path, "--format", "json", "--ignore", "unreachable", "--ignore", "unused-event"
    )
    assert result.returncode == 1
    [report] = json.loads(result.stdout)
    assert list(report) == ["name", "ok", "ignored", "findings"]
    assert (report["name"], report["ok"]) == ("flawed", False)
    assert sorted(f["kind"] for f in report["findings"]) == ["final-has-outgoing", "livelock"]
    assert report["ignored"] == ["unreachable", "unused-event"]


def test_check_several_targets_and_a_bad_one(tmp_path: Path) -> None:
    result = typestate("check", AGENT, write(tmp_path, "bad.mmd", "graph TD\n"))
    assert result.returncode == 2
    assert result.stderr.startswith("typestate: error: ")
    assert "Traceback" not in result.stderr


def test_paths_cover_every_transition() -> None:
    result = typestate("paths", AGENT, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    machine = fsm.load(ROOT / AGENT)
    taken: set[tuple[str, str, str]] = set()
    assert document["name"] == machine.name
    for trace, steps in zip(document["traces"], document["paths"], strict=True):
        state = machine.resolve(machine.initial)
        assert [event for _, event, _ in steps] == trace
        for where, event, target in steps:
            assert where == state
            options = {t.target for t in machine.transitions_from(state, event)}
            assert target in options, f"{event!r} cannot lead to {target!r} in {state!r}"
            taken.add((state, event, target))
            state = machine.resolve(target)
    leaves = [s for s in machine.states if s not in machine.superstates]
    everything = {
        (leaf, t.event, t.target)
        for leaf in leaves
        for event in machine.enabled_events(leaf)
        for t in machine.transitions_from(leaf, event)
    }
    assert taken == everything
    assert document["length"] >= document["lower_bound"] >= document["required"] > 0


def test_paths_text_form() -> None:
    result = typestate("paths", AGENT, "--cover", "states")
    assert result.returncode == 0
    assert "assign give_up" in result.stdout.splitlines()
    assert result.stderr.startswith("# ")


TWO_PHASE = """\
stateDiagram-v2
    [*] --> Init
    Init --> Waiting : prepare
    Waiting --> Decided : vote
    Decided --> Done : commit
    Done --> [*]
"""

# Expects the commit before it votes: after 'prepare' each waits for the other.
VOTER = """\
stateDiagram-v2
    [*] --> Idle
    Idle --> Ready : prepare
    Ready --> Voted : commit
    Voted --> Done : vote
    Done --> [*]
"""


def test_compose_deadlocks_finds_a_deadlock(tmp_path: Path) -> None:
    a = write(tmp_path, "coordinator.mmd", TWO_PHASE)
    b = write(tmp_path, "voter.mmd", VOTER)
    result = typestate("compose", a, b, "--deadlocks")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "coordinator x voter: 1 deadlock"
    assert "    trace: prepare" in result.stdout.splitlines()
    # --check means "a file is out of date" everywhere; compose has none.
    old = typestate("compose", a, b, "--check")
    assert old.returncode == 2
    assert old.stderr.endswith("typestate: error: unrecognized arguments: --check\n")


def test_render_puml_with_a_trace(tmp_path: Path) -> None:
    out = tmp_path / "agent.puml"
    result = typestate("render", AGENT, "-o", str(out), "--highlight-trace", "assign,plan")
    assert (result.returncode, result.stderr) == (0, "")
    machine = fsm.load(ROOT / AGENT)
    expected = analysis.to_plantuml(machine, highlight=["assign", "plan"])
    assert out.read_text(encoding="utf-8") == expected


def test_compose_prints_the_product(tmp_path: Path) -> None:
    a = write(tmp_path, "coordinator.mmd", TWO_PHASE)
    result = typestate("compose", a)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine ")


def test_render_svg_with_a_trace(tmp_path: Path) -> None:
    out = tmp_path / "agent.svg"
    result = typestate("render", AGENT, "-o", str(out), "--highlight-trace", "assign,plan,finish")
    assert result.returncode == 0, result.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "AwaitingTool" in svg


def test_render_check_detects_drift(tmp_path: Path) -> None:
    out = tmp_path / "agent.mmd"
    assert typestate("render", AGENT, "-o", str(out)).returncode == 0
    assert typestate("render", AGENT, "-o", str(out), "--check").returncode == 0
    out.write_text(out.read_text(encoding="utf-8").replace("give_up", "quit"), encoding="utf-8")
    result = typestate("render", AGENT, "-o", str(out), "--check")
    assert result.returncode == 1
    assert "-    Planning --> Failed : quit" in result.stdout
    assert "+    Planning --> Failed : give_up" in result.stdout
    assert result.stderr == (
        f"typestate: {out} is out of date; regenerate it with: typestate render {AGENT} -o {out}\n"
    )


def test_a_check_suggests_the_command_that_makes_the_file_pass_it(tmp_path: Path) -> None:
    out = tmp_path / "agent.mmd"
    made = ("render", AGENT, "-o", str(out), "--direction", "TB", "--highlight-trace", "assign")
    assert typestate(*made).returncode == 0
    out.write_text(out.read_text(encoding="utf-8") + "%% edited\n", encoding="utf-8")
    result = typestate(*made, "--check")
    assert result.returncode == 1
    fix = result.stderr.split("regenerate it with: ", 1)[1].strip()
    assert fix == f"typestate render {AGENT} -o {out} --direction TB --highlight-trace assign"
    assert typestate(*fix.split()[1:]).returncode == 0
    assert typestate(*made, "--check").returncode == 0


def test_render_bad_trace_exits_2(tmp_path: Path) -> None:
    result = typestate(
        "render", AGENT, "-o", str(tmp_path / "a.svg"), "--highlight-trace", "assign,finish"
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "typestate: error: Can't send 'finish' in state 'Planning' (step 2 of the highlight "
        "trace); allowed here: plan, give_up.\n"
    )


def test_render_unknown_suffix_exits_2(tmp_path: Path) -> None:
    result = typestate("render", AGENT, "-o", str(tmp_path / "a.bmp"))
    assert result.returncode == 2
    assert result.stderr.startswith("typestate: error: ")
