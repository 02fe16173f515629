"""Diagrams of a machine: Graphviz, Mermaid and PlantUML, and files of them.

The three writers share the conventions of ``docs/diagrams.md``: the initial
state is marked by an arrow from a point, final states are double circles (in
Graphviz; Mermaid and PlantUML draw an arrow to an end point), superstates are
clusters or composite states, and an edge reads ``event(params) [guard] /
actions``; a timer's edge adds its delay (``timeout after 30s``), and an internal
transition's edge starts with ``internal`` and is dotted in Graphviz and
PlantUML (Mermaid cannot style an edge). The output is stable: the same
Machine always gives the same text, so diagrams can be committed and diffed.

``graphviz`` (the ``diagrams`` extra) is imported only by :func:`to_dot` and by
:func:`render` for the formats that need it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol, cast

import fsm

from ._highlight import Highlight, Highlights, resolve_highlight
from ._words import Kind

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]  # graphviz ships no type information

__all__ = ["Direction", "render", "to_dot", "to_mermaid", "to_plantuml"]

#: Which way a diagram flows: left to right or top to bottom.
Direction = Literal["LR", "TB"]

_DIRECTIONS: Final = ("LR", "TB")

# Colours (GitHub's Primer palette: readable on white, distinct for colour-blind
# readers in pairs of fill and border, and calm enough for a design document).
_INK: Final = "#424a53"
_STATE_FILL: Final = "#f6f8fa"
_CLUSTER_FILL: Final = "#fbfcfd"
_TRACE: Final = "#0969da"
_TRACE_FILL: Final = "#ddf4ff"
_TRACE_TEXT: Final = "#0a3069"
_TEXT: Final = "#1f2328"
_GREY: Final = "#afb8c1"
_GREY_FILL: Final = "#eaeef2"
_GREY_TEXT: Final = "#8c959f"
# The text of an unreachable state in Mermaid: a step darker than in Graphviz.
_GREY_TEXT_MERMAID: Final = "#6e7781"
_FONT: Final = "Helvetica"
_TAKEN: Final[Mapping[str, str]] = {"color": _TRACE, "fontcolor": _TRACE, "penwidth": "2"}

#: Per kind of finding: (fill, border, legend text).
_KIND_STYLE: Final[Mapping[Kind, tuple[str, str, str]]] = {
    "unreachable": (_GREY_FILL, _GREY, "unreachable from the initial state"),
    "dead-end": ("#ffebe9", "#cf222e", "dead end: not final, and no way out"),
    "livelock": ("#fbefff", "#8250df", "livelock: a cycle that never reaches a final state"),
    "non-productive": ("#fff8c5", "#9a6700", "non-productive: cannot reach a final state"),
}

#: Mermaid class name per kind of finding (Mermaid class names are identifiers).
_MERMAID_CLASS: Final[Mapping[Kind, str]] = {
    "unreachable": "unreachable",
    "dead-end": "deadEnd",
    "livelock": "livelock",
    "non-productive": "nonProductive",
}

_INSTALL_DIAGRAMS: Final = "pip install 'typestate[diagrams]'"
_INSTALL_GRAPHVIZ: Final = (
    "install Graphviz (Debian/Ubuntu: 'apt-get install graphviz'; macOS: "
    "'brew install graphviz'; Windows: 'winget install graphviz'; see "
    "https://graphviz.org/download/) and make sure 'dot' is on PATH"
)

#: File suffix -> format name, for :func:`render`.
_SUFFIXES: Final[Mapping[str, str]] = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mmd",
    ".puml": "puml",
}
# Mermaid's lexer reads this anywhere in a line (comments too), in any casing.
_MERMAID_DIRECTION: Final = re.compile(r"direction\s+(?:TB|BT|RL|LR)", re.IGNORECASE)

_FORMATS: Final = ("svg", "png", "pdf", "dot", "mmd", "puml")
_IMAGE_FORMATS: Final = ("svg", "png", "pdf")

#: The largest machine :func:`render` lays out with Graphviz (svg, png, pdf).
#: Graphviz 2.43 needs about 6 s for a 5,000-state chain and minutes for a few
#: hundred tangled transitions, and crashes (SIGSEGV) on a 20,000-state chain.
MAX_LAYOUT_STATES: Final = 1_000
MAX_LAYOUT_TRANSITIONS: Final = 2_000


# -- Graphviz ----------------------------------------------------------------------


def to_dot(
    machine: fsm.Machine,
    *,
    highlight: Highlight = None,
    direction: Direction = "LR",
) -> str:
    """Draw ``machine`` as Graphviz DOT source.

    Superstates are clusters; a point inside a cluster marks its entry
    substate, and an edge to or from a superstate meets the cluster's border.
    Lay the text out with Graphviz's ``dot`` (``dot -Tsvg``), or let
    :func:`render` do it.

    Args:
        machine: the machine to draw.
        highlight: a trace to draw as a numbered, coloured path (a sequence of
            event names, or of ``(event, target)`` pairs to choose an outcome),
            or a report whose findings mark states (see ``docs/diagrams.md``).
        direction: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

    Returns:
        The DOT text.

    Raises:
        ImportError: the ``graphviz`` package is missing (install the
            ``diagrams`` extra).
        fsm.InvalidTransition: a step of the highlight trace is not allowed.
        TypeError: ``highlight`` is neither a trace nor a report.
        ValueError: ``direction`` is not ``"LR"`` or ``"TB"``, or a finding
            names a state the machine does not have.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]")
        >>> "A -> B [label=go]" in analysis.to_dot(m)
        True
    """
    source: str = _digraph(machine, highlight, direction).source
    return source


def _digraph(
    machine: fsm.Machine, highlight: Highlight | Highlights, direction: Direction
) -> graphviz.Digraph:
    """The ``graphviz.Digraph`` :func:`to_dot` writes and :func:`render` lays out."""
    _check_direction(direction)
    marks = resolve_highlight(machine, highlight)
    digraph = _new_digraph(
        name=machine.name if fsm.is_name(machine.name) else None,
        graph_attr={
            "rankdir": direction,
            "compound": "true",
            "fontname": _FONT,
            "labelloc": "t",
            "nodesep": "0.35",
            "ranksep": "0.45",
            "label": _dot_title(machine, marks),
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": _STATE_FILL,
            "color": _INK,
            "fontcolor": _TEXT,
            "fontname": _FONT,
            "fontsize": "12",
            "height": "0.4",
        },
        edge_attr={
            "color": _INK,
            "fontcolor": _INK,
            "fontname": _FONT,
            "fontsize": "10",
            "arrowsize": "0.7",
        },
    )
    graph = cast("_Graph", digraph)
    _dot_states(graph, machine, marks)
    _dot_transitions(graph, machine, marks)
    return digraph


def _dot_states(graph: _Graph, machine: fsm.Machine, marks: Highlights) -> None:
    """The states: a node per leaf, a cluster (with its entry point) per superstate."""
    children = _children(machine)
    superstates = machine.superstates

    def emit(container: _Graph, state: str) -> None:
        kids = children.get(state)
        if not kids:
            container.node(state, **_dot_state_style(machine, state, marks))
            return
        with container.subgraph(name=_cluster(state)) as cluster:
            cluster.attr(**_dot_cluster_style(state, marks))
            entry = machine.entries.get(state)
            if entry is not None:
                # The cluster's own initial point: edges into the superstate
                # end at the cluster border, and this point shows where it goes.
                cluster.node(
                    _anchor(state),
                    label="",
                    shape="point",
                    width="0.12",
                    style="filled",
                    color=_INK,
                    fillcolor=_INK,
                )
            else:
                cluster.node(_anchor(state), label="", shape="point", style="invis", width="0")
            for kid in kids:
                emit(cluster, kid)
            if entry is not None:
                taken = _TAKEN if state in marks.entered else {}
                cluster.edge(
                    _anchor(state),
                    _endpoint(entry, superstates),
                    **taken,
                    **_lhead(entry, superstates),
                )

    for state in children.get(None, ()):
        emit(graph, state)


def _dot_transitions(graph: _Graph, machine: fsm.Machine, marks: Highlights) -> None:
    """The initial arrow and one edge per transition, with the trace's steps numbered."""
    superstates = machine.superstates
    graph.node("[*]", label="", shape="point", width="0.18", color=_INK, fillcolor=_INK)
    start = _TAKEN if marks.is_trace else {}
    graph.edge(
        "[*]",
        _endpoint(machine.initial, superstates),
        **start,
        **_lhead(machine.initial, superstates),
    )
    for number, t in enumerate(machine.transitions):
        style: dict[str, str] = {"label": t.label}
        style.update(_compound(machine, t))
        if t.internal:
            style["style"] = "dotted"  # it does not leave its state: no exit or enter
        steps = marks.steps.get(number)
        if steps:
            style["label"] = ", ".join(str(s) for s in steps) + ": " + t.label
            style.update(_TAKEN)
        elif marks.marks.get(t.source) == "unreachable":
            style.update(color=_GREY, fontcolor=_GREY_TEXT, style="dashed")
        graph.edge(_endpoint(t.source, superstates), _endpoint(t.target, superstates), **style)


