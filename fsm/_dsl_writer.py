"""The DSL writer: :func:`fsm.dumps`, a Machine as Mermaid ``stateDiagram-v2`` text.

Apart from the reader (``fsm._dsl``) and low in the layers, as the JSON
writer is, so that the notebook view (``fsm._display``) calls it directly:
it needs the Machine only for its type.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final, Literal

from ._errors import short_repr
from ._names import mermaid_lines

if TYPE_CHECKING:
    from ._model import Machine

__all__ = ["dsl_lines", "dumps"]

# A title written without quotes: one that Mermaid's YAML reader (JSON schema)
# reads as the same string, not as a number, a boolean or null.
_TITLE_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]*\Z")
_YAML_WORDS: Final = frozenset({"null", "true", "false"})
_TITLE_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def dumps(machine: Machine, *, direction: Literal["LR", "TB"] | None = None) -> str:
    """Write ``machine`` as DSL text: a Mermaid ``stateDiagram-v2`` diagram.

    The output is stable (the same Machine always gives the same text) and
    ``fsm.parse(fsm.dumps(m)) == m`` holds for every Machine.

    Args:
        machine: the machine to write.
        direction: ``"LR"`` or ``"TB"`` to add a Mermaid ``direction``
            statement after the header (how the diagram flows; :func:`parse`
            reads past it).

    Raises:
        ValueError: ``direction`` is not ``"LR"``, ``"TB"`` or None.

    Examples:
        >>> import fsm
        >>> m = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]")
        >>> print(fsm.dumps(m), end="")
        ---
        title: Machine
        ---
        stateDiagram-v2
            A
            B
            [*] --> A
            A --> B : go
            B --> [*]
    """
    if direction not in (None, "LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', not {short_repr(direction)}")
    return "\n".join(dsl_lines(machine, direction=direction)) + "\n"


def dsl_lines(machine: Machine, *, direction: str | None = None) -> list[str]:
    """The lines of :func:`dumps` (without line ends)."""
    out: list[str] = [
        "---",
        f"title: {_yaml_title(machine.name)}",
        "---",
        "stateDiagram-v2",
    ]
    if direction is not None:
        out.append(f"    direction {direction}")
    typed: dict[str, tuple[tuple[str, str | None], ...]] = {}
    for t in machine.transitions:
        if t.event not in typed and any(a is not None for _, a in t.params):
            typed[t.event] = t.params
    for event, params in typed.items():
        shown = ", ".join(p if a is None else f"{p}: {a}" for p, a in params)
        out.append(f"    %% types: {event}({shown})")
    out.extend(_layout(machine))
    out.append(f"    [*] --> {machine.initial}")
    for t in machine.transitions:
        out.append(f"    {t.source} --> {t.target} : {t.label}")
    for state in machine.states:
        if state in machine.final:
            out.append(f"    {state} --> [*]")
    return mermaid_lines(out)


def _yaml_title(name: str) -> str:
    if (
        _TITLE_PLAIN.match(name)
        and not name.endswith(" ")
        and " #" not in name
        and name.lower() not in _YAML_WORDS
    ):
        return name
    # A JSON string is a YAML double-quoted scalar. Besides what JSON escapes,
    # escape what YAML may not hold raw (DEL, C1 controls, U+FFFE, U+FFFF) and
    # what str.splitlines() and YAML read as a line break (U+0085, U+2028,
    # U+2029), and a BOM, which some readers drop.
    quoted = json.dumps(name, ensure_ascii=False)
    return _TITLE_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _layout(machine: Machine) -> list[str]:
    """Declare every state, nesting substates in ``state X { }`` blocks.

    Parsing takes the order of states from their first mention, so when the
    nested layout would mention them in another order than ``machine.states``
    a flat list of declarations comes first to fix the order.
    """
    children: dict[str | None, list[str]] = {}
    for state in machine.states:
        children.setdefault(machine.parents.get(state), []).append(state)
    lines: list[str] = []
    order: list[str] = []

    def emit(root: str, depth: int) -> None:
        # Depth first with a stack of its own: (state, depth, whether to close).
        work: list[tuple[str, int, bool]] = [(root, depth, False)]
        while work:
            state, level, closing = work.pop()
            pad = "    " * level
            if closing:
                entry = machine.entries.get(state)
                if entry is not None:
                    lines.append(f"{pad}    [*] --> {entry}")
                lines.append(f"{pad}}}")
                continue
            order.append(state)
            kids = children.get(state)
            if not kids:
                lines.append(f"{pad}{state}")
                continue
            lines.append(f"{pad}state {state} {{")
            work.append((state, level, True))
            work.extend((kid, level + 1, False) for kid in reversed(kids))

    for state in children.get(None, []):
        emit(state, 1)
    if tuple(order) == machine.states:
        return lines
    # Fix the order with a flat list, then add only the blocks (top-level
    # leaves are already declared by the list).
    lines = [f"    {state}" for state in machine.states]
    for state in children.get(None, []):
        if children.get(state):
            before = len(lines)
            emit(state, 1)
            del order[before:]
    return lines
