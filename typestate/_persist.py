"""``snapshot()`` and ``restore()``: a state object as JSON-safe data, and back, typed.

A snapshot is ``{"state": <class name>, "data": {<field>: <value>, ...}}``:
the class of the state object and its attrs fields, each a value JSON keeps
exactly as it is (``str``, ``int``, ``float``, ``bool``, ``None``, and lists
and string-keyed dicts of them; a field annotated ``tuple[...]`` is stored as
a list and made a tuple again). Nothing is pickled or evaluated: ``restore``
looks the class up among the classes it is given and calls its constructor.

``restore(snapshot, Agent)`` takes the type the caller expects, a state
class or a union of them (the alias ``Agent = Idle | Planning | Done``), as a
``TypeForm``: mypy and pyright read the result as that type, so the caller
narrows it (``match``) before calling a transition, and a state outside the
union is refused at run time rather than returned under the wrong type.
"""

from __future__ import annotations

import math
import re
import reprlib
import types
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from fsm import Machine, SnapshotError, Step, Store, StoredInstance, StoreError

from ._state import State, as_state

if TYPE_CHECKING:
    from typing_extensions import TypeForm

__all__ = ["Stored", "create", "load", "restore", "snapshot"]

S = TypeVar("S", bound=State)

_KEYS: Final = ("state", "data")
_TUPLE: Final = re.compile(r"^\s*(typing\.)?(tuple|Tuple)\s*\[")
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 40, 40


def _short(value: object) -> str:
    return _REPR.repr(value)


def snapshot(state: State) -> dict[str, Any]:
    """A JSON-safe dict of a state object, for :func:`restore` (and a store).

    Args:
        state: a state object that is not consumed (the current state).

    Returns:
        ``{"state": "Planning", "data": {"task": ...}}``: the class name and the
        fields its constructor takes, by name.

    Raises:
        fsm.SnapshotError: ``state`` was consumed (a later state is current),
            or a field holds a value JSON would not give back as it is (a
            tuple, a set, an object, a non-finite float); the message names
            the field.
        TypeError: ``state`` is not a state object.

    Examples:
        >>> from typestate import State, snapshot, transition
        >>> class Asked(State, final=True):
        ...     question: str
        >>> snapshot(Asked(question="why?"))
        {'state': 'Asked', 'data': {'question': 'why?'}}
    """
    cls = type(state)
    if as_state(cls) is None:
        raise TypeError(
            f"typestate.snapshot() takes a state object, an instance of a "
            f"typestate.State subclass (got {_short(state)} of type {cls.__name__})"
        )
    mark = state.__ts_mark__
    if mark is not None:
        now = "is in flight in" if mark.target is None else "was consumed by"
        then = "" if mark.target is None else f" -> {mark.target}"
        use = "the state that call returns" if mark.target is None else f"the {mark.target}"
        raise SnapshotError(
            f"can't take a snapshot of this {cls.__name__}: it {now} "
            f"{cls.__name__}.{mark.method}(){then}; take one of {use} that call returned"
        )
    data: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if not field.init:
            continue
        value: object = getattr(state, field.name)
        where = f"{cls.__name__}.{field.name}"
        stored = _untupled(value) if _is_tuple(field) else value
        _check_json(stored, where)
        data[field.alias] = stored
    return {"state": cls.__name__, "data": data}


def _untupled(value: object) -> object:
    if isinstance(value, tuple):
        return list(typing.cast("tuple[object, ...]", value))
    return value


def _is_tuple(field: attrs.Attribute[Any]) -> bool:
    """Whether a field is annotated ``tuple[...]`` (kept as a JSON list, made a tuple again)."""
    annotation: object = field.type
    if isinstance(annotation, str):
        return _TUPLE.match(annotation) is not None
    return typing.get_origin(annotation) is tuple or annotation is tuple