class _Graph(Protocol):
    """The part of ``graphviz.Digraph`` used here, typed (graphviz has no types)."""

    def node(self, name: str, label: str | None = None, **attrs: str) -> None: ...

    def edge(self, tail_name: str, head_name: str, **attrs: str) -> None: ...

    def attr(self, **attrs: str) -> None: ...

    def subgraph(self, *, name: str) -> AbstractContextManager[_Graph]: ...


def _new_digraph(
    name: str | None,
    graph_attr: dict[str, str],
    node_attr: dict[str, str],
    edge_attr: dict[str, str],
) -> graphviz.Digraph:
    try:
        import graphviz  # pyright: ignore[reportMissingTypeStubs]
    except ImportError as exc:
        raise ImportError(
            f"drawing with Graphviz needs the 'graphviz' Python package: {_INSTALL_DIAGRAMS}"
            f" (.mmd and .puml diagrams need nothing)",
            name=exc.name,
        ) from exc
    return graphviz.Digraph(
        name=name, graph_attr=graph_attr, node_attr=node_attr, edge_attr=edge_attr
    )


def _anchor(superstate: str) -> str:
    # Not an identifier, so it cannot clash with a state's name.
    return f"{superstate} [*]"


def _cluster(superstate: str) -> str:
    return f"cluster_{superstate}"


