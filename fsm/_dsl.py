"""The text DSL: a strict subset of Mermaid ``stateDiagram-v2``.

Every file this module reads or writes is also a Mermaid diagram. The grammar,
line by line (blank lines and ``%%`` comments may stand anywhere)::

    ---                                 optional YAML front matter; its
    title: Agent                        ``title`` is the machine's name
    ---
    stateDiagram-v2                     the header (``stateDiagram`` also read)
    %% types: assign(task: str)         payload types, one or more events a line
    [*] --> Idle                        the initial state (top level, once)
    Idle --> Busy : assign(task) [ok] / log, notify
    Busy --> Stuck : timeout after 30s  a timer: units ms, s, m, h, d
    Busy --> Busy : internal ping       internal: no exit or enter hook
    Busy --> Idle : done [ok and not busy]   a guard combination
    Busy --> [*]                        Busy is final
    state Connected {                   a superstate; its substates inside
        [*] --> Busy                    the substate entered when targeted
        Busy
    }
    Idle                                declares a state (``state Idle`` too)
    Idle : waiting for work             a description (ignored)

``direction``, ``note``, ``classDef``, ``class``, ``style``, ``accTitle`` and
``accDescr`` lines are accepted and ignored. Concurrent regions (``--``) and the
``<<fork>>``, ``<<join>>`` and ``<<choice>>`` pseudostates are refused with an
error saying what to write instead.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Final

import attrs

from . import _json
from ._annotation import parse_types
from ._dsl_writer import dsl_lines as dsl_lines
from ._dsl_writer import dumps as dumps
from ._duration import DURATION, delay_problem, read_delay
from ._errors import MAX_PROBLEMS, SHOWN, SHOWN_WORD, DefinitionError, Problem
from ._guard import GuardError, is_combination, read_guard
from ._limits import MAX_DEPTH
from ._model import Machine
from ._names import is_name
from ._transition import Transition

__all__ = ["dumps", "load", "parse"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_STATE_REF = re.compile(rf"(\[\*\]|{_IDENT})(?::::{_IDENT})?")
_HEADER = re.compile(r"stateDiagram(?:-v2)?\s*\Z")
_TYPES = re.compile(r"%%\s*types\s*:(.*)\Z")
_IGNORED = re.compile(
    r"(direction\s+(TB|BT|LR|RL)|classDef\s|class\s|style\s|accTitle\s*:|accDescr\s*:)"
)
_NOTE_ONE_LINE = re.compile(rf"note\s+(left|right)\s+of\s+{_IDENT}\s*:")
_NOTE_BLOCK = re.compile(rf"note\s+(left|right)\s+of\s+{_IDENT}\s*\Z")
_STATE_DECL = re.compile(
    rf'state\s+(?:"(?P<desc>[^"]*)"\s+as\s+)?(?P<name>{_IDENT})'
    rf"(?P<rest>.*)\Z"
)
_PSEUDO = re.compile(r"<<\s*(fork|join|choice)\s*>>")

# The fast path: one pattern for the lines large files are made of. A line it
# matches whole means exactly what the statement reader would make of it, so
# the reader is skipped; any other line (a label with a guard, a block, a
# description, a typo, a character Mermaid does not break at) goes to the
# statement reader, which gives the same result and the same errors as before.
# Only spaces and tabs count as blanks here: other whitespace takes the full
# path. Each blank run is followed by a fixed token, so a failed match
# backtracks over each run once: time stays linear in the line.
_SPACE = r"[ \t]*"
_FAST: Final = re.compile(
    rf"{_SPACE}(?:"
    # 1-3: 'A --> B : event'; 1 and 4: 'A --> [*]'. A line starting with
    # 'class ', 'classDef ' or 'style ' is ignored and 'state ' starts a
    # declaration, so those words are no source here.
    rf"(?!(?:state|class|classDef|style)[ \t])({_IDENT}){_SPACE}-->{_SPACE}"
    rf"(?:({_IDENT}){_SPACE}:{_SPACE}({_IDENT})|(\[\*\])){_SPACE}"
    # 5: '[*] --> A'
    rf"|\[\*\]{_SPACE}-->{_SPACE}({_IDENT}){_SPACE}"
    # 6: 'A' or 'state A'
    rf"|(?:state[ \t]+)?({_IDENT}){_SPACE}"
    # 7: a comment that is no types directive and holds no odd line break
    r"|(%%)(?!.*types)[^\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*"
    r")?"
)

# ASCII characters str.split() and str.strip() take for blanks, other than
# spaces, tabs and the line breaks.
_ODD_BLANK: Final = re.compile("[\x0b\x0c\x1c-\x1f]")
# Words that make a line something else than a transition when they start it.
_NO_SOURCE: Final = frozenset({"state", "class", "classDef", "style"})

#: Off only in tests that compare the fast path with the statement reader.
_fast_path_enabled = True


@attrs.define
class _Block:
    """A ``state X { ... }`` block being read (the root block has no name)."""

    name: str | None
    line: int
    entry: str | None = None


@attrs.define
class _Reader:
    text_lines: list[str]
    filename: str | None
    problems: list[Problem] = attrs.Factory(list[Problem])

    def error(self, line: int, column: int, message: str) -> None:
        source = self.text_lines[line - 1] if 0 < line <= len(self.text_lines) else None
        self.problems.append(
            Problem(
                message,
                line=line,
                column=column,
                source_line=source,
                filename=self.filename,
            )
        )


def parse(text: str, *, name: str | None = None, filename: str | None = None) -> Machine:
    """Read a machine from DSL text (Mermaid ``stateDiagram-v2``).

    Args:
        text: the diagram text, optionally with YAML front matter.
        name: the machine's name when the text has no ``title``; defaults to
            ``"Machine"``.
        filename: shown in error messages.

    Raises:
        DefinitionError: the text is not a valid machine; every problem found is
            listed, each with its line, column, source line and a caret.

    Examples:
        >>> import fsm
        >>> m = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Idle
        ...     Idle --> Busy : start
        ...     Busy --> [*]
        ... ''')
        >>> m.states, m.initial, sorted(m.final)
        (('Idle', 'Busy'), 'Idle', ['Busy'])
    """
    if not isinstance(text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(
            f"parse() takes text (str), got {type(text).__name__}; use fsm.load() for files"
        )
    return _Parser(text, name, filename).run()


# Mermaid breaks lines at \n, \r\n and \r only. str.splitlines() also breaks at
# these characters, which Mermaid reads as part of the line: a line holding one
# is refused, so that we never read a statement Mermaid does not draw.
_ODD_BREAK: Final = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _mermaid_lines(text: str) -> list[str]:
    """The lines of ``text`` as Mermaid splits them (like ``str.splitlines()``)."""
    # str.split is several times faster than re.split: use it when it can.
    lines = text.split("\n") if "\r" not in text else re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    return lines


def _odd_break(raw: str) -> tuple[int, str] | None:
    """The column and message for a line break Mermaid does not break at."""
    found = _ODD_BREAK.search(raw)
    if found is None:
        return None
    return found.start() + 1, (
        f"character U+{ord(found.group()):04X} is not a line break in Mermaid (only \\n and "
        f"\\r are): Mermaid reads what follows it as part of this line; remove it"
    )


class _Parser:
    def __init__(self, text: str, name: str | None, filename: str | None) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        self.lines = _mermaid_lines(text)
        # Whether blanks are only spaces and tabs where a line is ASCII, so
        # that str.split() cuts a line where the statement reader does.
        self.blanks_plain = _ODD_BLANK.search(text) is None
        self.ascii = text.isascii()
        self.reader = _Reader(self.lines, filename)
        self.default_name = name
        self.title: str | None = None
        # Each state's number (in order of first mention) and where that was.
        self.states: dict[str, int] = {}
        self.state_lines = array("i")
        self.state_columns = array("i")
        self.parents: dict[str, tuple[str, int, int]] = {}  # state -> (block, line, col)
        self.blocks: dict[str, _Block] = {}
        self.open_blocks: set[str | None] = set()  # names of the blocks being read
        self.initial: tuple[str, int, int] | None = None
        self.final: dict[str, None] = {}
        # Transition i goes from state number source[i] to target[i] on event
        # number event[i]; rich[i] is the whole Transition when its label says
        # more than the event. line[i] and column[i] are where its label starts.
        self.events: dict[str, int] = {}
        self.source = array("i")
        self.event = array("i")
        self.target = array("i")
        self.rich: dict[int, Transition] = {}
        self.line = array("i")
        self.column = array("i")
        self.raw_params: dict[int, tuple[str, ...] | None] = {}
        self.structural = False  # a problem that makes the model's checks misleading
        self.types: dict[str, tuple[tuple[str, str | None], ...]] = {}
        self.type_lines: dict[str, int] = {}

    # -- driver -----------------------------------------------------------------

    def run(self) -> Machine:
        error = self.reader.error
        n = self._front_matter()
        header_seen = False
        stack: list[_Block] = [_Block(None, 0)]
        in_note: int | None = None
        total = len(self.lines)
        found_so_far = self.reader.problems
        fast = _fast_path_enabled
        while n < total:
            if fast and header_seen and in_note is None and len(found_so_far) < MAX_PROBLEMS:
                n = self._fast_lines(n, stack)
                if n == total:
                    break
            if len(found_so_far) >= MAX_PROBLEMS:
                # A broken file answers at once: a hundred problems are
                # enough to fix before reading on.
                error(
                    n + 1,
                    1,
                    f"stopped reading here, after {MAX_PROBLEMS} problems; fix them "
                    f"and read the text again",
                )
                raise DefinitionError(self.reader.problems)
            number = n + 1
            raw = self.lines[n]
            n += 1
            stripped = raw.strip()
            column = len(raw) - len(raw.lstrip()) + 1
            if in_note is not None:
                if stripped == "end note":
                    in_note = None
                continue
            odd = _odd_break(raw)
            if odd is not None:
                error(number, *odd)
                continue
            if not stripped:
                continue
            if stripped.startswith("%%"):
                match = _TYPES.match(stripped)
                if match:
                    self._types(match.group(1), number, column + match.start(1))
                continue
            if not header_seen:
                if _HEADER.match(stripped):
                    header_seen = True
                    continue
                error(
                    number,
                    column,
                    "expected the header 'stateDiagram-v2' before any statement; "
                    "a machine file is a Mermaid state diagram",
                )
                break
            if _NOTE_BLOCK.match(stripped):
                in_note = number
                continue
            if _NOTE_ONE_LINE.match(stripped) or _IGNORED.match(stripped):
                continue
            self._statement(stripped, number, column, stack)
        if not header_seen and not self.reader.problems:
            where = max(len(self.lines), 1)
            error(
                where,
                1,
                "no 'stateDiagram-v2' header found; the text is empty or not a Mermaid "
                "state diagram",
            )
        if in_note is not None:
            self.structural = True
            error(in_note, 1, "this note is never closed; add a line 'end note'")
        while len(stack) > 1:
            self.structural = True
            block = stack.pop()
            error(
                block.line,
                1,
                f"block of state {block.name!r} is never closed; add a line '}}'",
            )
        if not header_seen or self.structural:
            raise DefinitionError(self.reader.problems)
        # Build even after syntax problems, so that the model's problems (a
        # duplicate transition, say) are reported in the same error.
        found: list[Problem] = list(self.reader.problems)
        try:
            machine = self._build()
        except DefinitionError as exc:
            seen = set(found)
            for problem in exc.problems:
                if problem not in seen:
                    seen.add(problem)
                    found.append(problem)
            ordered: list[Problem] = sorted(found, key=_position)
            raise DefinitionError(ordered) from None
        return machine  # _build raises while any problem was found

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
                self.title = self._title(value.strip(), n + 1, len(key) + 2)
        self.structural = True
        self.reader.error(1, 1, "front matter opened with '---' is never closed; add a line '---'")
        return len(lines)

    def _title(self, value: str, line: int, column: int) -> str | None:
        if value.startswith('"'):
            try:
                loaded = json.loads(value)
            except ValueError:
                loaded = None
            if not isinstance(loaded, str):
                self.reader.error(
                    line,
                    column,
                    f"cannot read the quoted title {value}; check its quotes",
                )
                return None
            return loaded
        if value.startswith("'"):
            if len(value) < 2 or not value.endswith("'"):
                self.reader.error(
                    line,
                    column,
                    f"cannot read the quoted title {value}; check its quotes",
                )
                return None
            return value[1:-1].replace("''", "'")
        # A plain YAML scalar: a comment starts at ' #'.
        return value.split(" #", 1)[0].strip()

    # -- directives ----------------------------------------------------------------

    def _types(self, body: str, line: int, column: int) -> None:
        error = self.reader.error
        events, problems = parse_types(body)
        for offset, message in problems:
            error(line, column + offset, message)
        for event, offset, params in events:
            if event in self.types:
                error(
                    line,
                    column + offset,
                    f"types of event {event!r} are given twice (first on line "
                    f"{self.type_lines[event]}); keep one",
                )
                continue
            self.types[event] = params
            self.type_lines[event] = line

    # -- statements ------------------------------------------------------------------

    def _statement(self, text: str, line: int, column: int, stack: list[_Block]) -> None:
        error = self.reader.error
        if text == "}":
            if len(stack) == 1:
                self.structural = True
                error(
                    line,
                    column,
                    "'}' closes no block; remove it or open one with 'state X {'",
                )
            else:
                self.open_blocks.discard(stack.pop().name)
            return
        if text == "--":
            self.structural = True
            error(
                line,
                column,
                "concurrent regions ('--') are not supported; split the regions into "
                "separate machines and combine them with analysis.compose()",
            )
            return
        pseudo = _PSEUDO.search(text)
        if pseudo:
            self.structural = True
            kind = pseudo.group(1)
            fix = {
                "choice": "use guarded transitions instead, e.g. 'A --> B : e [ok]' and "
                "'A --> C : e [else]'",
                "fork": "split the parallel parts into separate machines and combine "
                "them with analysis.compose()",
                "join": "split the parallel parts into separate machines and combine "
                "them with analysis.compose()",
            }[kind]
            error(
                line,
                column + pseudo.start(),
                f"<<{kind}>> states are not supported; {fix}",
            )
            return
        if text.startswith(("state ", "state\t", 'state"')):
            self._state_decl(text, line, column, stack)
            return
        arrow = _find_arrow(text)
        if arrow is not None:
            self._transition(text, arrow, line, column, stack)
            return
        # A bare state, optionally with a description: 'Idle' or 'Idle : text'.
        # The name ends at the first ':', which also drops a ':::class' suffix.
        name = text.partition(":")[0].strip()
        if is_name(name):
            self._mention(name, line, column, stack)
            return
        if text.endswith("{"):
            error(
                line,
                column,
                "a block starts with 'state NAME {'; write 'state' before the name",
            )
            return
        error(
            line,
            column,
            f"cannot read {text[:SHOWN]!r}; expected a transition 'A --> B : event', a state "
            f"name, 'state X {{', or '}}'",
        )

    def _state_decl(self, text: str, line: int, column: int, stack: list[_Block]) -> None:
        error = self.reader.error
        match = _STATE_DECL.match(text)
        if not match:
            error(
                line,
                column,
                f"cannot read {text[:SHOWN]!r}; write 'state NAME', 'state NAME {{' or "
                f"'state \"description\" as NAME'",
            )
            return
        name = match.group("name")
        name_col = column + match.start("name")
        rest = match.group("rest").strip()
        if rest.startswith(":::"):
            rest = re.sub(rf"^:::{_IDENT}", "", rest).strip()
        if rest.startswith(":"):
            rest = ""  # 'state X : description'
        if rest not in ("", "{"):
            error(
                line,
                column
                + match.start("rest")
                + (len(match.group("rest")) - len(match.group("rest").lstrip())),
                f"unexpected {rest[:SHOWN_WORD]!r} after 'state {name}'; only '{{' may follow",
            )
            return
        self._mention(name, line, name_col, stack)
        if rest == "{":
            if name in self.blocks:
                first = self.blocks[name].line
                error(
                    line,
                    name_col,
                    f"state {name!r} already has a block (line {first}); put all its "
                    f"substates in one block",
                )
            if name in self.open_blocks:
                error(line, name_col, f"state {name!r} cannot contain itself")
                return
            if len(stack) > MAX_DEPTH:
                # Stop here: what follows is read against a hierarchy that
                # cannot be built, and a hostile file may go on for megabytes.
                error(
                    line,
                    name_col,
                    f"the block of state {name!r} is nested {MAX_DEPTH + 1} deep, more "
                    f"than the limit of {MAX_DEPTH} (fsm.MAX_DEPTH); flatten the hierarchy",
                )
                raise DefinitionError(self.reader.problems)
            block = _Block(name, line)
            self.blocks.setdefault(name, block)
            stack.append(block)
            self.open_blocks.add(name)

    def _fast_lines(self, n: int, stack: list[_Block]) -> int:
        """Read the lines from ``n`` on that the fast path reads; where the first other one is.

        A line of words that ``str.split`` cuts as ``A --> B : e`` (or
        ``A --> [*]``, ``A``, a comment, a blank) is read from its words, in
        the usual case; its columns are found again from ``_FAST`` only if an
        error needs them (a column of 0 says so). Other lines ``_FAST`` reads
        go through it.
        """
        lines = self.lines
        total = len(lines)
        match = _FAST.fullmatch
        states = self.states
        state_lines = self.state_lines
        state_columns = self.state_columns
        events = self.events
        source = self.source
        event = self.event
        target = self.target
        t_line = self.line
        t_column = self.column
        top = len(stack) == 1
        split = top and self.blanks_plain
        ascii = self.ascii
        mention = self._mention
        problems = self.reader.problems
        while n < total:
            if not top and len(problems) >= MAX_PROBLEMS:
                return n  # a state in two superstates is a problem in a block
            line = lines[n]
            if split and (ascii or line.isascii()):
                words = line.split()
                count = len(words)
                if count == 5:
                    left, arrow, right, colon, label = words
                    if (
                        arrow == "-->"
                        and colon == ":"
                        and left.isidentifier()
                        and right.isidentifier()
                        and label.isidentifier()
                        and left not in _NO_SOURCE
                    ):
                        n += 1
                        number = states.get(left)
                        if number is None:
                            number = states[left] = len(states)
                            state_lines.append(n)
                            state_columns.append(0)
                        source.append(number)
                        number = states.get(right)
                        if number is None:
                            number = states[right] = len(states)
                            state_lines.append(n)
                            state_columns.append(0)
                        target.append(number)
                        number = events.get(label)
                        if number is None:
                            number = events[label] = len(events)
                        event.append(number)
                        t_line.append(n)
                        t_column.append(0)
                        continue
                elif count == 0 or (words[0].startswith("%%") and "types" not in line):
                    n += 1  # a blank line, or a comment that is no types directive
                    continue
            found = match(line)
            if found is None:
                return n
            n += 1
            left, right, label, end, start, name, _ = found.groups()
            if left is not None:
                if not top:
                    mention(left, n, found.start(1) + 1, stack)
                elif left not in states:
                    states[left] = len(states)
                    state_lines.append(n)
                    state_columns.append(found.start(1) + 1)
                if end is not None:
                    self.final.setdefault(left, None)
                    continue
                if not top:
                    mention(right, n, found.start(2) + 1, stack)
                elif right not in states:
                    states[right] = len(states)
                    state_lines.append(n)
                    state_columns.append(found.start(2) + 1)
                source.append(states[left])
                target.append(states[right])
                number = events.get(label)
                if number is None:
                    number = events[label] = len(events)
                event.append(number)
                t_line.append(n)
                t_column.append(found.start(3) + 1)
            elif start is not None:
                if not top or self.initial is not None:
                    return n - 1  # a second marker, or a block's entry state
                column = found.start(5) + 1
                if start not in states:
                    states[start] = len(states)
                    state_lines.append(n)
                    state_columns.append(column)
                self.initial = (start, n, column)
            elif name is not None:
                mention(name, n, found.start(6) + 1, stack)
        return n

    def _state_position(self, name: str) -> tuple[int, int]:
        """The line and column where state ``name`` is first mentioned."""
        number = self.states[name]
        line = self.state_lines[number]
        column = self.state_columns[number]
        if column == 0:  # read by the fast path from its words: find the column again
            found = _FAST.fullmatch(self.lines[line - 1])
            assert found is not None
            column = found.start(1 if found.group(1) == name else 2) + 1
        return line, column

    def _transition_position(self, number: int) -> tuple[int, int]:
        """The line and column of transition ``number``'s label."""
        line = self.line[number]
        column = self.column[number]
        if column == 0:  # read by the fast path from its words: find the column again
            found = _FAST.fullmatch(self.lines[line - 1])
            assert found is not None
            column = found.start(3) + 1
        return line, column

    def _mention(self, name: str, line: int, column: int, stack: list[_Block]) -> None:
        if name not in self.states:
            self.states[name] = len(self.states)
            self.state_lines.append(line)
            self.state_columns.append(column)
        block = stack[-1]
        if block.name is None:
            return
        known = self.parents.get(name)
        if known is None:
            if name != block.name:
                self.parents[name] = (block.name, line, column)
        elif known[0] != block.name:
            self.reader.error(
                line,
                column,
                f"state {name!r} is inside superstate {block.name!r} here but inside "
                f"{known[0]!r} on line {known[1]}; a state belongs to one superstate",
            )

    def _transition(
        self,
        text: str,
        arrow: tuple[int, int],
        line: int,
        column: int,
        stack: list[_Block],
    ) -> None:
        error = self.reader.error
        left = text[: arrow[0]]
        right_all = text[arrow[1] :]
        right, colon, label = right_all.partition(":")
        right_col = column + arrow[1]
        label_col = right_col + len(right) + 1
        if ":::" in right_all:
            # 'B:::cls : label' - drop the class shorthand before reading the label.
            match = re.match(rf"\s*(\[\*\]|{_IDENT}):::{_IDENT}\s*(:?)(.*)\Z", right_all)
            if match:
                right = match.group(1)
                colon = match.group(2)
                label = match.group(3)
                label_col = right_col + match.start(3)
        src_match = _STATE_REF.fullmatch(left.strip())
        dst_match = _STATE_REF.fullmatch(right.strip())
        ok = True
        if not src_match:
            shown = left.strip() or "nothing"
            error(
                line,
                column,
                f"the source of a transition must be a state name or [*], got {shown!r}; "
                f"state names are identifiers (letters, digits, '_')",
            )
            ok = False
        if not dst_match:
            shown = right.strip() or "nothing"
            error(
                line,
                right_col,
                f"the target of a transition must be a state name or [*], got {shown!r}; "
                f"state names are identifiers (letters, digits, '_')",
            )
            ok = False
        if not ok or src_match is None or dst_match is None:
            return
        source = src_match.group(1)
        target = dst_match.group(1)
        block = stack[-1]
        if source == "[*]" and target == "[*]":
            error(line, column, "'[*] --> [*]' connects nothing; name a state on one side")
            return
        if source == "[*]" or target == "[*]":
            if colon and label.strip():
                error(
                    line,
                    label_col,
                    "a start or end marker takes no label; put the event on a "
                    "transition between two states",
                )
            if source == "[*]":
                self._mention(target, line, right_col, stack)
                self._initial_marker(target, block, line, right_col)
            else:
                self._mention(source, line, column, stack)
                self.final.setdefault(source, None)
            return
        self._mention(source, line, column, stack)
        self._mention(target, line, right_col, stack)
        if not colon or not label.strip():
            error(
                line,
                len(text.rstrip()) + column,
                f"transition {source} --> {target} has no event; write "
                f"'{source} --> {target} : event'",
            )
            return
        parsed = _parse_label(label, label_col, line, error)
        if parsed is None:
            return
        number = len(self.source)
        self.source.append(self.states[source])
        self.target.append(self.states[target])
        self.event.append(self.events.setdefault(parsed.event, len(self.events)))
        self.line.append(line)
        self.column.append(label_col + (len(label) - len(label.lstrip())))
        if (
            parsed.names is None
            and parsed.guard is None
            and not parsed.actions
            and not parsed.branch
            and not parsed.internal
            and parsed.after is None
        ):
            return  # plain: the three numbers say it all
        self.rich[number] = Transition(
            source,
            target=target,
            event=parsed.event,
            guard=parsed.guard,
            actions=parsed.actions,
            params=tuple((p, None) for p in parsed.names or ()),
            branch=parsed.branch,
            internal=parsed.internal,
            after=parsed.after,
        )
        self.raw_params[number] = parsed.names

    def _initial_marker(self, target: str, block: _Block, line: int, column: int) -> None:
        error = self.reader.error
        if block.name is None:
            if self.initial is not None:
                error(
                    line,
                    column,
                    f"a second initial marker ('[*] --> {target}'); the initial state is "
                    f"already {self.initial[0]!r} (line {self.initial[1]}). A machine has "
                    f"exactly one",
                )
                return
            self.initial = (target, line, column)
        else:
            if block.entry is not None:
                error(
                    line,
                    column,
                    f"superstate {block.name!r} already has an entry state "
                    f"({block.entry!r}); keep one '[*] --> X' per block",
                )
                return
            block.entry = target

    # -- building ---------------------------------------------------------------------

    def _build(self) -> Machine:
        error = self.reader.error
        if self.initial is None:
            line = next(
                (n + 1 for n, text in enumerate(self.lines) if _HEADER.match(text.strip())),
                1,
            )
            error(
                line,
                1,
                "no initial state; add a line '[*] --> STATE' at the top level to say "
                "where the machine starts",
            )
            raise DefinitionError(self.reader.problems)
        rich = self._typed(error) if self.types else self.rich
        for event, line in self.type_lines.items():
            if event not in self.events:
                error(
                    line,
                    1,
                    f"the types directive names event {event!r}, which no transition uses",
                )
        name = self.title if self.title else (self.default_name or "Machine")
        try:
            machine = Machine._from_table(  # pyright: ignore[reportPrivateUsage]
                name,
                states=tuple(self.states),
                events=tuple(self.events),
                source=self.source,
                event=self.event,
                target=self.target,
                rich=rich,
                initial=self.initial[0],
                final=frozenset(self.final),
                parents={s: p for s, (p, _, _) in self.parents.items()},
                entries={b.name: b.entry for b in self.blocks.values() if b.entry and b.name},
            )
        except DefinitionError as problem:
            located = [self._locate(p) for p in problem.problems]
            raise DefinitionError([*self.reader.problems, *located]) from None
        if self.reader.problems:
            raise DefinitionError(self.reader.problems)
        return machine

    def _typed(self, error: Callable[[int, int, str], None]) -> dict[int, Transition]:
        """The rich transitions once the types directives gave events their payloads."""
        rich = dict(self.rich)
        states = tuple(self.states)
        events = tuple(self.events)
        typed = {self.events[e]: d for e, d in self.types.items() if e in self.events}
        for n, number in enumerate(self.event):
            declared = typed.get(number)
            if declared is None:
                continue
            t = rich.get(n)
            if t is None:
                rich[n] = Transition(
                    states[self.source[n]], events[number], states[self.target[n]], params=declared
                )
                continue
            names = self.raw_params[n]
            if names is None or tuple(names) == tuple(p for p, _ in declared):
                rich[n] = attrs.evolve(t, params=declared)
            else:
                error(
                    *self._transition_position(n),
                    f"payload ({', '.join(names)}) of {t.event!r} does not match its types "
                    f"directive on line {self.type_lines[t.event]} "
                    f"({', '.join(p for p, _ in declared)}); use the same names in order",
                )
        return rich

    def _locate(self, problem: Problem) -> Problem:
        line: int | None = None
        column: int | None = None
        if problem.transition is not None and problem.transition < len(self.line):
            line, column = self._transition_position(problem.transition)
        elif problem.state is not None and problem.state in self.states:
            line, column = self._state_position(problem.state)
        elif self.initial is not None:
            line, column = self.initial[1], self.initial[2]
        if line is None:
            return attrs.evolve(problem, filename=self.reader.filename)
        return attrs.evolve(
            problem,
            line=line,
            column=column,
            source_line=self.lines[line - 1],
            filename=self.reader.filename,
        )


def _find_arrow(text: str) -> tuple[int, int] | None:
    """Where the first ``-->`` is, with the whitespace around it: (start, end).

    The regular expression ``\\s*-->\\s*`` finds the same span, but searching
    with it tries every start in a run of spaces, quadratic in the run.
    """
    at = text.find("-->")
    if at < 0:
        return None
    # rstrip and lstrip remove what ``\\s`` matches (str.isspace), in C.
    start = len(text[:at].rstrip())
    end = len(text) - len(text[at + 3 :].lstrip())
    return start, end


def _position(problem: Problem) -> tuple[int, int]:
    return (problem.line or 0, problem.column or 0)


def _split_top(text: str, column: int) -> list[tuple[int, str]]:
    """Split at commas outside brackets and quotes, keeping each part's column."""
    parts: list[tuple[int, str]] = []
    depth = 0
    quote: str | None = None
    start = 0
    for i, char in enumerate(text):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append((column + start, text[start:i]))
            start = i + 1
    parts.append((column + start, text[start:]))
    return parts


_LABEL = re.compile(
    rf"""
    (?:(?P<internal>internal)\s+(?=[A-Za-z_]))?
    (?P<event>{_IDENT})
    (?P<params>\s*\((?P<names>[^()]*)\))?
    (?P<after>\s+after\s+(?P<delay>[^\s\[/]*))?
    (?P<guard>\s*\[(?P<guard_name>[^\[\]]*)\])?
    (?P<actions>\s*/(?P<action_names>.*))?
    \s*\Z
    """,
    re.VERBOSE,
)


@attrs.frozen
class _Label:
    """What a transition's label says."""

    event: str
    names: tuple[str, ...] | None
    guard: str | None
    actions: tuple[str, ...]
    branch: bool
    internal: bool
    after: float | None


def _parse_label(
    label: str,
    column: int,
    line: int,
    error: Callable[[int, int, str], None],
) -> _Label | None:
    text = label.strip()
    col = column + (len(label) - len(label.lstrip()))
    match = _LABEL.match(text)
    if not match:
        error(line, *_unreadable_label(text, col))
        return None
    failed = False

    def report(at: int, message: str) -> None:
        nonlocal failed
        failed = True
        error(line, at, message)

    names: tuple[str, ...] | None = None
    if match.group("params") is not None:
        raw_names = match.group("names")
        names = ()  # `event()`: an empty payload
        if raw_names.strip():
            names = _label_names(
                raw_names, col + match.start("names"), report, _payload_name_problem
            )
    guard: str | None = None
    branch = False
    if match.group("guard") is not None:
        guard, branch = _label_guard(
            match.group("guard_name").strip(), col + match.start("guard_name"), report
        )
    actions: tuple[str, ...] = ()
    if match.group("actions") is not None:
        actions = _label_names(
            match.group("action_names"),
            col + match.start("action_names"),
            report,
            lambda piece: f"action {piece!r} is not a name; list actions as 'a, b'",
        )
    after: float | None = None
    if match.group("after") is not None:
        after = _label_delay(match.group("delay"), col + match.start("delay"), report)
    if failed:
        return None
    return _Label(
        match.group("event"),
        names,
        guard,
        actions,
        branch,
        internal=match.group("internal") is not None,
        after=after,
    )


def _label_delay(text: str, at: int, report: Callable[[int, str], None]) -> float | None:
    """The seconds of a timer's delay written ``30s`` (units ms, s, m, h, d)."""
    match = DURATION.match(text)
    if match is None:
        report(
            at,
            f"cannot read the delay {text[:SHOWN_WORD]!r}; write a number and a unit with "
            f"no space, like 'after 30s' (units: ms, s, m, h, d)",
        )
        return None
    seconds = read_delay(match.group("number"), match.group("unit"))
    problem = delay_problem(seconds)
    if problem is not None:
        report(at, f"the delay {text[:SHOWN_WORD]!r} {problem.replace('must be', 'is not')}")
        return None
    return seconds


def _unreadable_label(text: str, col: int) -> tuple[int, str]:
    """The column and message for a label that does not match the label grammar."""
    if re.match(_IDENT, text) is None:
        return (
            col,
            f"the label must start with an event name (an identifier), got {text[:SHOWN_WORD]!r}",
        )
    after = re.search(r"\safter\s+[0-9.]+\s+\S", text)
    if after is not None:
        return (
            col + after.start() + 1,
            "a timer's delay is a number and a unit with no space between, like "
            "'timeout after 30s' (units: ms, s, m, h, d)",
        )
    if ":" in text or ";" in text:
        bad = min(i for i in (text.find(":"), text.find(";")) if i >= 0)
        return (
            col + bad,
            f"{text[bad]!r} is not allowed in a label (Mermaid 10 cannot draw it); "
            f"write 'event(payload) [guard] / action, action'",
        )
    return (
        col,
        f"cannot read the label {text[:SHOWN]!r}; write 'event(payload) [guard] / "
        f"action, action', each part optional but the event",
    )


def _label_names(
    raw: str,
    base: int,
    report: Callable[[int, str], None],
    problem: Callable[[str], str],
) -> tuple[str, ...]:
    """The names of a comma-separated list (payload names, actions) starting at ``base``."""
    found: list[str] = []
    for start, part in _split_top(raw, base):
        piece = part.strip()
        if is_name(piece):
            found.append(piece)
        else:
            report(start + (len(part) - len(part.lstrip())), problem(piece))
    return tuple(found)


def _payload_name_problem(piece: str) -> str:
    hint = "; payload types go in a '%% types:' directive" if ":" in piece else ""
    return f"payload name {piece!r} is not an identifier{hint}"


def _label_guard(text: str, at: int, report: Callable[[int, str], None]) -> tuple[str | None, bool]:
    """The guard and whether the label is a branch outcome (``[branch]``)."""
    if text == "branch":
        return None, True
    if is_combination(text):
        try:
            return str(read_guard(text)), False
        except GuardError as problem:
            report(
                at + problem.offset,
                f"cannot read the guard {text[:SHOWN]!r}: {problem.message}"
                + (
                    ""
                    if "; write" in problem.message
                    else "; combine guard names with and, or, not and parentheses, like "
                    "[ok and not busy]"
                ),
            )
            return None, False
    if not is_name(text):
        report(
            at,
            f"guard {text!r} is not a name; a guard names a predicate, like "
            f"[ok], or is [else] or [branch]",
        )
        return None, False
    return text, False


def load(path: str | Path, *, name: str | None = None, title: str | None = None) -> Machine:
    """Read a machine from a file: ``.mmd`` (DSL), ``.md`` or ``.json``.

    A Markdown file holds the machine in a fenced ``mermaid`` block; the first
    block that is a state diagram is read, or, with ``title=``, the one whose
    front-matter title matches.

    Args:
        path: the file.
        name: the machine's name when the file gives none (default: the file's
            stem).
        title: for ``.md`` files, the title of the diagram to read.

    Raises:
        DefinitionError: the file does not hold a valid machine.
        OSError: the file cannot be read.
    """
    path = Path(path)
    data = path.read_bytes()
    shown = str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise DefinitionError(
            Problem(
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                f"{exc.start}); save it as UTF-8",
                line=line,
                column=column,
                filename=shown,
            )
        ) from None
    suffix = path.suffix.lower()
    default = name or path.stem
    if suffix == ".json":
        document = _json.read_text(text, shown)
        try:
            return Machine.from_dict(document)
        except DefinitionError as exc:
            raise DefinitionError([attrs.evolve(p, filename=shown) for p in exc.problems]) from None
    if suffix in (".md", ".markdown"):
        return _load_markdown(text, shown, default, title)
    return parse(text, name=default, filename=shown)


_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*mermaid\s*$")


def _load_markdown(text: str, filename: str, name: str, title: str | None) -> Machine:
    lines = _mermaid_lines(text)
    blocks: list[tuple[int, str]] = []
    n = 0
    while n < len(lines):
        match = _FENCE.match(lines[n])
        if not match:
            n += 1
            continue
        fence = match.group("fence")
        start = n + 1
        n += 1
        while n < len(lines) and not lines[n].strip().startswith(fence):
            n += 1
        blocks.append((start, "\n".join(lines[start:n])))
        n += 1
    # Each block's front-matter title, and whether it is a state diagram.
    read: list[tuple[int, str, str | None, bool]] = []
    for start, body in blocks:
        parser = _Parser(body, None, None)
        parser._front_matter()  # pyright: ignore[reportPrivateUsage]
        is_diagram = any(_HEADER.match(line.strip()) for line in body.splitlines())
        read.append((start, body, parser.title, is_diagram))
    candidates = [(start, body, found) for start, body, found, ok in read if ok]
    if title is not None:
        candidates = [c for c in candidates if c[2] == title]
        if not candidates:
            titles = [repr(found) for _, _, found, _ in read if found is not None]
            raise DefinitionError(
                Problem(
                    f"no mermaid state diagram titled {title!r} in this file; titles found: "
                    + (", ".join(titles) or "none"),
                    filename=filename,
                )
            )
    if not candidates:
        raise DefinitionError(
            Problem(
                "no fenced ```mermaid block with a 'stateDiagram-v2' in this Markdown file",
                filename=filename,
            )
        )
    start, body, _ = candidates[0]
    try:
        return parse(body, name=name, filename=filename)
    except DefinitionError as exc:
        # Report lines of the Markdown file, not of the block.
        raise DefinitionError(
            [
                attrs.evolve(p, line=p.line + start) if p.line is not None else p
                for p in exc.problems
            ]
        ) from None