def _check_json(value: object, where: str) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if math.isfinite(value):
            return
        what = f"the float {value!r}, which JSON has no number for"
    elif type(value) is list:
        items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
        for n, item in enumerate(items):
            _check_json(item, f"{where}[{n}]")
        return
    elif type(value) is dict:
        entries: dict[object, object] = value  # pyright: ignore[reportUnknownVariableType]
        for key, item in entries.items():
            if not isinstance(key, str):
                what = f"a dict with the key {_short(key)}, and JSON keys are strings"
                break
            _check_json(item, f"{where}[{key!r}]")
        else:
            return
    elif isinstance(value, tuple):
        what = (
            "a tuple, which JSON gives back as a list (only a field annotated "
            "tuple[...] is made a tuple again)"
        )
    else:
        what = f"{_short(value)} of type {type(value).__name__}, which JSON cannot hold"
    raise SnapshotError(
        f"can't take a snapshot: {where} holds {what}; a stored field holds str, "
        f"int, float, bool or None, or a list or str-keyed dict of them"
    )


def restore(snapshot: object, states: TypeForm[S]) -> S:
    """The state object a :func:`snapshot` describes, typed as ``states``.

    Args:
        snapshot: the dict :func:`snapshot` returned (possibly after a trip
            through JSON or a database).
        states: the type the caller expects: a state class, or a union of
            them such as the alias ``Agent = Idle | Planning | Done``. An
            abstract superstate stands for its substates. The type checker
            gives the result this type, so the caller narrows it before
            calling a transition.

    Returns:
        A new, unconsumed state object of the snapshot's class, made by its
        constructor (so its validators and converters run).

    Raises:
        fsm.SnapshotError: the snapshot is malformed, names a class that is
            not one of ``states``, or its data does not fit that class's
            fields; the message says which.
        TypeError: ``states`` is not a state class or a union of them.

    Examples:
        >>> from typestate import State, restore, snapshot, transition
        >>> class Asking(State):
        ...     @transition
        ...     def answer(self, text: str) -> "Answered":
        ...         return Answered(text=text)
        >>> class Answered(State, final=True):
        ...     text: str
        >>> Chat = Asking | Answered
        >>> restore(snapshot(Answered(text="yes")), Chat)
        Answered(text='yes')
    """
    known = _classes(states)
    if not isinstance(snapshot, Mapping):
        raise SnapshotError(
            f"snapshot must be the dict typestate.snapshot() returns (got "
            f"{_short(snapshot)} of type {type(snapshot).__name__})"
        )
    raw: Mapping[object, object] = snapshot  # pyright: ignore[reportUnknownVariableType]
    if set(raw) != set(_KEYS):
        keys = ", ".join(sorted(map(repr, raw)))
        raise SnapshotError(
            f"snapshot must have exactly the keys 'state' and 'data' (got {keys or 'none'}); "
            f"pass the dict typestate.snapshot() returned"
        )
    name, data = raw["state"], raw["data"]
    shown = _short(data)
    cls = known.get(name) if isinstance(name, str) else None
    if cls is None:
        expected = ", ".join(known)
        raise SnapshotError(
            f"snapshot state {_short(name)} is not one of the states it is restored "
            f"as ({expected}); restore it as a type that includes its state"
        )
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):  # pyright: ignore[reportUnknownVariableType]
        raise SnapshotError(
            f"snapshot['data'] must be a dict of {name}'s fields by name (got {shown})"
        )
    fields: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    wanted = [field for field in attrs.fields(cls) if field.init]
    names = {field.alias for field in wanted}
    unknown = sorted(set(fields) - names)
    missing = sorted(
        field.alias
        for field in wanted
        if field.alias not in fields and field.default is attrs.NOTHING
    )
    if unknown or missing:
        said = [f"has no field {', '.join(unknown)}" if unknown else ""]
        said.append(f"needs {', '.join(missing)}" if missing else "")
        raise SnapshotError(
            f"snapshot data does not fit {name}: {name} "
            f"{' and '.join(part for part in said if part)}; the class changed since "
            f"the snapshot was taken, so migrate the stored data"
        )
    for field in wanted:
        value = fields.get(field.alias)
        if type(value) is list and _is_tuple(field):
            fields = {**fields, field.alias: tuple(value)}  # pyright: ignore[reportUnknownArgumentType]
    try:
        made = cls(**fields)
    except Exception as error:  # a validator or converter refused a value
        raise SnapshotError(
            f"snapshot data does not fit {name}: {name}(...) raised {type(error).__name__}: {error}"
        ) from error
    return typing.cast("S", made)