def _endpoint(state: str, superstates: frozenset[str]) -> str:
    return _anchor(state) if state in superstates else state


def _inside(machine: fsm.Machine, state: str, superstate: str) -> bool:
    return state == superstate or superstate in machine.ancestors(state)


def _lhead(target: str, superstates: frozenset[str]) -> dict[str, str]:
    # For arrows from a point outside the target's cluster: the initial arrow,
    # and a cluster's entry arrow when the entry is itself a superstate.
    return {"lhead": _cluster(target)} if target in superstates else {}


def _compound(machine: fsm.Machine, t: fsm.Transition) -> dict[str, str]:
    """Clip an edge at the border of a source or target cluster.

    Graphviz warns when a clipped end lies inside the cluster at the other end,
    so an edge between a superstate and one of its own substates is not
    clipped.
    """
    superstates = machine.superstates
    found: dict[str, str] = {}
    if t.source in superstates and not _inside(machine, t.target, t.source):
        found["ltail"] = _cluster(t.source)
    if t.target in superstates and not _inside(machine, t.source, t.target):
        found["lhead"] = _cluster(t.target)
    return found


def _children(machine: fsm.Machine) -> dict[str | None, list[str]]:
    children: dict[str | None, list[str]] = {}
    for state in machine.states:
        children.setdefault(machine.parents.get(state), []).append(state)
    return children


def _dot_state_style(machine: fsm.Machine, state: str, marks: Highlights) -> dict[str, str]:
    style: dict[str, str] = {}
    if state in machine.final:
        style.update(shape="doublecircle", margin="0.02", width="0.5")
    kind = marks.marks.get(state)
    if kind is not None:
        style.update(_dot_kind_style(kind))
    elif state in marks.visited:
        style.update(fillcolor=_TRACE_FILL, color=_TRACE)
        if state == marks.current:
            style.update(penwidth="2.5")
    return style


