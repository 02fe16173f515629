"""Ready listeners that trace transitions: to :mod:`logging`, and to JSON Lines.

Each is a listener (pass it to :meth:`fsm.Machine.bind` as one of
``listeners=``) with an ``on_error`` method, so it sees every event sent to an
instance: the transitions taken, and the sends that raised
:class:`~fsm.InvalidTransition` (outcome ``"rejected"``) or
:class:`~fsm.TransitionFailed` (outcome ``"failed"``). When a listener placed
after one of these raises, the transition this one reported as taken is
undone: its ``on_error`` then reports outcome ``"undone"`` (the step it told
of, and the error) instead of ``"failed"``, so a recording read back follows
the instance into the target and back out of it. The OpenTelemetry
listener (``fsm._otel``) shares :class:`EventRecord` with them.

A listener that raises undoes the transition it was told of (see
``fsm._runtime``); these never raise for a payload they cannot show, and the
recorder's only way to fail is its file.
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, Final, Literal

import attrs

from ._errors import FSMError, InvalidTransition

if TYPE_CHECKING:
    from ._runtime import Instance, Step

__all__ = ["EventRecord", "JsonLinesRecorder", "LoggingListener", "Outcome"]

#: What happened to an event: the transition was taken, the machine refused
#: the event (:class:`~fsm.InvalidTransition`), or a handler or listener
#: raised and the transition was undone (:class:`~fsm.TransitionFailed`), or
#: a transition this listener reported as taken was undone afterwards (a
#: listener after it raised).
Outcome = Literal["taken", "rejected", "failed", "undone"]

#: Names an instance in a trace: ``instance_id(instance) -> str`` (another
#: value, such as a :class:`uuid.UUID` or an int, is written as its ``str()``).
InstanceId = Callable[["Instance"], object]

#: The logger the logging listener writes to: this name, a dot, the machine's.
LOGGER_PREFIX: Final = "fsm.transitions"


@attrs.frozen
class EventRecord:
    """One event sent to an instance, as the tracing listeners report it (not a
    **trace**, which is event names only).

    Attributes:
        name: the machine's name.
        instance_id: the instance's id in the recording, or None when not named.
        source: the (leaf) state the instance was in.
        event: the event's name.
        target: the state entered, or None when the transition was not taken;
            for ``"undone"``, the state entered and left again.
        outcome: ``"taken"``, ``"rejected"``, ``"failed"`` or ``"undone"``.
        payload: the keyword arguments the event was sent with.
        error: the message of the error raised when not taken, else None.
        exception: that error (a :class:`~fsm.InvalidTransition` or
            :class:`~fsm.TransitionFailed`), else None.
    """

    name: str
    instance_id: str | None
    source: str
    event: str
    target: str | None
    outcome: Outcome
    payload: Mapping[str, Any]
    error: str | None = None
    exception: FSMError | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def taken(self) -> bool:
        """True when the transition was taken."""
        return self.outcome == "taken"

    def describe(self) -> str:
        """One line: ``Agent: Idle --assign--> Planning``, or the error's message."""
        if self.outcome == "undone":
            return (
                f"{self.name}: {self.source} --{self.event}--> {self.target} undone: {self.error}"
            )
        if self.target is not None:
            return f"{self.name}: {self.source} --{self.event}--> {self.target}"
        return f"{self.name}: {self.error}"


#: The attributes of a log record, by the field of :class:`EventRecord` they hold.
LOG_ATTRIBUTES: Final = {
    "name": "typestate_machine",
    "instance_id": "typestate_instance",
    "source": "typestate_source",
    "event": "typestate_event",
    "target": "typestate_target",
    "outcome": "typestate_outcome",
    "payload": "typestate_payload",
    "error": "typestate_error",
}


class Tracer:
    """What the tracing listeners share: turn a call into a :class:`EventRecord`.

    Subclasses define :meth:`emit`.
    """

    def __init__(self, instance_id: InstanceId | None) -> None:
        self._instance_id = instance_id
        # The step last reported as taken, by instance, with the payload dict
        # of its send: a TransitionFailed told with that same dict undid it.
        self._taken: weakref.WeakKeyDictionary[Instance, tuple[dict[str, Any], Step]] = (
            weakref.WeakKeyDictionary()
        )
        self._taken_lock = threading.Lock()

    def __call__(self, instance: Instance, step: Step, payload: dict[str, Any]) -> None:
        machine = instance.machine.name
        with self._taken_lock:
            self._taken[instance] = (payload, step)
        self.emit(
            EventRecord(
                machine,
                self._name(instance),
                step.source,
                step.event,
                step.target,
                "taken",
                payload,
            )
        )

    def on_error(
        self, instance: Instance, event: str, payload: dict[str, Any], error: FSMError
    ) -> None:
        """Report a send that raised (the runtime calls it; see the module's doc)."""
        with self._taken_lock:
            taken = self._taken.pop(instance, None)
        if (
            taken is not None
            and taken[0] is payload
            # A TransitionFailed (fsm._runtime) raised by a listener.
            and str(getattr(error, "stage", "")).startswith("listener ")
        ):
            step = taken[1]
            self.emit(
                EventRecord(
                    instance.machine.name,
                    self._name(instance),
                    step.source,
                    event,
                    step.target,
                    "undone",
                    payload,
                    str(error),
                    error,
                )
            )
            return
        outcome: Outcome = "rejected" if isinstance(error, InvalidTransition) else "failed"
        self.emit(
            EventRecord(
                instance.machine.name,
                self._name(instance),
                instance.state,
                event,
                None,
                outcome,
                payload,
                str(error),
                error,
            )
        )

    def _name(self, instance: Instance) -> str | None:
        # str(): an id from the context may be a uuid.UUID or an int.
        return None if self._instance_id is None else str(self._instance_id(instance))

    def emit(self, event: EventRecord) -> None:  # pragma: no cover - abstract
        """Report ``event``."""
        raise NotImplementedError


