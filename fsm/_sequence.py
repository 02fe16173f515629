"""A conversation's text form: a subset of Mermaid ``sequenceDiagram``.

Every text this module reads or writes is a diagram Mermaid 10 and 11 draw
(GitHub renders it). The grammar, line by line (blank lines and ``%%``
comments may stand anywhere)::

    ---                                  optional front matter; its ``title``
    title: Two buyers                    is the conversation's name
    ---
    sequenceDiagram                      the header
    %% types: quote(price: int)          payload types, as in the state DSL
    participant B as Buyer               a role (``actor`` too), with a display name
    B->>S: title(name)                   a message (``-->>`` too: a reply)
    alt the seller has it                a choice; its description is free text
        S->>B: quote(price)
    else
        S->>B: unavailable
    end
    opt                                  a choice between the block and nothing
    loop                                 the block zero or more times
    end

``autonumber`` (``autonumber 10 5``, ``autonumber off``),
``activate``/``deactivate``, a ``+``/``-`` activation on an arrow, one-line
notes (beside one participant, over one or two: ``Note over A,B: ...``),
``title``, ``accTitle`` and ``accDescr`` lines are read and ignored: they
change the drawing, not the protocol. As in Mermaid, deactivating a
participant that is not active is refused. ``par``, ``critical``,
``break``, ``rect``, ``box``, ``create``, ``destroy``, links, the other
arrows (``->``, ``-x``, ``-)``, ...) and ``;`` between statements are refused
with the line, the column and what to write.
Lines break where Mermaid breaks them (``\n``, ``\r\n``, ``\r``); a line holding
another character Python would break at (U+000C, U+0085, U+2028, ...) is refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import attrs

from ._annotation import parse_types
from ._conversation import (
    SEQUENCE_KEYWORDS,
    Choice,
    Conversation,
    Interaction,
    Loop,
    Message,
    text_problem,
)
from ._dsl import (
    _mermaid_lines,  # pyright: ignore[reportPrivateUsage]
    _odd_break,  # pyright: ignore[reportPrivateUsage]
)
from ._dsl_writer import _yaml_title  # pyright: ignore[reportPrivateUsage]
from ._errors import MAX_PROBLEMS, SHOWN_WORD, DefinitionError, Problem
from ._limits import MAX_DEPTH

__all__ = ["dumps_conversation", "load_conversation", "parse_conversation"]

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_HEADER: Final = re.compile(r"sequenceDiagram\s*\Z")
_TYPES: Final = re.compile(r"%%\s*types\s*:(.*)\Z")
# Statements are matched stripped, so no pattern needs to skip trailing spaces
# (a lazy ``(.*?)\s*\Z`` would be quadratic on a run of inner spaces).
_PARTICIPANT: Final = re.compile(r"(participant|actor)\s+(\S+)(?:\s+as\s+(.*))?\Z")
# sender, arrow, activation, receiver, text; the arrow is any Mermaid arrow, so
# the ones we do not read get a precise error. Each run of spaces has one way to
# match (two optional runs side by side would make a failing match quadratic).
_MESSAGE: Final = re.compile(
    r"([^\s:;<>+-]+)\s*(<<-->>|<<->>|-->>|->>|-->|->|--x|-x|--\)|-\)|--|-)"
    r"\s*(?:([+-])\s*)?([^\s:;]+)\s*:(.*)\Z"
)
_ARROWS: Final = {"->>": "message", "-->>": "reply"}
_LABEL: Final = re.compile(rf"({_ID})\s*(?:\(([^()]*)\)\s*)?\Z")
_BLOCK: Final = re.compile(r"(alt|else|opt|loop|end)(?:\s+(.*))?\Z")
_REFUSED: Final = re.compile(
    r"(par_over|par|and|critical|option|break|rect|box|create|destroy|links|link|"
    r"properties|details)(\s|\Z)"
)
_IGNORED: Final = re.compile(
    r"(autonumber(\s+(off|\d+(\s+\d+)?))?\Z|title(\s|:)|accTitle\s*:|accDescr\s*[:{])"
)
# One participant beside, one or two over: what Mermaid reads.
_NOTE: Final = re.compile(
    r"note\s+(left of\s+[^\s,:]+|right of\s+[^\s,:]+|over\s+[^\s,:]+(\s*,\s*[^\s,:]+)?)"
    r"\s*:.*\Z",
    re.IGNORECASE,
)
_ACTIVATION: Final = re.compile(r"(activate|deactivate)\s(\S+)\Z")


@attrs.define
class _Block:
    kind: str  # "alt", "opt", "loop" or "root"
    line: int
    column: int
    branches: list[list[Interaction]]
    descriptions: list[str]
    # (line, column) of the first message of each branch, for the model's errors.


class _Parser:
    def __init__(self, text: str, name: str | None, filename: str | None) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self.lines = _mermaid_lines(text)
        self.filename = filename
        self.name = name
        self.title: str | None = None
        self.problems: list[Problem] = []
        self.roles: dict[str, None] = {}
        self.aliases: dict[str, str] = {}
        self.actors: set[str] = set()
        self.active: dict[str, int] = {}
        self.types: dict[str, tuple[tuple[str, str | None], ...]] = {}
        self.type_lines: dict[str, int] = {}
        self.used_labels: set[str] = set()
        self.payloads: dict[str, tuple[tuple[str, ...], int]] = {}

    def error(self, line: int, column: int, message: str) -> None:
        source = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        self.problems.append(
            Problem(message, line=line, column=column, source_line=source, filename=self.filename)
        )

    def run(self) -> Conversation:
        n = self._front_matter()
        header = False
        stack = [_Block("root", 0, 0, [[]], [""])]
        total = len(self.lines)
        # The types directives first: one may stand after the messages it types.
        for number in range(n, total):
            raw = self.lines[number]
            text = raw.strip()
            if text.startswith("%%") and _odd_break(raw) is None:
                match = _TYPES.match(text)
                if match:
                    column = len(raw) - len(raw.lstrip()) + 1
                    self._types(match.group(1), number + 1, column + match.start(1))
        while n < total:
            if len(self.problems) >= MAX_PROBLEMS:
                self.error(
                    n + 1,
                    1,
                    f"stopped reading here, after {MAX_PROBLEMS} problems; fix them and read "
                    f"the text again",
                )
                raise DefinitionError(self.problems)
            raw = self.lines[n]
            n += 1
            text = raw.strip()
            column = len(raw) - len(raw.lstrip()) + 1
            odd = _odd_break(raw)
            if odd is not None:
                self.error(n, *odd)
                continue
            if not text:
                continue
            if text.startswith("%%"):
                continue
            if not header:
                if _HEADER.match(text):
                    header = True
                    continue
                self.error(
                    n,
                    column,
                    "expected the header 'sequenceDiagram' before any statement; a "
                    "conversation is a Mermaid sequence diagram",
                )
                raise DefinitionError(self.problems)
            self._statement(text, n, column, stack)
        if not header:
            self.error(
                max(total, 1),
                1,
                "no 'sequenceDiagram' header found; the text is empty or not a Mermaid "
                "sequence diagram",
            )
            raise DefinitionError(self.problems)
        while len(stack) > 1:
            block = stack.pop()
            self.error(
                block.line, block.column, f"this {block.kind} block is never closed; add 'end'"
            )
        for label, line in self.type_lines.items():
            if label not in self.used_labels:
                self.error(line, 1, f"the types directive names {label!r}, which no message uses")
        if self.problems:
            raise DefinitionError(self.problems)
        name = self.title or self.name or "Conversation"
        try:
            return Conversation(
                name,
                tuple(self.roles),
                tuple(stack[0].branches[0]),
                aliases=self.aliases,
                actors=self.actors,
            )
        except DefinitionError as error:
            raise DefinitionError(
                [attrs.evolve(p, filename=self.filename) for p in error.problems]
            ) from None

    def _front_matter(self) -> int:
        lines = self.lines
        if not lines or lines[0].strip() != "---":
            return 0
        for n in range(1, len(lines)):
            line = lines[n]
            if line.strip() == "---":
                return n + 1
            key, sep, value = line.partition(":")
            if sep and key.strip() == "title" and line[:1] not in (" ", "\t"):
                self.title = _read_title(value.strip())
        self.error(1, 1, "front matter opened with '---' is never closed; add a line '---'")
        raise DefinitionError(self.problems)

    def _types(self, body: str, line: int, column: int) -> None:
        events, problems = parse_types(body)
        for offset, message in problems:
            self.error(line, column + offset, message)
        for label, offset, params in events:
            if label in self.types:
                self.error(
                    line,
                    column + offset,
                    f"types of message {label!r} are given twice (first on line "
                    f"{self.type_lines[label]}); keep one",
                )
                continue
            self.types[label] = params
            self.type_lines[label] = line

    def _role(self, name: str, line: int, column: int) -> bool:
        if not re.fullmatch(_ID, name):
            self.error(
                line,
                column,
                f"role {name[:SHOWN_WORD]!r} is not a name; a role is an identifier "
                f"([A-Za-z_][A-Za-z0-9_]*); write 'participant Id as Display name' for a "
                f"name with spaces",
            )
            return False
        if name.lower() in SEQUENCE_KEYWORDS:
            self.error(
                line,
                column,
                f"role {name!r} is a Mermaid sequenceDiagram keyword (any casing); rename it",
            )
            return False
        self.roles.setdefault(name)
        return True

    def _statement(self, text: str, line: int, column: int, stack: list[_Block]) -> None:
        if ";" in text:
            self.error(
                line,
                column + text.index(";"),
                "';' separates statements in Mermaid; write one statement a line",
            )
            return
        match = _PARTICIPANT.match(text)
        if match:
            kind, name, alias = match.groups()
            at = column + match.start(2)
            if self._role(name, line, at):
                if name in self.aliases or name in self.actors:
                    self.error(line, at, f"role {name!r} is declared twice; declare it once")
                if alias:
                    why = text_problem(alias, f"alias of role {name!r}")
                    if why is not None:
                        self.error(line, column + match.start(3), why)
                    self.aliases[name] = alias
                if kind == "actor":
                    self.actors.add(name)
            return
        match = _MESSAGE.match(text)
        if match:
            self._message(match, line, column, stack)
            return
        match = _BLOCK.match(text)
        if match:
            self._block(match.group(1), match.group(2) or "", line, column, stack)
            return
        match = _REFUSED.match(text)
        if match:
            word = match.group(1)
            fix = {
                "par": "a conversation here is one sequence; write the messages in one order",
                "and": "a conversation here is one sequence; write the messages in one order",
                "critical": "write the outcomes as an 'alt' block",
                "option": "write the outcomes as an 'alt' block",
                "break": "write the way out as an 'alt' block",
            }.get(word, "remove it")
            self.error(line, column, f"'{word}' is not modelled in a conversation; {fix}")
            if word in ("par", "critical", "break", "rect", "box"):
                # Its 'end' closes it, and what is inside is not read.
                stack.append(_Block("refused", line, column, [[]], [""]))
            return
        match = _ACTIVATION.match(text)
        if match:
            self._activate(match.group(2), match.group(1) == "activate", line, column)
            return
        if _IGNORED.match(text) or _NOTE.match(text):
            return
        self.error(
            line,
            column,
            f"cannot read {text[:SHOWN_WORD]!r}: expected 'participant', 'actor', a message "
            f"'A->>B: label(payload)', 'alt', 'else', 'opt', 'loop' or 'end'",
        )

    def _activate(self, name: str, on: bool, line: int, column: int) -> None:
        # Mermaid counts activations in the order of the text and refuses a
        # deactivation of a participant that is not active.
        count = self.active.get(name, 0)
        if on:
            self.active[name] = count + 1
        elif count == 0:
            self.error(
                line,
                column,
                f"{name[:SHOWN_WORD]!r} is deactivated but is not active; remove the "
                f"deactivation (Mermaid refuses it)",
            )
        else:
            self.active[name] = count - 1

    def _message(self, match: re.Match[str], line: int, column: int, stack: list[_Block]) -> None:
        sender, arrow, activation, receiver, label_text = match.groups()
        if arrow not in _ARROWS:
            self.error(
                line,
                column + match.start(2),
                f"arrow {arrow!r} is not read in a conversation; write '->>' for a message "
                f"(or '-->>' for a reply)",
            )
            return
        if activation == "+":
            self._activate(receiver, True, line, column)
        elif activation == "-":
            self._activate(sender, False, line, column)
        ok = self._role(sender, line, column + match.start(1))
        ok = self._role(receiver, line, column + match.start(4)) and ok
        at = column + match.start(5) + len(label_text) - len(label_text.lstrip())
        found = _LABEL.match(label_text.strip())
        if not found:
            self.error(
                line,
                at,
                f"cannot read the message {label_text.strip()[:SHOWN_WORD]!r}; write "
                f"'label' or 'label(name, ...)' with identifiers",
            )
            return
        label, names_text = found.groups()
        names = (
            tuple(n.strip() for n in names_text.split(","))
            if names_text is not None and names_text.strip()
            else ()
        )
        bad = [n for n in names if not re.fullmatch(_ID, n)]
        if bad:
            self.error(line, at, f"payload name {bad[0][:SHOWN_WORD]!r} is not an identifier")
            return
        if sender == receiver and ok:
            self.error(
                line,
                column,
                f"{sender!r} sends {label!r} to itself; a message goes to another role",
            )
            return
        if not ok:
            return
        self.used_labels.add(label)
        earlier = self.payloads.setdefault(label, (names, line))
        if names_text is not None and earlier[0] != names:
            self.error(
                line,
                at,
                f"payload ({', '.join(names)}) of {label!r} differs from its payload on line "
                f"{earlier[1]} ({', '.join(earlier[0])}); give every message of one label "
                f"the same payload",
            )
            return
        if names_text is None:
            names = earlier[0]  # a bare label: the payload written before
        declared = self.types.get(label)
        params: tuple[tuple[str, str | None], ...] = tuple((n, None) for n in names)
        if declared is not None:
            if names_text is None or names == tuple(p for p, _ in declared):
                params = declared
            else:
                self.error(
                    line,
                    at,
                    f"payload ({', '.join(names)}) of {label!r} does not match its types "
                    f"directive on line {self.type_lines[label]} "
                    f"({', '.join(p for p, _ in declared)}); use the same names in order",
                )
                return
        stack[-1].branches[-1].append(Message(sender, receiver, label, params))

    def _block(self, word: str, rest: str, line: int, column: int, stack: list[_Block]) -> None:
        if word in ("alt", "opt", "loop"):
            if len(stack) > MAX_DEPTH:
                self.error(
                    line,
                    column,
                    f"alt, opt and loop blocks nest more than {MAX_DEPTH} deep (the limit, "
                    f"fsm.MAX_DEPTH); flatten the conversation",
                )
                raise DefinitionError(self.problems)
            stack.append(_Block(word, line, column, [[]], [rest]))
            return
        top = stack[-1]
        if word == "else":
            if top.kind == "refused":
                return
            if top.kind != "alt":
                where = "outside any block" if top.kind == "root" else f"in a {top.kind} block"
                self.error(line, column, f"'else' {where}; 'else' belongs in an 'alt' block")
                return
            top.branches.append([])
            top.descriptions.append(rest)
            return
        if rest:
            self.error(line, column + 4, "'end' takes nothing after it")
        if top.kind == "root":
            self.error(line, column, "'end' closes no block; remove it")
            return
        stack.pop()
        if top.kind == "refused":
            return
        made: Interaction
        if top.kind == "loop":
            made = Loop(tuple(top.branches[0]), top.descriptions[0])
            if not _first_sender(top.branches[0]):
                self.error(
                    top.line,
                    top.column,
                    "this loop holds no message; a loop must hold at least one message",
                )
                return
        else:
            branches = [tuple(b) for b in top.branches]
            descriptions = list(top.descriptions)
            if top.kind == "opt":
                branches.append(())
                descriptions.append("")
            at = next((s for b in branches if (s := _first_sender(b))), None)
            if at is None:
                self.error(
                    top.line,
                    top.column,
                    f"this {top.kind} block holds no message; a choice needs a message to "
                    f"tell the branches apart",
                )
                return
            if not any(descriptions):
                descriptions = []
            made = Choice(at, branches, descriptions)
        stack[-1].branches[-1].append(made)


def _first_sender(items: list[Interaction] | tuple[Interaction, ...]) -> str | None:
    """The sender of the first message of ``items`` (inside blocks too), or None."""
    for item in items:
        if isinstance(item, Message):
            return item.sender
        if isinstance(item, Loop):
            found = _first_sender(item.body)
        else:
            found = next((s for b in item.branches if (s := _first_sender(b))), None)
        if found is not None:
            return found
    return None


def _read_title(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        import json

        try:
            loaded = json.loads(value)
        except ValueError:
            return value
        return loaded if isinstance(loaded, str) else value
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value.split(" #", 1)[0].strip()


def parse_conversation(
    text: str, *, name: str | None = None, filename: str | None = None
) -> Conversation:
    """Read a conversation from a Mermaid ``sequenceDiagram`` (``fsm.parse_conversation``).

    Args:
        text: the diagram, optionally with front matter whose ``title`` is the
            conversation's name.
        name: the name when the text has no title (default ``"Conversation"``).
        filename: shown in error messages.

    Raises:
        DefinitionError: every problem found, each with its line, column and
            source line; what Mermaid draws but a conversation does not model
            (``par``, ``critical``, ``break``, other arrows, ...) among them.

    Examples:
        >>> import fsm
        >>> c = fsm.parse_conversation('''
        ... sequenceDiagram
        ...     Client->>Server: ask(question)
        ...     Server->>Client: answer
        ... ''')
        >>> c.roles, [m.event for m in c.messages()]
        (('Client', 'Server'), ['Client_ask_Server', 'Server_answer_Client'])
    """
    if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(
            f"parse_conversation() takes text (str), got {type(text).__name__}; use "
            f"fsm.load_conversation() for files"
        )
    return _Parser(text, name, filename).run()


def load_conversation(path: str | Path, *, name: str | None = None) -> Conversation:
    """Read a conversation from a file (``fsm.load_conversation``).

    A ``.json`` file holds the JSON form, a ``.md`` file the first fenced
    ``mermaid`` block that is a sequence diagram; any other file is the
    diagram itself (``.mmd``).

    Raises:
        DefinitionError: the file does not hold a valid conversation.
        OSError: the file cannot be read.
    """
    from . import _json

    path = Path(path)
    shown = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            Problem(
                f"the file is not UTF-8 text (at offset {exc.start}); save it as UTF-8",
                filename=shown,
            )
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        document = _json.read_text(text, shown)
        try:
            return Conversation.from_dict(document)
        except DefinitionError as exc:
            raise DefinitionError([attrs.evolve(p, filename=shown) for p in exc.problems]) from None
    if suffix in (".md", ".markdown"):
        lines = _mermaid_lines(text)
        start = None
        for n, line in enumerate(lines):
            if start is None and re.match(r" {0,3}(`{3,}|~{3,})\s*mermaid\s*\Z", line):
                start = n + 1
            elif start is not None and line.strip().startswith(("```", "~~~")):
                body = lines[start:n]
                if any(_HEADER.match(b.strip()) for b in body):
                    try:
                        return parse_conversation(
                            "\n".join(body), name=name or path.stem, filename=shown
                        )
                    except DefinitionError as exc:
                        raise DefinitionError(
                            [
                                attrs.evolve(p, line=p.line + start) if p.line else p
                                for p in exc.problems
                            ]
                        ) from None
                start = None
        raise DefinitionError(
            Problem(
                "no fenced ```mermaid block with a 'sequenceDiagram' in this Markdown file",
                filename=shown,
            )
        )
    return parse_conversation(text, name=name or path.stem, filename=shown)


def dumps_conversation(conversation: Conversation) -> str:
    """Write ``conversation`` as a Mermaid ``sequenceDiagram`` (``fsm.dumps_conversation``).

    ``fsm.parse_conversation(fsm.dumps_conversation(c)) == c`` for every
    conversation; payload types go in ``%% types:`` lines.

    Examples:
        >>> import fsm
        >>> text = "sequenceDiagram\\n  A->>B: ping(n)\\n  %% types: ping(n: int)"
        >>> c = fsm.parse_conversation(text)
        >>> print(fsm.dumps_conversation(c), end="")
        ---
        title: Conversation
        ---
        sequenceDiagram
            %% types: ping(n: int)
            participant A
            participant B
            A->>B: ping(n)
    """
    out = ["---", f"title: {_yaml_title(conversation.name)}", "---", "sequenceDiagram"]
    typed: dict[str, tuple[tuple[str, str | None], ...]] = {}
    for message in conversation.messages():
        if message.label not in typed and any(a is not None for _, a in message.params):
            typed[message.label] = message.params
    for label, params in typed.items():
        shown = ", ".join(p if a is None else f"{p}: {a}" for p, a in params)
        out.append(f"    %% types: {label}({shown})")
    for role in conversation.roles:
        kind = "actor" if role in conversation.actors else "participant"
        alias = conversation.aliases.get(role)
        out.append(f"    {kind} {role}" + (f" as {alias}" if alias else ""))
    # Depth first without recursion: an item is an interaction, or a line to write.
    work: list[tuple[Interaction | str, int]] = [(i, 1) for i in reversed(conversation.body)]
    while work:
        item, depth = work.pop()
        pad = "    " * depth
        if isinstance(item, str):
            out.append(pad + item)
        elif isinstance(item, Message):
            names = ", ".join(n for n, _ in item.params)
            text = f"{item.label}({names})" if item.params else item.label
            out.append(f"{pad}{item.sender}->>{item.receiver}: {text}")
        elif isinstance(item, Loop):
            out.append(pad + _opening("loop", item.description))
            work.append(("end", depth))
            work.extend((i, depth + 1) for i in reversed(item.body))
        else:
            texts = item.descriptions or ("",) * len(item.branches)
            is_opt = len(item.branches) == 2 and not item.branches[1] and not texts[1]
            later: list[tuple[Interaction | str, int]] = []
            for n, branch in enumerate(item.branches[:1] if is_opt else item.branches):
                if n:
                    later.append((_opening("else", texts[n]), depth))
                later.extend((i, depth + 1) for i in branch)
            later.append(("end", depth))
            out.append(pad + _opening("opt" if is_opt else "alt", texts[0]))
            work.extend(reversed(later))
    return "\n".join(out) + "\n"


def _opening(word: str, text: str) -> str:
    return f"{word} {text}" if text else word
