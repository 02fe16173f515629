"""analysis: checks, paths, composition, diagrams and property tests of machines.

Every function here reads an :class:`fsm.Machine`; none changes it.
"""

# -- checks, paths, composition, equivalence (analysis/_check.py and friends) --
from ._check import Finding as Finding
from ._check import Report as Report
from ._check import check as check
from ._compose import compose as compose
from ._compose import deadlocks as deadlocks
from ._equiv import Equivalence as Equivalence
from ._equiv import equivalent as equivalent
from ._equiv import minimize as minimize
from ._paths import Cover as Cover
from ._paths import reachable as reachable
from ._paths import shortest_path as shortest_path
from ._paths import state_cover as state_cover
from ._paths import transition_cover as transition_cover
from ._projection import check_conversation as check_conversation
from ._projection import conversation_machine as conversation_machine
from ._projection import project as project
from ._projection import projections as projections
from ._promela import to_promela as to_promela

# (end of checks section)

# -- diagrams (analysis/_render.py) --
# isort: split
from ._render import render as render
from ._render import to_dot as to_dot
from ._render import to_mermaid as to_mermaid
from ._render import to_plantuml as to_plantuml

# (end of diagrams section)

# -- notebook views (analysis/_notebook.py) --
# isort: split
from . import _notebook

__all__: list[str] = [
    "Cover",
    "Equivalence",
    "Finding",
    "Report",
    "check",
    "check_conversation",
    "compose",
    "conversation_machine",
    "deadlocks",
    "equivalent",
    "minimize",
    "project",
    "projections",
    "reachable",
    "render",
    "shortest_path",
    "state_cover",
    "to_dot",
    "to_mermaid",
    "to_plantuml",
    "to_promela",
    "transition_cover",
]


# The one place that gives what this package exports its public path
# (analysis.Report, not analysis._check.Report): reprs, tracebacks, the docs and
# pickle read ``__module__`` and ``__qualname__``.
def _show_public_paths() -> None:
    for name in __all__:
        value = globals()[name]
        if getattr(value, "__module__", "").startswith(f"{__name__}._"):
            value.__module__ = __name__
            value.__qualname__ = value.__name__ = name


_show_public_paths()
del _show_public_paths

# In a running IPython, machines and instances show as SVG too (see
# analysis/_notebook.py); elsewhere, `%load_ext analysis` does it.
load_ipython_extension = _notebook.load_ipython_extension
unload_ipython_extension = _notebook.unload_ipython_extension
_notebook.load_in_running_ipython()
