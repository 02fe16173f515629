"""Internal transitions and timers on the class face: the checks of ``@transition(...)``.

``@transition(internal=True)`` marks a method that keeps the protocol in its
state: it returns ``Self`` (or its own class) and :func:`typestate.protocol`
writes an internal transition (``internal=True``: the fsm runtime runs no
exit or enter hook for it and the state's timers keep running).

``@transition(after=30)`` marks a timer: the method is the event the fsm
runtime sends by itself once the state has been held for that many seconds.
The classes have no clock: a timer method is an ordinary method to call (from
:meth:`typestate.Driver.send`, or a loop that knows the time), and the Machine
:func:`typestate.protocol` extracts carries the delay (``after=``) for the
runtime, the diagrams and the analysis.

The checks here say what is wrong with the value, which method it is on, and
how to fix it: the delay when the decorator is applied, the target when the
return annotation is resolved (by :func:`typestate.protocol`, or by the first
call).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from fsm import DefinitionError

__all__ = [
    "check_flags",
    "delay_text",
    "internal_problem",
    "timer_branch_problem",
    "timer_override_problem",
]

# A delay written as the DSL writes it, to suggest the seconds in the message.
_DSL_DELAY: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)\s*\Z")
_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def delay_text(after: float) -> str:
    """``after`` as the decorator is written: ``after=30``, ``after=0.5``."""
    return (
        f"after={int(after)}"
        if float(after).is_integer() and abs(after) < 2**53
        else f"after={after!r}"
    )


def _short(value: object) -> str:
    """``repr(value)``, kept short: a huge int or a long text is not shown whole."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:50] + "..." + shown[-7:]


def _delay_problem(value: object) -> str | None:
    """Why ``value`` is not a delay in seconds (positive and finite, as fsm wants), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number of seconds (got {_short(value)} of type {type(value).__name__})"
    try:
        seconds = float(value)
    except OverflowError:  # only an int is too large for a float
        return f"must be a finite number of seconds (got {_short(value)}, too large)"
    if not math.isfinite(seconds):
        return f"must be a finite number of seconds (got {value!r})"
    if seconds <= 0:
        return f"must be more than 0 seconds (got {value!r})"
    return None


def _suggestion(value: object) -> str:
    """The fix for a bad delay: the seconds a DSL-style string meant, else an example."""
    if isinstance(value, str):
        found = _DSL_DELAY.match(value)
        if found is not None:
            number, unit = float(found[1]), found[2]
            # As fsm reads the DSL: a division for ms, so that 250ms is 0.25.
            seconds = number / 1000 if unit == "ms" else number * _SECONDS[unit]
            if seconds > 0:
                return f"write {delay_text(seconds)} (the delay is in seconds)"
    return "give the seconds the state must be held, such as after=30"


def check_flags(method: Callable[..., Any], internal: object, after: object) -> float | None:
    """Check ``internal`` and ``after`` of ``@transition(...)`` on ``method``; the delay.

    Raises:
        fsm.DefinitionError: ``internal`` is not a bool, ``after`` is not a
            positive finite number, or a timer takes parameters besides ``self``.
    """
    where = method.__qualname__
    problems: list[str] = []
    if internal is not True and internal is not False:
        problems.append(
            f"{where}: @transition(internal={_short(internal)}): internal must be True or False"
        )
    if after is None:
        return None if not problems else _raise(problems)
    problem = _delay_problem(after)
    if problem is not None:
        problems.append(
            f"{where}: @transition(after={_short(after)}): a timer's delay {problem}; "
            f"{_suggestion(after)}"
        )
    payload = [p for n, p in enumerate(inspect.signature(method).parameters.values()) if n > 0]
    if payload:
        names = ", ".join(p.name for p in payload)
        problems.append(
            f"{where} is a timer (@transition(after={_short(after)})) but takes ({names}); the "
            f"runtime sends a timer's event with no payload, so take only self or drop after="
        )
    if problems:
        _raise(problems)
    assert isinstance(after, (int, float))
    return float(after)


def _raise(problems: list[str]) -> Any:
    raise DefinitionError(problems if len(problems) > 1 else problems[0])


def _shown(targets: Sequence[object]) -> str:
    return " | ".join(t if isinstance(t, str) else getattr(t, "__name__", repr(t)) for t in targets)


def internal_problem(where: str, owner: type, targets: Sequence[object]) -> str | None:
    """Why an internal transition with these resolved ``targets`` is wrong, or None.

    ``targets`` are what the return annotation resolved to: state classes, or
    ``"Self"``. An internal transition stays in its state, so it returns
    ``Self`` or, on a concrete state, that state's own class.
    """
    if list(targets) in (["Self"], [owner]):
        return None
    own = "Self" if getattr(owner, "__ts_abstract__", False) else f"Self (or {owner.__name__})"
    return (
        f"{where} is an internal transition (@transition(internal=True)) but returns "
        f"{_shown(targets)}; an internal transition stays in its state, so return "
        f"{own}, or drop internal=True"
    )


def timer_branch_problem(where: str, after: float, targets: Sequence[object]) -> str | None:
    """Why a timer returning ``targets`` is wrong (it has two outcomes), or None."""
    if len(targets) < 2:
        return None
    return (
        f"{where} is a timer (@transition({delay_text(after)})) but returns "
        f"{_shown(targets)}; the runtime fires a timer with no one to choose the outcome, "
        f"so return one state"
    )


def timer_override_problem(name: str, attribute: str, bases: Sequence[type]) -> str | None:
    """Why class ``name`` may not define ``attribute``, a timer of a superstate, or None.

    A superstate's timer runs while any of its substates is held and keeps
    running when the substate changes, so a substate's method of the same
    name (a timer, another transition or a plain method) could not replace
    it: the runtime would still fire the superstate's.
    """
    for base in bases:
        info = getattr(base, "__ts_own__", {}).get(attribute)
        if info is not None and info.after is not None:
            return (
                f"{name}.{attribute} overrides the timer {info.where} "
                f"(@transition({delay_text(info.after)})); a superstate's timer runs in all "
                f"its substates and keeps running across their changes, so a substate "
                f"cannot replace it: move the timer from {base.__name__} to each substate "
                f"that keeps it, or give {name}'s method another name"
            )
    return None
