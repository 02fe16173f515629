"""Validation of a Machine: every problem found, each tied to what it is about.

:class:`fsm.Machine` calls :func:`validate` when it is built and raises one
:class:`~fsm.DefinitionError` with all the problems. The checks go by topic:
the name, the states, the hierarchy, each transition, then each group of
transitions on one ``(source, event)``.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol, cast

from ._annotation import annotation_problem
from ._arguments import shown as _shown_value
from ._duration import delay_problem, format_delay
from ._errors import Problem, short_repr
from ._guard import GuardError, is_combination, read_guard
from ._limits import MAX_DEPTH
from ._names import MERMAID_KEYWORDS, NAME, is_name, keyword_problem, title_problem
from ._transition import ELSE, Transition

if TYPE_CHECKING:
    from ._model import Machine
    from ._table import Layout, Table

__all__ = ["valid_table", "validate"]

_Add = Callable[[Problem], None]


class _Numbered(Protocol):
    def __getitem__(self, n: int, /) -> Transition: ...


class _HasTransitions(Protocol):
    @property
    def transitions(self) -> _Numbered: ...


def validate(m: Machine) -> list[Problem]:
    """Every problem of ``m``, in the order of its parts; empty when it is valid."""
    problems: list[Problem] = []
    add = problems.append
    _check_name(m, add)
    known = _check_states(m, add)
    children = _check_hierarchy(m, known, add)
    groups = _check_transitions(m, known, children, add)
    transitions = m.transitions
    for (source, event), numbers in groups.items():
        # Most groups are one plain transition, with nothing to check.
        lone = transitions[numbers[0]] if len(numbers) == 1 else None
        if lone is None or lone.guard == ELSE or lone.branch is True:
            _check_group(cast("_HasTransitions", m), source, event, numbers, add)
    return problems


def _name_problem(kind: str, value: object) -> str | None:
    if not isinstance(value, str):
        return (
            f"{kind} name must be a string (got {short_repr(value)} of type {type(value).__name__})"
        )
    if value == "":
        return f"{kind} name is empty; give it a name"
    if not NAME.match(value):
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


def _check_name(m: Machine, add: _Add) -> None:
    name = cast("object", m.name)  # checked as an object: callers may not be typed
    if not isinstance(name, str) or not name.strip():
        add(Problem(f"machine name must be a non-empty string (got {m.name!r})"))
    elif "\n" in name or "\r" in name:
        add(Problem(f"machine name {m.name!r} contains a line break; use one line"))
    elif (unwritable := title_problem(name)) is not None:
        add(Problem(unwritable))


def _check_states(m: Machine, add: _Add) -> set[str]:
    """Check the states, the initial and the final states; return the declared states."""
    known: set[str] = set()
    parents = cast("Iterable[object]", m.parents.values())  # callers may not be typed
    superstates = frozenset(p for p in parents if isinstance(p, str))
    for state in m.states:
        problem = _name_problem("state", state)
        if problem is not None:
            add(Problem(problem, state=state if is_name(state) else None))
        elif (drawn := keyword_problem(state, superstates)) is not None:
            add(Problem(drawn, state=state))
        if state in known:
            add(
                Problem(
                    f"duplicate state {state!r}; each state is declared once",
                    state=state,
                )
            )
        known.add(state)
    if not m.states:
        add(Problem("a machine needs at least one state"))

    if m.initial not in known:
        add(Problem(f"initial state {m.initial!r} is not a declared state", state=m.initial))
    for state in sorted(m.final, key=str):
        if state not in known:
            add(Problem(f"final state {state!r} is not a declared state", state=state))
    return known


def _check_hierarchy(m: Machine, known: Container[str], add: _Add) -> dict[str, list[str]]:
    """Check parents (declared, acyclic, not too deep) and entries; return the children."""
    # Hierarchy: parents must be declared and acyclic; entries must be children.
    children: dict[str, list[str]] = {}
    for child, parent in m.parents.items():
        bad = False
        if child not in known:
            add(
                Problem(
                    f"state {child!r} has a superstate but is not a declared state",
                    state=child,
                )
            )
            bad = True
        if parent not in known:
            add(
                Problem(
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
            Problem(
                "superstates form a cycle: "
                + " -> ".join([*cycle, cycle[0]])
                + "; a state cannot contain itself",
                state=cycle[0],
            )
        )
    too_deep = None if cycles else _too_deep(m.parents)
    if too_deep is not None:
        add(
            Problem(
                f"state {too_deep!r} has more than {MAX_DEPTH} superstates around it, the "
                f"limit (fsm.MAX_DEPTH); flatten the hierarchy",
                state=too_deep,
            )
        )
    _check_entries(m, known, children, cycles, add)
    return children


def _check_entries(
    m: Machine,
    known: Container[str],
    children: Mapping[str, list[str]],
    cycles: list[list[str]],
    add: _Add,
) -> None:
    """Check the entry of each superstate, and that no superstate is final or initial."""
    for parent, entry in m.entries.items():
        if parent not in known:
            add(
                Problem(
                    f"entry given for {parent!r}, which is not a declared state",
                    state=parent,
                )
            )
        elif m.parents.get(entry) != parent:
            add(
                Problem(
                    f"entry state {entry!r} of superstate {parent!r} is not one of its substates",
                    state=parent,
                )
            )
        elif entry in children and entry not in m.entries and not cycles:
            add(
                Problem(
                    f"entry state {entry!r} of superstate {parent!r} is itself a superstate "
                    f"with no entry state; add '[*] --> <substate>' inside its block",
                    state=entry,
                )
            )
    for state in sorted(m.final & children.keys(), key=str):
        add(
            Problem(
                f"superstate {state!r} cannot be final; mark the substates where "
                f"a run may end as final instead",
                state=state,
            )
        )
    if m.initial in children and m.initial not in m.entries:
        add(
            Problem(
                f"initial state {m.initial!r} is a superstate with no entry state; "
                f"add '[*] --> <substate>' inside its block",
                state=m.initial,
            )
        )


_NameCheck = Callable[[str, object], "str | None"]


def _name_checker() -> _NameCheck:
    """The problem of a name, each (kind, name) checked once: names repeat across transitions."""
    found: dict[tuple[str, object], str | None] = {}

    def name_problem(kind: str, value: object) -> str | None:
        key = (kind, value)
        if key not in found:
            problem = _name_problem(kind, value)
            if problem is None and kind in ("guard", "action"):
                problem = _private_problem(kind, cast("str", value))
            found[key] = problem
        return found[key]

    return name_problem


def _check_transitions(
    m: Machine, known: Container[str], children: Mapping[str, list[str]], add: _Add
) -> dict[tuple[str, str], list[int]]:
    """Check each transition; return their numbers grouped by ``(source, event)``."""
    groups: dict[tuple[str, str], list[int]] = {}
    event_params: dict[str, tuple[int, tuple[tuple[str, str | None], ...]]] = {}
    name_problem = _name_checker()
    # The common case (known states, no guard, action or payload) calls no
    # helper: machines of millions of transitions are validated here.
    for n, item in enumerate(m.transitions):
        t = cast("object", item)
        if not isinstance(t, Transition):
            add(Problem(f"transitions[{n}] is not a Transition (got {t!r})", transition=n))
            continue
        _check_one(m, n, t, known, children, name_problem, add)
        previous = event_params.get(t.event)
        if previous is None:
            event_params[t.event] = (n, t.params)
        elif previous[1] != t.params:
            other = m.transitions[previous[0]]
            add(
                Problem(
                    f"event {t.event!r} has payload {_show_params(t.params)} in {t.describe()} but "
                    f"{_show_params(previous[1])} in {other.describe()}; an event "
                    f"carries the same payload everywhere",
                    transition=n,
                )
            )
        groups.setdefault((t.source, t.event), []).append(n)
    return groups


def _check_one(
    m: Machine,
    n: int,
    t: Transition,
    known: Container[str],
    children: Mapping[str, list[str]],
    name_problem: _NameCheck,
    add: _Add,
) -> None:
    """Check the transition number ``n`` alone: its ends, names, payload, timer and marks."""
    if t.source not in known or t.target not in known or t.target in children:
        _check_ends(m, n, t, known, children, add)
    problem = name_problem("event", t.event)
    if problem is not None:
        add(Problem(f"{problem} (in {t.describe()})", transition=n))
    if t.guard is not None or t.actions:
        _check_guard_and_actions(n, t, name_problem, add)
    if t.params:
        _check_payload(n, t, name_problem, add)
    if t.after is not None or t.internal is not False:
        _check_timer_and_internal(n, t, children, add)
    branch = cast("object", t.branch)  # checked as an object: callers may not be typed
    if branch is not False and branch is not True:
        message = f"transitions[{n}].branch must be True or False, got {_shown_value(branch)}"
        add(Problem(message, transition=n))


def _check_ends(
    m: Machine,
    n: int,
    t: Transition,
    known: Container[str],
    children: Mapping[str, list[str]],
    add: _Add,
) -> None:
    """Check that the transition number ``n`` leaves and enters declared states."""
    if t.source not in known:
        add(Problem(f"unknown source state {t.source!r} in {t.describe()}", transition=n))
    if t.target not in known:
        add(Problem(f"unknown target state {t.target!r} in {t.describe()}", transition=n))
    elif t.target in children and t.target not in m.entries:
        add(
            Problem(
                f"{t.describe()} enters superstate {t.target!r}, which has no entry state; "
                f"add '[*] --> <substate>' inside its block or target a substate",
                transition=n,
            )
        )


def _check_guard_and_actions(n: int, t: Transition, name_problem: _NameCheck, add: _Add) -> None:
    """Check the guard and action names of the transition number ``n``."""
    if t.guard is not None:
        if isinstance(cast("object", t.guard), str) and is_combination(t.guard):
            _check_combination(n, t, t.guard, name_problem, add)
        else:
            problem = name_problem("guard", t.guard)
            if problem is not None:
                add(Problem(f"{problem} (in {t.describe()})", transition=n))
        if t.branch:
            add(
                Problem(
                    f"{t.describe()} is a branch outcome and has a guard; a branch is "
                    f"decided by the implementation, so drop one of the two",
                    transition=n,
                )
            )
    for action in t.actions:
        problem = name_problem("action", action)
        if problem is not None:
            add(Problem(f"{problem} (in {t.describe()})", transition=n))


def _check_combination(
    n: int, t: Transition, text: str, name_problem: _NameCheck, add: _Add
) -> None:
    """Check a guard combination (``ok and not busy``): its grammar, then each name."""
    try:
        names = read_guard(text).names
    except GuardError as error:
        add(
            Problem(
                f"guard {text!r} is not a guard name nor a combination of guard names: "
                f"{error.message} (at offset {error.offset}); combine names with and, or, "
                f"not and parentheses, like 'ok and not busy' (in {t.describe()})",
                transition=n,
            )
        )
        return
    for name in names:
        problem = name_problem("guard", name)
        if problem is not None:
            add(Problem(f"{problem} (in {t.describe()})", transition=n))


def _check_timer_and_internal(
    n: int, t: Transition, children: Mapping[str, list[str]], add: _Add
) -> None:
    """Check the delay of a timer and the ends of an internal transition."""
    after = t.after
    if after is not None:
        problem = delay_problem(after)
        if problem is not None:
            add(
                Problem(
                    f"transitions[{n}].after {problem} in {t.describe()}; a timer's delay "
                    f"is a positive number of seconds, such as after=30.0",
                    transition=n,
                )
            )
        if t.params:
            add(
                Problem(
                    f"{t.describe()} is a timer (after {format_delay(after)}) but its "
                    f"event {t.event!r} carries a payload {_show_params(t.params)}; the "
                    f"runtime sends a timer's event with no payload, so drop the payload "
                    f"or use another event",
                    transition=n,
                )
            )
        if t.branch is True:
            add(
                Problem(
                    f"{t.describe()} is a timer and a branch outcome; a timer fires "
                    f"with no one to decide the branch, so use guards instead of [branch]",
                    transition=n,
                )
            )
    internal = cast("object", t.internal)  # checked as an object: callers may not be typed
    if internal is not False and internal is not True:
        message = f"transitions[{n}].internal must be True or False, got {_shown_value(internal)}"
        add(Problem(message, transition=n))
    elif internal:
        if t.source != t.target:
            add(
                Problem(
                    f"{t.describe()} is marked internal but leaves {t.source!r} for "
                    f"{t.target!r}; an internal transition stays in its state, so make "
                    f"the target {t.source!r} or drop internal",
                    transition=n,
                )
            )
        elif t.source in children:
            add(
                Problem(
                    f"{t.describe()} is an internal transition of superstate "
                    f"{t.source!r}, which is not supported; put it on each substate "
                    f"that needs it",
                    transition=n,
                )
            )


def _check_payload(n: int, t: Transition, name_problem: _NameCheck, add: _Add) -> None:
    """Check the payload names and types of the transition number ``n``."""
    seen_params: set[str] = set()
    for param in t.params:
        name, annotation = param
        problem = name_problem("payload", name)
        if problem is not None:
            add(Problem(f"{problem} (in {t.describe()})", transition=n))
        elif keyword.iskeyword(name):
            add(
                Problem(
                    f"payload name {name!r} is a Python keyword (in {t.describe()})",
                    transition=n,
                )
            )
        if name in seen_params:
            add(Problem(f"payload name {name!r} appears twice in {t.describe()}", transition=n))
        seen_params.add(name)
        shown = cast("object", annotation)
        if shown is not None and (not isinstance(shown, str) or not shown.strip() or "\n" in shown):
            add(
                Problem(
                    f"annotation of payload {name!r} must be a one-line string or "
                    f"None (got {annotation!r}) in {t.describe()}",
                    transition=n,
                )
            )
        elif isinstance(shown, str) and (problem := annotation_problem(shown)):
            add(Problem(f"payload {name!r}: {problem} (in {t.describe()})", transition=n))


def _show_params(params: tuple[tuple[str, str | None], ...]) -> str:
    return "(" + ", ".join(name if a is None else f"{name}: {a}" for name, a in params) + ")"


def _check_group(
    m: _HasTransitions,
    source: str,
    event: str,
    numbers: list[int],
    add: _Add,
) -> None:
    """Check the transitions on one ``(source, event)``: a branch, or guards and [else]."""
    group = [m.transitions[n] for n in numbers]
    delays = {t.after for t in group}
    if len(delays) > 1:
        shown = ", ".join(
            f"{t.describe()} {'no delay' if t.after is None else f'after {t.after!r}s'}"
            for t in group
        )
        add(
            Problem(
                f"the transitions on {event!r} from {source!r} disagree on the timer's "
                f"delay ({shown}); give every one of them the same delay",
                transition=numbers[0],
            )
        )
    if len(numbers) == 1:
        if group[0].guard == ELSE:
            add(_lone_else(group[0], numbers[0], event))
        elif group[0].branch is True:
            add(
                Problem(
                    f"{group[0].describe()} is the only outcome of a branch; a branch "
                    f"needs two or more targets, so drop [branch]",
                    transition=numbers[0],
                )
            )
        return
    branches = [n for n, t in zip(numbers, group, strict=True) if t.branch]
    if branches:
        _check_branch(m, source, event, numbers, branches, add)
        return
    unguarded = [n for n, t in zip(numbers, group, strict=True) if t.guard is None]
    elses = [n for n, t in zip(numbers, group, strict=True) if t.guard == ELSE]
    guarded = [n for n, t in zip(numbers, group, strict=True) if t.guard not in (None, ELSE)]
    if len(unguarded) > 1:
        first = m.transitions[unguarded[0]]
        for n in unguarded[1:]:
            add(
                Problem(
                    f"duplicate transition {m.transitions[n].describe()}: state "
                    f"{source!r} already has an unguarded transition on {event!r} "
                    f"({first.describe()}); give them guards, or mark a branch",
                    transition=n,
                )
            )
    elif unguarded and guarded:
        n = unguarded[0]
        add(
            Problem(
                f"{m.transitions[n].describe()} has no guard but other transitions on "
                f"{event!r} from {source!r} do; mark it [else] or give it a guard",
                transition=n,
            )
        )
    for n in elses[1:]:
        add(
            Problem(
                f"{m.transitions[n].describe()}: state {source!r} has more than one "
                f"[else] transition on {event!r}; keep one",
                transition=n,
            )
        )
    if elses and not guarded:
        add(_lone_else(m.transitions[elses[0]], elses[0], event))
    seen: dict[str, int] = {}
    for n in guarded:
        guard = m.transitions[n].guard
        assert guard is not None
        if guard in seen:
            add(
                Problem(
                    f"guard {guard!r} is used twice on {event!r} from {source!r} "
                    f"({m.transitions[seen[guard]].describe()} and "
                    f"{m.transitions[n].describe()}); the second could never fire",
                    transition=n,
                )
            )
        seen[guard] = n


def _check_branch(
    m: _HasTransitions, source: str, event: str, numbers: list[int], branches: list[int], add: _Add
) -> None:
    """Check a branch: every transition on its ``(source, event)`` an outcome, each once."""
    if len(branches) != len(numbers):
        n = next(n for n in numbers if not m.transitions[n].branch)
        add(
            Problem(
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
                Problem(
                    f"branch {source!r} --{event}--> {target!r} is listed twice",
                    transition=n,
                )
            )
        targets.add(target)


def _lone_else(t: Transition, n: int, event: str) -> Problem:
    return Problem(
        f"{t.describe()} is marked [else] but has no guarded sibling; "
        f"drop [else] or add a guarded transition on {event!r}",
        transition=n,
    )


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


# -- the bulk constructor's table -----------------------------------------------------------

# Every state name at once: identifiers, one a line.
_NAMES: Final = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\n)*[A-Za-z_][A-Za-z0-9_]*")
_KEYWORD_LINE: Final = re.compile("^(?:" + "|".join(sorted(MERMAID_KEYWORDS)) + ")$", re.MULTILINE)
_POINT_LINE: Final = re.compile(r"^(?:root_start|root_end|\w*_start|\w*_end)$", re.MULTILINE)


def valid_table(m: Machine, table: Table, laid: Layout, state_index: Mapping[str, int]) -> bool:
    """True when :func:`validate` would find no problem in ``m``, whose transitions are ``table``.

    Linear in the table's size, with no object per transition: the state names
    are checked as one text, plain transitions by their numbers, and only the
    rich transitions and the states that repeat an event one by one. False
    means "not shown valid here": the caller then validates the Transitions
    one by one with :func:`validate`, which finds the same problems an
    ordinary construction would.
    """
    try:
        return _valid_table(m, table, laid, state_index)
    except TypeError:  # an unhashable part: the checks one by one name it
        return False


def _valid_table(m: Machine, table: Table, laid: Layout, state_index: Mapping[str, int]) -> bool:
    problems: list[Problem] = []
    add = problems.append
    if not _plain_states(m, state_index):
        return False
    _check_name(m, add)
    if m.initial not in state_index or not all(s in state_index for s in m.final):
        return False
    children = _check_hierarchy(m, state_index, add)
    if problems:
        return False
    name_problem = _name_checker()
    if any(name_problem("event", e) is not None for e in table.names):
        return False
    closed = [state_index[p] for p in children if p not in m.entries]
    if closed:  # a superstate without an entry must not be a target
        flags = bytearray(len(m.states))
        for number in closed:
            flags[number] = 1
        if any(map(flags.__getitem__, table.target)):
            return False
    return _valid_rich(m, table, laid, state_index, children, name_problem)


def _plain_states(m: Machine, state_index: Mapping[str, int]) -> bool:
    """True when the states are distinct identifiers that Mermaid reads as state ids."""
    states = m.states
    if not states or len(state_index) != len(states):
        return False
    try:
        text = "\n".join(states)
    except TypeError:  # a state that is not a string
        return False
    if _NAMES.fullmatch(text) is None or _KEYWORD_LINE.search(text.lower()) is not None:
        return False
    if "_start" not in text and "_end" not in text:
        return True  # no name Mermaid gives a [*] point
    superstates = frozenset(m.parents.values())
    return all(
        keyword_problem(point.group(), superstates) is None for point in _POINT_LINE.finditer(text)
    )


class _Rows:
    """The transitions of a table, each made when it is read (for the group checks)."""

    def __init__(self, table: Table, states: Sequence[str]) -> None:
        self.table = table
        self.states = states

    @property
    def transitions(self) -> _Rows:
        return self

    def __getitem__(self, n: int) -> Transition:
        return self.table.transition(self.states, n)


def _valid_rich(
    m: Machine,
    table: Table,
    laid: Layout,
    state_index: Mapping[str, int],
    children: Mapping[str, list[str]],
    name_problem: _NameCheck,
) -> bool:
    """Check the rich transitions and every group of two or more on one (state, event)."""
    problems: list[Problem] = []
    add = problems.append
    rich = table.rich
    params: dict[int, set[tuple[tuple[str, str | None], ...]]] = {}
    for n, t in rich.items():
        _check_one(m, n, t, state_index, children, name_problem, add)
        if t.params:
            params.setdefault(table.event[n], set()).add(t.params)
    if problems:
        return False
    if params:
        # A transition on the event that carries no payload is another payload.
        uses = Counter(table.event)
        for n, t in rich.items():
            if not t.params:
                params.get(table.event[n], set()).add(())
            uses[table.event[n]] -= 1
        for number, found in params.items():
            if uses[number] > 0 or len(found) > 1:
                return False
    names = table.names
    rows = _Rows(table, m.states)
    groups: dict[tuple[int, int], list[int]] = {}
    offsets = laid.offsets
    edges = laid.edges
    event = table.event
    for state in laid.repeated:
        own: dict[int, list[int]] = {}
        for n in edges[offsets[state] : offsets[state + 1]]:
            own.setdefault(event[n], []).append(n)
        for e, numbers in own.items():
            if len(numbers) > 1:
                if not any(n in rich for n in numbers):
                    return False  # a plain duplicate
                groups[state, e] = numbers
    for n, t in rich.items():
        key = (table.source[n], event[n])
        if key not in groups and (t.guard == ELSE or t.branch is True or t.after is not None):
            groups[key] = [n]
    for (state, e), numbers in groups.items():
        _check_group(rows, m.states[state], names[e], sorted(numbers), add)
        if problems:
            return False
    return True
