"""Payload types: a small grammar of Python type expressions, read without eval.

A payload's annotation comes from a spec (the DSL's ``%% types:`` directive,
JSON ``params``, ``Transition(params=...)``), and a spec may come from someone
you do not fully trust. Code generation writes annotations into Python source,
where ``typing.get_type_hints`` evaluates them, so an annotation must be a type
and nothing else. The grammar::

    type      := primary ('|' primary)*
    primary   := dotted ('[' args ']')* | 'None' | STRING
    dotted    := NAME ('.' NAME)*              no segment starts with '__'
    args      := arg (',' arg)*
    arg       := type | '...' | '[' [type (',' type)*] ']'
                                               a list only first in Callable[...]
    STRING    := a forward reference: quoted text that is itself a type

Inside ``Literal[...]`` (also ``typing.Literal``, ``typing_extensions.Literal``)
the arguments are values instead: strings, integers (``-1`` too), ``True``,
``False``, ``None``, dotted names (enum members) and nested ``Literal[...]``.

Everything else is refused: calls, attribute access on anything but a dotted
name, lambdas, comprehensions, ``:=``, f-strings and other string prefixes,
escapes in strings, starred expressions, operators other than ``|``. The
tokenizer and the parser are linear in the text, and nesting (brackets and
quotes) deeper than :data:`fsm.MAX_DEPTH`, the one nesting limit, is refused,
so no input can make them slow or overflow the stack.

Every accepted annotation has one canonical text: no space except
``", "`` between arguments and ``" | "`` between alternatives, strings in
double quotes (single quotes when the text holds a double quote). A Machine
holds only canonical annotations; the loaders canonicalise what they read.
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata

from ._errors import SHOWN, SHOWN_TYPE, FSMError
from ._limits import MAX_DEPTH

__all__ = ["AnnotationError", "annotation_problem", "canonical", "parse_types"]

_NAME = re.compile(r"[^\W\d]\w*")
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"[ \t]*")
_PARAM = re.compile(r"[^:,)]*")
_PLAIN = re.compile(r"[^\"'()\[\],]*")
_LITERALS = frozenset({"Literal", "typing.Literal", "typing_extensions.Literal"})
_VALUES = frozenset({"True", "False", "None"})
_OPERATORS = "+-*/%&^~<>=!@"
_PUNCTUATION = "[](),|:"


class AnnotationError(FSMError, ValueError):
    """A text that is not a payload type of the grammar.

    Attributes:
        message: what is wrong, naming the culprit.
        offset: the 0-based position of the offending token in the text.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __reduce__(self) -> tuple[type[AnnotationError], tuple[str, int], dict[str, object]]:
        # The third item keeps what else is in __dict__, such as __notes__.
        return (type(self), (self.message, self.offset), self.__dict__)


def canonical(text: str) -> str:
    """The canonical form of the payload type ``text`` (``fsm.canonical_annotation``).

    A Machine holds payload types in this form only; a tool that reads
    annotations from elsewhere (a signature, a file) passes them through this
    first. Nothing is imported or evaluated.

    Raises:
        AnnotationError: ``text`` is not a type of the grammar; ``offset`` is
            the 0-based position of the offending token.

    Examples:
        >>> from fsm import canonical_annotation as canonical
        >>> canonical(" dict[str,list[ int ]]|None ")
        'dict[str, list[int]] | None'
        >>> canonical("__import__('os')")
        Traceback (most recent call last):
          ...
        fsm.AnnotationError: names starting with '__' are not allowed in a type (got '__import__')
    """
    parser = _Parser(text, 0, len(text), 0)
    result = parser.union(0)
    parser.expect_end()
    return result


@functools.lru_cache(maxsize=4096)
def annotation_problem(text: str) -> str | None:
    """Why ``text`` cannot be a payload's annotation in a Machine, or None.

    A Machine holds canonical annotations only, so that every writer carries
    them exactly and every reader gives back the same text.
    """
    try:
        form = canonical(text)
    except AnnotationError as error:
        return f"annotation {text!r} is not a type: {error.message} (at offset {error.offset})"
    if form != text:
        return f"annotation {text!r} is not in canonical form; write {form!r}"
    return None