def _classes(states: object) -> dict[str, type[State]]:
    """The concrete state classes a type form stands for, by name."""
    value = getattr(states, "__value__", states)  # a `type X = ...` alias (3.12)
    options: tuple[object, ...]
    if typing.get_origin(value) in (typing.Union, types.UnionType):
        options = typing.get_args(value)
    else:
        options = (value,)
    found: dict[str, type[State]] = {}
    for option in options:
        cls = as_state(typing.get_origin(option) or option)
        if cls is None:
            hint = (
                "; pass the alias or the union itself, not its name as a string"
                if isinstance(option, (str, typing.ForwardRef))
                else ""
            )
            raise TypeError(
                f"typestate.restore() restores as a state class or a union of them "
                f"(got {_short(option)}){hint}"
            )
        for each in _concrete(cls):
            other = found.setdefault(each.__name__, each)
            if other is not each:
                raise TypeError(
                    f"two state classes are named {each.__name__} "
                    f"({other.__module__}.{other.__qualname__} and "
                    f"{each.__module__}.{each.__qualname__}); a snapshot names its "
                    f"state by class name, so restore as a union that has only one"
                )
    return found


def _concrete(cls: type[State]) -> list[type[State]]:
    if not cls.__ts_abstract__:
        return [cls]
    out: list[type[State]] = []
    for sub in cls.__subclasses__():
        out.extend(_concrete(sub))
    return out


# -- in a store ---------------------------------------------------------------------

#: The payload key under which a typed step stores the snapshot of the state entered.
ENTERED: Final = "entered"


class Stored(Generic[S]):
    """A typestate state object kept in an :class:`fsm.Store`, typed as ``S``.

    Made by :func:`create` and :func:`load`. :attr:`state` is the current
    state object, of the type given there (narrow it with ``match`` before
    calling a transition); :meth:`save` commits the state a transition of it
    returned. The stored instance is the protocol's, so the store's ids,
    histories, versions and conflicts apply: each step's payload holds the
    snapshot of the state it entered, under ``"entered"``.

    Not for sharing between threads (as :class:`fsm.StoredInstance`).
    """

    __slots__ = ("_state", "_stored")

    def __init__(self, stored: StoredInstance, state: S) -> None:
        self._stored = stored
        self._state = state

    def __repr__(self) -> str:
        return f"<typestate.Stored {self.id!r}, version {self.version}: {self._state!r}>"

    @property
    def id(self) -> str:
        """The id the instance is stored under."""
        return self._stored.id

    @property
    def state(self) -> S:
        """The current state object (as of the last load or save)."""
        return self._state

    @property
    def version(self) -> int:
        """The stored version last read or written (see :attr:`fsm.StoredInstance.version`)."""
        return self._stored.version

    @property
    def history(self) -> tuple[Step, ...]:
        """Every step committed, oldest first, read from the store."""
        return self._stored.history

    def save(self, state: S, /, *, event: str | None = None) -> S:
        """Commit ``state``, which a transition of :attr:`state` returned; return it.

        The event is the transition that consumed :attr:`state` (its
        linearity mark names it); pass ``event=`` for a class declared
        ``linear=False``, whose objects keep no mark. The step and the
        snapshot of ``state`` are committed in one transaction if the stored
        version is still :attr:`version`.

        Raises:
            fsm.Conflict: another writer saved first; nothing was written
                (load the instance again, and decide again from its state).
            fsm.SnapshotError: ``state`` cannot be stored (see :func:`snapshot`).
            ValueError: ``state`` is not what a transition of :attr:`state`
                returned, or the machine has no such step; nothing was written.
        """
        previous = self._state
        source, target = type(previous).__name__, type(state).__name__
        mark = previous.__ts_mark__
        if event is None:
            if mark is None or mark.target is None:
                raise ValueError(
                    f"can't save {target} for instance {self.id!r}: the current {source} "
                    f"has taken no transition yet; save what one of its transitions "
                    f"returns (or pass event= for a class declared linear=False)"
                )
            if mark.target != target:
                raise ValueError(
                    f"can't save {target} for instance {self.id!r}: the current {source} "
                    f"was consumed by {source}.{mark.method}() -> {mark.target}; save "
                    f"the {mark.target} that call returned"
                )
            event = mark.method
        machine = self._stored.machine
        if target not in _targets(machine, self._stored.state, event):
            raise ValueError(
                f"can't save {target} for instance {self.id!r}: machine {machine.name!r} "
                f"has no transition {self._stored.state} --{event}--> {target}; load it "
                f"with the machine of these classes, typestate.protocol(<initial class>)"
            )
        entered = snapshot(state)
        self._stored.send(event, **{ENTERED: entered})
        self._state = state
        return state


