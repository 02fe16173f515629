"""The transition table of a Machine as arrays of numbers: the compact representation.

Every Machine keeps its transitions as a :class:`Table`: three ``array('i')``
arrays (source state, event, target state, one entry per transition) and the
few transitions that carry more than those three names (a guard, actions, a
payload, a branch, an internal or timer mark), by position. A Machine built
from :class:`~fsm.Transition` objects makes its table from them; one built by
:meth:`fsm.Machine.from_arrays` gets it from the caller's arrays, and makes the
Transition objects only when someone asks for them.

This module also reads the caller's arrays (refusing, by position and value,
an entry that is not an integer or not the number of a state or event) and
lays the table out by source state (:func:`layout`), in time linear in its
size and without an object per transition.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, count, islice, repeat
from operator import attrgetter, le, lt, ne, sub
from typing import Final, cast, overload

import attrs

from ._arguments import bad_argument, shown
from ._errors import DefinitionError, Problem
from ._transition import Transition

__all__ = ["Dispatch", "Layout", "Table", "layout", "numbers", "same_lengths"]

#: guard, actions, params, branch, internal, after of a plain transition.
_PLAIN: Final = (None, (), (), False, False, None)
_parts = attrgetter("guard", "actions", "params", "branch", "internal", "after")


def _is_plain(t: Transition) -> bool:
    """True when ``t`` is given whole by its source, event and target (checked strictly)."""
    return (
        t.guard is None
        and t.actions == ()
        and t.params == ()
        and t.branch is False
        and t.internal is False
        and t.after is None
    )


# -- reading the caller's arrays ------------------------------------------------------


def numbers(
    what: str, values: Iterable[int], size: int, of: str, skip: Iterable[int] = ()
) -> array[int]:
    """``values`` as a new ``array('i')`` of numbers from 0 to ``size - 1``.

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
    # Read as unsigned, a negative entry is larger than any size: one pass finds both.
    if found and max(array("I", found.tobytes())) >= size:
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
    for n, value in enumerate(cast("Iterable[object]", values)):
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


# -- the table ------------------------------------------------------------------------------


