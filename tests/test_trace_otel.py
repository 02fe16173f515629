"""The OpenTelemetry listener, checked with the SDK's in-memory span exporter."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import fsm

pytest.importorskip("opentelemetry.sdk", reason="needs the dev extra (opentelemetry-sdk)")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode

DOOR = fsm.parse(
    "---\ntitle: Door\n---\nstateDiagram-v2\n"
    "[*] --> Closed\nClosed --> Open : open\nOpen --> Closed : close / creak\n"
)


def _creak(_context: object, **_payload: object) -> None:
    raise OSError("the hinge broke")


@pytest.fixture
def spans() -> Iterator[tuple[InMemorySpanExporter, Any]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter, provider.get_tracer("test")
    provider.shutdown()


def test_one_span_per_transition_with_its_attributes(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans
    listener = fsm.OpenTelemetryListener(tracer, instance_id=lambda _: "door-1")
    inst = DOOR.bind(handlers={"creak": _creak}, listeners=[listener]).start()
    inst.send("open")
    (span,) = exporter.get_finished_spans()
    assert span.name == "Door open"
    assert dict(span.attributes) == {
        "typestate.machine": "Door",
        "typestate.instance": "door-1",
        "typestate.source": "Closed",
        "typestate.event": "open",
        "typestate.target": "Open",
        "typestate.outcome": "taken",
    }
    assert span.status.status_code is StatusCode.UNSET


def test_a_failed_transition_has_the_error_status(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans
    listener = fsm.OpenTelemetryListener(tracer)
    inst = DOOR.bind(handlers={"creak": _creak}, listeners=[listener]).start()
    inst.send("open")
    with pytest.raises(fsm.TransitionFailed):
        inst.send("close")
    span = exporter.get_finished_spans()[-1]
    assert dict(span.attributes) == {
        "typestate.machine": "Door",
        "typestate.source": "Open",
        "typestate.event": "close",
        "typestate.outcome": "failed",
    }
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == (
        "Transition Open --close--> Closed failed in action 'creak': OSError: the hinge "
        "broke; the instance is unchanged, still in 'Open'"
    )
    (recorded,) = span.events
    assert recorded.name == "exception"
    assert recorded.attributes["exception.type"] == "OSError"


def test_a_rejected_event_has_the_error_status(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans
    inst = DOOR.bind(
        handlers={"creak": _creak}, listeners=[fsm.OpenTelemetryListener(tracer)]
    ).start()
    with pytest.raises(fsm.InvalidTransition):
        inst.send("close")
    (span,) = exporter.get_finished_spans()
    assert span.attributes["typestate.outcome"] == "rejected"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Can't send 'close' in state 'Closed'; allowed here: open."


def test_a_span_is_a_child_of_the_span_current_at_send(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans
    inst = DOOR.bind(
        handlers={"creak": _creak}, listeners=[fsm.OpenTelemetryListener(tracer)]
    ).start()
    with tracer.start_as_current_span("request") as parent:
        inst.send("open")
    child, _ = exporter.get_finished_spans()
    assert child.parent is not None
    assert child.parent.span_id == parent.get_span_context().span_id


def test_asend_makes_the_same_spans(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans
    inst = DOOR.bind(
        handlers={"creak": _creak}, listeners=[fsm.OpenTelemetryListener(tracer)]
    ).start()

    async def run() -> None:
        await inst.asend("open")
        with pytest.raises(fsm.TransitionFailed):
            await inst.asend("close")

    asyncio.run(run())
    assert [s.attributes["typestate.outcome"] for s in exporter.get_finished_spans()] == [
        "taken",
        "failed",
    ]


def test_opentelemetry_is_imported_only_when_a_listener_is_made() -> None:
    code = (
        "import sys, fsm\n"
        "assert 'opentelemetry' not in sys.modules\n"
        "fsm.OpenTelemetryListener()\n"
        "assert 'opentelemetry.trace' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_opentelemetry_the_error_names_the_extra() -> None:
    code = (
        "import sys, fsm\n"
        "sys.modules['opentelemetry.trace'] = None\n"
        "try:\n"
        "    fsm.OpenTelemetryListener()\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == (
        "fsm.OpenTelemetryListener needs the OpenTelemetry API; install it with: "
        "pip install 'typestate[otel]'\n"
    )


def test_a_transition_a_later_listener_undid_gets_an_undone_span(spans: tuple[Any, Any]) -> None:
    exporter, tracer = spans

    def broken(_instance: fsm.Instance, _step: fsm.Step, _payload: dict[str, Any]) -> None:
        raise ConnectionError("down")

    listener = fsm.OpenTelemetryListener(tracer)
    door = DOOR.bind(handlers={"creak": _creak}, listeners=[listener, broken]).start()
    with pytest.raises(fsm.TransitionFailed):
        door.send("open")
    taken, undone = exporter.get_finished_spans()
    assert [s.attributes["typestate.outcome"] for s in (taken, undone)] == ["taken", "undone"]
    assert (undone.attributes["typestate.source"], undone.attributes["typestate.target"]) == (
        "Closed",
        "Open",
    )
    assert undone.status.status_code is StatusCode.ERROR
    assert [e.attributes["exception.type"] for e in undone.events] == ["ConnectionError"]
