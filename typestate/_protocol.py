"""``protocol()``: the :class:`fsm.Machine` a set of State classes describes.

The classes reachable from the initial one through the resolved return
annotations of their transitions are the states; the method names are the
events; the parameters are the payload. Hierarchy comes from inheritance:

- an ``abstract=True`` State base that has transitions (its own or inherited)
  is a superstate, the parent of its subclasses, and its transitions are the
  superstate's transitions;
- an abstract base without any transition (a place for shared fields or for
  ``linear=False``) is left out of the Machine;
- abstract states are never targets (they cannot be instantiated), so no
  superstate needs an entry state and the Machine's ``entries`` stay empty;
- a superstate transition returning ``Self`` loops on each substate, so it is
  written as one transition per concrete substate in the protocol.

``@transition(internal=True)`` gives internal transitions (``internal=True``,
each on a concrete state) and ``@transition(after=...)`` timers (``after=``);
see :mod:`typestate._kinds`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from fsm import AnnotationError, DefinitionError, Machine, Transition
from fsm import canonical_annotation as canonical

from ._kinds import internal_problem, timer_branch_problem
from ._state import SELF, State, TransitionInfo, as_state, resolve_targets, type_name

__all__ = ["protocol"]

_Params = tuple[tuple[str, str | None], ...]


def protocol(
    initial: type[State],
    *,
    name: str | None = None,
    namespace: Mapping[str, Any] | None = None,
) -> Machine:
    """Extract the :class:`fsm.Machine` described by the State classes.

    Args:
        initial: the initial state class; the states are the classes reachable
            from it.
        name: the Machine's name (default: the initial class's name).
        namespace: extra names for resolving annotations, such as
            ``locals()`` when the classes are defined inside a function.

    Returns:
        The Machine. The classes are left as they were: their run-time return
        checks resolve the annotations on their own.

    Raises:
        fsm.DefinitionError: every problem found (a missing or unresolvable
            return annotation, a target that is not a concrete State, an event
            whose methods take different parameters, ...), each naming the
            class and the method.

    Examples:
        >>> from typestate import State, protocol, transition
        >>> class Closed(State):
        ...     @transition
        ...     def open(self) -> "Opened":
        ...         return Opened()
        >>> class Opened(State, final=True): ...
        >>> m = protocol(Closed, name="Door")
        >>> m.states, m.initial, sorted(m.final)
        (('Closed', 'Opened'), 'Closed', ['Opened'])
        >>> m.transitions
        (Transition('Closed', 'open', 'Opened'),)
    """
    if as_state(initial) is None:
        raise DefinitionError(
            f"typestate.protocol() needs the initial state class, a subclass of "
            f"typestate.State (got {initial!r})"
        )
    if initial.__ts_abstract__:
        raise DefinitionError(
            f"initial state {initial.__name__} is abstract; pass the concrete state a run starts in"
        )
    return _Extraction(namespace).run(initial, name or initial.__name__)


def _superstates(cls: type[State]) -> list[type[State]]:
    """The abstract State bases of ``cls`` that appear in the Machine, nearest first."""
    return [
        base
        for base in cls.__mro__[1:]
        if base is not State
        and issubclass(base, State)
        and base.__ts_abstract__
        and base.__ts_transitions__
    ]


class _Extraction:
    def __init__(self, namespace: Mapping[str, Any] | None) -> None:
        self.namespace = namespace
        self.problems: list[str] = []
        self.states: list[type[State]] = []
        self.names: dict[str, type[State]] = {}
        self.parents: dict[str, str] = {}
        self.transitions: list[Transition] = []
        self.event_params: dict[str, tuple[_Params, str]] = {}
        self.resolved: dict[int, list[type[State] | str]] = {}
        self.queue: list[type[State]] = []

    def run(self, initial: type[State], name: str) -> Machine:
        self.visit(initial)
        while self.queue:
            self.expand(self.queue.pop(0))
        if self.problems:
            raise DefinitionError(self.problems)
        return Machine(
            name,
            states=tuple(cls.__name__ for cls in self.states),
            initial=initial.__name__,
            final=frozenset(cls.__name__ for cls in self.states if cls.__ts_final__),
            transitions=tuple(self.transitions),
            parents=self.parents,
        )

    def visit(self, cls: type[State]) -> None:
        """Add ``cls`` (and its superstates) to the states, once."""
        known = self.names.get(cls.__name__)
        if known is cls:
            return
        if known is not None:
            self.problems.append(
                f"two state classes are named {cls.__name__}: {_path(known)} and "
                f"{_path(cls)}; state names must be unique in a protocol"
            )
            return
        supers = _superstates(cls)
        for depth, sup in enumerate(supers):
            expected = supers[depth + 1 :]
            if _superstates(sup) != expected:
                self.problems.append(
                    f"state {cls.__name__} has superstates that do not nest "
                    f"({', '.join(s.__name__ for s in supers)}); a state has one "
                    f"chain of abstract superstates"
                )
                return
        for sup in reversed(supers):
            self.visit(sup)
        self.names[cls.__name__] = cls
        self.states.append(cls)
        if supers:
            self.parents[cls.__name__] = supers[0].__name__
        self.queue.append(cls)

    def targets(self, info: TransitionInfo) -> list[type[State] | str]:
        found = self.resolved.get(id(info))
        if found is None:
            owner = info.owner
            assert owner is not None
            found, problems = resolve_targets(info, owner, self.namespace, self.states)
            self.problems.extend(problems)
            if not problems:
                self.check_kind(info, owner, found)
            self.resolved[id(info)] = found
        return found

    def expand(self, cls: type[State]) -> None:
        """Add the transitions that leave ``cls``, and visit their targets."""
        for event, info in cls.__ts_transitions__.items():
            targets = self.targets(info)
            if info.owner is cls:
                pass
            elif not cls.__ts_abstract__ and SELF in targets:
                pass  # a superstate's self-loop loops on each concrete substate
            else:
                continue  # the superstate's own transition, added with it
            if cls.__ts_abstract__ and SELF in targets:
                continue
            params = self.params(cls, info)
            concrete = _unique(cls if t == SELF else t for t in targets)
            for target in concrete:
                assert isinstance(target, type)
                self.visit(target)
                self.transitions.append(
                    Transition(
                        cls.__name__,
                        event,
                        target.__name__,
                        params=params,
                        branch=len(concrete) > 1,
                        internal=info.internal,
                        after=info.after,
                    )
                )

    def check_kind(self, info: TransitionInfo, owner: type[State], found: list[Any]) -> None:
        """Report an internal transition that leaves its state, or a timer that branches."""
        problem = None
        if info.internal:
            problem = internal_problem(info.where, owner, found)
        if problem is None and info.after is not None:
            problem = timer_branch_problem(info.where, info.after, found)
        if problem is not None:
            self.problems.append(problem)

    def params(self, cls: type[State], info: TransitionInfo) -> _Params:
        where = f"{(info.owner or cls).__name__}.{info.name}"
        params: list[tuple[str, str | None]] = []
        signature = inspect.signature(info.function)
        for position, parameter in enumerate(signature.parameters.values()):
            if position == 0:
                continue  # self
            kind = parameter.kind
            if kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                self.problems.append(
                    f"{where} takes {'*' if kind is parameter.VAR_POSITIONAL else '**'}"
                    f"{parameter.name}; a transition's payload is named parameters, "
                    f"so list them"
                )
                continue
            if kind is parameter.POSITIONAL_ONLY:
                self.problems.append(
                    f"{where} has the positional-only parameter {parameter.name!r}; "
                    f"payloads are sent by name, so drop the '/'"
                )
                continue
            annotation = parameter.annotation
            text = None if annotation is parameter.empty else type_name(annotation)
            if text is not None:
                try:
                    text = canonical(text)
                except AnnotationError as error:
                    self.problems.append(
                        f"{where} annotates {parameter.name!r} with {text!r}, which is not a "
                        f"payload type: {error.message}; annotate it with a type made of "
                        f"names, subscripts and '|' (or 'object')"
                    )
                    continue
            params.append((parameter.name, text))
        result = tuple(params)
        seen = self.event_params.get(info.name)
        if seen is None:
            self.event_params[info.name] = (result, where)
        elif seen[0] != result and seen[1] != where:
            self.problems.append(
                f"{where} takes {_show(result)} but {seen[1]} takes {_show(seen[0])}; "
                f"an event carries the same payload in every state, so give both "
                f"methods the same parameters (names and annotations) or rename one"
            )
        return result


def _unique(items: Any) -> tuple[type[State], ...]:
    out: list[type[State]] = []
    for item in items:
        if item not in out:
            out.append(item)
    return tuple(out)


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _show(params: _Params) -> str:
    return "(" + ", ".join(n if a is None else f"{n}: {a}" for n, a in params) + ")"
