"""Recordings of fsm.JsonLinesRecorder read back by check_recording and `typestate check-trace`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from analysis.testing import check_recording

ROOT = Path(__file__).resolve().parent.parent
AGENT = fsm.load(ROOT / "examples" / "agent.mmd")


class Agent:
    def __init__(self, name: str = "", ok: bool = True, broken: bool = False) -> None:
        self.name = name
        self.good = ok
        self.broken = broken

    def ok(self, **_payload: object) -> bool:
        return self.good

    def count_retry(self, **_payload: object) -> None:
        pass

    def notify(self, **_payload: object) -> None:
        if self.broken:
            raise OSError("mail server down")


def typestate(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    return subprocess.run(
        [exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def _name(instance: fsm.Instance) -> str:
    assert isinstance(instance.context, Agent)
    return instance.context.name


def _record(path: Path) -> None:
    """Two agents, interleaved, with a rejection by guard, a failure and a bad send."""
    with fsm.JsonLinesRecorder(path, instance_id=_name) as recorder:
        bound = AGENT.bind(Agent, listeners=[recorder])
        a = bound.start(Agent("a", broken=True))
        b = bound.start(Agent("b", ok=False))
        a.send("assign", task="triage")
        b.send("assign", task="write")
        a.send("plan", steps=["read"])
        b.send("plan", steps=["read"])
        b.send("call_tool", name="read", args={})
        b.send("result", output="timeout")  # [else]: back to Planning
        with pytest.raises(fsm.TransitionFailed):
            a.send("finish")  # notify raises: a stays in Acting
        with pytest.raises(fsm.InvalidTransition):
            b.send("finish")  # not allowed in Planning


def test_a_recording_is_checked_per_instance_and_a_rejected_event_is_reported(
    tmp_path: Path,
) -> None:
    log = tmp_path / "run.jsonl"
    _record(log)
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        f"{log}:8: instance 'b': 'finish' was rejected in state 'Planning'; allowed "
        "here: plan, give_up\n"
    )


def test_a_recording_without_bad_sends_conforms_with_its_counts(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    _record(log)
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{log}: conforms to Agent (6 events, 2 instances; 1 failed (state unchanged))\n"
    )


def test_the_same_events_as_one_run_are_refused() -> None:
    lines = ['{"instance": "a", "event": "assign"}', '{"instance": "b", "event": "assign"}']
    assert check_recording(AGENT, lines).ok
    unnamed = [json.dumps({"event": json.loads(line)["event"]}) for line in lines]
    (finding,) = check_recording(AGENT, unnamed).findings
    assert finding.message == (
        "can't send 'assign' in state 'Planning' (event 2); allowed here: plan, give_up"
    )


def test_a_rejection_by_guards_is_counted_not_reported() -> None:
    result = check_recording(
        AGENT,
        [
            '{"event": "assign"}',
            '{"event": "plan", "outcome": "rejected", "source": "Planning"}',
        ],
    )
    assert (result.ok, result.rejected_by_guards, result.events) == (True, 1, 1)


def test_a_recorded_source_or_target_must_agree_with_the_machine() -> None:
    lost = check_recording(
        AGENT,
        [
            '{"event": "assign", "source": "Idle", "target": "Planning"}',
            '{"event": "call_tool", "source": "Acting", "target": "AwaitingTool"}',
        ],
    )
    assert [(f.line, f.problem, f.message) for f in lost.findings] == [
        (2, "source", "'call_tool' was recorded in state 'Acting', but the run is in 'Planning'")
    ]
    wrong = check_recording(AGENT, ['{"event": "assign", "target": "Done"}'])
    assert [f.message for f in wrong.findings] == [
        "'assign' was recorded entering 'Done', but from 'Idle' it leads to 'Planning'"
    ]


def test_the_recorded_target_tells_a_guarded_outcome() -> None:
    result = check_recording(
        AGENT,
        [
            '{"event": "call_tool", "source": "Acting", "target": "AwaitingTool"}',
            '{"event": "result", "source": "AwaitingTool", "target": "Planning"}',
        ],
    )
    assert result.ends == {None: ("Planning",)}


def test_a_run_recorded_after_a_restart_starts_where_its_first_line_was() -> None:
    result = check_recording(AGENT, ['{"instance": 7, "event": "finish", "source": "Acting"}'])
    assert (result.ok, result.instances, result.ends) == (True, ("7",), {"7": ("Done",)})


def test_cli_exits_2_for_a_recording_of_another_machine(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_text('{"machine": "Door", "event": "open"}\n', encoding="utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 2
    assert result.stderr == (
        f"typestate: error: {log}: the recording is of machine 'Door', not 'Agent'; "
        "check it against that machine\n"
    )


def test_cli_exits_2_for_an_unknown_outcome(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_text('{"event": "assign", "outcome": "skipped"}\n', encoding="utf-8")
    result = typestate("check-trace", "examples/agent.mmd", str(log))
    assert result.returncode == 2
    assert result.stderr == (
        f"typestate: error: {log}:1: 'outcome' is 'skipped'; it is 'taken', 'rejected', "
        "'failed' or 'undone' (fsm.JsonLinesRecorder writes it)\n"
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_every_recording_of_a_real_run_conforms(data: st.DataObject) -> None:
    lines: list[str] = []

    class Lines:
        def write(self, text: str) -> int:
            lines.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    recorder = fsm.JsonLinesRecorder(Lines(), instance_id=_name)  # type: ignore[arg-type]
    bound = AGENT.bind(Agent, listeners=[recorder])
    instances = [bound.start(Agent(str(n), ok=data.draw(st.booleans()))) for n in range(2)]
    for _ in range(data.draw(st.integers(0, 12))):
        inst = data.draw(st.sampled_from(instances))
        event = data.draw(st.sampled_from(sorted(AGENT.compiled.event_index)))
        try:
            inst.send(event, task="t", steps=[], name="n", args={}, output="o")
        except fsm.InvalidTransition:
            if event in inst.allowed:
                continue  # refused by its guard: counted, not a finding
            lines.pop()  # a bad send: reported, checked by the tests above
    result = check_recording(AGENT, lines)
    assert result.ok, result.findings
    for key, states in result.ends.items():
        inst = instances[int(key)] if key is not None else instances[0]  # None: empty
        assert states == (inst.state,)


def test_json_too_deep_or_too_long_to_read_is_a_value_error_with_the_line() -> None:
    from analysis._recording import read_recording

    deep = '{"event": "plan", "payload": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ValueError, match=r"^run\.jsonl:2: the JSON is nested too deeply to read$"):
        read_recording(["assign", deep], "run.jsonl")
    long = '{"event": "assign", "n": 1' + "0" * 5000 + "}"
    with pytest.raises(ValueError, match=r"^<recording>:1: cannot read the JSON \("):
        check_recording(AGENT, [long])


def test_a_recorded_line_names_the_machine_by_name_and_the_instance_by_id() -> None:
    from analysis.testing import Recorded

    line = '{"machine": "Agent", "instance": "a", "event": "assign", "target": "Planning"}'
    result = check_recording(AGENT, [Recorded(1, "assign", instance_id="a", name="Agent")])
    assert result.instances == ("a",)
    from analysis._recording import read_recording

    assert read_recording([line]) == [
        Recorded(1, "assign", instance_id="a", name="Agent", target="Planning")
    ]
