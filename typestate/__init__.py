"""typestate: agent protocols as classes that mypy and pyright check.

Write one class per state; a transition is a method whose return annotation is
the next state. The type checker then rejects a call the current state does
not allow, the run time refuses a state object used twice, and
:func:`protocol` extracts the :class:`fsm.Machine` for diagrams, analysis and
conformance checks.
"""

from ._codegen import codegen as codegen
from ._driver import Driver as Driver
from ._driver import drive as drive
from ._errors import ProtocolViolation as ProtocolViolation
from ._errors import StateConsumed as StateConsumed
from ._match import assert_matches as assert_matches
from ._match import diff as diff
from ._persist import Stored as Stored
from ._persist import create as create
from ._persist import load as load
from ._persist import restore as restore
from ._persist import snapshot as snapshot
from ._protocol import protocol as protocol
from ._state import State as State
from ._state import is_linear as is_linear
from ._state import transition as transition

__all__ = [
    "Driver",
    "ProtocolViolation",
    "State",
    "StateConsumed",
    "Stored",
    "assert_matches",
    "codegen",
    "create",
    "diff",
    "drive",
    "is_linear",
    "load",
    "protocol",
    "restore",
    "snapshot",
    "transition",
]


# The one place that gives what this package exports its public path
# (typestate.State, not typestate._state.State): reprs, tracebacks, the docs and
# pickle read ``__module__`` and ``__qualname__``.
def _show_public_paths() -> None:
    for name in __all__:
        value = globals()[name]
        if getattr(value, "__module__", "").startswith(f"{__name__}._"):
            value.__module__ = __name__
            value.__qualname__ = value.__name__ = name


_show_public_paths()
del _show_public_paths