class LoggingListener(Tracer):
    """A listener that logs one record per event through :mod:`logging`.

    The logger is ``fsm.transitions.<machine name>`` unless ``logger`` is
    given, so that one machine's records can be filtered or silenced by name.
    Each record carries the fields of :class:`EventRecord` as attributes (the
    ``extra=`` of :meth:`logging.Logger.log`): ``typestate_machine``,
    ``typestate_instance``, ``typestate_source``, ``typestate_event``,
    ``typestate_target``, ``typestate_outcome``, ``typestate_payload`` and
    ``typestate_error``. A failed transition's record carries the traceback
    (``exc_info``).

    Args:
        logger: the logger to use (a name or a :class:`logging.Logger`), or
            None for the per-machine default.
        level: the level of a transition taken (INFO).
        rejected_level: the level of a rejected event (WARNING).
        failed_level: the level of a failed transition (ERROR).
        instance_id: names each instance in the records (optional).
    """

    def __init__(
        self,
        logger: logging.Logger | str | None = None,
        *,
        level: int = logging.INFO,
        rejected_level: int = logging.WARNING,
        failed_level: int = logging.ERROR,
        instance_id: InstanceId | None = None,
    ) -> None:
        super().__init__(instance_id)
        self._logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self._levels: dict[Outcome, int] = {
            "taken": level,
            "rejected": rejected_level,
            "failed": failed_level,
            "undone": failed_level,
        }

    def __repr__(self) -> str:
        name = "per machine" if self._logger is None else repr(self._logger.name)
        return f"<fsm.LoggingListener logger={name}>"

    def emit(self, event: EventRecord) -> None:
        """Log ``event`` (see the class's doc)."""
        logger = self._logger or logging.getLogger(f"{LOGGER_PREFIX}.{event.name}")
        level = self._levels[event.outcome]
        if not logger.isEnabledFor(level):
            return
        extra = {key: getattr(event, field) for field, key in LOG_ATTRIBUTES.items()}
        failed = event.exception if event.outcome in ("failed", "undone") else None
        logger.log(level, "%s", event.describe(), extra=extra, exc_info=failed)


class JsonLinesRecorder(Tracer):
    """A listener that writes one JSON line per event, for ``typestate check-trace``.

    Each line is an object with ``time`` (ISO 8601, UTC), ``machine``,
    ``instance``, ``source``, ``event``, ``target`` (null when not taken),
    ``outcome`` and ``payload`` (the items that JSON can hold; the names of
    the others are listed in ``unrecorded``), and ``error`` when not taken.
    A ``"taken"`` line whose transition a later listener undid is followed by
    an ``"undone"`` line with the same ``source``, ``event`` and ``target``.
    ``typestate check-trace MACHINE FILE`` reads the file as it is: each
    instance's events are checked on their own, from the state its first line
    was recorded in.

    Lines are written whole and flushed at once, under a lock, so one recorder
    may serve several threads; for several processes give each its own file.

    Args:
        file: a path (opened for appending) or an open text file.
        instance_id: names each instance (default: ``"1"``, ``"2"``, ... in
            the order this recorder first sees them; name them yourself, from
            the context or a store id, when a file outlives one process).
        clock: seconds since the epoch (default :func:`time.time`).
    """

    def __init__(
        self,
        file: str | os.PathLike[str] | IO[str],
        *,
        instance_id: InstanceId | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(instance_id or _Numbering())
        self._owned = isinstance(file, (str, os.PathLike))
        if isinstance(file, (str, os.PathLike)):
            # Closed by close() or the with block.
            self._file: IO[str] = open(file, "a", encoding="utf-8")  # noqa: SIM115
        else:
            self._file = file
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<fsm.JsonLinesRecorder file={getattr(self._file, 'name', self._file)!r}>"

    def emit(self, event: EventRecord) -> None:
        """Write ``event`` as one line."""
        record: dict[str, object] = {
            "time": _iso(self._clock()),
            "machine": event.name,
            "instance": event.instance_id,
            "source": event.source,
            "event": event.event,
            "target": event.target,
            "outcome": event.outcome,
        }
        payload, unrecorded = _json_items(event.payload)
        record["payload"] = payload
        if unrecorded:
            record["unrecorded"] = unrecorded
        if event.error is not None:
            record["error"] = event.error
        line = json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        """Close the file if the recorder opened it (given a path)."""
        if self._owned:
            self._file.close()

    def __enter__(self) -> JsonLinesRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Numbering:
    """Names instances 1, 2, ... in the order first seen (weakly: none is kept alive)."""

    def __init__(self) -> None:
        self._numbers: weakref.WeakKeyDictionary[Instance, str] = weakref.WeakKeyDictionary()
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, instance: Instance) -> str:
        with self._lock:
            number = self._numbers.get(instance)
            if number is None:
                number = self._numbers[instance] = str(next(self._next))
            return number


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat()


def _json_items(payload: Mapping[str, Any]) -> tuple[dict[str, object], list[str]]:
    """The items of ``payload`` JSON can hold, and the names of the others."""
    kept: dict[str, object] = {}
    left: list[str] = []
    for name, value in payload.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            left.append(name)
        else:
            kept[name] = value
    return kept, left
