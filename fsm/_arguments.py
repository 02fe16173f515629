"""Arguments of the wrong type to :class:`fsm.Machine` and :class:`fsm.Transition`.

A caller may not be type-checked: ``initial=["A"]``, ``states=None`` or
``params=(("x",),)`` must be a :class:`~fsm.DefinitionError` that names the
argument, never a bare ``TypeError`` from deep inside validation. These checks
run only when something already went wrong (a converter failed, or validation
met an unhashable value), so building a large valid machine pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import cast

from ._errors import DefinitionError, Problem, short_repr

__all__ = ["bad_argument", "pairs", "shown", "type_problems"]


def shown(value: object) -> str:
    """``value`` for a message: its repr (cut short) and its type."""
    if value is None:
        return "None"
    kind = type(value).__name__
    article = "an" if kind[:1] in "aeiou" else "a"
    return f"{short_repr(value)} ({article} {kind})"


def bad_argument(what: str, expected: str, value: object) -> DefinitionError:
    """The error for an argument that is not the collection it should be."""
    return DefinitionError(Problem(f"{what} must be {expected}, got {shown(value)}"))


def pairs(value: Iterable[object]) -> tuple[tuple[str, str | None], ...]:
    """``params`` as a tuple of ``(name, annotation)`` pairs, or a DefinitionError."""
    found: list[tuple[str, str | None]] = []
    try:
        for item in value:
            if not isinstance(item, (tuple, list)):
                raise bad_argument("params", "(name, annotation) pairs", item)
            pair = cast("tuple[object, ...]", item)
            if len(pair) != 2:
                raise bad_argument("params", "(name, annotation) pairs", pair)
            name, annotation = cast("tuple[str, str | None]", pair)
            found.append((name, annotation))
    except TypeError:  # not iterable
        raise bad_argument("params", "(name, annotation) pairs", value) from None
    return tuple(found)


def _name(what: str, value: object, kind: str, optional: bool = False) -> Iterator[str]:
    if isinstance(value, str) or (optional and value is None):
        return
    also = " or None" if optional else ""
    yield f"{what} must be {kind} (a string){also}, got {shown(value)}"


def type_problems(machine: object, transition_type: type) -> list[Problem]:
    """Every part of ``machine`` whose type is wrong, named by its argument."""
    m = cast("_MachineLike", machine)
    found: list[str] = []
    for n, state in enumerate(m.states):
        found += _name(f"states[{n}]", state, "a state name")
    found += _name("initial", m.initial, "a state name")
    for state in m.final:
        found += _name("each final state", state, "a state name")
    for what, table in (("parents", m.parents), ("entries", m.entries)):
        for key, value in table.items():
            found += _name(f"a key of {what}", key, "a state name")
            found += _name(f"{what}[{key!r}]", value, "a state name")
    for n, t in enumerate(m.transitions):
        if not isinstance(t, transition_type):
            continue  # validation says so
        where = f"transitions[{n}]"
        found += _name(f"{where}.source", t.source, "a state name")
        found += _name(f"{where}.event", t.event, "an event name")
        found += _name(f"{where}.target", t.target, "a state name")
        found += _name(f"{where}.guard", t.guard, "a guard name", optional=True)
        for k, action in enumerate(t.actions):
            found += _name(f"{where}.actions[{k}]", action, "an action name")
        for k, (name, annotation) in enumerate(t.params):
            if not isinstance(name, str):
                found.append(f"{where}.params[{k}] name must be a string, got {shown(name)}")
            found += _name(f"{where}.params[{k}] annotation", annotation, "a type", optional=True)
        if not isinstance(t.branch, bool):
            found.append(f"{where}.branch must be True or False, got {shown(t.branch)}")
    return [Problem(message) for message in found]


class _MachineLike:
    """The fields :func:`type_problems` reads (for the type checkers only)."""

    states: tuple[object, ...]
    initial: object
    final: frozenset[object]
    parents: Mapping[object, object]
    entries: Mapping[object, object]
    transitions: tuple[_TransitionLike, ...]


class _TransitionLike:
    source: object
    event: object
    target: object
    guard: object
    actions: tuple[object, ...]
    params: tuple[tuple[object, object], ...]
    branch: object
