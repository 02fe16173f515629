"""The model: the immutable :class:`Machine`.

A Machine is a value. It is validated once, when it is built, and every problem
found is reported together in one :class:`~fsm.DefinitionError`. Construction
also compiles integer-indexed tables (:class:`Compiled`) so that the runtime
and the analysis never search lists.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from . import _json
from ._annotation import annotation_problem
from ._arguments import bad_argument, type_problems
from ._arguments import shown as _shown_value
from ._errors import DefinitionError, Problem, short_repr
from ._frozen import FrozenMap
from ._limits import MAX_DEPTH
from ._names import keyword_problem, title_problem
from ._runtime import bind
from ._transition import ELSE, Transition, strings

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._runtime import BoundMachine, Instance, Listener

__all__ = [
    "Compiled",
    "Machine",
    "is_name",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_name(text: object) -> bool:
    """Return True when ``text`` is an identifier usable as a name in a Machine.

    Names are ASCII identifiers (``[A-Za-z_][A-Za-z0-9_]*``): they must be valid
    Mermaid state ids and valid Python names for code generation.
    """
    return isinstance(text, str) and _NAME.match(text) is not None


def _final(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))  # one state, as for `states`, not its characters
    try:
        return frozenset(value)
    except TypeError:
        raise bad_argument("final", "an iterable of state names", value) from None


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    try:
        return tuple(value)
    except TypeError:
        raise bad_argument("transitions", "an iterable of fsm.Transition", value) from None


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
        targets: for each transition, the number of the leaf it enters.
        dispatch: for each state number, event number -> the numbers of the
            transitions that may fire, in evaluation order: the state's own
            transitions for that event, else those of its nearest ancestor
            that has some; guarded ones in definition order, ``else`` last.
    """

    state_index: Mapping[str, int]
    event_index: Mapping[str, int]
    events: tuple[str, ...]
    children: tuple[tuple[int, ...], ...]
    is_leaf: tuple[bool, ...]
    initial: int
    targets: tuple[int, ...]
    dispatch: tuple[Mapping[int, tuple[int, ...]], ...]


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


@attrs.frozen(repr=False)
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

    def __attrs_post_init__(self) -> None:
        try:
            issues = _validate(self)
        except TypeError:  # an unhashable part: a caller that is not type-checked
            problems = type_problems(self, Transition)
            if not problems:
                raise
            raise DefinitionError(problems) from None
        if issues:
            raise DefinitionError(
                [
                    Problem(issue.message, transition=issue.transition, state=issue.state)
                    for issue in issues
                ]
            )
        object.__setattr__(self, "_compiled", _compile(self))

    def __repr__(self) -> str:
        return (
            f"<fsm.Machine {self.name!r}: {len(self.states)} states, "
            f"{len(self.transitions)} transitions>"
        )

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
        return tuple(self.transitions[n] for n in numbers)

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
    ) -> Instance:
        """Bind to ``type(context)`` and start one instance in the initial state.

        A shortcut for ``machine.bind(...).start(...)``; to start many
        instances, bind once and call :meth:`fsm.BoundMachine.start`.
        """
        context_type = None if context is None else type(context)
        bound = self.bind(context_type, handlers=handlers, listeners=listeners)
        return bound.start(context, lock=lock, history=history)

    def restore(
        self,
        snapshot: object,
        context: object = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
        lock: bool = False,
        history: bool | int | None = None,
    ) -> Instance:
        """Bind as :meth:`start` does, and restore an instance from ``snapshot``.

        Raises:
            SnapshotError: the snapshot is malformed, of another machine, or
                names an unknown state (see :meth:`fsm.BoundMachine.restore`).
        """
        context_type = None if context is None else type(context)
        bound = self.bind(context_type, handlers=handlers, listeners=listeners)
        return bound.restore(snapshot, context, lock=lock, history=history)


# -- validation ---------------------------------------------------------------------


@attrs.frozen
class _Issue:
    """A problem found by validation, tied to what it is about."""

    message: str
    transition: int | None = None
    state: str | None = None


def _name_problem(kind: str, value: object) -> str | None:
    if not isinstance(value, str):
        return (
            f"{kind} name must be a string (got {short_repr(value)} of type {type(value).__name__})"
        )
    if value == "":
        return f"{kind} name is empty; give it a name"
    if not _NAME.match(value):
        return (
            f"{kind} name {value!r} is not an identifier; use letters, digits and "
            f"underscores, not starting with a digit"
        )
    return None


def _private_problem(kind: str, value: str) -> str | None:
    # A guard or action name is resolved against the context's class at bind
    # time; a spec (DSL, JSON) may come from someone not fully trusted, so it
    # may name public methods only (docs/explanation/runtime-semantics.md).
    if not value.startswith("_"):
        return None
    return (
        f"{kind} name {value!r} starts with an underscore; a spec has no business naming "
        f"private code: name a public method of the context (no leading underscore)"
    )


