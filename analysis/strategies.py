"""Hypothesis strategies for a machine: valid traces, invalid steps, states, payloads.

Import this module explicitly (``from analysis import strategies``); it needs
Hypothesis (``pip install 'typestate[testing]'``), which ``import analysis``
never loads.

Guards are not evaluated and a branch may go either way, so a trace is a
sequence of event names that some run of the machine can take.

Payloads come from annotations with :func:`hypothesis.strategies.from_type`.
An annotation of a machine is a string (``"list[str]"``); it is resolved
without ``eval``, from builtin types, the names of :mod:`typing` and
:mod:`collections.abc`, and the ``namespace`` you pass. A payload without an
annotation gets :data:`untyped_values` (or the ``fallback`` you pass), and so
does ``object`` or ``Any`` (also inside a container: ``dict[str, object]`` is
a dict of such values). An annotation that cannot be resolved (a typo, a
class missing from ``namespace``) is an error naming the event, the payload
and the annotation, never a silent switch to untyped values: to draw untyped
values for a name on purpose, pass ``namespace={"Name": object}``.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st

import fsm
from fsm import AnnotationError
from fsm import canonical_annotation as canonical

from ._walk import Walker

__all__ = [
    "InvalidStep",
    "invalid_steps",
    "method_payloads",
    "payloads",
    "reachable_states",
    "resolve_annotation",
    "traces",
    "untyped_values",
]

#: What a payload without a usable annotation is drawn from.
untyped_values: st.SearchStrategy[object] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text()
)

_BUILTIN_TYPES = (
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "object",
    "set",
    "str",
    "tuple",
    "type",
)
_SAFE: dict[str, object] = {name: getattr(builtins, name) for name in _BUILTIN_TYPES}
_TYPING_NAMES: list[str] = [n for n in dir(typing) if n[:1].isupper()]
_ABC_NAMES: list[str] = [n for n in dir(collections.abc) if n[:1].isupper()]
_SAFE.update({name: getattr(typing, name) for name in _TYPING_NAMES})
_SAFE.update({name: getattr(collections.abc, name) for name in _ABC_NAMES})
_SAFE["None"] = None


class InvalidStep(NamedTuple):
    """A valid prefix of events, then an event that no run allows after it."""

    prefix: tuple[str, ...]
    event: str


def _draw_trace(draw: st.DrawFn, walker: Walker, size: int) -> list[str]:
    # Up to `size` events; a state with no way out ends the trace early.
    events: list[str] = []
    state = walker.initial
    for _ in range(size):
        moves = walker.moves[state]
        if not moves:
            break
        event, _, state = draw(st.sampled_from(moves))
        events.append(event)
    return events


def traces(
    machine: fsm.Machine, *, min_size: int = 0, max_size: int = 50
) -> st.SearchStrategy[tuple[str, ...]]:
    """Event sequences that a run of ``machine`` can take from its initial state.

    A trace stops early only at a state with no way out (and is then never
    shorter than ``min_size``: such a draw is rejected). Traces shrink towards
    short ones, and towards the events defined first.

    Args:
        machine: the machine.
        min_size: the fewest events in a trace.
        max_size: the most events in a trace.

    Examples:
        >>> import fsm
        >>> from analysis import strategies
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Open : open
        ...     Open --> Closed : close
        ... ''')
        >>> from hypothesis import find
        >>> find(strategies.traces(door, min_size=3), lambda trace: True)
        ('open', 'close', 'open')
        >>> find(strategies.traces(door), lambda trace: trace.count("close") == 2)
        ('open', 'close', 'open', 'close')
    """
    if not 0 <= min_size <= max_size:
        raise ValueError(
            f"traces() needs 0 <= min_size <= max_size (got min_size={min_size}, "
            f"max_size={max_size})"
        )
    walker = Walker(machine)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, ...]:
        events = _draw_trace(draw, walker, draw(st.integers(min_size, max_size)))
        if len(events) < min_size:
            reject()
        return tuple(events)

    return build()


def invalid_steps(machine: fsm.Machine, *, max_prefix: int = 50) -> st.SearchStrategy[InvalidStep]:
    """A valid prefix of events, then an event that no state the prefix may lead to allows.

    Raises:
        ValueError: every event of the machine is allowed in every reachable
            state, so there is no invalid step to draw.

    Examples:
        >>> import fsm
        >>> from analysis import strategies
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Open : open
        ...     Open --> Closed : close
        ... ''')
        >>> from hypothesis import find
        >>> find(strategies.invalid_steps(door), lambda step: step.event == "open")
        InvalidStep(prefix=('open',), event='open')
    """
    walker = Walker(machine)
    events = machine.events
    if not any(set(walker.enabled[leaf]) != set(events) for leaf in walker.reachable):
        raise ValueError(
            f"every event of {machine.name!r} is allowed in every reachable state, so "
            f"no step is invalid; test invalid steps on a machine that refuses some event"
        )

    @st.composite
    def build(draw: st.DrawFn) -> InvalidStep:
        prefix = _draw_trace(draw, walker, draw(st.integers(0, max_prefix)))
        states: tuple[str, ...] = (walker.initial,)
        for event in prefix:
            states = walker.after(states, event)
        allowed = {e for leaf in states for e in walker.enabled[leaf]}
        refused = [e for e in events if e not in allowed]
        if not refused:
            reject()
        return InvalidStep(tuple(prefix), draw(st.sampled_from(refused)))

    return build()


def reachable_states(machine: fsm.Machine) -> st.SearchStrategy[str]:
    """The leaf states some run can be in, shrinking towards the initial state.

    Examples:
        >>> import fsm
        >>> from analysis import strategies
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Open : open
        ...     Broken --> Closed : fix
        ... ''')
        >>> strategies.reachable_states(door)
        sampled_from(['Closed', 'Open'])
    """
    return st.sampled_from(list(Walker(machine).reachable))


def resolve_annotation(text: str, *, namespace: Mapping[str, object] | None = None) -> object:
    """Turn an annotation string such as ``"dict[str, int] | None"`` into a type, without eval.

    Names are looked up in ``namespace``, then among the builtin types and the
    names of :mod:`typing` and :mod:`collections.abc`.

    Raises:
        ValueError: the text is not an annotation made of known names.

    Examples:
        >>> from analysis.strategies import resolve_annotation
        >>> resolve_annotation("dict[str, list[int]]")
        dict[str, list[int]]
        >>> resolve_annotation("os.system('x')")
        Traceback (most recent call last):
          ...
        ValueError: cannot resolve annotation "os.system('x')": calls and parentheses are not allowed in a type
    """  # noqa: E501
    names: dict[str, object] = {**_SAFE, **(namespace or {})}
    try:
        # The type grammar first: it refuses what is not a type, and bounds
        # the nesting before ast sees the text.
        form = canonical(text)
    except AnnotationError as error:
        raise ValueError(f"cannot resolve annotation {text!r}: {error.message}") from None
    try:
        tree = ast.parse(form, mode="eval")
    except SyntaxError as error:
        raise ValueError(f"cannot resolve annotation {text!r}: {error.msg}") from None
    try:
        return _evaluate(tree.body, names, literal=False)
    except (_Unresolvable, TypeError, AttributeError, SyntaxError) as error:
        raise ValueError(f"cannot resolve annotation {text!r}: {error}") from None


class _Unresolvable(Exception):
    pass


def _evaluate(node: ast.expr, names: Mapping[str, object], *, literal: bool) -> Any:
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise _Unresolvable(f"unknown name {node.id!r}; pass it in namespace=")
        return names[node.id]
    if isinstance(node, ast.Attribute):
        base = _evaluate(node.value, names, literal=False)
        return getattr(base, node.attr)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str) and not literal:
            # A forward reference: the same rules inside the quotes.
            return _evaluate(ast.parse(value.strip(), mode="eval").body, names, literal=False)
        return value
    if isinstance(node, ast.Subscript):
        base = _evaluate(node.value, names, literal=False)
        is_literal = base is typing.Literal
        inner = node.slice
        if isinstance(inner, ast.Tuple):
            index: Any = tuple(_evaluate(e, names, literal=is_literal) for e in inner.elts)
        else:
            index = _evaluate(inner, names, literal=is_literal)
        return base[index]
    if isinstance(node, ast.List):
        return [_evaluate(e, names, literal=literal) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(e, names, literal=literal) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left = _evaluate(node.left, names, literal=False)
        right = _evaluate(node.right, names, literal=False)
        return typing.Union[left, right]  # noqa: UP007 - works on 3.10 for every operand
    what = "a call" if isinstance(node, ast.Call) else type(node).__name__
    raise _Unresolvable(f"{what} is not allowed in an annotation")


def _from_annotation(
    annotation: object, fallback: st.SearchStrategy[object], where: str
) -> st.SearchStrategy[Any]:
    try:
        return _build(annotation, fallback)
    except Exception as error:  # Hypothesis's errors have no common base but this
        raise ValueError(
            f"cannot draw values for {where} from {annotation!r}: {error}; pass a "
            f"strategy for this event in payload_strategies="
        ) from error


def _build(annotation: Any, fallback: st.SearchStrategy[object]) -> st.SearchStrategy[Any]:
    if annotation is None or annotation is object or annotation is Any:
        # "Anything": st.from_type(object) would draw arbitrary objects, slow to
        # generate and to shrink; plain values exercise the same code.
        return fallback
    if annotation is type(None):
        return st.none()
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of(*(_build(a, fallback) for a in args))
    if not args or origin is None:
        return st.from_type(annotation)
    if origin in (list, collections.abc.Sequence, collections.abc.Iterable):
        return st.lists(_build(args[0], fallback))
    if origin in (set, collections.abc.Set):
        return st.sets(_build(args[0], fallback))
    if origin is frozenset:
        return st.frozensets(_build(args[0], fallback))
    if origin in (dict, collections.abc.Mapping) and len(args) == 2:
        return st.dictionaries(_build(args[0], fallback), _build(args[1], fallback))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_build(args[0], fallback)).map(tuple)
        return st.tuples(*(_build(a, fallback) for a in args))
    return st.from_type(annotation)


def payloads(
    machine: fsm.Machine,
    event: str,
    *,
    namespace: Mapping[str, object] | None = None,
    fallback: st.SearchStrategy[object] = untyped_values,
) -> st.SearchStrategy[dict[str, object]]:
    """Payloads for ``event``, one value per parameter, from its annotations.

    Args:
        machine: the machine.
        event: one of its events.
        namespace: names for resolving the annotations (your own classes).
        fallback: for a parameter without an annotation, or annotated
            ``object`` or ``Any`` (default: :data:`untyped_values`).

    Raises:
        ValueError: ``event`` is not an event of ``machine``, or one of its
            annotations cannot be resolved (a name missing from
            ``namespace``, say).

    Examples:
        >>> import fsm
        >>> from analysis import strategies
        >>> agent = fsm.load("examples/agent.mmd")
        >>> from hypothesis import find
        >>> find(strategies.payloads(agent, "call_tool"), lambda payload: True)
        {'name': '', 'args': {}}
    """
    params = _params_of(machine, event)
    fields: dict[str, st.SearchStrategy[object]] = {}
    for name, text in params:
        annotation: object = None
        where = f"payload {name!r} of event {event!r}"
        if text is not None:
            try:
                annotation = resolve_annotation(text, namespace=namespace)
            except ValueError as error:
                raise ValueError(
                    f"{where}: {error} (to draw untyped values for a name on purpose, "
                    f"map it to object in namespace=)"
                ) from None
        fields[name] = _from_annotation(annotation, fallback, where)
    return st.fixed_dictionaries(fields)


def _params_of(machine: fsm.Machine, event: str) -> tuple[tuple[str, str | None], ...]:
    if event in machine.compiled.event_index:
        return machine.payload_types(event)
    raise ValueError(
        f"{event!r} is not an event of {machine.name!r}; its events are: "
        f"{', '.join(machine.events) or '(none)'}"
    )


def method_payloads(
    state: type[object],
    event: str,
    *,
    fallback: st.SearchStrategy[object] = untyped_values,
) -> st.SearchStrategy[dict[str, object]]:
    """Payloads for the transition method ``event`` of a typestate State class.

    The parameters after ``self`` and their annotations are read from the
    method (:func:`typing.get_type_hints`, so forward references resolve).

    Raises:
        ValueError: the class has no method ``event``.
        fsm.DefinitionError: an annotation of the method cannot be resolved
            (a misspelt or missing name).

    Examples:
        >>> from typestate import State, transition
        >>> from analysis import strategies
        >>> class Idle(State):
        ...     @transition
        ...     def assign(self, task: str, budget: int) -> "Idle":
        ...         return Idle()
        >>> from hypothesis import find
        >>> find(strategies.method_payloads(Idle, "assign"), lambda p: p["budget"] > 9)
        {'task': '', 'budget': 10}
    """
    method: object = getattr(state, event, None)
    if not callable(method):
        raise ValueError(f"{state.__name__} has no transition method {event!r}")
    function: Callable[..., object] = inspect.unwrap(method)
    where = f"{state.__name__}.{event}"
    try:
        hints = typing.get_type_hints(function)
    except Exception as error:  # NameError, TypeError, SyntaxError...: the class is wrong
        raise fsm.DefinitionError(
            f"cannot resolve the annotations of {where}: {type(error).__name__}: {error}; "
            f"fix the annotation or import the name it uses in the class's module"
        ) from error
    fields: dict[str, st.SearchStrategy[object]] = {}
    for n, parameter in enumerate(inspect.signature(function).parameters.values()):
        if n == 0:
            continue  # self
        fields[parameter.name] = _from_annotation(
            hints.get(parameter.name), fallback, f"parameter {parameter.name!r} of {where}"
        )
    return st.fixed_dictionaries(fields)
