"""The synchronous product of machines, explored on the fly, and its deadlocks.

An event in the alphabets of several machines (the events on their
transitions) fires only when every one of them can take it, and they all move
together; an event of one machine alone fires on its own (interleaving).
Guards are not evaluated: a guarded transition or a branch outcome may always
be taken, so the product over-approximates what the real components can do.
"""

from __future__ import annotations

import reprlib
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import chain, compress, repeat
from typing import Final, cast

import fsm

from ._check import SEVERITY, Finding, Report
from ._progress import advance
from ._words import SEPARATOR as SEPARATOR

__all__ = ["DEFAULT_MAX_STATES", "compose", "deadlocks"]

#: The count of explored product states on the command line's progress line
#: goes up in steps of this many (a power of two: one mask per state).
_SHOWN_EVERY: Final = 1 << 14
_SHOWN_EVERY_MASK: Final = _SHOWN_EVERY - 1

#: The default bound on explored product states.
DEFAULT_MAX_STATES: Final = 1_000_000

#: The most leaf combinations a window may have for its moves to be kept in a
#: table; a shared event's segment wider than this is worked out per state.
_WINDOW: Final = 1 << 15

#: The most leaf combinations of a chunk of machines read as one column of
#: digits when the product states are named.
_CHUNK: Final = 4096

#: The moves of one part of a product state, in order: the deltas to add to
#: the product code, the global event number of each, and whether that event
#: has several moves there (a branch).
_Moves = tuple[tuple[int, ...], tuple[int, ...], tuple[bool, ...]]