def _validate(m: Machine) -> list[_Issue]:
    issues: list[_Issue] = []
    add = issues.append
    name = cast("object", m.name)  # checked as an object: callers may not be typed
    if not isinstance(name, str) or not name.strip():
        add(_Issue(f"machine name must be a non-empty string (got {m.name!r})"))
    elif "\n" in name or "\r" in name:
        add(_Issue(f"machine name {m.name!r} contains a line break; use one line"))
    elif (unwritable := title_problem(name)) is not None:
        add(_Issue(unwritable))

    known: set[str] = set()
    parents = cast("Iterable[object]", m.parents.values())  # callers may not be typed
    superstates = frozenset(p for p in parents if isinstance(p, str))
    for state in m.states:
        problem = _name_problem("state", state)
        if problem is not None:
            add(_Issue(problem, state=state if is_name(state) else None))
        elif (drawn := keyword_problem(state, superstates)) is not None:
            add(_Issue(drawn, state=state))
        if state in known:
            add(
                _Issue(
                    f"duplicate state {state!r}; each state is declared once",
                    state=state,
                )
            )
        known.add(state)
    if not m.states:
        add(_Issue("a machine needs at least one state"))

    if m.initial not in known:
        add(_Issue(f"initial state {m.initial!r} is not a declared state", state=m.initial))
    for state in sorted(m.final, key=str):
        if state not in known:
            add(_Issue(f"final state {state!r} is not a declared state", state=state))

    # Hierarchy: parents must be declared and acyclic; entries must be children.
    children: dict[str, list[str]] = {}
    for child, parent in m.parents.items():
        bad = False
        if child not in known:
            add(
                _Issue(
                    f"state {child!r} has a superstate but is not a declared state",
                    state=child,
                )
            )
            bad = True
        if parent not in known:
            add(
                _Issue(
                    f"superstate {parent!r} of {child!r} is not a declared state",
                    state=child,
                )
            )
            bad = True
        if not bad:
            children.setdefault(parent, []).append(child)
    cycles = _parent_cycles(m.parents)
    for cycle in cycles:
        add(
            _Issue(
                "superstates form a cycle: "
                + " -> ".join([*cycle, cycle[0]])
                + "; a state cannot contain itself",
                state=cycle[0],
            )
        )
    too_deep = None if cycles else _too_deep(m.parents)
    if too_deep is not None:
        add(
            _Issue(
                f"state {too_deep!r} has more than {MAX_DEPTH} superstates around it, the "
                f"limit (fsm.MAX_DEPTH); flatten the hierarchy",
                state=too_deep,
            )
        )
    for parent, entry in m.entries.items():
        if parent not in known:
            add(
                _Issue(
                    f"entry given for {parent!r}, which is not a declared state",
                    state=parent,
                )
            )
        elif m.parents.get(entry) != parent:
            add(
                _Issue(
                    f"entry state {entry!r} of superstate {parent!r} is not one of its substates",
                    state=parent,
                )
            )
        elif entry in children and entry not in m.entries and not cycles:
            add(
                _Issue(
                    f"entry state {entry!r} of superstate {parent!r} is itself a superstate "
                    f"with no entry state; add '[*] --> <substate>' inside its block",
                    state=entry,
                )
            )
    for state in sorted(m.final & children.keys(), key=str):
        add(
            _Issue(
                f"superstate {state!r} cannot be final; mark the substates where "
                f"a run may end as final instead",
                state=state,
            )
        )
    if m.initial in children and m.initial not in m.entries:
        add(
            _Issue(
                f"initial state {m.initial!r} is a superstate with no entry state; "
                f"add '[*] --> <substate>' inside its block",
                state=m.initial,
            )
        )

    # Transitions, one by one, then grouped by (source, event).
    groups: dict[tuple[str, str], list[int]] = {}
    event_params: dict[str, tuple[int, tuple[tuple[str, str | None], ...]]] = {}
    # Names repeat across transitions (events, guards, actions): check each once.
    name_checks: dict[tuple[str, object], str | None] = {}

    def name_problem(kind: str, value: object) -> str | None:
        key = (kind, value)
        if key not in name_checks:
            problem = _name_problem(kind, value)
            if problem is None and kind in ("guard", "action"):
                problem = _private_problem(kind, cast("str", value))
            name_checks[key] = problem
        return name_checks[key]

    for n, item in enumerate(m.transitions):
        t = cast("object", item)
        if not isinstance(t, Transition):
            add(_Issue(f"transitions[{n}] is not a Transition (got {t!r})", transition=n))
            continue
        if t.source not in known:
            add(_Issue(f"unknown source state {t.source!r} in {t.describe()}", transition=n))
        if t.target not in known:
            add(_Issue(f"unknown target state {t.target!r} in {t.describe()}", transition=n))
        elif t.target in children and t.target not in m.entries:
            add(
                _Issue(
                    f"{t.describe()} enters superstate {t.target!r}, which has no entry state; "
                    f"add '[*] --> <substate>' inside its block or target a substate",
                    transition=n,
                )
            )
        problem = name_problem("event", t.event)
        if problem is not None:
            add(_Issue(f"{problem} (in {t.describe()})", transition=n))
        if t.guard is not None:
            problem = name_problem("guard", t.guard)
            if problem is not None:
                add(_Issue(f"{problem} (in {t.describe()})", transition=n))
            if t.branch:
                add(
                    _Issue(
                        f"{t.describe()} is a branch outcome and has a guard; a branch is "
                        f"decided by the implementation, so drop one of the two",
                        transition=n,
                    )
                )
        for action in t.actions:
            problem = name_problem("action", action)
            if problem is not None:
                add(_Issue(f"{problem} (in {t.describe()})", transition=n))
        seen_params: set[str] = set()
        for param in t.params:
            name, annotation = param
            problem = name_problem("payload", name)
            if problem is not None:
                add(_Issue(f"{problem} (in {t.describe()})", transition=n))
            elif keyword.iskeyword(name):
                add(
                    _Issue(
                        f"payload name {name!r} is a Python keyword (in {t.describe()})",
                        transition=n,
                    )
                )
            if name in seen_params:
                add(_Issue(f"payload name {name!r} appears twice in {t.describe()}", transition=n))
            seen_params.add(name)
            shown = cast("object", annotation)
            if shown is not None and (
                not isinstance(shown, str) or not shown.strip() or "\n" in shown
            ):
                add(
                    _Issue(
                        f"annotation of payload {name!r} must be a one-line string or "
                        f"None (got {annotation!r}) in {t.describe()}",
                        transition=n,
                    )
                )
            elif isinstance(shown, str) and (problem := annotation_problem(shown)):
                add(_Issue(f"payload {name!r}: {problem} (in {t.describe()})", transition=n))
        branch = cast("object", t.branch)  # checked as an object: callers may not be typed
        if branch is not False and branch is not True:
            message = f"transitions[{n}].branch must be True or False, got {_shown_value(branch)}"
            add(_Issue(message, transition=n))
        previous = event_params.get(t.event)
        if previous is None:
            event_params[t.event] = (n, t.params)
        elif previous[1] != t.params:
            other = m.transitions[previous[0]]
            add(
                _Issue(
                    f"event {t.event!r} has payload {_show_params(t.params)} in {t.describe()} but "
                    f"{_show_params(previous[1])} in {other.describe()}; an event "
                    f"carries the same payload everywhere",
                    transition=n,
                )
            )
        groups.setdefault((t.source, t.event), []).append(n)

    for (source, event), numbers in groups.items():
        if len(numbers) == 1:
            t = m.transitions[numbers[0]]
            if t.guard == ELSE:
                add(
                    _Issue(
                        f"{t.describe()} is marked [else] but has no guarded sibling; "
                        f"drop [else] or add a guarded transition on {event!r}",
                        transition=numbers[0],
                    )
                )
            elif t.branch is True:
                add(
                    _Issue(
                        f"{t.describe()} is the only outcome of a branch; a branch "
                        f"needs two or more targets, so drop [branch]",
                        transition=numbers[0],
                    )
                )
            continue
        _check_group(m, source, event, numbers, add)
    return issues


