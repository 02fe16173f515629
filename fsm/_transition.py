"""A :class:`Transition`: one edge of a Machine, with its guard, actions and payload types.

It sits below the Machine so that the modules the Machine uses (the JSON form,
the runtime) can read transitions without importing the Machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, cast

import attrs

from ._arguments import bad_argument, pairs
from ._duration import delay_problem, format_delay
from ._guard import canonical_guard

__all__ = ["ELSE", "Transition", "strings"]

#: The guard that marks the fallback of a guarded group (``[else]`` in the DSL).
ELSE: Final = "else"


def _params(
    value: Iterable[tuple[str, str | None]],
) -> tuple[tuple[str, str | None], ...]:
    if value == ():
        return ()  # the common case, kept cheap for machines of millions of transitions
    return pairs(value)


def _actions(value: Iterable[str]) -> tuple[str, ...]:
    try:
        return strings(value)
    except TypeError:
        raise bad_argument("actions", "an iterable of action names", value) from None


def strings(value: Iterable[str]) -> tuple[str, ...]:
    """``value`` as a tuple of names; a bare string is one name, not its characters."""
    if type(value) is tuple:
        return value  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _after(value: float | None) -> float | None:
    """A valid delay given as an int, as the float the runtime uses; else unchanged.

    So that ``after=2**53 + 1`` and ``after=float(2**53 + 1)`` are one machine
    (same fingerprint, same text). What is not a valid delay is kept for the
    Machine's checks to report.
    """
    if type(cast("object", value)) is int and delay_problem(value) is None:
        return float(cast("int", value))
    return value


@attrs.frozen(repr=False)
class Transition:
    """One transition: in ``source``, the ``event`` moves to ``target``.

    Args:
        source: the state the transition leaves (a superstate's transitions
            apply in each of its substates that do not define the same event).
        event: the event's name.
        target: the state entered (a superstate means its entry substate).
        guard: the name of a predicate that must hold for this transition to
            be taken, a combination of such names with ``and``, ``or``,
            ``not`` and parentheses (``"ok and not busy"``, kept in its
            canonical spelling), ``"else"`` for the fallback of a guarded
            group, or None.
        actions: names of the actions run when the transition is taken.
        params: the event's payload as ``(name, annotation)`` pairs; the
            annotation is a Python type written as a string, or None.
        branch: True when this transition is one outcome of a branch: several
            unguarded transitions on one ``(source, event)`` whose outcome the
            implementation decides (a typestate method returning ``A | B``).
        internal: True for an internal transition: a self-transition
            (``source == target``) that does not leave its state, so no exit
            or enter hook runs and the state's timers keep running.
        after: for a timer, the seconds ``source`` must have been held before
            the runtime sends ``event`` itself; None for an ordinary event.
    """

    source: str
    event: str
    target: str
    guard: str | None = attrs.field(default=None, converter=canonical_guard)
    actions: tuple[str, ...] = attrs.field(default=(), converter=_actions)
    params: tuple[tuple[str, str | None], ...] = attrs.field(default=(), converter=_params)
    branch: bool = False
    internal: bool = False
    after: float | None = attrs.field(default=None, converter=_after)

    def __repr__(self) -> str:
        extra = ""
        if self.guard is not None:
            extra += f", guard={self.guard!r}"
        if self.actions:
            extra += f", actions={self.actions!r}"
        if self.params:
            extra += f", params={self.params!r}"
        if self.branch:
            extra += ", branch=True"
        if self.internal:
            extra += ", internal=True"
        if self.after is not None:
            extra += f", after={self.after!r}"
        return f"Transition({self.source!r}, {self.event!r}, {self.target!r}{extra})"

    @property
    def label(self) -> str:
        """The transition's label as the DSL writes it: ``event(p) [guard] / a``.

        An internal transition's label starts with ``internal``, and a timer's
        event is followed by its delay: ``internal tick after 30s / log``.
        """
        text = self.event
        if self.internal:
            text = "internal " + text
        if self.params:
            text += "(" + ", ".join(name for name, _ in self.params) + ")"
        if self.after is not None:
            text += " after " + format_delay(self.after)
        if self.branch:
            text += " [branch]"
        elif self.guard is not None:
            text += f" [{self.guard}]"
        if self.actions:
            text += " / " + ", ".join(self.actions)
        return text

    def describe(self) -> str:
        """A short text naming the transition, for messages: ``A --go--> B``."""
        guard = f" [{self.guard}]" if self.guard is not None else ""
        return f"{self.source} --{self.event}{guard}--> {self.target}"