class _Product:
    """The reachable part of a product, as integers.

    A product state is the code ``sum(leaf_i * radix_i)``. The machines are
    laid out in the code in an order of their own (machines that share events
    near each other), so that the leaves a part of the moves depends on are a
    few adjacent digits, a *window*, read from the code with one division.
    The moves of a product state are, in this order: those of the events one
    machine alone has, machine by machine, then the shared events, by the
    first machine that has them (their *leader*), each machine's in the order
    of its dispatch table. Each machine's own moves, and each leader's shared
    moves, form a *segment*; consecutive segments whose windows are small are
    grouped, and a group's moves are tabulated per window value the first
    time it is seen.

    ``codes`` lists the product states in breadth-first order; ``ends[n]`` is
    the length of ``codes`` once state ``n`` was expanded (so the parent of
    state ``n`` is the first state whose end is past ``n``). With
    ``keep_edges``, ``sources``, ``targets`` and ``labels`` hold every
    product move (target as a code; label ``2 * event + branch``).
    """

    def __init__(
        self, machines: Sequence[fsm.Machine], max_states: int, *, keep_edges: bool
    ) -> None:
        if not machines:
            raise ValueError("no machine given; pass one or more fsm.Machine values")
        if max_states < 1:
            raise ValueError(f"max_states must be at least 1 (got {max_states})")
        self.machines = tuple(machines)
        events = _alphabet(machines)
        self.events = tuple(events)
        self.sizes = [len(m.states) for m in machines]
        owners: list[list[int]] = [[] for _ in events]
        for c, m in enumerate(machines):
            for name in m.events:
                owners[events[name]].append(c)
        self.owners = owners
        layout = _layout(len(machines), owners)
        self.radix = [0] * len(machines)
        r = 1
        for c in layout:
            self.radix[c] = r
            r *= self.sizes[c]
        self._position = {c: p for p, c in enumerate(layout)}
        self._layout = layout
        self.local = [_local_moves(m, r, events) for m, r in zip(machines, self.radix, strict=True)]
        self.keep_edges = keep_edges
        self._plan = self._groups()
        self._explore(max_states, keep_edges=keep_edges)

    # -- the plan: which segments, tabulated or not ----------------------------

    def _groups(self) -> list[_Group]:
        """The segments in product order, grouped into windows."""
        owners = self.owners
        segments: list[tuple[int, bool, set[int]]] = []
        for c in range(len(self.machines)):
            if any(len(owners[e]) == 1 for moves in self.local[c] for e in moves):
                segments.append((c, True, {c}))
        for c in range(len(self.machines)):
            led = [e for e, who in enumerate(owners) if len(who) > 1 and who[0] == c]
            if led:
                segments.append((c, False, {p for e in led for p in owners[e]}))
        groups: list[_Group] = []
        members: list[tuple[int, bool]] = []
        needs: set[int] = set()
        for leader, own, wants in segments:
            if members and self._width(needs | wants) <= _WINDOW:
                members.append((leader, own))
                needs |= wants
                continue
            if members:
                groups.append(self._group(members, needs))
            members, needs = [(leader, own)], set(wants)
        if members:
            groups.append(self._group(members, needs))
        return groups

    def _window(self, needs: set[int]) -> tuple[int, int]:
        """The first and one past the last position of the machines ``needs``."""
        positions = [self._position[c] for c in needs]
        return min(positions), max(positions) + 1

    def _width(self, needs: set[int]) -> int:
        lo, hi = self._window(needs)
        width = 1
        for c in self._layout[lo:hi]:
            width *= self.sizes[c]
        return width

    def _group(self, members: list[tuple[int, bool]], needs: set[int]) -> _Group:
        lo, hi = self._window(needs)
        first = self._layout[lo]
        width = self._width(needs)
        if width <= _WINDOW or len(needs) == 1:
            return _Group(self, members, self.radix[first], width, self._layout[lo:hi])
        ((leader, _),) = members
        return _Group(self, members, self.radix[leader], self.sizes[leader], [])

    def segment(self, leader: int, own: bool, leaves: Sequence[int]) -> _Moves:
        """The moves of one segment, given the leaves of the machines (by machine)."""
        deltas: list[int] = []
        labels: list[int] = []
        branches: list[bool] = []
        owners = self.owners
        for e, mine in self.local[leader][leaves[leader]].items():
            who = owners[e]
            if own != (len(who) == 1) or who[0] != leader:
                continue  # another segment's event
            combos = list(mine)
            for other in who[1:]:  # each machine takes one of its moves, in machine order
                theirs = self.local[other][leaves[other]].get(e, ())
                combos = [a + b for a in combos for b in theirs]
            deltas += combos
            labels += [e] * len(combos)
            branches += [len(combos) > 1] * len(combos)
        return tuple(deltas), tuple(labels), tuple(branches)

    def leaves(self, code: int) -> list[int]:
        """The leaf of each machine (by machine) in one product state."""
        return [code // r % size for r, size in zip(self.radix, self.sizes, strict=True)]

    def moves(self, code: int) -> _Moves:
        """Every move of one product state, in order (for traces and checks)."""
        leaves = self.leaves(code)
        deltas: list[int] = []
        labels: list[int] = []
        branches: list[bool] = []
        for group in self._plan:
            for leader, own in group.members:
                d, e, b = self.segment(leader, own, leaves)
                deltas += d
                labels += e
                branches += b
        return tuple(deltas), tuple(labels), tuple(branches)

    # -- the search ------------------------------------------------------------

    def _explore(self, max_states: int, *, keep_edges: bool) -> None:
        """Breadth first from the initial product state, on the fly, up to ``max_states``."""
        start = sum(m.compiled.initial * r for m, r in zip(self.machines, self.radix, strict=True))
        self.codes = [start]
        self.ends = array("i")
        self.stuck: list[int] = []
        self.sources = array("i")
        self.targets: list[int] = []
        self.labels: list[int] = []
        if keep_edges:
            self._search_edges(max_states)
        else:
            self._search(max_states)

    def _search(self, max_states: int) -> None:
        """The search of :meth:`_explore` that keeps no edge (the one deadlocks runs)."""
        codes = self.codes
        seen = set(codes)
        ends = self.ends
        stuck = self.stuck
        plan = [(g.radix, g.width, g.deltas, g.led, g.fill) for g in self._plan]
        remember = seen.add
        append = codes.append
        for number, code in enumerate(codes):  # grows while read: a FIFO queue
            if not number & _SHOWN_EVERY_MASK:
                advance(number and _SHOWN_EVERY)  # the progress line's count, if shown
            found: list[int] = []
            for radix, width, table, led, fill in plan:
                digit = code // radix % width
                if led:
                    for e, mine, others in led[digit]:
                        combos: Sequence[int] = mine
                        for other_radix, size, other in others:
                            theirs = other[code // other_radix % size].get(e)
                            if theirs is None:
                                break
                            combos = [a + b for a in combos for b in theirs]
                        else:
                            found += combos
                else:
                    part = table[digit]
                    found += fill(digit) if part is None else part
            if not found:
                stuck.append(number)
            for delta in found:
                target = code + delta
                if target not in seen:
                    remember(target)
                    append(target)
            ends.append(len(codes))
            if len(codes) > max_states:
                raise self._too_large(max_states)

    def _search_edges(self, max_states: int) -> None:
        """The search of :meth:`_explore` that keeps every edge (for compose)."""
        codes = self.codes
        seen = set(codes)
        ends = self.ends
        stuck = self.stuck
        counts = array("i")
        targets = self.targets
        labels = self.labels
        plan = [(g.radix, g.width, g.deltas, g.labels, g.led, g.fill) for g in self._plan]
        remember = seen.add
        append = codes.append
        for number, code in enumerate(codes):  # grows while read: a FIFO queue
            if not number & _SHOWN_EVERY_MASK:
                advance(number and _SHOWN_EVERY)  # the progress line's count, if shown
            found: list[int] = []
            for radix, width, table, info, led, fill in plan:
                digit = code // radix % width
                if led:
                    for e, mine, others in led[digit]:
                        combos: Sequence[int] = mine
                        for other_radix, size, other in others:
                            theirs = other[code // other_radix % size].get(e)
                            if theirs is None:
                                break
                            combos = [a + b for a in combos for b in theirs]
                        else:
                            found += combos
                            labels += [2 * e + (len(combos) > 1)] * len(combos)
                    continue
                part = table[digit]
                found += fill(digit) if part is None else part
                labels += info[digit]
            if not found:
                stuck.append(number)
            reached = [code + delta for delta in found]
            for target in reached:
                if target not in seen:
                    remember(target)
                    append(target)
            counts.append(len(found))
            targets += reached
            ends.append(len(codes))
            if len(codes) > max_states:
                raise self._too_large(max_states)
        self.sources = array("i", chain.from_iterable(map(repeat, range(len(counts)), counts)))

    def _too_large(self, max_states: int) -> ValueError:
        names = " x ".join(repr(m.name) for m in self.machines)
        return ValueError(
            f"the product of {names} has more than {max_states:,} reachable "
            f"states; pass a larger max_states= or compose fewer machines"
        )

    def names(self) -> list[str]:
        """The names of the reached product states, in order.

        Read column by column: a chunk of machines adjacent in the code is one
        division per state, then one table lookup per machine.
        """
        columns: list[list[str]] = [[] for _ in self.machines]
        layout = self._layout
        p = 0
        while p < len(layout):
            q, width = p + 1, self.sizes[layout[p]]
            while q < len(layout) and width * self.sizes[layout[q]] <= _CHUNK:
                width *= self.sizes[layout[q]]
                q += 1
            radix = self.radix[layout[p]]
            digits = [code // radix % width for code in self.codes]
            for c in layout[p:q]:
                inner, size, states = self.radix[c] // radix, self.sizes[c], self.machines[c].states
                table = [states[d // inner % size] for d in range(width)]
                columns[c] = list(map(table.__getitem__, digits))
            p = q
        return list(map(SEPARATOR.join, zip(*columns, strict=True)))

    def components(self, code: int) -> tuple[str, ...]:
        """The component state names of one product state."""
        return tuple(
            m.states[code // r % size]
            for m, r, size in zip(self.machines, self.radix, self.sizes, strict=True)
        )

    def finals(self) -> list[int]:
        """The codes of the reached product states where every machine is final."""
        found = self.codes
        for m, r, size in zip(self.machines, self.radix, self.sizes, strict=True):
            final = {m.compiled.state_index[s] for s in m.final}
            found = [code for code in found if code // r % size in final]
        return found

    def is_final(self, code: int) -> bool:
        return all(
            m.states[code // r % size] in m.final
            for m, r, size in zip(self.machines, self.radix, self.sizes, strict=True)
        )

    def trace(self, number: int) -> tuple[str, ...]:
        """The events of the breadth-first path to state ``number`` (a shortest one)."""
        events: list[str] = []
        while number > 0:
            parent = bisect_right(self.ends, number)
            code = self.codes[parent]
            wanted = self.codes[number] - code
            deltas, labels, _ = self.moves(code)
            events.append(self.events[labels[deltas.index(wanted)]])
            number = parent
        events.reverse()
        return tuple(events)


#: A shared event led by one machine, worked out per product state: the event,
#: the leader's deltas, and for each other machine that has it (in machine
#: order) its radix, its size and its moves per leaf.
_Led = tuple[int, tuple[int, ...], tuple[tuple[int, int, list[dict[int, tuple[int, ...]]]], ...]]


class _Group:
    """Consecutive segments read from one window of the product code.

    A tabulated group (``window`` lists its machines, by position) keeps, per
    window value, the deltas of its moves (``deltas``) and their labels
    (``labels``, ``2 * event + branch``), filled on first use by :meth:`fill`.
    A group too wide for that is one leader whose shared events reach
    machines far apart; ``led`` gives, per leaf of the leader, the shared
    events it leads there, checked against the others' leaves in each state.
    """

    def __init__(
        self,
        product: _Product,
        members: list[tuple[int, bool]],
        radix: int,
        width: int,
        window: list[int],
    ) -> None:
        self.product = product
        self.members = tuple(members)
        self.radix = radix
        self.width = width
        self.window = window
        self.deltas: list[tuple[int, ...] | None] = [None] * width if window else []
        keep = window and product.keep_edges
        self.labels: list[tuple[int, ...]] = [()] * width if keep else []
        self.led: list[tuple[_Led, ...]] = [] if window else self._led()

    def _led(self) -> list[tuple[_Led, ...]]:
        ((leader, _),) = self.members
        product = self.product
        owners = product.owners
        local = product.local
        return [
            tuple(
                (
                    e,
                    mine,
                    tuple((product.radix[p], product.sizes[p], local[p]) for p in owners[e][1:]),
                )
                for e, mine in moves.items()
                if len(owners[e]) > 1 and owners[e][0] == leader
            )
            for moves in local[leader]
        ]

    def fill(self, digit: int) -> tuple[int, ...]:
        """Tabulate the moves of one window value, and return their deltas."""
        product = self.product
        leaves = [0] * len(product.machines)
        rest = digit
        for c in self.window:
            rest, leaves[c] = divmod(rest, product.sizes[c])
        deltas: list[int] = []
        labels: list[int] = []
        for leader, own in self.members:
            d, e, b = product.segment(leader, own, leaves)
            deltas += d
            labels += [2 * x + y for x, y in zip(e, b, strict=True)]
        self.deltas[digit] = part = tuple(deltas)
        if self.labels:
            self.labels[digit] = tuple(labels)
        return part


def _layout(count: int, owners: list[list[int]]) -> list[int]:
    """The machines in the order of their digits in the code.

    Breadth first over "shares an event with" from machine 0 (then from the
    next one not reached), neighbours in machine order: machines that share
    events end up near each other (a ring of machines is folded in two).
    """
    near: list[set[int]] = [set() for _ in range(count)]
    for who in owners:
        for c in who:
            near[c].update(who)
    order: list[int] = []
    placed = [False] * count
    for root in range(count):
        if placed[root]:
            continue
        placed[root] = True
        queue = [root]
        for c in queue:
            order.append(c)
            for n in sorted(near[c]):
                if not placed[n]:
                    placed[n] = True
                    queue.append(n)
    return order


def _alphabet(machines: Sequence[fsm.Machine]) -> dict[str, int]:
    """Every event of the machines, numbered in order of first appearance."""
    events: dict[str, int] = {}
    for m in machines:
        for name in m.events:
            events.setdefault(name, len(events))
    return events


def _local_moves(
    m: fsm.Machine, radix: int, events: dict[str, int]
) -> list[dict[int, tuple[int, ...]]]:
    """Per state of ``m``: global event number -> the deltas of its distinct targets."""
    compiled = m.compiled
    local = [events[name] for name in compiled.events]
    return [
        {
            local[e]: tuple(
                (t - s) * radix for t in dict.fromkeys(compiled.targets[n] for n in group)
            )
            for e, group in dispatch.items()
        }
        for s, dispatch in enumerate(compiled.dispatch)
    ]


def _machines(items: tuple[object, ...], function: str) -> list[fsm.Machine]:
    """The machines passed to ``function``, each a separate argument."""
    for item in items:
        if not isinstance(item, fsm.Machine):
            shown = f"a {type(item).__name__} ({reprlib.repr(item)})"
            hint = (
                "pass the machines as separate arguments: "
                if isinstance(item, (list, tuple))
                else "pass fsm.Machine values, as separate arguments: "
            )
            raise TypeError(f"{function}() got {shown}; {hint}{function}(*machines)")
    return cast("list[fsm.Machine]", list(items))


def compose(*machines: fsm.Machine, max_states: int = DEFAULT_MAX_STATES) -> fsm.Machine:
    """The synchronous product of ``machines``, as a Machine of its reachable states.

    A product state is named by its component leaf states joined with ``__``
    (``Idle__Ready``), which is an identifier because state names are; with
    one machine the names are its own. The product's final states are those
    where every component is final. Product transitions carry the event and
    its payload (from the first machine that has the event); guards and
    actions are dropped, and when one event may lead to several product
    states (guards or branches in a component) the transitions are marked as
    a branch.

    Args:
        machines: one or more machines.
        max_states: stop with an error past this many product states.

    Returns:
        An :class:`fsm.Machine` named ``A x B``.

    Raises:
        TypeError: an argument is not a Machine (a list of machines is
            passed as ``compose(*machines)``).
        ValueError: no machine given, the bound exceeded, or two product
            states would get the same name (component state names containing
            ``__``).

    Examples:
        >>> import fsm, analysis
        >>> client = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Idle
        ...     Idle --> Waiting : request
        ...     Waiting --> Idle : reply
        ... ''')
        >>> server = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Ready
        ...     Ready --> Busy : request
        ...     Busy --> Ready : reply
        ...     Busy --> Busy : log
        ... ''')
        >>> product = analysis.compose(client, server)
        >>> product.states
        ('Idle__Ready', 'Waiting__Busy')
        >>> for t in product.transitions:
        ...     print(t.describe())
        Idle__Ready --request--> Waiting__Busy
        Waiting__Busy --log--> Waiting__Busy
        Waiting__Busy --reply--> Idle__Ready
    """
    product = _Product(_machines(machines, "compose"), max_states, keep_edges=True)
    codes = product.codes
    names = product.names()
    if len(set(names)) != len(names):
        seen: dict[str, int] = {}
        for code, name in zip(codes, names, strict=True):
            if name in seen:
                first = product.components(codes[seen[name]])
                raise ValueError(
                    f"product states {first} and {product.components(code)} would both be "
                    f"named {name!r}; rename component states that contain {SEPARATOR!r}"
                )
            seen[name] = len(seen)
    number_of = dict(zip(codes, range(len(codes)), strict=True))
    labels = product.labels
    # The payload types of an event are those of the first machine that has it.
    params = {
        event: m.payload_types(event) for m in reversed(product.machines) for event in m.events
    }
    # A label is 2 * event + branch; a transition with a payload or in a branch
    # is given whole, every other one as three numbers.
    rich = [bool(branch or params[event]) for event in product.events for branch in (False, True)]
    # Events numbered in order of first use, as the product machine numbers them.
    halve = [label >> 1 for label in range(2 * len(product.events))]
    used = list(dict.fromkeys(map(halve.__getitem__, labels)))
    renumber = [0] * len(product.events)
    for n, e in enumerate(used):
        renumber[e] = n
    event_of = [renumber[label >> 1] for label in range(2 * len(product.events))]
    whole = {
        n: fsm.Transition(
            names[product.sources[n]],
            product.events[labels[n] >> 1],
            names[number_of[product.targets[n]]],
            params=params[product.events[labels[n] >> 1]],
            branch=bool(labels[n] & 1),
        )
        for n in compress(range(len(labels)), map(rich.__getitem__, labels))
    }
    # fsm's private entry for a few whole transitions among plain ones.
    return fsm.Machine._from_table(  # pyright: ignore[reportPrivateUsage]
        " x ".join(m.name for m in product.machines),
        states=names,
        events=[product.events[e] for e in used],
        source=product.sources,
        event=array("i", map(event_of.__getitem__, labels)),
        target=array("i", map(number_of.__getitem__, product.targets)),
        initial=names[0],
        final=[names[number_of[code]] for code in product.finals()],
        rich=whole,
    )


def deadlocks(*machines: fsm.Machine, max_states: int = DEFAULT_MAX_STATES) -> Report:
    """The reachable product states where nothing is enabled and not every machine is final.

    The product is explored on the fly, without building a Machine; given one
    machine (for example a product made by :func:`compose`), its reachable
    non-final states without a way out are its deadlocks.

    Args:
        machines: one or more machines, as separate arguments.
        max_states: stop with an error past this many product states.

    Returns:
        A :class:`Report` named ``A x B`` (ok when there is no deadlock) with
        one :class:`Finding` of kind ``deadlock`` per deadlocked product state,
        nearest first: ``states`` holds the component states, ``trace`` a
        shortest event sequence that leads there.

    Raises:
        TypeError: an argument is not a Machine (a list of machines is
            passed as ``deadlocks(*machines)``).
        ValueError: no machine given, or the bound exceeded.

    Examples:
        >>> import fsm, analysis
        >>> a = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> A0
        ...     A0 --> A1 : x
        ...     A1 --> A2 : y
        ...     A2 --> [*]
        ... ''')
        >>> b = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> B0
        ...     B0 --> B1 : y
        ...     B1 --> B2 : x
        ...     B2 --> [*]
        ... ''')
        >>> report = analysis.deadlocks(a, b)
        >>> bool(report)
        False
        >>> [(f.states, f.trace) for f in report]
        [(('A0', 'B0'), ())]
    """
    product = _Product(_machines(machines, "deadlocks"), max_states, keep_edges=False)
    found: list[Finding] = []
    for number in product.stuck:
        code = product.codes[number]
        if product.is_final(code):
            continue
        states = product.components(code)
        shown = ", ".join(
            f"{m.name!r} in {s!r}" for m, s in zip(product.machines, states, strict=True)
        )
        found.append(
            Finding(
                "deadlock",
                f"no event is enabled with {shown}, and not every machine is in a final state",
                states,
                product.trace(number),
                SEVERITY["deadlock"],
            )
        )
    return Report(" x ".join(m.name for m in product.machines), tuple(found))
