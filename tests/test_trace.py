"""The ready tracing listeners: logging, the JSON Lines recorder, and on_error."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm

DOOR = fsm.parse(
    "---\ntitle: Door\n---\nstateDiagram-v2\n"
    "[*] --> Closed\nClosed --> Open : open [unlocked]\nOpen --> Closed : close / creak\n"
)


class Door:
    def __init__(self, unlocked: bool = True, creaks: bool = False) -> None:
        self.unlocked = unlocked
        self.creaks = creaks

    def creak(self, **_payload: object) -> None:
        if self.creaks:
            raise OSError("the hinge broke")


def _unlocked(door: Door, **_payload: object) -> bool:
    return door.unlocked


def _start(listener: Any, door: Door | None = None) -> fsm.Instance:
    bound = DOOR.bind(Door, handlers={"unlocked": _unlocked}, listeners=[listener])
    return bound.start(door or Door())


def test_on_error_is_told_of_a_rejected_and_a_failed_send() -> None:
    seen: list[tuple[str, str, dict[str, Any], str]] = []

    class Listener:
        def __call__(self, instance: fsm.Instance, step: fsm.Step, payload: Any) -> None:
            seen.append(("taken", step.event, payload, instance.state))

        def on_error(self, instance: fsm.Instance, event: str, payload: Any, error: Any) -> None:
            seen.append((type(error).__name__, event, payload, instance.state))

    inst = _start(Listener(), Door(creaks=True))
    with pytest.raises(fsm.InvalidTransition):
        inst.send("close", why="test")
    inst.send("open")
    with pytest.raises(fsm.TransitionFailed):
        inst.send("close")
    assert seen == [
        ("InvalidTransition", "close", {"why": "test"}, "Closed"),
        ("taken", "open", {}, "Open"),
        ("TransitionFailed", "close", {}, "Open"),
    ]


def test_logging_listener_writes_one_record_per_event(caplog: pytest.LogCaptureFixture) -> None:
    inst = _start(fsm.LoggingListener(instance_id=lambda _: "door-1"), Door(creaks=True))
    caplog.set_level(logging.INFO, logger="fsm.transitions")
    inst.send("open", by="alice")
    with pytest.raises(fsm.InvalidTransition):
        inst.send("open")
    with pytest.raises(fsm.TransitionFailed):
        inst.send("close")
    got = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert got == [
        ("fsm.transitions.Door", "INFO", "Door: Closed --open--> Open"),
        (
            "fsm.transitions.Door",
            "WARNING",
            "Door: Can't send 'open' in state 'Open'; allowed here: close.",
        ),
        (
            "fsm.transitions.Door",
            "ERROR",
            "Door: Transition Open --close--> Closed failed in action 'creak': OSError: the "
            "hinge broke; the instance is unchanged, still in 'Open'",
        ),
    ]
    first, _, failed = caplog.records
    fields = {k: v for k, v in vars(first).items() if k.startswith("typestate_")}
    assert fields == {
        "typestate_machine": "Door",
        "typestate_instance": "door-1",
        "typestate_source": "Closed",
        "typestate_event": "open",
        "typestate_target": "Open",
        "typestate_outcome": "taken",
        "typestate_payload": {"by": "alice"},
        "typestate_error": None,
    }
    assert failed.exc_info is not None
    assert failed.exc_info[0] is fsm.TransitionFailed


def test_logging_listener_uses_the_logger_and_levels_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inst = _start(fsm.LoggingListener("app.door", level=logging.DEBUG))
    caplog.set_level(logging.DEBUG, logger="app.door")
    inst.send("open")
    assert [(r.name, r.levelno) for r in caplog.records] == [("app.door", logging.DEBUG)]


def test_recorder_writes_one_json_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "door.jsonl"
    with fsm.JsonLinesRecorder(path, clock=lambda: 0.5) as recorder:
        inst = _start(recorder, Door(unlocked=False))
        with pytest.raises(fsm.InvalidTransition):
            inst.send("open", key=b"raw", who="bob")
        inst.context.unlocked = True  # type: ignore[attr-defined]
        inst.send("open", who="bob")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {
            "time": "1970-01-01T00:00:00.500000+00:00",
            "machine": "Door",
            "instance": "1",
            "source": "Closed",
            "event": "open",
            "target": None,
            "outcome": "rejected",
            "payload": {"who": "bob"},
            "unrecorded": ["key"],
            "error": "Can't send 'open' in state 'Closed' (guard unlocked is false); "
            "allowed here: open.",
        },
        {
            "time": "1970-01-01T00:00:00.500000+00:00",
            "machine": "Door",
            "instance": "1",
            "source": "Closed",
            "event": "open",
            "target": "Open",
            "outcome": "taken",
            "payload": {"who": "bob"},
        },
    ]


def test_recorder_numbers_instances_in_the_order_it_sees_them() -> None:
    stream = io.StringIO()
    bound = DOOR.bind(
        Door,
        handlers={"unlocked": _unlocked},
        listeners=[fsm.JsonLinesRecorder(stream)],
    )
    first, second = bound.start(Door()), bound.start(Door())
    second.send("open")
    first.send("open")
    second.send("close")
    ids = [json.loads(line)["instance"] for line in stream.getvalue().splitlines()]
    assert ids == ["1", "2", "1"]


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.from_type(object)))
def test_recorder_keeps_exactly_the_payload_items_json_can_hold(payload: dict[str, Any]) -> None:
    stream = io.StringIO()
    inst = _start(fsm.JsonLinesRecorder(stream))
    inst.send("open", **payload)
    record = json.loads(stream.getvalue())
    kept = set(record["payload"])
    assert kept | set(record.get("unrecorded", [])) == set(payload)
    for name in kept:
        assert json.loads(json.dumps(payload[name])) == record["payload"][name]


def test_a_recording_of_a_transition_a_later_listener_undid_checks_clean() -> None:
    from analysis.testing import check_recording

    buffer = io.StringIO()
    calls = {"n": 0}

    def flaky(_instance: fsm.Instance, _step: fsm.Step, _payload: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("statsd down")

    recorder = fsm.JsonLinesRecorder(buffer, clock=lambda: 0.0)
    bound = DOOR.bind(Door, handlers={"unlocked": _unlocked}, listeners=[recorder, flaky])
    door = bound.start(Door())
    with pytest.raises(fsm.TransitionFailed):
        door.send("open")
    door.send("open")
    door.send("close")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(r["source"], r["target"], r["outcome"]) for r in lines] == [
        ("Closed", "Open", "taken"),
        ("Closed", "Open", "undone"),
        ("Closed", "Open", "taken"),
        ("Open", "Closed", "taken"),
    ]
    assert lines[1]["error"].endswith(
        "flaky: ConnectionError: statsd down; the instance is unchanged, still in 'Closed'"
    )
    result = check_recording(DOOR, buffer.getvalue().splitlines())
    assert result.ok, result.findings
    assert (result.events, result.failed, result.ends) == (2, 1, {"1": ("Closed",)})


def test_a_listener_failing_before_the_recorder_is_a_failed_line() -> None:
    buffer = io.StringIO()

    def broken(_instance: fsm.Instance, _step: fsm.Step, _payload: dict[str, Any]) -> None:
        raise ConnectionError("down")

    recorder = fsm.JsonLinesRecorder(buffer, clock=lambda: 0.0)
    bound = DOOR.bind(Door, handlers={"unlocked": _unlocked}, listeners=[broken, recorder])
    with pytest.raises(fsm.TransitionFailed):
        bound.start(Door()).send("open")
    (line,) = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert (line["source"], line["target"], line["outcome"]) == ("Closed", None, "failed")


def test_logging_listener_logs_an_undone_transition(caplog: pytest.LogCaptureFixture) -> None:
    def broken(_instance: fsm.Instance, _step: fsm.Step, _payload: dict[str, Any]) -> None:
        raise ConnectionError("down")

    bound = DOOR.bind(
        Door, handlers={"unlocked": _unlocked}, listeners=[fsm.LoggingListener(), broken]
    )
    with (
        caplog.at_level(logging.INFO, logger="fsm.transitions"),
        pytest.raises(fsm.TransitionFailed),
    ):
        bound.start(Door()).send("open")
    (taken, undone) = caplog.records
    assert (taken.levelname, taken.getMessage()) == ("INFO", "Door: Closed --open--> Open")
    assert undone.levelname == "ERROR"
    assert undone.getMessage().startswith(
        "Door: Closed --open--> Open undone: Transition Closed --open [unlocked]--> Open failed"
    )
    assert vars(undone)["typestate_outcome"] == "undone"


def test_an_instance_id_that_is_not_a_str_is_written_as_its_str() -> None:
    ids = iter([uuid.UUID(int=7), 42])
    buffer = io.StringIO()
    recorder = fsm.JsonLinesRecorder(buffer, instance_id=lambda _: next(ids), clock=lambda: 0.0)
    _start(recorder).send("open")
    _start(recorder).send("open")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["instance"] for line in lines] == [str(uuid.UUID(int=7)), "42"]


def test_a_closed_recorder_file_does_not_replace_the_error_of_a_send() -> None:
    buffer = io.StringIO()
    instance = _start(fsm.JsonLinesRecorder(buffer))
    buffer.close()
    with pytest.raises(fsm.InvalidTransition):
        instance.send("close")


def test_an_event_record_names_the_machine_by_name_and_the_instance_by_id() -> None:
    import attrs

    assert [f.name for f in attrs.fields(fsm.EventRecord)] == [
        "name",
        "instance_id",
        "source",
        "event",
        "target",
        "outcome",
        "payload",
        "error",
        "exception",
    ]
    record = fsm.EventRecord("Door", "d1", "Closed", "open", "Open", "taken", {})
    assert record.describe() == "Door: Closed --open--> Open"
    assert not hasattr(fsm, "TraceEvent")
