"""Guard combinations: guard names joined by ``and``, ``or``, ``not`` and parentheses.

A :class:`~fsm.Transition`'s ``guard`` is one string. Most are one name
(``"ok"``); a combination is written in the same string (``"ok and not
busy"``) and read here into a small tree, never evaluated as Python: a spec
names predicates, it does not carry code. The grammar::

    guard   := either ("or" either)*
    either  := factor ("and" factor)*       # "and" binds tighter than "or"
    factor  := "not" factor | NAME | "(" guard ")"

Reading is one pass over the text (linear time), and nesting (parentheses and
``not``) is limited to :data:`fsm.MAX_DEPTH` levels, so a hostile spec is
refused with a message, not a ``RecursionError``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Generator, Mapping
from typing import Any, Final, cast

import attrs

from ._errors import SHOWN, DefinitionError, Problem
from ._limits import MAX_DEPTH

__all__ = [
    "OPERATORS",
    "Guard",
    "GuardError",
    "canonical_guard",
    "combined_handler",
    "is_combination",
    "parse_guard",
    "read_guard",
]

#: The words that join guard names; none of them can be a guard name.
OPERATORS: Final = frozenset({"and", "or", "not"})

_TOKEN = re.compile(r"[ \t]*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[()])|(?P<other>\S))")
_SPELLINGS: Final = {"&": "and", "|": "or", "!": "not", "~": "not"}


class GuardError(ValueError):
    """A guard text that is not a valid combination; ``offset`` is where, from 0."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@attrs.frozen
class Guard:
    """A parsed guard: a name, or ``not``/``and``/``or`` over smaller guards.

    Attributes:
        op: ``"name"``, ``"not"``, ``"and"`` or ``"or"``.
        name: the guard name when ``op == "name"``, else ``""``.
        operands: the parts of a ``not`` (one), ``and`` or ``or`` (two or more).
    """

    op: str
    name: str = ""
    operands: tuple[Guard, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The guard names used, each once, in order of first use."""
        found: dict[str, None] = {}
        work: list[Guard] = [self]
        while work:
            node = work.pop()
            if node.op == "name":
                found.setdefault(node.name, None)
            else:
                work.extend(reversed(node.operands))
        return tuple(found)

    def evaluate(self, lookup: Callable[[str], object]) -> bool:
        """The guard's truth, asking ``lookup(name)`` for each name it needs.

        ``and`` and ``or`` stop at the first operand that decides, left to right.
        """
        if self.op == "name":
            return bool(lookup(self.name))
        if self.op == "not":
            return not self.operands[0].evaluate(lookup)
        if self.op == "and":
            return all(part.evaluate(lookup) for part in self.operands)
        return any(part.evaluate(lookup) for part in self.operands)

    async def aevaluate(self, lookup: Callable[[str], object]) -> bool:
        """As :meth:`evaluate`, awaiting what ``lookup`` returns when it is awaitable."""
        if self.op == "name":
            held = lookup(self.name)
            if inspect.isawaitable(held):
                held = await held
            return bool(held)
        if self.op == "not":
            return not await self.operands[0].aevaluate(lookup)
        wanted = self.op == "or"  # the value that decides
        for part in self.operands:
            if await part.aevaluate(lookup) is wanted:
                return wanted
        return not wanted

    def __str__(self) -> str:
        """The canonical text: single spaces, parentheses only where needed."""
        if self.op == "name":
            return self.name
        if self.op == "not":
            inner = self.operands[0]
            shown = str(inner)
            return f"not ({shown})" if inner.op in ("and", "or") else f"not {shown}"
        parts: list[str] = []
        for part in self.operands:
            shown = str(part)
            parts.append(f"({shown})" if self.op == "and" and part.op == "or" else shown)
        return f" {self.op} ".join(parts)


def is_combination(text: str) -> bool:
    """Whether ``text`` is meant as a combination rather than one name."""
    return text in OPERATORS or "(" in text or ")" in text or any(c in text for c in " \t&|!~")


class _Reader:
    """Recursive descent over the tokens of one guard text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []  # (kind, text, offset)
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup or "other"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
        self.end = len(text)
        self.at = 0

    def peek(self) -> tuple[str, str, int]:
        if self.at < len(self.tokens):
            return self.tokens[self.at]
        return ("end", "", self.end)

    def fail(self, what: str, token: tuple[str, str, int]) -> GuardError:
        kind, shown, offset = token
        if kind == "end":
            return GuardError(f"{what}, but the guard ends there", offset)
        if kind == "other":
            spelled = _SPELLINGS.get(shown)
            fix = (
                f"; write {spelled!r}"
                if spelled
                else "; a guard combines guard names with and, or, not and parentheses"
            )
            return GuardError(f"{shown!r} cannot stand in a guard{fix}", offset)
        return GuardError(f"{what}, got {shown!r}", offset)

    def guard(self, depth: int) -> Guard:
        parts = [self.either(depth)]
        while self.peek()[1] == "or" and self.peek()[0] == "name":
            self.at += 1
            parts.append(self.either(depth))
        return parts[0] if len(parts) == 1 else Guard("or", operands=_flat("or", parts))

    def either(self, depth: int) -> Guard:
        parts = [self.factor(depth)]
        while self.peek()[1] == "and" and self.peek()[0] == "name":
            self.at += 1
            parts.append(self.factor(depth))
        return parts[0] if len(parts) == 1 else Guard("and", operands=_flat("and", parts))

    def factor(self, depth: int) -> Guard:
        token = self.peek()
        kind, word, offset = token
        if depth >= MAX_DEPTH:
            raise GuardError(
                f"the guard nests more than {MAX_DEPTH} deep (the limit, fsm.MAX_DEPTH); "
                f"name the inner condition instead",
                offset,
            )
        if kind == "name" and word == "not":
            self.at += 1
            return Guard("not", operands=(self.factor(depth + 1),))
        if kind == "name" and word not in OPERATORS:
            self.at += 1
            if word in ("else", "branch"):
                raise GuardError(
                    f"[{word}] stands alone; it cannot be combined with other guards", offset
                )
            return Guard("name", name=word)
        if kind == "punct" and word == "(":
            self.at += 1
            inner = self.guard(depth + 1)
            close = self.peek()
            if close[0] != "punct" or close[1] != ")":
                raise self.fail(f"expected ')' to close the '(' at column {offset + 1}", close)
            self.at += 1
            return inner
        raise self.fail("expected a guard name, 'not' or '('", token)


def _flat(op: str, parts: list[Guard]) -> tuple[Guard, ...]:
    """``parts`` with nested ``op`` nodes spliced in: ``(a and b) and c`` is ``a and b and c``."""
    flat: list[Guard] = []
    for part in parts:
        if part.op == op:
            flat.extend(part.operands)
        else:
            flat.append(part)
    return tuple(flat)


def parse_guard(text: str) -> Guard:
    """Read a guard text: one name, or names joined by ``and``, ``or``, ``not``, ``( )``.

    ``and`` binds tighter than ``or``; ``str()`` of the result is the
    canonical spelling that :class:`fsm.Transition` keeps.

    Raises:
        DefinitionError: the text is not a guard; the problem gives the column.

    Examples:
        >>> import fsm
        >>> str(fsm.parse_guard("ok and (not busy)"))
        'ok and not busy'
        >>> fsm.parse_guard("(a or b) and c").names
        ('a', 'b', 'c')
        >>> fsm.parse_guard("ok and not busy").evaluate({"ok": True, "busy": False}.get)
        True
    """
    if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"parse_guard() takes the guard's text (str), got {type(text).__name__}")
    try:
        return read_guard(text)
    except GuardError as error:
        raise DefinitionError(
            Problem(
                f"cannot read the guard {text[:SHOWN]!r}: {error.message}",
                line=1,
                column=error.offset + 1,
                source_line=text,
            )
        ) from None


