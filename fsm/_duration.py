"""Timer delays as the DSL writes them: a number and a unit (``500ms``, ``30s``, ``2h``).

A :class:`~fsm.Transition`'s ``after`` is seconds, a float. The DSL writes it
in the largest unit that gives a whole number, and reading it back gives the
same float exactly, so ``fsm.parse(fsm.dumps(m)) == m`` holds for timers too.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Final

from ._errors import short_repr

__all__ = ["DURATION", "UNITS", "delay_problem", "format_delay", "read_delay"]

#: Seconds in each unit the DSL reads.
UNITS: Final = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}

#: A delay in the DSL: digits, an optional fraction, a unit.
DURATION: Final = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]+)?)(?P<unit>ms|s|m|h|d)\Z")


def read_delay(number: str, unit: str) -> float:
    """Seconds for ``number`` of ``unit`` (as matched by :data:`DURATION`)."""
    value = float(number)
    if unit == "ms":
        return value / 1000  # a division, so that format_delay's check is exact
    return value * UNITS[unit]


def format_delay(seconds: float) -> str:
    """The DSL text of a delay, such that :func:`read_delay` gives ``seconds`` back."""
    if delay_problem(seconds) is not None:
        # Not a delay: only shown in the message about it.
        if isinstance(seconds, int) and seconds.bit_length() > 64:
            return f"an integer of {seconds.bit_length()} bits"
        return short_repr(seconds)
    seconds = float(seconds)
    for unit in ("d", "h", "m", "s"):
        whole = seconds / UNITS[unit]
        if whole.is_integer() and read_delay(str(int(whole)), unit) == seconds:
            return f"{int(whole)}{unit}"
    whole = seconds * 1000
    if whole.is_integer() and read_delay(str(int(whole)), "ms") == seconds:
        return f"{int(whole)}ms"
    # The shortest text that reads back as this float, without an exponent.
    return format(Decimal(repr(float(seconds))), "f") + "s"


def delay_problem(value: object) -> str | None:
    """Why ``value`` is not a timer delay (a positive, finite number of seconds), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return (
            f"must be a number of seconds (got {short_repr(value)} of type {type(value).__name__})"
        )
    try:
        seconds = float(value)
    except OverflowError:  # only an int is too large
        assert isinstance(value, int)
        bits = value.bit_length()
        return f"must be a finite number of seconds (got an integer of {bits} bits, too large)"
    if not math.isfinite(seconds):
        return f"must be a finite number of seconds (got {value!r})"
    if seconds <= 0:
        return f"must be more than 0 seconds (got {value!r})"
    return None
