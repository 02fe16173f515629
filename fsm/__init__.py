"""fsm: a protocol as data.

One immutable :class:`Machine`, built from Python calls, from the text DSL (a
strict subset of Mermaid ``stateDiagram-v2``) or from JSON.
"""

from ._annotation import AnnotationError as AnnotationError
from ._annotation import canonical as canonical_annotation
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
from ._limits import MAX_DEPTH as MAX_DEPTH
from ._model import Compiled as Compiled
from ._model import Machine as Machine
from ._names import is_name as is_name
from ._runtime import BoundMachine as BoundMachine
from ._runtime import Instance as Instance
from ._runtime import Step as Step
from ._runtime import TransitionFailed as TransitionFailed
from ._sequence import dumps_conversation as dumps_conversation
from ._sequence import load_conversation as load_conversation
from ._sequence import parse_conversation as parse_conversation
from ._transition import ELSE as ELSE
from ._transition import Transition as Transition

__all__ = [
    "ELSE",
    "MAX_DEPTH",
    "AnnotationError",
    "BoundMachine",
    "Choice",
    "Compiled",
    "Conversation",
    "DefinitionError",
    "FSMError",
    "Instance",
    "InvalidTransition",
    "Loop",
    "Machine",
    "Message",
    "Problem",
    "SnapshotError",
    "Step",
    "Transition",
    "TransitionFailed",
    "canonical_annotation",
    "dumps",
    "dumps_conversation",
    "is_name",
    "load",
    "load_conversation",
    "parse",
    "parse_conversation",
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