def _show_params(params: tuple[tuple[str, str | None], ...]) -> str:
    return "(" + ", ".join(name if a is None else f"{name}: {a}" for name, a in params) + ")"


def _check_group(
    m: Machine,
    source: str,
    event: str,
    numbers: list[int],
    add: Any,
) -> None:
    group = [m.transitions[n] for n in numbers]
    branches = [n for n, t in zip(numbers, group, strict=True) if t.branch]
    if branches:
        if len(branches) != len(numbers):
            n = next(n for n in numbers if not m.transitions[n].branch)
            add(
                _Issue(
                    f"{m.transitions[n].describe()} shares state {source!r} and event "
                    f"{event!r} with a branch; mark every outcome [branch] or use guards",
                    transition=n,
                )
            )
        targets: set[str] = set()
        for n in branches:
            target = m.transitions[n].target
            if target in targets:
                add(
                    _Issue(
                        f"branch {source!r} --{event}--> {target!r} is listed twice",
                        transition=n,
                    )
                )
            targets.add(target)
        return
    unguarded = [n for n, t in zip(numbers, group, strict=True) if t.guard is None]
    elses = [n for n, t in zip(numbers, group, strict=True) if t.guard == ELSE]
    guarded = [n for n, t in zip(numbers, group, strict=True) if t.guard not in (None, ELSE)]
    if len(unguarded) > 1:
        first = m.transitions[unguarded[0]]
        for n in unguarded[1:]:
            add(
                _Issue(
                    f"duplicate transition {m.transitions[n].describe()}: state "
                    f"{source!r} already has an unguarded transition on {event!r} "
                    f"({first.describe()}); give them guards, or mark a branch",
                    transition=n,
                )
            )
    elif unguarded and guarded:
        n = unguarded[0]
        add(
            _Issue(
                f"{m.transitions[n].describe()} has no guard but other transitions on "
                f"{event!r} from {source!r} do; mark it [else] or give it a guard",
                transition=n,
            )
        )
    for n in elses[1:]:
        add(
            _Issue(
                f"{m.transitions[n].describe()}: state {source!r} has more than one "
                f"[else] transition on {event!r}; keep one",
                transition=n,
            )
        )
    if elses and not guarded:
        n = elses[0]
        add(
            _Issue(
                f"{m.transitions[n].describe()} is marked [else] but has no guarded "
                f"sibling; drop [else] or add a guarded transition on {event!r}",
                transition=n,
            )
        )
    seen: dict[str, int] = {}
    for n in guarded:
        guard = m.transitions[n].guard
        assert guard is not None
        if guard in seen:
            add(
                _Issue(
                    f"guard {guard!r} is used twice on {event!r} from {source!r} "
                    f"({m.transitions[seen[guard]].describe()} and "
                    f"{m.transitions[n].describe()}); the second could never fire",
                    transition=n,
                )
            )
        seen[guard] = n