def _dot_cluster_style(state: str, marks: Highlights) -> dict[str, str]:
    style = {
        "label": state,
        "style": "rounded,filled",
        "fillcolor": _CLUSTER_FILL,
        "color": _INK,
        "fontname": _FONT,
        "fontsize": "12",
        "labeljust": "l",
    }
    kind = marks.marks.get(state)
    if kind is not None:
        style.update(_dot_kind_style(kind))
    return style


def _dot_kind_style(kind: Kind) -> dict[str, str]:
    """How a state or cluster marked with a finding of ``kind`` is drawn."""
    fill, border, _ = _KIND_STYLE[kind]
    if kind == "unreachable":
        return {
            "fillcolor": fill,
            "color": border,
            "penwidth": "1",
            "fontcolor": _GREY_TEXT,
            "style": "rounded,filled,dashed",
        }
    return {"fillcolor": fill, "color": border, "penwidth": "2"}


def _dot_title(machine: fsm.Machine, marks: Highlights) -> str:
    """The graph's label: the machine's name and, with a highlight, a legend."""
    rows = [
        f'<tr><td colspan="2"><font point-size="15"><b>{_html(machine.name)}</b></font></td></tr>'
    ]
    legend: list[tuple[str, str, str]] = []
    if marks.is_trace:
        steps = len([s for ss in marks.steps.values() for s in ss])
        ends = f"; ends in {marks.current}" if marks.current is not None else ""
        legend.append((_TRACE_FILL, _TRACE, f"trace of {steps} step(s), numbered{ends}"))
    legend.extend(_KIND_STYLE[kind] for kind in marks.kinds)
    for fill, border, text in legend:
        rows.append(
            f'<tr><td width="18" height="12" fixedsize="true" border="1" color="{border}" '
            f'bgcolor="{fill}"></td><td align="left"><font point-size="10">{_html(text)}'
            f"</font></td></tr>"
        )
    return '<<table border="0" cellspacing="3" cellpadding="1">' + "".join(rows) + "</table>>"


def _html(text: str) -> str:
    # Graphviz's HTML-like labels fail on some raw "]" ("syntax error"), so
    # square brackets are written as character references too.
    return html.escape(text, quote=True).replace("[", "&#91;").replace("]", "&#93;")


# -- Mermaid -----------------------------------------------------------------------


def to_mermaid(
    machine: fsm.Machine,
    *,
    highlight: Highlight = None,
    direction: Direction = "LR",
) -> str:
    """Draw ``machine`` as a Mermaid ``stateDiagram-v2``.

    The text is the lines of :func:`fsm.dumps` with a ``direction`` line and, for a
    highlight, ``classDef``/``class`` lines; :func:`fsm.parse` ignores both, so
    ``fsm.parse(to_mermaid(m)) == m``. A trace colours the states it visits
    (Mermaid cannot style a state diagram's edges) and lists its steps in a
    ``%%`` comment.

    Args:
        machine: the machine to draw.
        highlight: a trace or a report, as for :func:`to_dot`.
        direction: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

    Raises:
        fsm.InvalidTransition: a step of the highlight trace is not allowed.
        TypeError, ValueError: as for :func:`to_dot`.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]")
        >>> print(analysis.to_mermaid(m, highlight=["go"]), end="")
        ---
        title: Machine
        ---
        stateDiagram-v2
            direction LR
            A
            B
            [*] --> A
            A --> B : go
            B --> [*]
            %% highlight: trace go
            classDef visited fill:#ddf4ff,stroke:#0969da,color:#0a3069
            classDef current fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0a3069
            class A visited
            class B current
    """
    _check_direction(direction)
    marks = resolve_highlight(machine, highlight)
    text = fsm.dumps(machine, direction=direction)
    return text + "".join(line + "\n" for line in _mermaid_classes(machine, marks))


