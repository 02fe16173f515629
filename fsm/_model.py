"""The model: the immutable :class:`Machine`.

A Machine is a value. It is validated once, when it is built, and every problem
found is reported together in one :class:`~fsm.DefinitionError`. Construction
also compiles integer-indexed tables (:class:`Compiled`) so that the runtime
and the analysis never search lists.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, chain
from typing import TYPE_CHECKING, Any, cast

import attrs

from . import _json
from ._arguments import bad_argument, type_problems
from ._display import mimebundle
from ._errors import DefinitionError
from ._frozen import FrozenMap
from ._runtime import bind
from ._table import Dispatch, Layout, Table, layout, numbers, same_lengths
from ._transition import ELSE, Transition, strings
from ._validate import valid_table, validate

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

    from ._clock import Clock
    from ._runtime import BoundMachine, Instance, Listener

__all__ = ["Compiled", "Machine"]

_NO_PAYLOAD: tuple[tuple[str, str | None], ...] = ()


def _final(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))  # one state, as for `states`, not its characters
    try:
        return frozenset(value)
    except TypeError:
        raise bad_argument("final", "an iterable of state names", value) from None


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    if isinstance(value, Table):
        # From the bulk constructor: validated and compiled from its arrays, and
        # replaced by None in __attrs_post_init__ (see _stored).
        return cast("tuple[Transition, ...]", value)
    try:
        return tuple(value)
    except TypeError:
        raise bad_argument("transitions", "an iterable of fsm.Transition", value) from None


def _event_names(value: Iterable[str]) -> tuple[str, ...]:
    try:
        return strings(value)
    except TypeError:
        raise bad_argument("events", "an iterable of event names", value) from None


def _states(value: Iterable[str]) -> tuple[str, ...]:
    try:
        return strings(value)
    except TypeError:
        raise bad_argument("states", "an iterable of state names", value) from None


@attrs.frozen
class Compiled:
    """Integer-indexed tables compiled once when a :class:`Machine` is built.

    States and events are numbered in definition order. Transition numbers are
    positions in :attr:`Machine.transitions`.

    Attributes:
        state_index: state name -> number.
        event_index: event name -> number.
        events: every event name, in order of first use.
        children: for each state number, the numbers of its direct substates.
        is_leaf: for each state number, True when it has no substates (only a
            leaf can be the current state of a running machine).
        initial: the number of the leaf entered at start (the initial state,
            resolved through superstate entries).
        targets: for each transition, the number of the leaf it enters, a
            read-only sequence of ints (it does not compare equal to a tuple:
            ``tuple(targets)`` makes one).
        dispatch: for each state number, event number -> the numbers of the
            transitions that may fire, in evaluation order: the state's own
            transitions for that event, else those of its nearest ancestor
            that has some; guarded ones in definition order, ``else`` last.
            A read-only sequence of mappings; for a simple machine (see
            ``simple``) each mapping is made when it is read, so read
            ``offsets`` and ``edges`` to go over a large machine.
        source: for each transition, the number of the state it leaves (as
            written: a superstate's transitions are numbered once), a
            read-only sequence of ints (a read-only ``memoryview`` of the
            machine's array: ``source``, ``event``, ``target``, ``targets``,
            ``offsets`` and ``edges`` cannot be changed).
        event: for each transition, the number of its event in ``events``.
        target: for each transition, the number of the state it names as its
            target (``targets`` gives the leaf that is entered).
        rich: transition number -> the :class:`Transition`, for the
            transitions with more than a source, an event and a target (a
            guard, actions, a payload, a branch, internal, a timer). Every
            other transition ``n`` is ``Transition(states[source[n]],
            events[event[n]], states[target[n]])``: with these four fields
            the transitions are read without making the Transition objects.
        offsets: with ``edges``, ``dispatch`` in compressed sparse row form:
            the transitions that may fire in state ``s`` are
            ``edges[offsets[s]:offsets[s + 1]]``, in the order of
            ``dispatch[s]`` (its events in order, each group in evaluation
            order). One entry per state, plus one.
        edges: transition numbers, grouped by state as ``offsets`` says (a
            ``range`` when that is the identity).
        simple: True when no state has two transitions on one event and
            there is no hierarchy: then ``edges`` are each state's own
            transitions in definition order, one per event.
    """

    state_index: Mapping[str, int]
    event_index: Mapping[str, int]
    events: tuple[str, ...]
    children: tuple[tuple[int, ...], ...]
    is_leaf: tuple[bool, ...]
    initial: int
    targets: Sequence[int]
    dispatch: Sequence[Mapping[int, tuple[int, ...]]]
    source: Sequence[int]
    event: Sequence[int]
    target: Sequence[int]
    rich: Mapping[int, Transition]
    offsets: Sequence[int]
    edges: Sequence[int]
    simple: bool

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # A read-only view does not pickle: pickle the numbers as arrays.
        values: dict[str, Any] = {}
        for field in attrs.fields(Compiled):
            value = getattr(self, field.name)
            if isinstance(value, memoryview):
                value = array(value.format, value.tobytes())
            values[field.name] = value
        return (_unpickle_compiled, (values,))


def _unpickle_compiled(values: dict[str, Any]) -> Compiled:
    for name, value in values.items():
        if isinstance(value, array):
            values[name] = _read_only(cast("Sequence[int]", value))
    return Compiled(**values)


def _frozen_map(
    value: Mapping[str, str] | Iterable[tuple[str, str]],
) -> FrozenMap[str, str]:
    return FrozenMap[str, str](value)


def _parents(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> FrozenMap[str, str]:
    try:
        return _frozen_map(value)
    except (TypeError, ValueError):
        raise bad_argument("parents", "a mapping of state names to state names", value) from None


def _entries(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> FrozenMap[str, str]:
    try:
        return _frozen_map(value)
    except (TypeError, ValueError):
        raise bad_argument("entries", "a mapping of state names to state names", value) from None


@attrs.frozen(repr=False, eq=False)
class Machine:
    """A protocol as data: states, one initial state, final states, transitions.

    A Machine is immutable and hashable, and equal to another with the same
    fields. Building one validates it and reports every problem found in one
    :class:`~fsm.DefinitionError`. Reachability problems are not errors here;
    :func:`analysis.check` reports them, so a half-built protocol still loads.

    Args:
        name: the protocol's name.
        states: every state, in definition order (superstates included).
        initial: the state entered at start.
        final: the accepting states.
        transitions: the transitions, in definition order.
        parents: state -> its superstate, for hierarchy.
        entries: superstate -> the substate entered when the superstate is
            the target of a transition (``[*] --> X`` inside its block).

    Examples:
        >>> from fsm import Machine, Transition
        >>> m = Machine(
        ...     "Door",
        ...     states=("Closed", "Open"),
        ...     initial="Closed",
        ...     transitions=(
        ...         Transition("Closed", "open", "Open"),
        ...         Transition("Open", "close", "Closed"),
        ...     ),
        ... )
        >>> m
        <fsm.Machine 'Door': 2 states, 2 transitions>
        >>> m.events
        ('open', 'close')
    """

    name: str
    states: tuple[str, ...] = attrs.field(converter=_states)
    initial: str
    final: frozenset[str] = attrs.field(default=frozenset(), converter=_final)
    # Read through the `transitions` property set below the class: the slot
    # holds the tuple, or None (a bulk machine) until the tuple is first read.
    transitions: tuple[Transition, ...] = attrs.field(default=(), converter=_transitions)
    parents: Mapping[str, str] = attrs.field(factory=FrozenMap[str, str], converter=_parents)
    entries: Mapping[str, str] = attrs.field(factory=FrozenMap[str, str], converter=_entries)
    _compiled: Compiled = attrs.field(
        init=False, eq=False, hash=False, repr=False, alias="_compiled"
    )
    _fingerprint: str | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False, alias="_fingerprint"
    )
    _superstates: frozenset[str] | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False, alias="_superstates"
    )
    _payload_types: dict[str, tuple[tuple[str, str | None], ...]] | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False, alias="_payload_types"
    )
    _timers: Mapping[str, Mapping[str, float]] | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False, alias="_timers"
    )
    # The transitions as arrays of numbers (fsm._table): every machine has one.
    _table: Table = attrs.field(init=False, eq=False, hash=False, repr=False, alias="_table")
    _hash: int | None = attrs.field(
        init=False, default=None, eq=False, hash=False, repr=False, alias="_hash"
    )

    def __attrs_post_init__(self) -> None:
        given = _stored(self)
        size = len(self.states)
        table: Table | None = None
        state_index: dict[str, int] | None = None
        if isinstance(given, Table):  # from the bulk constructor
            _TRANSITIONS.__set__(self, None)
            table = given
            state_index = given.state_index
            given.state_index = None
        if state_index is None:
            state_index = _state_index(self.states)
        if table is None and state_index is not None:
            table = Table.of_transitions(cast("tuple[Transition, ...]", given), state_index)
        if table is not None and table.clean and state_index is not None:
            # Shown valid on the arrays, in linear time: no Transition looked at
            # one by one (and none made, for the bulk constructor).
            laid = layout(table, size)
            if valid_table(self, table, laid, state_index):
                object.__setattr__(self, "_table", table)
                object.__setattr__(self, "_compiled", _compile(self, table, state_index, laid))
                return
        if isinstance(given, Table):
            # Check the Transitions one by one, as an ordinary construction
            # does, so that the problems are the same.
            _TRANSITIONS.__set__(self, given.transitions(self.states))
        try:
            problems = validate(self)
        except TypeError:  # an unhashable part: a caller that is not type-checked
            problems = type_problems(self, Transition)
            if not problems:
                raise
            raise DefinitionError(problems) from None
        if problems:
            raise DefinitionError(problems)
        # Valid, but not shown so on the arrays (the fast checks are cautious).
        state_index = {state: n for n, state in enumerate(self.states)}
        table = Table.of_transitions(self.transitions, state_index)
        assert table is not None  # a valid machine names known states only
        object.__setattr__(self, "_table", table)
        object.__setattr__(
            self, "_compiled", _compile(self, table, state_index, layout(table, size))
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Machine):
            return NotImplemented
        if self is other:
            return True
        that = other
        return (
            self.name == that.name
            and self.states == that.states
            and self.initial == that.initial
            and self.final == that.final
            and self.parents == that.parents
            and self.entries == that.entries
            and self._table == that._table
        )

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        # Made once: the arrays of a large machine are long.
        if self._hash is None:
            parts = (self.name, self.states, self.initial, self.final, self.parents, self.entries)
            found = hash((*parts, self._table))
            object.__setattr__(self, "_hash", found)
            return found
        return self._hash

    def __getstate__(self) -> dict[str, Any]:
        # The slots as they are: a bulk machine pickles without making its
        # Transition objects; the hash of strings differs between processes.
        state = {f.name: getattr(self, f.name) for f in attrs.fields(Machine)[5:]}
        state["transitions"] = _stored(self)
        for f in attrs.fields(Machine)[:4]:
            state[f.name] = getattr(self, f.name)
        state["_hash"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (
            f"<fsm.Machine {self.name!r}: {len(self.states)} states, "
            f"{len(self._table)} transitions>"
        )

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Its diagram, for Jupyter: Mermaid, and SVG with ``analysis`` and Graphviz."""
        return mimebundle(repr(self), self)

    # -- derived, read-only views -------------------------------------------------

    @property
    def compiled(self) -> Compiled:
        """The integer-indexed tables compiled when this Machine was built."""
        return self._compiled

    @property
    def events(self) -> tuple[str, ...]:
        """Every event name, in order of first use."""
        return self._compiled.events

    @property
    def superstates(self) -> frozenset[str]:
        """The states that have substates."""
        # Made once: renderers and code generation ask once per transition.
        if self._superstates is None:
            found = frozenset(self.parents.values())
            object.__setattr__(self, "_superstates", found)
            return found
        return self._superstates

    def ancestors(self, state: str) -> tuple[str, ...]:
        """The superstates of ``state``, nearest first."""
        chain: list[str] = []
        parent = self.parents.get(state)
        while parent is not None:
            chain.append(parent)
            parent = self.parents.get(parent)
        return tuple(chain)

    def resolve(self, state: str) -> str:
        """The leaf entered when ``state`` is entered (following entries)."""
        index = self._compiled.state_index.get(state)
        if index is None:
            raise KeyError(state)
        while state in self.entries:
            state = self.entries[state]
        return state

    def payload_types(self, event: str) -> tuple[tuple[str, str | None], ...]:
        """The payload types of ``event``: its ``(name, annotation)`` pairs.

        Every transition on an event carries the same payload (the constructor
        checks it), so this is the ``params`` of each of them. An annotation
        is None where the definition gives no type.

        Raises:
            KeyError: ``event`` is not an event of this machine.
        """
        # Made once: code generation, strategies and products ask per transition.
        table = self._payload_types
        if table is None:
            # A plain transition has no payload, and every transition on an
            # event has the same: the rich ones say it.
            table = dict.fromkeys(self._compiled.events, _NO_PAYLOAD)
            for t in self._table.rich.values():
                table[t.event] = t.params
            object.__setattr__(self, "_payload_types", table)
        return table[event]

    @property
    def timers(self) -> Mapping[str, Mapping[str, float]]:
        """The timers: for each state that declares one, its timer events and delays.

        ``machine.timers["Waiting"]["timeout"] == 30.0`` for
        ``Waiting --> Escalated : timeout after 30s``. The states are the
        sources as written (a superstate's timer applies while any of its
        substates is held), in definition order; delays are seconds. Empty
        when the machine has no timer. A timer's event is an ordinary event
        otherwise: it may also be sent, and other states may take it with no
        delay.

        Examples:
            >>> import fsm
            >>> m = fsm.parse(
            ...     "stateDiagram-v2\\n[*] --> Waiting\\n"
            ...     "Waiting --> Escalated : timeout after 30s\\nEscalated --> [*]"
            ... )
            >>> {state: dict(events) for state, events in m.timers.items()}
            {'Waiting': {'timeout': 30.0}}
        """
        table = self._timers
        if table is None:
            found: dict[str, dict[str, float]] = {}
            for t in self._table.rich.values():  # a timer is rich, in definition order
                if t.after is not None:
                    found.setdefault(t.source, {}).setdefault(t.event, float(t.after))
            table = FrozenMap({state: FrozenMap(events) for state, events in found.items()})
            object.__setattr__(self, "_timers", table)
        return table

    def transitions_from(self, state: str, event: str) -> tuple[Transition, ...]:
        """The transitions that may fire for ``event`` in ``state``.

        Superstates are taken into account: when ``state`` defines no
        transition for ``event``, its nearest ancestor that does is used.
        Guarded transitions come in evaluation order, ``else`` last.
        """
        compiled = self._compiled
        state_number = compiled.state_index.get(state)
        event_number = compiled.event_index.get(event)
        if state_number is None or event_number is None:
            return ()
        numbers = compiled.dispatch[state_number].get(event_number, ())
        made = _stored(self)
        if isinstance(made, tuple):
            return tuple(made[n] for n in numbers)
        return tuple(self._table.transition(self.states, n) for n in numbers)

    def enabled_events(self, state: str) -> tuple[str, ...]:
        """The events that have a transition in ``state`` (guards not evaluated)."""
        compiled = self._compiled
        table = compiled.dispatch[compiled.state_index[state]]
        return tuple(compiled.events[e] for e in sorted(table))

    @property
    def fingerprint(self) -> str:
        """A stable sha256 of the machine's canonical JSON form (hex)."""
        # Computed on first use: a machine is immutable, and snapshots ask often.
        if self._fingerprint is None:
            digest = _json.fingerprint(self)
            object.__setattr__(self, "_fingerprint", digest)
            return digest
        return self._fingerprint

    # -- the bulk constructor (see fsm._table) --------------------------------------

    @classmethod
    def from_arrays(
        cls,
        name: str,
        *,
        states: Sequence[str],
        events: Sequence[str],
        source: Sequence[int],
        event: Sequence[int],
        target: Sequence[int],
        initial: str,
        final: Iterable[str] = (),
        parents: Mapping[str, str] | None = None,
        entries: Mapping[str, str] | None = None,
    ) -> Self:
        """Build a Machine from arrays of numbers: one entry per transition, no object each.

        Transition ``n`` is ``Transition(states[source[n]], events[event[n]],
        states[target[n]])``: a plain transition (no guard, action, payload,
        branch, timer). The result is equal to (``==``, ``hash``,
        ``fingerprint``, ``events``, ``to_dict``: in every way) the Machine
        built from those Transitions with the other arguments unchanged, and
        a defect in it is reported with the same problems. This is the way to
        build a machine of millions of transitions: ``source``, ``event`` and
        ``target`` may be ``array('i')`` arrays, lists, ranges, any sequences
        of ints.

        Args:
            name: the protocol's name.
            states: every state, in definition order; ``source`` and
                ``target`` hold positions in it.
            events: event names; ``event`` holds positions in it. An event
                never used is not an event of the machine, and
                :attr:`events` lists the used ones in order of first use.
            source: for each transition, the number of the state it leaves.
            event: for each transition, the number of its event.
            target: for each transition, the number of the state it enters.
            initial: the state entered at start.
            final: the accepting states.
            parents: state -> its superstate, for hierarchy.
            entries: superstate -> the substate entered when it is targeted.

        Raises:
            DefinitionError: the arrays differ in length, an entry is not an
                integer or not a position in ``states`` (``events``) (the
                message names the first such entry and its value), or the
                machine is invalid as :class:`Machine` would say.

        Examples:
            >>> from fsm import Machine
            >>> m = Machine.from_arrays(
            ...     "Door",
            ...     states=["Closed", "Open"],
            ...     events=["open", "close"],
            ...     source=[0, 1],
            ...     event=[0, 1],
            ...     target=[1, 0],
            ...     initial="Closed",
            ... )
            >>> m
            <fsm.Machine 'Door': 2 states, 2 transitions>
            >>> m.transitions_from("Closed", "open")
            (Transition('Closed', 'open', 'Open'),)
        """
        return cls._from_table(
            name,
            states=states,
            events=events,
            source=source,
            event=event,
            target=target,
            initial=initial,
            final=final,
            parents=parents,
            entries=entries,
        )

    @classmethod
    def _from_table(
        cls,
        name: str,
        *,
        states: Sequence[str],
        events: Sequence[str],
        source: Sequence[int],
        event: Sequence[int],
        target: Sequence[int],
        initial: str,
        final: Iterable[str] = (),
        parents: Mapping[str, str] | None = None,
        entries: Mapping[str, str] | None = None,
        rich: Mapping[int, Transition] | None = None,
    ) -> Self:
        """:meth:`from_arrays`, with some transitions given whole (for readers of large files).

        ``rich`` maps a position to its full :class:`Transition` (with a guard,
        actions, payload, ...): transition ``n`` is ``rich[n]`` when ``n`` is
        in ``rich``, else the plain transition the arrays give. The arrays'
        entries at a position in ``rich`` are not read (they must still be
        integers; 0 will do). A rich transition may name any state or event,
        known or not: it is validated as the ordinary constructor does.
        """
        state_names = _states(states)
        event_names = _event_names(events)
        extra: Mapping[int, Transition] = {} if rich is None else rich
        sources = numbers("source", source, len(state_names), "states", extra)
        event_numbers = numbers("event", event, len(event_names), "events", extra)
        targets = numbers("target", target, len(state_names), "states", extra)
        same_lengths(sources, event_numbers, targets)
        outside = [n for n in extra if not 0 <= n < len(sources)]
        if outside:
            raise DefinitionError(
                f"rich has position {outside[0]}, but there are {len(sources)} transitions"
            )
        table = Table.of_arrays(state_names, event_names, sources, event_numbers, targets, extra)
        return cls(
            name,
            state_names,
            initial,
            final,
            table,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            FrozenMap[str, str]() if parents is None else parents,
            FrozenMap[str, str]() if entries is None else entries,
        )

    # -- JSON (see fsm._json) -----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """This machine as a JSON-safe dict (see ``docs/reference/json.md``)."""
        return _json.document(self)

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Build a Machine from a document written by :meth:`to_dict`.

        Raises:
            DefinitionError: the document is malformed (each problem names its
                JSON path, such as ``$.transitions[2].event``) or describes an
                invalid machine.
        """
        fields = _json.machine_fields(data)
        try:
            return cls(**fields)
        except DefinitionError as error:
            raise _json.located(error) from None

    # -- runtime (see fsm._runtime) ------------------------------------------------

    def bind(
        self,
        context_type: type[Any] | None = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
    ) -> BoundMachine:
        """Resolve every guard, action, hook and decider name, once.

        Names are looked up in ``handlers`` first, then on ``context_type``.
        Start many instances from the result: starting is cheap.

        Args:
            context_type: the class of the context objects whose methods are
                the handlers, or None.
            handlers: name -> function called with the context first.
            listeners: functions called as ``listener(instance, step,
                payload)`` after each transition.

        Returns:
            A :class:`fsm.BoundMachine`.

        Raises:
            DefinitionError: a guard, action or decider is missing, not
                callable or not a public method of ``context_type`` (a
                property, a data attribute, a nested class, an attribute of
                the metaclass), or ``handlers`` has a name the machine does not
                use.
        """
        return bind(self, context_type, handlers=handlers, listeners=listeners)

    def start(
        self,
        context: object = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
        lock: bool = False,
        history: bool | int = False,
        clock: Clock | None = None,
    ) -> Instance:
        """Bind to ``type(context)`` and start one instance in the initial state.

        A shortcut for ``machine.bind(...).start(...)``; to start many
        instances, bind once and call :meth:`fsm.BoundMachine.start`.
        """
        context_type = None if context is None else type(context)
        bound = self.bind(context_type, handlers=handlers, listeners=listeners)
        return bound.start(context, lock=lock, history=history, clock=clock)

    def restore(
        self,
        snapshot: object,
        context: object = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
        lock: bool = False,
        history: bool | int | None = None,
        clock: Clock | None = None,
    ) -> Instance:
        """Bind as :meth:`start` does, and restore an instance from ``snapshot``.

        Raises:
            SnapshotError: the snapshot is malformed, of another machine, or
                names an unknown state (see :meth:`fsm.BoundMachine.restore`).
        """
        context_type = None if context is None else type(context)
        bound = self.bind(context_type, handlers=handlers, listeners=listeners)
        return bound.restore(snapshot, context, lock=lock, history=history, clock=clock)


# -- compilation --------------------------------------------------------------------


def _state_index(states: tuple[str, ...]) -> dict[str, int] | None:
    try:
        return dict(zip(states, range(len(states)), strict=True))
    except TypeError:  # an unhashable state: validation names it
        return None


def _count(table: Mapping[int, tuple[int, ...]]) -> int:
    return sum(map(len, table.values()))


# The slot attrs made for the `transitions` field (set below the class).
_TRANSITIONS: Any = Machine.__dict__["transitions"]


def _stored(m: Machine) -> tuple[Transition, ...] | Table | None:
    """What the `transitions` slot holds: None until a bulk machine's tuple is made."""
    return cast("tuple[Transition, ...] | Table | None", _TRANSITIONS.__get__(m, Machine))


def _get_transitions(m: Machine) -> tuple[Transition, ...]:
    found = _stored(m)
    if not isinstance(found, tuple):
        found = m._table.transitions(m.states)  # pyright: ignore[reportPrivateUsage]
        _TRANSITIONS.__set__(m, found)
    return found


# `Machine.transitions` is an attrs field (so attrs.fields, asdict, evolve and
# __match_args__ see it) read through this property: a machine built by
# from_arrays makes its Transition objects when they are first read.
setattr(  # noqa: B010 (set on the class after attrs made the slot)
    Machine,
    "transitions",
    property(
        _get_transitions,
        _TRANSITIONS.__set__,
        doc="""The transitions, in definition order.

        A machine built by :meth:`Machine.from_arrays` makes the Transition
        objects when this is first read, and keeps them; the analysis and the
        runtime read :attr:`Machine.compiled` instead, so a large machine need
        not make them.
        """,
    ),
)


def _read_only(values: Sequence[int]) -> Sequence[int]:
    """A read-only view of an array (the machine's own storage is not handed out)."""
    if isinstance(values, array):
        return memoryview(values).toreadonly()
    return values  # a range or a tuple: immutable already


def _compile(m: Machine, table: Table, state_index: dict[str, int], laid: Layout) -> Compiled:
    size = len(m.states)
    event_index = {e: k for k, e in enumerate(table.names)}
    if m.parents:
        children: list[list[int]] = [[] for _ in range(size)]
        parent_of: list[int] = [-1] * size
        for child, parent in m.parents.items():
            children[state_index[parent]].append(state_index[child])
            parent_of[state_index[child]] = state_index[parent]
        for kids in children:
            kids.sort()
        kids_of = tuple(tuple(kids) for kids in children)
        is_leaf = tuple(not kids for kids in children)
    else:
        parent_of = []
        kids_of = ((),) * size
        is_leaf = (True,) * size

    # The leaf entered for each state: itself, or the end of its entry chain.
    leaf_of = list(range(size)) if m.entries else []
    entries = m.entries
    for superstate in entries:
        if leaf_of[state_index[superstate]] != state_index[superstate]:
            continue  # resolved as part of an earlier chain
        chain_: list[str] = []
        name = superstate
        while name in entries:
            chain_.append(name)
            name = entries[name]
        for link in chain_:
            leaf_of[state_index[link]] = state_index[name]
    target = table.target
    targets = array("i", map(leaf_of.__getitem__, target)) if leaf_of else target
    initial = state_index[m.initial]
    if leaf_of:
        initial = leaf_of[initial]

    simple = not m.parents and not laid.repeated
    dispatch: Sequence[Mapping[int, tuple[int, ...]]]
    if simple:
        # One transition per (state, event), no inheritance: the layout by
        # source is the dispatch table, read on demand.
        offsets: Sequence[int] = laid.offsets
        edges: Sequence[int] = laid.edges
        dispatch = Dispatch(offsets, edges, table.event)
    else:
        dispatch = _dispatch(m, table, laid, parent_of, kids_of)
        offsets = array("q", accumulate(map(_count, dispatch), initial=0))
        edges = array("i", chain.from_iterable(chain.from_iterable(t.values() for t in dispatch)))
    return Compiled(
        state_index=state_index,
        event_index=event_index,
        events=table.names,
        children=kids_of,
        is_leaf=is_leaf,
        initial=initial,
        targets=_read_only(targets),
        dispatch=dispatch,
        source=_read_only(table.source),
        event=_read_only(table.event),
        target=_read_only(target),
        rich=FrozenMap(table.rich),
        offsets=_read_only(offsets),
        edges=_read_only(edges),
        simple=simple,
    )


def _dispatch(
    m: Machine,
    table: Table,
    laid: Layout,
    parent_of: list[int],
    children: tuple[tuple[int, ...], ...],
) -> tuple[Mapping[int, tuple[int, ...]], ...]:
    """The dispatch tables, one dict per state, of a machine with hierarchy or groups."""
    size = len(m.states)
    event = table.event
    rich = table.rich
    offsets = laid.offsets
    edges = laid.edges
    ordered: list[dict[int, tuple[int, ...]]] = []
    for state in range(size):
        groups: dict[int, list[int]] = {}
        for n in edges[offsets[state] : offsets[state + 1]]:
            groups.setdefault(event[n], []).append(n)
        own: dict[int, tuple[int, ...]] = {}
        for e, ns in groups.items():
            if len(ns) > 1:
                # Evaluation order inside a group: definition order, the [else] fallback last.
                ns.sort(key=lambda n: n in rich and rich[n].guard == ELSE)
            own[e] = tuple(ns)
        ordered.append(own)
    dispatch: list[Mapping[int, tuple[int, ...]]] = list(ordered)
    if not parent_of:
        return tuple(dispatch)
    # Parents before children, so each substate starts from its parent's
    # finished table (its own transitions win) instead of walking every
    # ancestor; a substate without transitions of its own shares the table.
    queue = [number for number in range(size) if parent_of[number] == -1]
    for number in queue:  # grows while it is read
        queue.extend(children[number])
        up = parent_of[number]
        if up == -1 or not dispatch[up]:
            continue
        if ordered[number]:
            # Own events first, then the inherited ones nearest first: the
            # order the analysis walks a table in.
            inherited = dict(ordered[number])
            for e, numbers in dispatch[up].items():
                inherited.setdefault(e, numbers)
            dispatch[number] = inherited
        else:
            dispatch[number] = dispatch[up]
    return tuple(dispatch)