def read_guard(text: str) -> Guard:
    """As :func:`parse_guard`, raising :class:`GuardError` (with the offset) instead."""
    reader = _Reader(text)
    result = reader.guard(0)
    token = reader.peek()
    if token[0] != "end":
        if token[0] == "name" and token[1] not in OPERATORS:
            raise GuardError(f"expected 'and' or 'or' before the guard name {token[1]!r}", token[2])
        raise reader.fail("expected 'and', 'or' or the end of the guard", token)
    return result


def canonical_guard(value: str | None) -> str | None:
    """A guard text in its canonical spelling; anything else unchanged.

    One name (the common case) is returned as it is, and so is a text that
    is not a valid guard (the Machine's checks report it, with the others).
    """
    if value is None or type(cast("object", value)) is not str or value.isidentifier():
        return value  # checked as an object: callers may not be typed
    try:
        return str(read_guard(value))
    except GuardError:
        return value


def combined_handler(
    text: str, lookup: Callable[[str], Callable[..., object] | None]
) -> Callable[..., object] | None:
    """One guard handler for a combination, from the handler of each of its names.

    ``lookup`` resolves one name (and records a missing one); None when any
    name did not resolve. The handler is a coroutine function when any part
    is one, so that :meth:`fsm.Instance.asend` awaits it; otherwise it
    returns a coroutine (which ``asend`` awaits, as it awaits what a lone
    guard returns) from the first part that returned an awaitable on.
    """
    tree = read_guard(text)
    found = {name: lookup(name) for name in tree.names}
    handlers = {name: h for name, h in found.items() if h is not None}
    if len(handlers) != len(found):
        return None

    def combined(context: object, /, **payload: Any) -> object:
        # Part by part: the first part that returns an awaitable (in asend,
        # an async guard) makes the rest a coroutine that awaits it and goes
        # on from there, so that no handler is called twice.
        walk = _walk(tree)
        name = next(walk)
        while True:
            held = handlers[name](context, **payload)
            if inspect.isawaitable(held):
                return _finish(walk, held, handlers, context, payload)
            try:
                name = walk.send(held)
            except StopIteration as stop:
                return cast("bool", stop.value)

    if any(_is_async(h) for h in handlers.values()):

        async def combined_async(context: object, /, **payload: Any) -> bool:
            held = combined(context, **payload)
            if inspect.isawaitable(held):
                held = await held
            return cast("bool", held)

        return combined_async
    return combined


def _walk(guard: Guard) -> Generator[str, object, bool]:
    """Evaluate ``guard``: yields each name it needs, is sent that name's value."""
    if guard.op == "name":
        held = yield guard.name
        return bool(held)
    if guard.op == "not":
        return not (yield from _walk(guard.operands[0]))
    wanted = guard.op == "or"  # the value that decides
    for part in guard.operands:
        if (yield from _walk(part)) is wanted:
            return wanted
    return not wanted


async def _finish(
    walk: Generator[str, object, bool],
    held: object,
    handlers: Mapping[str, Callable[..., object]],
    context: object,
    payload: dict[str, Any],
) -> bool:
    """Go on with ``walk`` from ``held``, awaiting each value that is awaitable."""
    while True:
        if inspect.isawaitable(held):
            held = await held
        try:
            name = walk.send(held)
        except StopIteration as stop:
            return cast("bool", stop.value)
        held = handlers[name](context, **payload)


def _is_async(handler: Callable[..., object]) -> bool:
    target: object = getattr(handler, "__wrapped__", handler)
    return inspect.iscoroutinefunction(target)