def _mermaid_classes(machine: fsm.Machine, marks: Highlights) -> Iterator[str]:
    if marks.is_trace:
        events = _trace_events(machine, marks)
        shown = " ".join(events)
        if _MERMAID_DIRECTION.search(shown):
            # Mermaid reads "... direction LR ..." anywhere, even in a comment,
            # as a direction statement: keep such event names apart.
            shown = ", ".join(events)
        yield "    %% highlight: trace " + (shown if events else "(empty)")
        yield f"    classDef visited fill:{_TRACE_FILL},stroke:{_TRACE},color:{_TRACE_TEXT}"
        yield (
            f"    classDef current fill:{_TRACE_FILL},stroke:{_TRACE},stroke-width:3px,"
            f"color:{_TRACE_TEXT}"
        )
        visited = [s for s in marks.visited if s != marks.current]
        if visited:
            yield f"    class {','.join(visited)} visited"
        if marks.current is not None:
            yield f"    class {marks.current} current"
        return
    kinds = marks.kinds
    if not kinds:
        return
    yield "    %% highlight: findings " + ", ".join(kinds)
    for kind in kinds:
        fill, border, _ = _KIND_STYLE[kind]
        extra = f",color:{_GREY_TEXT_MERMAID},stroke-dasharray:4 3" if kind == "unreachable" else ""
        yield f"    classDef {_MERMAID_CLASS[kind]} fill:{fill},stroke:{border}{extra}"
    for kind in kinds:
        states = [s for s, k in marks.marks.items() if k == kind]
        yield f"    class {','.join(states)} {_MERMAID_CLASS[kind]}"


# -- PlantUML ----------------------------------------------------------------------


def to_plantuml(
    machine: fsm.Machine,
    *,
    highlight: Highlight = None,
    direction: Direction = "LR",
) -> str:
    """Draw ``machine`` as a PlantUML state diagram.

    Superstates are composite states with their entry marked ``[*] --> X``
    inside; final states get an arrow to ``[*]``. A trace colours the states
    it visits and the arrows it takes (numbered by step, as in :func:`to_dot`);
    a report colours the states its findings name. A ``'`` comment says what
    is highlighted.

    Args:
        machine: the machine to draw.
        highlight: a trace or a report, as for :func:`to_dot`.
        direction: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

    Raises:
        fsm.InvalidTransition: a step of the highlight trace is not allowed.
        TypeError, ValueError: as for :func:`to_dot`.

    Examples:
        >>> import fsm, analysis
        >>> m = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]")
        >>> print(analysis.to_plantuml(m), end="")
        @startuml
        title Machine
        hide empty description
        left to right direction
        state A
        state B
        [*] --> A
        A --> B : go
        B --> [*]
        @enduml
        >>> for line in analysis.to_plantuml(m, highlight=["go"]).splitlines()[4:10]:
        ...     print(line)
        state A #ddf4ff;line:0969da
        state B #ddf4ff;line:0969da;line.bold
        [*] -[#0969da,bold]-> A
        A -[#0969da,bold]-> B : 1: go
        B --> [*]
        ' highlight: trace go
    """
    _check_direction(direction)
    marks = resolve_highlight(machine, highlight)
    lines = [
        "@startuml",
        f"title {_plantuml_text(machine.name)}",
        "hide empty description",
        "left to right direction" if direction == "LR" else "top to bottom direction",
    ]
    children = _children(machine)

    def emit(state: str, depth: int) -> None:
        pad = "  " * depth
        kids = children.get(state)
        colour = _plantuml_colour(state, marks)
        if not kids:
            lines.append(f"{pad}state {_plantuml_state(state)}{colour}")
            return
        lines.append(f"{pad}state {_plantuml_state(state)}{colour} {{")
        for kid in kids:
            emit(kid, depth + 1)
        entry = machine.entries.get(state)
        if entry is not None:
            arrow = _plantuml_arrow(state in marks.entered)
            lines.append(f"{pad}  [*] {arrow} {entry}")
        lines.append(f"{pad}}}")

    for state in children.get(None, ()):
        emit(state, 0)
    lines.append(f"[*] {_plantuml_arrow(marks.is_trace)} {machine.initial}")
    for number, t in enumerate(machine.transitions):
        steps = marks.steps.get(number)
        label = _plantuml_creole(t.label)
        if steps:
            label = ", ".join(str(step) for step in steps) + ": " + label
        arrow = _plantuml_arrow(bool(steps))
        if t.internal:
            arrow = arrow.replace("]->", ",dotted]->") if steps else "-[dotted]->"
        lines.append(f"{t.source} {arrow} {t.target} : {label}")
    lines.extend(f"{state} --> [*]" for state in machine.states if state in machine.final)
    lines.extend(_plantuml_comment(machine, marks))
    lines.append("@enduml")
    return "\n".join(lines) + "\n"


