"""fsm: a protocol as data.

One immutable :class:`Machine`, built from Python calls, from the text DSL (a
strict subset of Mermaid ``stateDiagram-v2``) or from JSON.
"""

from ._annotation import AnnotationError as AnnotationError
from ._annotation import canonical as canonical_annotation
from ._clock import Clock as Clock
from ._clock import ManualClock as ManualClock
from ._clock import PendingTimer as PendingTimer
from ._clock import WallClock as WallClock
from ._conversation import Choice as Choice
from ._conversation import Conversation as Conversation
from ._conversation import Loop as Loop
from ._conversation import Message as Message
from ._dsl import dumps as dumps
from ._dsl import load as load
from ._dsl import parse as parse
from ._errors import DefinitionError as DefinitionError
from ._errors import FSMError as FSMError
from ._errors import InvalidTransition as InvalidTransition
from ._errors import Problem as Problem
from ._errors import SnapshotError as SnapshotError
from ._guard import Guard as Guard
from ._guard import parse_guard as parse_guard
from ._limits import MAX_DEPTH as MAX_DEPTH
from ._model import Compiled as Compiled
from ._model import Machine as Machine
from ._names import is_name as is_name
from ._otel import OpenTelemetryListener as OpenTelemetryListener
from ._postgres import PostgresStore as PostgresStore
from ._runtime import BoundMachine as BoundMachine
from ._runtime import Instance as Instance
from ._runtime import QueuedEventRejected as QueuedEventRejected
from ._runtime import Step as Step
from ._runtime import TransitionFailed as TransitionFailed
from ._sequence import dumps_conversation as dumps_conversation
from ._sequence import load_conversation as load_conversation
from ._sequence import parse_conversation as parse_conversation
from ._store import CommitUnknown as CommitUnknown
from ._store import Conflict as Conflict
from ._store import MachineMismatch as MachineMismatch
from ._store import NotStored as NotStored
from ._store import SQLiteStore as SQLiteStore
from ._store import Store as Store
from ._store import StoredInstance as StoredInstance
from ._store import StoredStep as StoredStep
from ._store import StoreError as StoreError
from ._trace import EventRecord as EventRecord
from ._trace import JsonLinesRecorder as JsonLinesRecorder
from ._trace import LoggingListener as LoggingListener
from ._transition import ELSE as ELSE
from ._transition import Transition as Transition

__all__ = [
    "ELSE",
    "MAX_DEPTH",
    "AnnotationError",
    "BoundMachine",
    "Choice",
    "Clock",
    "CommitUnknown",
    "Compiled",
    "Conflict",
    "Conversation",
    "DefinitionError",
    "EventRecord",
    "FSMError",
    "Guard",
    "Instance",
    "InvalidTransition",
    "JsonLinesRecorder",
    "LoggingListener",
    "Loop",
    "Machine",
    "MachineMismatch",
    "ManualClock",
    "Message",
    "NotStored",
    "OpenTelemetryListener",
    "PendingTimer",
    "PostgresStore",
    "Problem",
    "QueuedEventRejected",
    "SQLiteStore",
    "SnapshotError",
    "Step",
    "Store",
    "StoreError",
    "StoredInstance",
    "StoredStep",
    "Transition",
    "TransitionFailed",
    "WallClock",
    "canonical_annotation",
    "dumps",
    "dumps_conversation",
    "is_name",
    "load",
    "load_conversation",
    "parse",
    "parse_conversation",
    "parse_guard",
]


# The one place that gives what this package exports its public path
# (fsm.Machine, not fsm._model.Machine): reprs, tracebacks, the docs and
# pickle read ``__module__`` and ``__qualname__``.
def _show_public_paths() -> None:
    for name in __all__:
        value = globals()[name]
        if getattr(value, "__module__", "").startswith(f"{__name__}._"):
            value.__module__ = __name__
            value.__qualname__ = value.__name__ = name


_show_public_paths()
del _show_public_paths
