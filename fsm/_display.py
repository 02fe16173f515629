"""How a Machine and an Instance show themselves in Jupyter (``_repr_mimebundle_``).

The layers decide the design. ``fsm`` depends on nothing of ours, and the
diagram writers (Graphviz DOT with its highlighting, the ``dot`` runs) live
in ``analysis``, which ``fsm`` must not import. Moving that renderer down
would drag its finding kinds and highlight rules into the model, and a
second, smaller DOT writer here would be a copy that drifts. So the
dependency is inverted:

- ``fsm`` always offers Mermaid, written by :func:`fsm.dumps` (the DSL *is*
  Mermaid), with ``classDef``/``class`` lines that mark an instance's current
  state and the states of its recent steps (lines the DSL ignores). It is
  sent as Markdown with a ``mermaid`` block, which JupyterLab 4.1+, VS Code
  and GitHub draw, and as plain text;
- a diagram renderer registered with :func:`fsm.set_diagram_renderer` adds
  richer forms. ``analysis`` registers one when it is imported, which draws
  SVG with Graphviz's ``dot`` when it is installed (``import analysis`` in
  the notebook to get it). A renderer that cannot draw returns nothing, and
  the Mermaid text is what the notebook shows.

``fsm.dumps`` lives in the top layer of ``fsm`` (``_dsl``) and this module
near the bottom, so that ``_model`` and ``_runtime`` can call it; the package's
``__init__`` hands it the writer (:func:`set_mermaid_writer`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._model import Machine
    from ._runtime import Step

__all__ = ["RECENT", "DiagramRenderer", "mimebundle", "set_diagram_renderer"]

#: A diagram renderer: ``renderer(machine, current, recent)`` returns extra
#: MIME entries (such as ``{"image/svg+xml": svg}``), or an empty mapping when
#: it cannot draw. ``current`` is an instance's state (None for a machine),
#: ``recent`` its last steps, oldest first.
DiagramRenderer = Callable[["Machine", "str | None", "Sequence[Step]"], Mapping[str, str]]

#: How many of an instance's last steps are highlighted.
RECENT: Final = 5

_CURRENT_STYLE: Final = "fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0a3069"
_RECENT_STYLE: Final = "fill:#ddf4ff,stroke:#0969da,color:#0a3069"

_renderer: list[DiagramRenderer] = []
_mermaid: list[Callable[[Machine], str]] = []


def set_diagram_renderer(renderer: DiagramRenderer | None) -> DiagramRenderer | None:
    """Use ``renderer`` for the notebook view of machines and instances; return the last.

    ``analysis`` registers its SVG renderer when imported; pass None to show
    Mermaid text only, or a function of your own (see
    :data:`DiagramRenderer`).
    """
    previous = _renderer[0] if _renderer else None
    _renderer[:] = [] if renderer is None else [renderer]
    return previous


def set_mermaid_writer(writer: Callable[[Machine], str]) -> None:
    """Set the writer of the Mermaid text (``fsm.dumps``; see the module's doc)."""
    _mermaid[:] = [writer]


def mimebundle(
    plain: str, machine: Machine, current: str | None = None, recent: Sequence[Step] = ()
) -> dict[str, str]:
    """The MIME bundle of a machine (``current`` None) or of an instance."""
    text = _mermaid[0](machine) + "".join(f"    {line}\n" for line in _classes(current, recent))
    bundle = {"text/plain": plain, "text/markdown": f"```mermaid\n{text}```\n"}
    if _renderer:
        bundle.update(_renderer[0](machine, current, recent))
    return bundle


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