def _plantuml_arrow(taken: bool) -> str:
    return f"-[{_TRACE},bold]->" if taken else "-->"


def _plantuml_colour(state: str, marks: Highlights) -> str:
    """A state's colours, `` #fill;line:border``: PlantUML wants no ``#`` after ``line:``."""
    kind = marks.marks.get(state)
    if kind is not None:
        fill, border, _ = _KIND_STYLE[kind]
        extra = f";line.dashed;text:{_GREY_TEXT[1:]}" if kind == "unreachable" else ""
        return f" {fill};line:{border[1:]}{extra}"
    if state in marks.visited:
        bold = ";line.bold" if state == marks.current else ""
        return f" {_TRACE_FILL};line:{_TRACE[1:]}{bold}"
    return ""


def _plantuml_comment(machine: fsm.Machine, marks: Highlights) -> Iterator[str]:
    if marks.is_trace:
        yield "' highlight: trace " + (" ".join(_trace_events(machine, marks)) or "(empty)")
    elif marks.kinds:
        yield "' highlight: findings " + ", ".join(marks.kinds)


def _trace_events(machine: fsm.Machine, marks: Highlights) -> list[str]:
    """The events of a highlighted trace, in order."""
    return [
        machine.transitions[n].event
        for _, n in sorted((s, n) for n, ss in marks.steps.items() for s in ss)
    ]


def _plantuml_creole(text: str) -> str:
    # PlantUML draws the text between two ``__`` underlined (its "creole"
    # markup). A name holds no other markup (``**``, ``//``, ``""``, ``--``,
    # ``~~``, ``^^`` need characters an identifier lacks); ``~`` escapes the
    # next character, so ``~_`` is a plain underscore.
    return text.replace("_", "~_") if "__" in text else text


def _plantuml_state(state: str) -> str:
    # The id stays as it is (transitions refer to it); only the drawn text is
    # escaped, and only when it would be read as markup, so most diagrams keep
    # the short form ``state Name``.
    shown = _plantuml_creole(state)
    return state if shown == state else f'"{shown}" as {state}'


def _plantuml_text(text: str) -> str:
    # PlantUML reads markup in a title (``**``, ``//``, ``<tag>``, ``\\n``...),
    # and its ``&#n;`` entities break on ``$`` and ``\\``; its ``<U+XXXX>``
    # escapes do not, so every character but ASCII letters, digits and spaces
    # is written as one.
    return "".join(
        c if (c.isascii() and c.isalnum()) or c == " " else f"<U+{ord(c):04X}>" for c in text
    )


# -- files -------------------------------------------------------------------------


def render(
    machine: fsm.Machine,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    highlight: Highlight = None,
    direction: Direction = "LR",
) -> Path:
    """Write a diagram of ``machine`` to ``path``.

    The format is taken from the suffix unless ``format`` is given: ``.svg``,
    ``.png`` and ``.pdf`` are drawn by Graphviz's ``dot`` program; ``.dot``
    (or ``.gv``) is the DOT text, ``.mmd`` Mermaid and ``.puml`` PlantUML,
    written without any program.

    Args:
        machine: the machine to draw.
        path: the file to write (its directory must exist).
        format: one of ``svg``, ``png``, ``pdf``, ``dot``, ``mmd``, ``puml``.
        highlight: a trace or a report, as for :func:`to_dot`.
        direction: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

    Returns:
        The path written.

    An image of a machine with more than ``MAX_LAYOUT_STATES`` (1,000) states
    or ``MAX_LAYOUT_TRANSITIONS`` (2,000) transitions is refused before ``dot``
    runs: past that, Graphviz takes minutes or crashes. When ``dot`` fails on a
    layout (Graphviz 2.43 does on some machines with superstates), it is run
    again with ``newrank=true``, then in the other direction.

    Raises:
        ValueError: the format is unknown, or the machine is too large to lay
            out as an image.
        FileNotFoundError: an image was asked for and ``dot`` is not on PATH.
        ImportError: the ``graphviz`` package is missing (svg, png, pdf, dot).
        RuntimeError: ``dot`` failed every retry (the message names its exit
            status or the signal that killed it, and what it printed).
        fsm.InvalidTransition: a step of the highlight trace is not allowed.
    """
    target = Path(path)
    chosen = _format(target, format)
    _check_direction(direction)
    if chosen == "mmd":
        _write_text(target, to_mermaid(machine, highlight=highlight, direction=direction))
    elif chosen == "puml":
        _write_text(target, to_plantuml(machine, highlight=highlight, direction=direction))
    elif chosen == "dot":
        _write_text(target, to_dot(machine, highlight=highlight, direction=direction))
    else:
        _check_layout_size(machine, target)
        target.write_bytes(_lay_out(machine, highlight, direction, chosen, target))
    return target


