"""Which names and titles every writer can carry: the checks behind the Machine.

A Machine is written as DSL text (Mermaid), JSON, Graphviz DOT and PlantUML.
Whatever the constructor accepts must survive each of them exactly, so the
rules here were found by feeding the real tools (Mermaid 10 and 11, ``dot``,
``plantuml``) and are re-checked by the test suite.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "MERMAID_KEYWORDS",
    "NAME",
    "is_name",
    "keyword_problem",
    "mermaid_lines",
    "title_problem",
]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_name(text: object) -> bool:
    """Return True when ``text`` is an identifier usable as a name in a Machine.

    Names are ASCII identifiers (``[A-Za-z_][A-Za-z0-9_]*``): they must be valid
    Mermaid state ids and valid Python names for code generation.
    """
    return isinstance(text, str) and NAME.match(text) is not None


#: Words that Mermaid's ``stateDiagram`` lexer reads as keywords where a state id
#: stands, lowercased: the lexer matches them in any casing (its rules carry the
#: ``i`` flag), so ``Note`` and ``NOTE`` break a diagram as ``note`` does. Taken
#: from the lexer rules of Mermaid 10.9 and 11 (``state``, ``note``, ``class``,
#: ``classDef``, ``scale``, ``default``, ``stateDiagram``, ``accTitle`` and
#: ``accDescr`` in both; ``style``, ``click`` and ``href`` in Mermaid 11; ``as``
#: after ``state X``) and ``direction``, the statement ``direction LR``.
MERMAID_KEYWORDS: Final = frozenset(
    {
        "state",
        "note",
        "class",
        "classdef",
        "scale",
        "default",
        "statediagram",
        "acctitle",
        "accdescr",
        "style",
        "click",
        "href",
        "as",
        "direction",
    }
)

#: Ids that Mermaid gives the ``[*]`` pseudo-states at top level: a state so
#: named would be drawn as the same node as the start or end point.
_PSEUDO_IDS: Final = frozenset({"root_start", "root_end"})


def keyword_problem(state: str, superstates: frozenset[str]) -> str | None:
    """Why ``state`` (an identifier) cannot be drawn by Mermaid, or None.

    Args:
        state: the state's name, already known to be an identifier.
        superstates: the machine's superstates, whose ``[*]`` points Mermaid
            names ``<superstate>_start`` and ``<superstate>_end``.
    """
    if state.lower() in MERMAID_KEYWORDS:
        example = state[:1].upper() + state[1:].lower() + "State"
        return (
            f"state name {state!r} is a Mermaid keyword (any casing), so Mermaid "
            f"would not read it as a state; rename it (for example {example!r})"
        )
    if state in _PSEUDO_IDS or (
        state.endswith(("_start", "_end")) and state.rpartition("_")[0] in superstates
    ):
        return (
            f"state name {state!r} is the id Mermaid gives a '[*]' point, so Mermaid "
            f"would draw the state and the point as one node; rename it"
        )
    return None


# Mermaid's lexer has a rule ``.*direction\s+TB[^\n]*`` (and BT, RL, LR), tried
# before any other at every token, case-insensitively. Since ``\s`` matches a
# line break, a line that ends in a name ending in "direction" followed by a
# line that starts with a name starting with "TB" is read as one ``direction``
# statement, and both lines are lost without an error.
_DIRECTION_END: Final = re.compile(r"direction\s*\Z", re.IGNORECASE)
_DIRECTION_NEXT: Final = re.compile(r"\s*(?:TB|BT|RL|LR)", re.IGNORECASE)


def mermaid_lines(lines: list[str]) -> list[str]:
    """Put an empty ``%%`` comment between two lines Mermaid would read as one.

    Both our parser and Mermaid skip the comment, so the text means the same.
    """
    out: list[str] = []
    for line in lines:
        if out and _DIRECTION_NEXT.match(line) and _DIRECTION_END.search(out[-1]):
            out.append("    %%")
        out.append(line)
    return out


# Characters no writer can carry in a title: control characters other than tab
# (XML, and so Graphviz's labels, forbids them even as &#n; references; NUL
# ends a C string), lone surrogates (UTF-8 cannot encode them, so no file holds
# them) and U+FFFE, U+FFFF (XML forbids them). Line feed and carriage return are
# refused earlier, as line breaks. Everything else is escaped where a format
# needs it: U+0085, U+2028, U+2029, DEL, C1 controls and the BOM in the DSL's
# front matter, markup in Graphviz and PlantUML labels.
_UNWRITABLE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def title_problem(name: str) -> str | None:
    """Why the machine name ``name`` cannot be written by every writer, or None."""
    match = _UNWRITABLE.search(name)
    if match is None:
        return None
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        why = "a lone surrogate, which UTF-8 cannot encode, so no file can hold it"
    elif char in "\ufffe\uffff":
        why = "a non-character that XML, and so a Graphviz label, cannot hold"
    else:
        why = "a control character that XML, and so a Graphviz label, cannot hold"
    return (
        f"machine name {name!r} contains U+{ord(char):04X} at position {match.start()}, "
        f"{why}; remove it"
    )