def parse_types(
    body: str,
) -> tuple[list[tuple[str, int, tuple[tuple[str, str | None], ...]]], list[tuple[int, str]]]:
    """Read the body of a ``%% types:`` directive: ``event(name: type, ...), ...``.

    Returns:
        The events, each ``(event, offset, params)`` with canonical
        annotations, and the problems, each ``(offset, message)``, at most one
        per event item. Offsets are 0-based in ``body``.
    """
    events: list[tuple[str, int, tuple[tuple[str, str | None], ...]]] = []
    problems: list[tuple[int, str]] = []
    for start, stop in _items(body):
        try:
            parser = _Parser(body, start, stop, 0)
            if parser.token.kind == "end":
                continue  # an empty item, as in a trailing comma
            events.append(parser.types_item())
        except AnnotationError as error:
            problems.append((error.offset, error.message))
    return events, problems


def _items(body: str) -> list[tuple[int, int]]:
    """The spans of the comma-separated items, outside brackets and quotes."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    i = 0
    size = len(body)
    while True:
        i = _PLAIN.match(body, i).end()  # type: ignore[union-attr]  # always matches
        if i >= size:
            break
        char = body[i]
        if char in "\"'":
            close = body.find(char, i + 1)
            i = size if close < 0 else close + 1
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0:  # a comma
            spans.append((start, i))
            start = i + 1
        i += 1
    spans.append((start, size))
    return spans


def _quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


class _Token:
    __slots__ = ("kind", "start", "text")

    def __init__(self, kind: str, text: str, start: int) -> None:
        self.kind = kind  # name, str, int, ..., op, end
        self.text = text  # for str: the text between the quotes
        self.start = start


class _Parser:
    """A recursive-descent parser over tokens made on demand from text[pos:stop]."""

    def __init__(self, text: str, pos: int, stop: int, origin: int) -> None:
        self.text = text
        self.pos = pos
        self.stop = stop
        self.origin = origin  # offsets in errors are counted from here
        self.token = self._next()

    # -- tokens -------------------------------------------------------------------------

    def fail(self, message: str, at: int) -> AnnotationError:
        return AnnotationError(message, at - self.origin)

    def advance(self) -> _Token:
        token = self.token
        self.token = self._next()
        return token

    def _next(self) -> _Token:
        text, stop = self.text, self.stop
        i = _SPACES.match(text, self.pos, stop).end()  # type: ignore[union-attr]  # always matches
        if i >= stop:
            self.pos = i
            return _Token("end", "", i)
        char = text[i]
        if char in "\"'":
            return self._string(i)
        if char in "0123456789":
            match = _DIGITS.match(text, i, stop)
            end = match.end() if match else i + 1
            if end < stop and (text[end] == "." or text[end].isalnum() or text[end] == "_"):
                raise self.fail(
                    f"{text[i : end + 1]!r}...: a number in a type must be a plain integer "
                    f"such as 3, inside Literal[...]",
                    i,
                )
            if len(text[i:end]) > 1 and text[i] == "0":
                raise self.fail(f"the integer {text[i:end]!r} has a leading zero", i)
            self.pos = end
            return _Token("int", text[i:end], i)
        match = _NAME.match(text, i, stop)
        if match:
            end = match.end()
            if end < stop and text[end] in "\"'":
                raise self.fail(
                    f"string prefixes such as {match.group()}'...' (f-strings, bytes, raw "
                    f"strings) are not allowed in a type; write a plain quoted string",
                    i,
                )
            self.pos = end
            return _Token("name", match.group(), i)
        if text.startswith("...", i):
            self.pos = i + 3
            return _Token("...", "...", i)
        if char == ":" and i + 1 < stop and text[i + 1] == "=":
            raise self.fail("the walrus operator ':=' is not allowed in a type", i)
        if char in _PUNCTUATION or char in ".-":
            self.pos = i + 1
            return _Token("op", char, i)
        if char == "*":
            raise self.fail("starred expressions ('*') are not allowed in a type", i)
        if char in _OPERATORS:
            raise self.fail(
                f"the operator {char!r} is not allowed in a type; only '|' joins types", i
            )
        if char in "{}":
            raise self.fail("braces (dicts, sets, comprehensions) are not allowed in a type", i)
        if char == "\\":
            raise self.fail("a backslash is not allowed in a type", i)
        raise self.fail(f"the character {char!r} (U+{ord(char):04X}) is not allowed in a type", i)

    def _string(self, i: int) -> _Token:
        text, quote = self.text, self.text[i]
        end = text.find(quote, i + 1, self.stop)
        if end < 0:
            raise self.fail(f"the string starting with {quote} is never closed", i)
        value = text[i + 1 : end]
        for k, char in enumerate(value):
            if char == "\\":
                raise self.fail("escapes ('\\') are not allowed in a type's strings", i + 1 + k)
            if not char.isprintable():
                raise self.fail(
                    f"the character U+{ord(char):04X} is not allowed in a type's strings",
                    i + 1 + k,
                )
        if "%%" in value:
            raise self.fail(
                "'%%' is not allowed in a type's strings (Mermaid reads it as a directive)",
                i + 1 + value.index("%%"),
            )
        if '"' in value and "'" in value:
            raise self.fail(
                "a string in a type cannot hold both kinds of quotes (escapes are not allowed)",
                i,
            )
        self.pos = end + 1
        return _Token("str", value, i)

    def at(self, op: str) -> bool:
        return self.token.kind == "op" and self.token.text == op

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.unexpected("the end of the type")

    def unexpected(self, wanted: str) -> AnnotationError:
        token = self.token
        if token.kind == "end":
            return self.fail(f"the type ends early; expected {wanted}", token.start)
        if token.kind == "op" and token.text == "(":
            return self.fail("calls and parentheses are not allowed in a type", token.start)
        if token.kind == "op" and token.text == ".":
            return self.fail(
                "attribute access is allowed only on a dotted name (such as 'decimal.Decimal')",
                token.start,
            )
        if token.kind == "op" and token.text == "-":
            return self.fail(
                "the operator '-' is not allowed in a type; only '|' joins types", token.start
            )
        shown = token.text if token.kind != "str" else _quote(token.text)
        return self.fail(f"expected {wanted}, got {shown!r:.{SHOWN_TYPE}}", token.start)

    # -- types ---------------------------------------------------------------------------

    def union(self, depth: int) -> str:
        parts = [self.primary(depth)]
        while self.at("|"):
            self.advance()
            parts.append(self.primary(depth))
        return " | ".join(parts)

    def primary(self, depth: int) -> str:
        token = self.token
        if token.kind == "str":
            self.advance()
            return self.forward_reference(token, depth)
        if token.kind != "name":
            if token.kind == "int":
                raise self.fail("numbers are allowed only inside Literal[...]", token.start)
            if self.at("["):
                raise self.fail(
                    "a list is allowed only as the first argument of Callable[...]", token.start
                )
            if token.kind == "...":
                raise self.fail("'...' is allowed only inside brackets", token.start)
            raise self.unexpected("a type")
        name = self.dotted()
        if name in ("True", "False"):
            raise self.fail(f"{name} is allowed only inside Literal[...]", token.start)
        if name == "None":
            return name
        result = name
        while self.at("["):
            result += self.subscript(name, depth)
            name = ""  # a second subscript applies to a generic alias, not to Literal
        if self.at(".") or self.at("("):
            raise self.unexpected("'|', ',' or ']'")
        return result

    def dotted(self) -> str:
        segments: list[str] = []
        while True:
            token = self.token
            if token.kind != "name":
                raise self.unexpected("a name after '.'")
            self.check_name(token)
            segments.append(token.text)
            self.advance()
            if not self.at("."):
                break
            self.advance()
        if len(segments) > 1 and any(s in _VALUES for s in segments):
            raise self.fail(f"{'.'.join(segments)!r} is not a type", token.start)
        return ".".join(segments)

    def check_name(self, token: _Token) -> None:
        name = token.text
        if name.startswith("__"):
            raise self.fail(
                f"names starting with '__' are not allowed in a type (got {name!r})", token.start
            )
        if keyword.iskeyword(name) and name not in _VALUES:
            raise self.fail(f"the Python keyword {name!r} is not allowed in a type", token.start)
        if not name.isascii() and (
            not name.isidentifier() or unicodedata.normalize("NFKC", name) != name
        ):
            raise self.fail(
                f"{name!r} is not a name Python reads as written; use its NFKC form "
                f"{unicodedata.normalize('NFKC', name)!r}",
                token.start,
            )

    def subscript(self, base: str, depth: int) -> str:
        opening = self.advance()
        if depth + 1 > MAX_DEPTH:
            raise self.fail(f"the type is nested deeper than {MAX_DEPTH} levels", opening.start)
        literal = base in _LITERALS
        callable_ = base.rpartition(".")[2] == "Callable"
        args: list[str] = []
        while True:
            if literal:
                args.append(self.literal_value(depth + 1))
            elif self.token.kind == "...":
                self.advance()
                args.append("...")
            elif callable_ and not args and self.at("["):
                args.append(self.parameter_list(depth + 1))
            else:
                args.append(self.union(depth + 1))
            if self.at("]"):
                self.advance()
                return "[" + ", ".join(args) + "]"
            if not self.at(","):
                raise self.unexpected("',' or ']'")
            self.advance()

    def parameter_list(self, depth: int) -> str:
        opening = self.advance()
        if depth + 1 > MAX_DEPTH:
            raise self.fail(f"the type is nested deeper than {MAX_DEPTH} levels", opening.start)
        items: list[str] = []
        if self.at("]"):
            self.advance()
            return "[]"
        while True:
            items.append(self.union(depth + 1))
            if self.at("]"):
                self.advance()
                return "[" + ", ".join(items) + "]"
            if not self.at(","):
                raise self.unexpected("',' or ']'")
            self.advance()

    def literal_value(self, depth: int) -> str:
        token = self.token
        if token.kind == "str":
            self.advance()
            return _quote(token.text)
        if token.kind == "int":
            self.advance()
            return token.text
        if self.at("-"):
            self.advance()
            if self.token.kind != "int":
                raise self.unexpected("an integer after '-'")
            return "-" + self.advance().text
        if token.kind == "name":
            name = self.dotted()
            if self.at("["):
                if name not in _LITERALS:
                    raise self.fail(
                        "inside Literal[...] only values and Literal[...] are allowed",
                        self.token.start,
                    )
                name += self.subscript(name, depth)
            if self.at(".") or self.at("("):
                raise self.unexpected("',' or ']'")
            return name
        raise self.unexpected("a value (a string, an integer, True, False, None or a name)")

    def forward_reference(self, token: _Token, depth: int) -> str:
        if depth + 1 > MAX_DEPTH:
            raise self.fail(f"the type is nested deeper than {MAX_DEPTH} levels", token.start)
        start = token.start + 1
        inner = _Parser(self.text, start, start + len(token.text), self.origin)
        if inner.token.kind == "end":
            raise self.fail("an empty string is not a type", token.start)
        form = inner.union(depth + 1)
        inner.expect_end()
        if '"' in form and "'" in form:
            raise self.fail(
                "this forward reference needs both kinds of quotes; write the type "
                "without the outer quotes",
                token.start,
            )
        return _quote(form)

    # -- the types directive --------------------------------------------------------------

    def types_item(self) -> tuple[str, int, tuple[tuple[str, str | None], ...]]:
        start = self.token.start
        token = self.token
        if token.kind != "name" or not token.text.isascii():
            raise self.bad_item(start, start)
        self.advance()
        params: list[tuple[str, str | None]] = []
        if self.at("("):
            self.advance()
            while not self.at(")"):
                params.append(self.types_param())
                if self.at(","):
                    self.advance()
                elif not self.at(")"):
                    raise self.unexpected("',' or ')' after a payload's type")
            self.advance()
        if self.token.kind != "end":
            raise self.bad_item(start, self.token.start)
        return token.text, start - self.origin, tuple(params)

    def bad_item(self, start: int, at: int) -> AnnotationError:
        item = self.text[start : self.stop].strip()
        shown = repr(item) if len(item) <= SHOWN else repr(item[:SHOWN]) + "..."
        return self.fail(
            f"cannot read {shown} in the types directive; write 'event(name: type, ...)', "
            f"for example 'assign(task: str)'",
            at,
        )

    def types_param(self) -> tuple[str, str | None]:
        token = self.token
        end = _PARAM.match(self.text, token.start, self.stop).end()  # type: ignore[union-attr]
        raw = self.text[token.start : end].strip()
        if token.kind != "name" or raw != token.text or not raw.isascii():
            raise self.fail(f"payload name {raw!r} is not an identifier", token.start)
        self.advance()
        if not self.at(":"):
            return token.text, None
        self.advance()
        if self.token.kind == "end" or self.at(",") or self.at(")"):
            raise self.fail(f"payload {token.text!r} has ':' but no type after it", token.start)
        return token.text, self.union(0)