def _check_layout_size(machine: fsm.Machine, path: Path) -> None:
    states, transitions = len(machine.states), len(machine.transitions)
    if states <= MAX_LAYOUT_STATES and transitions <= MAX_LAYOUT_TRANSITIONS:
        return
    raise ValueError(
        f"cannot draw {str(path)!r}: {machine.name!r} has {states:,} states and "
        f"{transitions:,} transitions, more than Graphviz lays out (at most "
        f"{MAX_LAYOUT_STATES:,} states and {MAX_LAYOUT_TRANSITIONS:,} transitions; past "
        f"that 'dot' takes minutes or crashes). Write a text diagram instead (.mmd, "
        f".puml or .dot, no layout needed), draw a part of it (the paths of "
        f"analysis.state_cover), or summarise it with analysis.check"
    )


def _lay_out(
    machine: fsm.Machine,
    highlight: Highlight | Highlights,
    direction: Direction,
    format: str,
    path: Path,
) -> bytes:
    """Run ``dot``; when its layout fails, retry with Graphviz's other ranking.

    Graphviz 2.43 fails on some graphs with clusters (``trouble in init_rank``,
    ``Pshortestpath failed``, or a crash) that ``newrank=true`` lays out; the
    other direction is the last resort.
    """
    digraph = _digraph(machine, highlight, direction)
    try:
        return _run_dot(digraph.source, format, path)
    except _LayoutError as first:
        failure = first
    other: Direction = "TB" if direction == "LR" else "LR"
    graph = cast("_Graph", digraph)
    for rankdir in (direction, other):
        graph.attr(rankdir=rankdir, newrank="true")  # the last setting wins
        try:
            return _run_dot(digraph.source, format, path)
        except _LayoutError:
            continue
    raise RuntimeError(
        f"{failure}; retrying with newrank=true and with rankdir {other} failed too. "
        f"Write a text diagram instead (.mmd, .puml or .dot)"
    ) from None


class _LayoutError(RuntimeError):
    """``dot`` ran but failed (an exit status or a signal)."""


def _format(path: Path, format: str | None) -> str:
    if format is not None:
        chosen = format.lower().lstrip(".")
        if chosen not in _FORMATS:
            raise ValueError(f"unknown diagram format {format!r}; use one of {', '.join(_FORMATS)}")
        return chosen
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        shown = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise ValueError(
            f"can't tell the diagram format of {str(path)!r} from its {shown}; name the "
            f"file .svg, .png, .pdf, .dot, .mmd or .puml, or pass format="
        )
    return found


def _run_dot(source: str, format: str, path: Path) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError(
            f"cannot draw {str(path)!r}: Graphviz's 'dot' program is not on PATH; "
            f"{_INSTALL_GRAPHVIZ}. Writing .dot, .mmd or .puml needs no program."
        )
    result = subprocess.run(
        [dot, f"-T{format}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        said = result.stderr.decode("utf-8", "replace").strip()
        said = f": {said}" if said else " (it printed nothing)"
        if result.returncode < 0:
            number = -result.returncode
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = "unknown signal"
            how = f"was killed by signal {number} ({name})"
        else:
            how = f"failed with exit code {result.returncode}"
        raise _LayoutError(f"'dot -T{format}' {how} drawing {str(path)!r}{said}")
    return result.stdout


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'LR' or 'TB' (got {direction!r})")
