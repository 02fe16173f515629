"""The limits every loader and builder keeps, and the checks that enforce them.

``MAX_DEPTH`` is one nesting limit for the three places nesting can grow: a
state's superstates in a :class:`fsm.Machine`, ``state X {`` blocks in the DSL,
and arrays and objects in a JSON document. The checks here run in time linear
in the input and never recurse, so a hostile input is refused with a
:class:`fsm.DefinitionError`, not a ``RecursionError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias, cast

from ._errors import DefinitionError, Problem

__all__ = ["MAX_DEPTH", "check_document_depth", "check_json_text_depth"]

#: How deep nesting may go: superstates of a state in a Machine (a state may
#: have at most this many ancestors), ``state X {`` blocks in the DSL, arrays
#: and objects in a JSON document. Real protocols nest a few levels; 100 keeps
#: every writer's output readable by every reader (Mermaid, Graphviz) and any
#: code that walks a hierarchy far inside Python's default recursion limit.
MAX_DEPTH: Final = 100

# A JSON string (possibly unterminated: json.loads reports that), or a bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
# Brackets to parentheses, every other byte dropped (UTF-8 multi-byte
# sequences hold no ASCII byte, so no bracket is made up).
_PARENS = bytes.maketrans(b"[{]}", b"(())")
_OTHERS = bytes(b for b in range(256) if b not in b"[{]}")
_RUN = b"(" * (MAX_DEPTH + 1)
_RUNS = re.compile(rb"\(+|\)+")


def _depth_message(what: str) -> str:
    return (
        f"{what} nested more than {MAX_DEPTH} deep (the limit, fsm.MAX_DEPTH); "
        f"a machine document nests 5 deep, so this is not one"
    )


def check_json_text_depth(text: str, filename: str | None = None) -> None:
    """Refuse JSON text whose arrays and objects nest deeper than MAX_DEPTH.

    Runs before ``json.loads``, which recurses once per level. Linear in the
    text, and done by scans written in C: strings are dropped by a regular
    expression, then the brackets left are measured by :func:`_too_deep`;
    only a text past the limit is walked in Python, to find the position.

    Raises:
        DefinitionError: naming the line and column of the first bracket past
            the limit.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    outside = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    if not _too_deep(outside.translate(_PARENS, _OTHERS)):
        return
    depth = 0
    offset = 0
    for match in _TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                offset = match.start()
                break
        elif char in "]}":
            depth -= 1
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    # The line, unless it is too long to show (a whole document on one line).
    source = text[offset - column + 1 : offset - column + 1 + 1000].split("\n", 1)[0]
    raise DefinitionError(
        Problem(
            _depth_message("the JSON document's arrays and objects are"),
            line=line,
            column=column,
            source_line=source if len(source) < 1000 else None,
            filename=filename,
        )
    )


# The keys that lead to a value, innermost first, as a linked list.
_Trail: TypeAlias = "tuple[object, _Trail] | None"


def _too_deep(parens: bytes) -> bool:
    """Whether parentheses (and nothing else) nest deeper than MAX_DEPTH.

    Walking the text in Python costs one step per run of equal parentheses,
    too many when the runs are short. ``replace(b"()", b"")`` removes every
    innermost pair at C speed and lowers each nest by exactly one level, so
    rounds of it go first while they shrink the text by a sixteenth or more;
    what is left has few runs, and is walked.
    """
    if parens.count(b"(") <= MAX_DEPTH:
        return False
    if _RUN in parens:
        return True
    rest = parens
    rounds = 0
    while True:
        peaks = rest.count(b"()")
        if peaks == 0 or peaks * 32 < len(rest):
            break
        if rounds == MAX_DEPTH:
            return True
        rest = rest.replace(b"()", b"")
        rounds += 1
    depth = _max_depth(rest)
    if depth > MAX_DEPTH:
        return True
    if depth + rounds <= MAX_DEPTH:
        return False
    # Brackets never closed (broken JSON) keep the rounds from telling how
    # deep the removed pairs were: count on the whole text.
    return _max_depth(parens) > MAX_DEPTH


def _max_depth(parens: bytes) -> int:
    """The deepest nesting of ``parens``, or MAX_DEPTH + 1 once past it."""
    depth = 0
    deepest = 0
    for run in _RUNS.finditer(parens):
        size = run.end() - run.start()
        if parens[run.start()] == 40:  # "("
            depth += size
            if depth > MAX_DEPTH:
                return depth
            deepest = max(deepest, depth)
        else:
            depth -= size
    return deepest


def check_document_depth(data: object) -> None:
    """Refuse a decoded JSON value (dicts and lists) nested deeper than MAX_DEPTH.

    Iterative, and stops descending at the limit, so it is linear in the size
    of the value and safe on values nested far deeper than Python can recurse.

    Raises:
        DefinitionError: naming the JSON path of the value past the limit.
    """
    # Each entry: a dict or list, its depth (0 for the document), and the keys
    # that lead to it, as a linked list built only for containers.
    stack: list[tuple[object, int, _Trail]] = [(data, 0, None)]
    while stack:
        value, depth, trail = stack.pop()
        if depth >= MAX_DEPTH:
            raise DefinitionError(
                Problem(_depth_message("arrays and objects are"), path=_path(trail))
            )
        pairs: Iterable[tuple[object, object]]
        if isinstance(value, dict):
            pairs = cast("Mapping[object, object]", value).items()
        elif isinstance(value, list):
            pairs = enumerate(cast("list[object]", value))
        else:
            continue
        for key, item in pairs:
            if isinstance(item, (dict, list)):
                stack.append((cast("object", item), depth + 1, (key, trail)))


def _path(trail: _Trail) -> str:
    keys: list[object] = []
    while trail is not None:
        key, trail = trail
        keys.append(key)
    shown = [
        f"[{key}]" if isinstance(key, int) else f".{key}" if isinstance(key, str) else ".?"
        for key in reversed(keys)
    ]
    if len(shown) > 6:
        shown[4:] = ["..."]
    return "$" + "".join(shown)
