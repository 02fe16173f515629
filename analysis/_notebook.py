"""The notebook views that need the diagram writers: SVG of machines and instances, reports.

``fsm`` shows a Machine or an Instance as Mermaid on its own and asks a
registered renderer for more (see ``fsm/_display.py`` for why the dependency
is inverted); :func:`install`, run when ``analysis`` is imported, registers
:func:`instance_svg` there and :func:`report_bundle` for
:class:`analysis.Report`. SVG needs Graphviz's ``dot`` and the ``graphviz``
package (the ``diagrams`` extra); without them, or for a machine too large
to lay out, the view is the Mermaid text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import fsm

from ._check import NOTEBOOK_VIEW, Report
from ._highlight import Highlight, Highlights
from ._render import (
    MAX_LAYOUT_STATES,
    MAX_LAYOUT_TRANSITIONS,
    _lay_out,  # pyright: ignore[reportPrivateUsage]
    to_mermaid,
)

__all__ = ["install", "instance_svg", "report_bundle", "svg"]


def install() -> None:
    """Register the views (``analysis/__init__.py`` calls it once)."""
    fsm.set_diagram_renderer(instance_svg)
    NOTEBOOK_VIEW[:] = [report_bundle]


def svg(machine: fsm.Machine, highlight: Highlight | Highlights) -> str | None:
    """The SVG of ``machine`` drawn by ``dot``, or None when it cannot be drawn."""
    if len(machine.states) > MAX_LAYOUT_STATES or len(machine.transitions) > MAX_LAYOUT_TRANSITIONS:
        return None
    try:
        drawn = _lay_out(machine, highlight, "LR", "svg", Path(f"{machine.name}.svg"))
    except (ImportError, OSError, RuntimeError):
        # No graphviz package, no dot, or a layout dot failed at: the
        # notebook shows the Mermaid text instead of an error.
        return None
    return drawn.decode("utf-8")


def instance_svg(
    machine: fsm.Machine, current: str | None, recent: Sequence[fsm.Step]
) -> dict[str, str]:
    """The SVG entry of a machine's notebook view (an instance's: state and steps marked)."""
    drawn = svg(machine, None if current is None else _instance_marks(machine, current, recent))
    return {} if drawn is None else {"image/svg+xml": drawn}


def _instance_marks(machine: fsm.Machine, current: str, recent: Sequence[fsm.Step]) -> Highlights:
    """The last steps as a numbered path ending in the current state."""
    numbers = {id(t): n for n, t in enumerate(machine.transitions)}
    steps: dict[int, list[int]] = {}
    visited: dict[str, None] = {}
    entered: set[str] = set()
    for number, step in enumerate(recent, start=1):
        visited.setdefault(step.source, None)
        for t in machine.transitions_from(step.source, step.event):
            if machine.resolve(t.target) == step.target:
                steps.setdefault(numbers[id(t)], []).append(number)
                state = t.target
                while state in machine.entries:
                    entered.add(state)
                    state = machine.entries[state]
                break
        visited.setdefault(step.target, None)
    visited.setdefault(current, None)
    return Highlights(
        steps={n: tuple(s) for n, s in steps.items()},
        visited=tuple(visited),
        current=current,
        entered=frozenset(entered),
        is_trace=True,
    )


def report_bundle(report: Report) -> dict[str, str]:
    """A report's notebook view: its text, and its machine with the findings marked."""
    text = report.to_text()
    bundle = {"text/plain": text}
    machine = report.machine
    if machine is None:
        return bundle
    mermaid = to_mermaid(machine, highlight=report)
    bundle["text/markdown"] = f"```text\n{text}\n```\n\n```mermaid\n{mermaid}```\n"
    drawn = svg(machine, report)
    if drawn is not None:
        bundle["image/svg+xml"] = drawn
    return bundle
