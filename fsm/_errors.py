"""The exceptions of :mod:`fsm`.

Definition-time errors (:class:`DefinitionError`) are kept apart from call-time
errors (:class:`InvalidTransition`, :class:`SnapshotError`): the first means the
protocol itself is wrong, the others that a use of a correct protocol is.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

__all__ = [
    "DefinitionError",
    "FSMError",
    "InvalidTransition",
    "Problem",
    "SnapshotError",
]


#: How many characters of a value a message quotes; a longer one is cut and
#: ends in "..." (:func:`short_repr`, and the text the readers cannot read).
SHOWN: Final = 60
#: How many characters of a word a message quotes before the sentence goes on.
SHOWN_WORD: Final = 40
#: How many characters of a payload type's text a message quotes.
SHOWN_TYPE: Final = 80


def short_repr(value: object) -> str:
    """A short repr of any value for a message: bounded in depth and length, never raising.

    A value in a message may come from untrusted data (a snapshot, a JSON
    document, a constructor argument): deeply nested, megabytes long, or with a
    ``__repr__`` that raises.
    """
    text = _REPR.repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - len("...")] + "..."


def _make_repr() -> reprlib.Repr:
    shown = reprlib.Repr()
    shown.maxlevel = 4  # so a deeply nested value never recurses deeply
    shown.maxstring = shown.maxother = shown.maxlong = SHOWN
    return shown


_REPR: Final = _make_repr()

# How much of a source line a problem shows, around its column.
_SOURCE_WIDTH: Final = 120


@attrs.frozen
class Problem:
    """One problem found in a definition.

    ``line`` and ``column`` are 1-based and set when the definition came from
    text; ``source_line`` is that line of the text, so a caret can be drawn
    under ``column``. ``path`` names the place in a JSON document (for example
    ``$.transitions[2].event``) when the definition came from one.
    ``transition`` (a position in ``Machine.transitions``) and ``state`` say
    what the problem is about, when it is about one of them.
    """

    message: str
    line: int | None = None
    column: int | None = None
    source_line: str | None = None
    path: str | None = None
    filename: str | None = None
    transition: int | None = attrs.field(default=None, eq=False)
    state: str | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f"line {self.line}, column {self.column or 1}: "
            if self.filename is not None:
                where = f"{self.filename}:{self.line}:{self.column or 1}: "
        elif self.path is not None:
            where = f"{self.path}: "
            if self.filename is not None:
                where = f"{self.filename}: {where}"
        elif self.filename is not None:
            where = f"{self.filename}: "
        text = where + self.message
        if self.line is not None and self.source_line:
            shown = self.source_line.expandtabs(1)
            at = max((self.column or 1) - 1, 0)
            if len(shown) > _SOURCE_WIDTH:
                # A line may be megabytes long: show the part around the caret.
                start = max(0, min(at - _SOURCE_WIDTH // 2, len(shown) - _SOURCE_WIDTH))
                window = shown[start : start + _SOURCE_WIDTH]
                before = "..." if start > 0 else ""
                after = "..." if start + _SOURCE_WIDTH < len(shown) else ""
                shown = before + window + after
                at = at - start + len(before)
            text += f"\n    {shown}\n    {' ' * at}^"
        return text


class FSMError(Exception):
    """Base class of every error raised by :mod:`fsm`."""


class DefinitionError(FSMError, ValueError):
    """A protocol definition is wrong.

    Raised when a :class:`fsm.Machine` is built from bad parts, when DSL text
    or a JSON document does not describe a valid machine, and when names used
    by a definition cannot be bound. Every problem found is reported at once:
    :attr:`problems` holds them all, and :attr:`line`, :attr:`column` and
    :attr:`source_line` are those of the first. The message lists the first
    100 and counts the rest ("and 250 more problems").
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: str | Problem | Iterable[Problem | str]) -> None:
        if isinstance(problems, (str, Problem)):
            problems = [problems]
        self.problems = tuple(p if isinstance(p, Problem) else Problem(p) for p in problems)
        if not self.problems:
            raise ValueError("DefinitionError needs at least one problem")
        super().__init__(_format_problems(self.problems))

    @property
    def line(self) -> int | None:
        """The 1-based line of the first problem, when the source was text."""
        return self.problems[0].line

    @property
    def column(self) -> int | None:
        """The 1-based column of the first problem, when the source was text."""
        return self.problems[0].column

    @property
    def source_line(self) -> str | None:
        """The text of the line of the first problem, when the source was text."""
        return self.problems[0].source_line

    @property
    def path(self) -> str | None:
        """The JSON path of the first problem, when the source was a document."""
        return self.problems[0].path

    @property
    def messages(self) -> tuple[str, ...]:
        """The bare message of each problem, without its position."""
        return tuple(p.message for p in self.problems)


#: How many problems the message of a DefinitionError lists; a last line
#: counts the rest ("and 5 more problems"). ``problems`` holds them all. The
#: DSL parser stops reading once it has found this many.
MAX_PROBLEMS: Final = 100


def _format_problems(problems: Sequence[Problem]) -> str:
    if len(problems) == 1:
        return str(problems[0])
    lines = [f"{len(problems)} problems in this definition:"]
    # Never "and 1 more problem": that line is as long as the problem.
    shown = problems if len(problems) <= MAX_PROBLEMS + 1 else problems[:MAX_PROBLEMS]
    for problem in shown:
        text = str(problem).replace("\n", "\n  ")
        lines.append(f"- {text}")
    if len(shown) < len(problems):
        lines.append(f"and {len(problems) - len(shown)} more problems")
    return "\n".join(lines)


class InvalidTransition(FSMError):
    """An event was sent that is not allowed in the current state.

    Attributes:
        state: the state the machine was (and still is) in.
        event: the event that was refused.
        allowed: the events that are allowed in ``state``, in definition order.
        reason: why the event was refused, when more is known than that
            ``state`` has no transition for it (such as ``"guard ok is
            false"``), or None.
    """

    state: str
    event: str
    allowed: tuple[str, ...]
    reason: str | None

    def __init__(
        self,
        state: str,
        event: str,
        allowed: Iterable[str],
        reason: str | None = None,
    ) -> None:
        self.state = state
        self.event = event
        self.allowed = tuple(allowed)
        self.reason = reason
        message = f"Can't send {event!r} in state {state!r}"
        if reason:
            message += f" ({reason})"
        if self.allowed:
            message += f"; allowed here: {', '.join(self.allowed)}."
        else:
            message += "; no event is allowed there."
        super().__init__(message)

    def __reduce__(
        self,
    ) -> tuple[type[InvalidTransition], tuple[str, str, tuple[str, ...], str | None], object]:
        # The third item keeps what else is in __dict__, such as __notes__.
        return (type(self), (self.state, self.event, self.allowed, self.reason), self.__dict__)


class SnapshotError(FSMError, ValueError):
    """A snapshot cannot be restored: malformed, or of another machine or state."""