def _targets(machine: Machine, state: str, event: str) -> set[str]:
    """Where ``event`` leads from ``state``: from the state, else its nearest superstate."""
    here: str | None = state
    while here is not None:
        found = {t.target for t in machine.transitions if t.source == here and t.event == event}
        if found:
            return found
        here = machine.parents.get(here)
    return set()


def _deciders(machine: Machine) -> dict[str, object]:
    """A decider for each branch event: the target is the state the payload entered."""

    def decide(context: object, /, **payload: Any) -> str:
        entered: Any = payload[ENTERED]
        return str(entered["state"])

    return {f"decide_{t.event}": decide for t in machine.transitions if t.branch}


def create(store: Store, machine: Machine, id: str, states: TypeForm[S]) -> Stored[S]:
    """Store a new instance of ``machine`` under ``id``, in its initial state.

    The initial state is stored without data: its class is made with no
    arguments (its fields need defaults). Later states keep their fields.

    Args:
        store: an :class:`fsm.SQLiteStore` or :class:`fsm.PostgresStore`.
        machine: the protocol, ``typestate.protocol(Initial)``.
        id: the new instance's id.
        states: the type :attr:`Stored.state` has, as for :func:`restore`.

    Raises:
        fsm.StoreError: ``id`` is taken (see :meth:`fsm.Store.create`).
        fsm.SnapshotError: the initial state is not one of ``states``, or
            needs arguments.
    """
    state = restore({"state": machine.initial, "data": {}}, states)
    stored = store.create(machine, id, handlers=_deciders(machine))
    return Stored(stored, state)


def load(store: Store, machine: Machine, id: str, states: TypeForm[S]) -> Stored[S]:
    """The instance stored under ``id``, with its state object typed as ``states``.

    Example: ``agent = typestate.load(store, AGENT, "a1", Agent)``, then
    ``match agent.state: case Waiting() as waiting: agent.save(waiting.approve(...))``.

    Raises:
        fsm.NotStored: no instance is stored under ``id``.
        fsm.MachineMismatch: it was stored by another machine (or version).
        fsm.SnapshotError: its state is not one of ``states``, or its data no
            longer fits the class (see :func:`restore`).
        fsm.StoreError: its last step holds no typed state (it was moved by
            a plain send), or it kept changing while read.

    After :meth:`fsm.Store.migrate`, the typed state is read from the last
    step as before, under the state's new name when the migration renamed
    it: the class of the new name must accept the old one's fields (else
    :class:`fsm.SnapshotError`).
    """
    handlers = _deciders(machine)
    for _ in range(8):
        stored = store.load(machine, id, handlers=handlers)
        steps = store.steps(id)
        # The row's version read twice around the steps: equal, nothing was
        # committed in between, so the steps are those of this version.
        if store.load(machine, id, handlers=handlers).version != stored.version:
            continue
        if not steps:
            data: object = {"state": stored.state, "data": {}}
        else:
            last = steps[-1]
            entered: object = last.payload.get(ENTERED)
            typed = typing.cast("Mapping[str, object]", entered)
            # A version above the last step's: migrations since, which may
            # have renamed the state (never a send: a send writes a step).
            migrated = last.version < stored.version
            if not isinstance(entered, Mapping) or (
                typed.get("state") != stored.state and not migrated
            ):
                raise StoreError(
                    f"instance {id!r} has no typed state: its last step "
                    f"({last.source} --{last.event}--> {last.target}) holds no snapshot of "
                    f"{stored.state} under {ENTERED!r}; a typed instance moves only "
                    f"through typestate.Stored.save"
                )
            data = {**typed, "state": stored.state}
        return Stored(stored, restore(data, states))
    raise StoreError(
        f"instance {id!r} changed each time it was read (8 tries): other writers keep "
        f"sending to it; load it again later"
    )
