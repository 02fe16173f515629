"""The notebook views that need the diagram writers: SVG of machines and instances, reports.

``fsm`` shows a Machine or an Instance as Mermaid on its own (its
``_repr_mimebundle_``). The SVG comes from here, through IPython's own
per-type formatter for ``image/svg+xml``, which IPython asks besides the
object's bundle: :func:`load_ipython_extension` registers it
(``%load_ext analysis``), and importing ``analysis`` in a running IPython
does the same once. So nothing in ``fsm`` is a registry to set, and
``%unload_ext analysis`` (or popping the types from that formatter) turns it
off. A report's view (:func:`report_bundle`) is its own
``_repr_mimebundle_``. SVG needs Graphviz's ``dot`` and the ``graphviz``
package (the ``diagrams`` extra); without them, or for a machine too large
to lay out, the view is the Mermaid text.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import fsm

from ._highlight import Highlight, Highlights
from ._render import (
    MAX_LAYOUT_STATES,
    MAX_LAYOUT_TRANSITIONS,
    _lay_out,  # pyright: ignore[reportPrivateUsage]
    to_mermaid,
)

if TYPE_CHECKING:
    from ._check import Report

__all__ = [
    "instance_svg",
    "load_in_running_ipython",
    "load_ipython_extension",
    "report_bundle",
    "svg",
    "unload_ipython_extension",
]

_SVG: Final = "image/svg+xml"

#: How many of an instance's last steps the SVG marks: as many as fsm's own
#: Mermaid view (``fsm._display.RECENT``, which a test keeps equal).
RECENT: Final = 5


def load_ipython_extension(ipython: Any) -> None:
    """Show machines and instances as SVG too (``%load_ext analysis``)."""
    formatter = ipython.display_formatter.formatters[_SVG]
    formatter.for_type(fsm.Machine, _machine_view)
    formatter.for_type(fsm.Instance, _instance_view)


def unload_ipython_extension(ipython: Any) -> None:
    """Show machines and instances as Mermaid only again (``%unload_ext analysis``)."""
    formatter = ipython.display_formatter.formatters[_SVG]
    for kind in (fsm.Machine, fsm.Instance):
        formatter.pop(kind, None)


def load_in_running_ipython() -> None:
    """Load the extension when ``analysis`` is imported in a running IPython shell.

    Through IPython's extension manager, so that ``%unload_ext analysis``
    undoes it; never imports IPython (only looks in ``sys.modules``).
    """
    ipython_module = sys.modules.get("IPython")
    get_ipython = getattr(ipython_module, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    manager = getattr(shell, "extension_manager", None)
    if manager is not None:
        manager.load_extension("analysis")


def _machine_view(machine: fsm.Machine) -> str | None:
    return svg(machine, None)


def _instance_view(instance: fsm.Instance) -> str | None:
    try:
        recent = instance.history[-RECENT:]
    except fsm.FSMError:  # history is off
        recent = ()
    return instance_svg(instance.machine, instance.state, recent).get(_SVG)


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
