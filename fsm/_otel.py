"""A listener that makes one OpenTelemetry span per event sent to an instance.

``opentelemetry-api`` (the ``otel`` extra) is imported when a listener is
made, never when :mod:`fsm` is imported. Which SDK and exporter receive the
spans is the application's choice: without one, the API's no-op tracer
drops them at no cost.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from ._trace import EventRecord, InstanceId, Tracer

__all__ = ["ATTRIBUTES", "OpenTelemetryListener"]

#: The span attributes, by the field of :class:`EventRecord` they hold. Named
#: as OpenTelemetry's attribute naming rules ask: lower case, dot-separated
#: namespaces, snake_case words, under this library's own ``typestate.``.
ATTRIBUTES: Final = {
    "name": "typestate.machine",
    "instance_id": "typestate.instance",
    "source": "typestate.source",
    "event": "typestate.event",
    "target": "typestate.target",
    "outcome": "typestate.outcome",
}

_INSTRUMENTATION: Final = "typestate"


class OpenTelemetryListener(Tracer):
    """A listener that records each event as an OpenTelemetry span.

    One span per event sent, named ``<machine> <event>`` (few distinct
    names, as span names should be), a child of the span current when
    ``send`` was called, with the attributes ``typestate.machine``,
    ``typestate.source``, ``typestate.event``, ``typestate.target`` (when
    taken), ``typestate.outcome`` (``taken``, ``rejected``, ``failed`` or
    ``undone``: a transition reported taken that a later listener undid)
    and ``typestate.instance`` (when ``instance_id`` is given). A span of a
    rejected, failed or undone event has the ERROR status, with the error's message,
    and the exception recorded as a span event (the handler's own exception
    for a failed transition).

    The span is made when the runtime tells the listener (after the
    transition, or after the send failed), so it marks the moment, not the
    duration of the handlers.

    Args:
        tracer: an ``opentelemetry.trace.Tracer``; by default the global
            tracer provider's tracer for ``typestate``.
        instance_id: names each instance in the attributes (optional).

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (install the
            ``otel`` extra: ``pip install 'typestate[otel]'``).
    """

    def __init__(self, tracer: Any = None, *, instance_id: InstanceId | None = None) -> None:
        super().__init__(instance_id)
        try:
            self._trace: Any = importlib.import_module("opentelemetry.trace")
        except ImportError as error:
            raise ImportError(
                "fsm.OpenTelemetryListener needs the OpenTelemetry API; install it "
                "with: pip install 'typestate[otel]'"
            ) from error
        if tracer is None:
            tracer = self._trace.get_tracer(_INSTRUMENTATION)
        self._tracer: Any = tracer

    def __repr__(self) -> str:
        return f"<fsm.OpenTelemetryListener tracer={self._tracer!r}>"

    def emit(self, event: EventRecord) -> None:
        """Make the span of ``event``."""
        attributes: dict[str, str] = {}
        for field, key in ATTRIBUTES.items():
            value = getattr(event, field)
            if value is not None:
                attributes[key] = value
        with self._tracer.start_as_current_span(
            f"{event.name} {event.event}",
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            error = event.exception
            if error is not None:
                span.record_exception(error.__cause__ or error)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, event.error))
