"""How a Machine and an Instance show themselves in Jupyter (``_repr_mimebundle_``).

``fsm`` shows Mermaid, written by :func:`fsm.dumps` (the DSL *is* Mermaid),
with ``classDef``/``class`` lines that mark an instance's current state and
the states of its recent steps (lines the DSL ignores). It is sent as
Markdown with a ``mermaid`` block, which JupyterLab 4.1+, VS Code and GitHub
draw, and as plain text.

The SVG drawn by Graphviz lives in ``analysis``, which ``fsm`` must not
import: ``analysis`` adds it through IPython's own per-type formatter for
``image/svg+xml`` (``%load_ext analysis``, or on import in a running IPython;
see ``analysis/_notebook.py``). Nothing here is a registry to set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from ._dsl_writer import dumps

if TYPE_CHECKING:
    from ._model import Machine
    from ._runtime import Step

__all__ = ["RECENT", "mimebundle"]

#: How many of an instance's last steps are highlighted.
RECENT: Final = 5

_CURRENT_STYLE: Final = "fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0a3069"
_RECENT_STYLE: Final = "fill:#ddf4ff,stroke:#0969da,color:#0a3069"


def mimebundle(
    plain: str, machine: Machine, current: str | None = None, recent: Sequence[Step] = ()
) -> dict[str, str]:
    """The MIME bundle of a machine (``current`` None) or of an instance."""
    text = dumps(machine) + "".join(f"    {line}\n" for line in _classes(current, recent))
    return {"text/plain": plain, "text/markdown": f"```mermaid\n{text}```\n"}


def _classes(current: str | None, recent: Sequence[Step]) -> list[str]:
    if current is None:
        return []
    visited: dict[str, None] = {}
    for step in recent:
        visited.setdefault(step.source, None)
        visited.setdefault(step.target, None)
    visited.pop(current, None)
    lines = [f"classDef current {_CURRENT_STYLE}"]
    if visited:
        lines += [f"classDef recent {_RECENT_STYLE}", f"class {','.join(visited)} recent"]
    lines.append(f"class {current} current")
    return lines
