"""The transition table of a Machine as arrays of numbers: the bulk constructor's input.

:meth:`fsm.Machine.from_arrays` takes a machine's transitions as three
sequences of numbers (source state, event, target state, one entry per
transition) instead of one :class:`~fsm.Transition` object each. This module
reads those sequences into :class:`array.array` arrays, and refuses, naming the
position and the value, an entry that is not an integer or not the number of
a state or event.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from ._arguments import bad_argument, shown
from ._errors import DefinitionError, Problem
from ._transition import Transition

__all__ = ["ARRAYS", "numbers", "plain", "same_lengths"]

#: The names of the three arrays, in the order of a transition's parts.
ARRAYS = ("source", "event", "target")


def numbers(
    what: str, values: Iterable[int], size: int, of: str, skip: Iterable[int] = ()
) -> array[int]:
    """``values`` as an ``array('i')`` of numbers from 0 to ``size - 1``.

    Args:
        what: the argument's name, for messages (``source``).
        values: the numbers: an ``array('i')``, a list, a range, any iterable of ints.
        size: how many names they number.
        of: what they number, for messages (``states``).
        skip: positions whose entry is not read (it must still be an integer).

    Raises:
        DefinitionError: an entry is not an integer, or not from 0 to ``size - 1``
            (the first such entry, by position and value).
    """
    if isinstance(values, (str, bytes)):
        raise bad_argument(what, "a sequence of integers", values)
    if not isinstance(values, (array, list, tuple, range)):
        try:
            values = list(values)  # read once: an iterator cannot be read again for a message
        except TypeError:
            raise bad_argument(what, "a sequence of integers", values) from None
    try:
        found = array("i", values)
    except (TypeError, OverflowError, ValueError):
        raise _first_bad(what, values, size, of) from None
    if found and (min(found) < 0 or max(found) >= size):
        skipped = set(skip)
        for n, value in enumerate(found):
            if (value < 0 or value >= size) and n not in skipped:
                raise DefinitionError(Problem(_range_message(what, n, value, size, of)))
    return found


def _range_message(what: str, n: int, value: int, size: int, of: str) -> str:
    if size == 0:
        return f"{what}[{n}] is {value}, but {of} is empty: there is nothing to number"
    return (
        f"{what}[{n}] is {value}, not the number of one of the {size} {of}; "
        f"use a number from 0 to {size - 1} (a position in {of})"
    )


def _first_bad(what: str, values: Iterable[int], size: int, of: str) -> DefinitionError:
    """The error for the first entry of ``values`` that an ``array('i')`` cannot hold."""
    try:
        items = list(cast("Iterable[object]", values))
    except TypeError:
        return bad_argument(what, "a sequence of integers", values)
    for n, value in enumerate(items):
        try:
            array("i", [cast("int", value)])
        except (TypeError, ValueError):
            return DefinitionError(
                Problem(f"{what}[{n}] must be an integer (a position in {of}), got {shown(value)}")
            )
        except OverflowError:
            number = cast("int", value)
            return DefinitionError(Problem(_range_message(what, n, number, size, of)))
    return bad_argument(what, "a sequence of integers", values)  # pragma: no cover


def same_lengths(source: Sequence[int], event: Sequence[int], target: Sequence[int]) -> None:
    """Refuse arrays of different lengths: each transition is one entry of each."""
    lengths = (len(source), len(event), len(target))
    if lengths[0] != lengths[1] or lengths[0] != lengths[2]:
        raise DefinitionError(
            Problem(
                "source, event and target must have one entry per transition, so the "
                f"same length; got {lengths[0]}, {lengths[1]} and {lengths[2]} entries"
            )
        )


def plain(
    states: Sequence[str],
    events: Sequence[str],
    source: Sequence[int],
    event: Sequence[int],
    target: Sequence[int],
    rich: Mapping[int, Transition],
) -> list[Transition]:
    """The transitions the arrays stand for: plain ones, and ``rich[n]`` at position ``n``."""
    return [
        rich[n] if n in rich else Transition(states[s], events[e], states[t])
        for n, (s, e, t) in enumerate(zip(source, event, target, strict=True))
    ]