def _parent_cycles(parents: Mapping[str, str]) -> list[list[str]]:
    cycles: list[list[str]] = []
    done: set[str] = set()
    for start in parents:
        if start in done:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parents.get(node)
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def _too_deep(parents: Mapping[str, str]) -> str | None:
    """The first state found with more than MAX_DEPTH ancestors, if any.

    Each state's depth is computed once from its parent's, so a chain is
    measured in linear time. ``parents`` must have no cycle.
    """
    depth: dict[str, int] = {}
    for start in parents:
        if start in depth:
            continue
        path: list[str] = []
        node = start
        while node in parents and node not in depth:
            path.append(node)
            node = parents[node]
        level = depth.get(node, 0)  # a state without a superstate is at 0
        for state in reversed(path):
            level += 1
            depth[state] = level
            if level > MAX_DEPTH:
                return state
    return None


# -- compilation --------------------------------------------------------------------


def _compile(m: Machine) -> Compiled:
    state_index = {state: n for n, state in enumerate(m.states)}
    event_index: dict[str, int] = {}
    for t in m.transitions:
        if t.event not in event_index:
            event_index[t.event] = len(event_index)
    size = len(m.states)
    children: list[list[int]] = [[] for _ in range(size)]
    parent_of: list[int] = [-1] * size
    for child, parent in m.parents.items():
        children[state_index[parent]].append(state_index[child])
        parent_of[state_index[child]] = state_index[parent]
    for kids in children:
        kids.sort()

    # The leaf entered for each state: itself, or the end of its entry chain.
    leaf_of = list(range(size))
    entries = m.entries
    for superstate in entries:
        if leaf_of[state_index[superstate]] != state_index[superstate]:
            continue  # resolved as part of an earlier chain
        chain: list[str] = []
        name = superstate
        while name in entries:
            chain.append(name)
            name = entries[name]
        for link in chain:
            leaf_of[state_index[link]] = state_index[name]

    own: list[dict[int, list[int]]] = [{} for _ in range(size)]
    for n, t in enumerate(m.transitions):
        own[state_index[t.source]].setdefault(event_index[t.event], []).append(n)
    # Evaluation order inside a group: definition order, the [else] fallback last.
    transitions = m.transitions
    ordered: list[dict[int, tuple[int, ...]]] = []
    for groups in own:
        table: dict[int, tuple[int, ...]] = {}
        for e, ns in groups.items():
            if len(ns) > 1:
                ns.sort(key=lambda n: transitions[n].guard == ELSE)
            table[e] = tuple(ns)
        ordered.append(table)
    dispatch: list[Mapping[int, tuple[int, ...]]] = list(ordered)
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
    return Compiled(
        state_index=state_index,
        event_index=event_index,
        events=tuple(event_index),
        children=tuple(tuple(kids) for kids in children),
        is_leaf=tuple(not kids for kids in children),
        initial=leaf_of[state_index[m.initial]],
        targets=tuple([leaf_of[state_index[t.target]] for t in transitions]),
        dispatch=tuple(dispatch),
    )