class Table:
    """A machine's transitions as arrays of numbers, and the rich ones whole.

    Transition ``n`` is ``rich[n]`` when ``n`` is in ``rich``, else the plain
    ``Transition(states[source[n]], names[event[n]], states[target[n]])``. For
    a valid machine ``names`` are its events in order of first use, and the
    arrays hold the numbers of the rich transitions' names too.

    ``clean`` is False when the table could not be put in that form (a rich
    entry that is not a Transition, names it cannot number): the Machine then
    validates the Transitions one by one, which reports the problem.
    ``state_index`` is the state numbering, when it was made along the way.
    """

    __slots__ = ("clean", "event", "names", "rich", "source", "state_index", "target")

    def __init__(
        self,
        names: tuple[str, ...],
        source: array[int],
        event: array[int],
        target: array[int],
        rich: dict[int, Transition],
        *,
        clean: bool = True,
        state_index: dict[str, int] | None = None,
    ) -> None:
        self.names = names
        self.source = source
        self.event = event
        self.target = target
        self.rich = rich
        self.clean = clean
        self.state_index = state_index

    def __len__(self) -> int:
        return len(self.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (
            self.names == other.names
            and self.source == other.source
            and self.event == other.event
            and self.target == other.target
            and self.rich == other.rich
        )

    def __hash__(self) -> int:
        return hash(
            (
                self.names,
                self.source.tobytes(),
                self.event.tobytes(),
                self.target.tobytes(),
                tuple(self.rich.items()),
            )
        )

    def transition(self, states: Sequence[str], n: int) -> Transition:
        """Transition number ``n`` (made now unless it is rich)."""
        found = self.rich.get(n)
        if found is not None:
            return found
        return Transition(states[self.source[n]], self.names[self.event[n]], states[self.target[n]])

    def transitions(self, states: Sequence[str]) -> tuple[Transition, ...]:
        """Every transition, in order: one Transition object each."""
        made = list(
            map(
                Transition,
                map(states.__getitem__, self.source),
                map(self.names.__getitem__, self.event),
                map(states.__getitem__, self.target),
            )
        )
        for n, t in self.rich.items():
            made[n] = t
        return tuple(made)

    @classmethod
    def of_transitions(
        cls, transitions: Sequence[Transition], state_index: Mapping[str, int]
    ) -> Table:
        """The table of a valid machine's Transitions (every name is known)."""
        events = tuple(dict.fromkeys(map(attrgetter("event"), transitions)))
        event_index = {e: k for k, e in enumerate(events)}
        source = array("i", map(state_index.__getitem__, map(attrgetter("source"), transitions)))
        event = array("i", map(event_index.__getitem__, map(attrgetter("event"), transitions)))
        target = array("i", map(state_index.__getitem__, map(attrgetter("target"), transitions)))
        rich_positions = compress(count(), map(ne, map(_parts, transitions), repeat(_PLAIN)))
        rich = {n: transitions[n] for n in rich_positions}
        return cls(events, source, event, target, rich)

    @classmethod
    def of_arrays(
        cls,
        states: Sequence[str],
        events: Sequence[str],
        source: array[int],
        event: array[int],
        target: array[int],
        rich: Mapping[int, Transition],
    ) -> Table:
        """The table of the bulk constructor's arrays (already checked) and rich transitions."""
        names = tuple(events)
        kept: dict[int, Transition] = {}
        state_index: dict[str, int] | None = None
        clean = True
        if rich:
            try:
                state_index = dict(zip(states, range(len(states)), strict=True))
                more = list(names)
                known_events = {e: k for k, e in reversed(list(enumerate(names)))}
            except TypeError:  # an unhashable name: the Transitions' checks say which
                return cls(names, source, event, target, dict(rich), clean=False)
            for n in sorted(rich):
                t = rich[n]
                if not isinstance(cast("object", t), Transition):
                    kept[n] = t
                    clean = False
                    continue
                try:
                    s = state_index.get(t.source)
                    e = known_events.get(t.event)
                    d = state_index.get(t.target)
                except TypeError:
                    s = d = None
                    e = 0
                if s is None or d is None:
                    kept[n] = t  # an unknown state: the Transitions' checks name it
                    clean = False
                    continue
                if e is None:
                    e = known_events[t.event] = len(more)
                    more.append(t.event)
                source[n] = s
                event[n] = e
                target[n] = d
                if not _is_plain(t):
                    kept[n] = t
            names = tuple(more)
        table = cls(names, source, event, target, kept, clean=clean, state_index=state_index)
        if clean:
            table.clean = table.renumber()
        return table

    def renumber(self) -> bool:
        """Number the events in order of first use, one number per name; False if unhashable."""
        names = self.names
        used = list(dict.fromkeys(self.event))
        if used == list(range(len(names))) and len(set(names)) == len(names):
            return True  # already so: the common case
        try:
            events = tuple(dict.fromkeys(names[k] for k in used))
        except TypeError:
            return False
        position = {name: k for k, name in enumerate(events)}
        remap = [0] * len(names)
        for k in used:
            remap[k] = position[names[k]]
        self.event = array("i", map(remap.__getitem__, self.event))
        self.names = events
        return True


# -- the layout by source state ----------------------------------------------------------


@attrs.frozen
class Layout:
    """A table's transitions grouped by source state (compressed sparse row form).

    The transitions leaving state ``s`` are ``edges[offsets[s]:offsets[s + 1]]``,
    in definition order. ``repeated`` lists the states that have two or more
    transitions on one event (guards, a branch, or a duplicate).
    """

    offsets: array[int]
    edges: Sequence[int]
    repeated: list[int]


def layout(table: Table, size: int) -> Layout:
    """The layout of ``table`` over ``size`` states, in linear time when it is sorted.

    A table sorted by source state (as generated tables and files usually are)
    is laid out in place, with ``edges`` a range; any other is sorted first.
    """
    source = table.source
    event = table.event
    total = len(source)
    if _strictly_increasing(_pair_keys(source, event)):
        # Sorted by source, then event: no state repeats an event.
        return Layout(_run_offsets(source, size), range(total), [])
    edges: Sequence[int]
    if all(map(le, source, islice(source, 1, None))):
        edges = range(total)
        offsets = _run_offsets(source, size)
        in_order = event
    else:
        order = array("i", sorted(range(total), key=source.__getitem__))
        edges = order
        offsets = _run_offsets(array("i", map(source.__getitem__, order)), size)
        in_order = array("i", map(event.__getitem__, order))
    ends = islice(offsets, 1, None)
    distinct = map(len, map(set, map(in_order.__getitem__, map(slice, offsets, ends))))
    degrees = map(sub, islice(offsets, 1, None), offsets)
    repeated = list(compress(count(), map(lt, distinct, degrees)))
    return Layout(offsets, edges, repeated)


def _pair_keys(source: array[int], event: array[int]) -> array[int]:
    """``source[n] * 2**32 + event[n]`` for each n (both non-negative), as ``array('q')``."""
    keys = array("q")
    if source.itemsize == 4 and keys.itemsize == 8:
        # Interleave the bytes of the two arrays: no Python operation per entry.
        low = event.tobytes()
        high = source.tobytes()
        joined = bytearray(8 * len(source))
        first, second = (low, high) if sys.byteorder == "little" else (high, low)
        for k in range(4):
            joined[k::8] = first[k::4]
            joined[4 + k :: 8] = second[k::4]
        keys.frombytes(joined)
        return keys
    return array(
        "q", (s * 2**32 + e for s, e in zip(source, event, strict=True))
    )  # pragma: no cover


def _strictly_increasing(values: array[int]) -> bool:
    return all(map(lt, values, islice(values, 1, None)))


def _run_offsets(source: array[int], size: int) -> array[int]:
    """The offsets of each state's run in ``source``, which is sorted (non-decreasing)."""
    total = len(source)
    starts = array("q", [0])
    starts.extend(compress(count(1), map(ne, source, islice(source, 1, None))))
    if total and len(starts) == size and source[0] == 0:
        starts.append(total)  # every state has transitions: the runs are the states
        return starts
    offsets = array("q", [total]) * (size + 1)
    if not total:
        return array("q", [0]) * (size + 1)
    marked = bytearray(size)
    for start in starts:
        state = source[start]
        offsets[state] = start
        marked[state] = 1
    for state in range(size - 1, -1, -1):
        if not marked[state]:
            offsets[state] = offsets[state + 1]
    return offsets


# -- the dispatch table of a simple machine, made on demand -------------------------------


class Dispatch(Sequence[Mapping[int, tuple[int, ...]]]):
    """``Compiled.dispatch`` of a machine with one transition per (state, event) and no hierarchy.

    A read-only sequence with one mapping per state number (event number ->
    the one-transition tuple), made when it is read rather than kept: a
    machine of a million states keeps no million dicts. It compares equal to
    any sequence of equal mappings, as the tuple it stands for would.
    """

    __slots__ = ("_edges", "_event", "_offsets")

    def __init__(self, offsets: Sequence[int], edges: Sequence[int], event: Sequence[int]) -> None:
        self._offsets = offsets
        self._edges = edges
        self._event = event

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> Mapping[int, tuple[int, ...]]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Mapping[int, tuple[int, ...]], ...]: ...

    def __getitem__(
        self, index: int | slice
    ) -> Mapping[int, tuple[int, ...]] | tuple[Mapping[int, tuple[int, ...]], ...]:
        if isinstance(index, slice):
            return tuple(self[n] for n in range(*index.indices(len(self))))
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("dispatch index out of range")
        event = self._event
        edges = self._edges[self._offsets[index] : self._offsets[index + 1]]
        return {event[k]: (k,) for k in edges}

    def __iter__(self) -> Iterator[Mapping[int, tuple[int, ...]]]:
        event = self._event
        edges = self._edges
        offsets = self._offsets
        for start, end in zip(offsets, islice(offsets, 1, None), strict=False):
            yield {event[k]: (k,) for k in edges[start:end]}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        others = cast("Sequence[object]", other)
        return len(self) == len(others) and all(a == b for a, b in zip(self, others, strict=True))

    __hash__ = None  # type: ignore[assignment]  # like the tuple of dicts it stands for

    def __repr__(self) -> str:
        return f"<fsm dispatch table of {len(self)} states>"
