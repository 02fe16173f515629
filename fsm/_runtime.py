"""The runtime: :class:`BoundMachine` and :class:`Instance`.

A :class:`~fsm.Machine` is bound once (:meth:`Machine.bind`): every guard,
action, enter/exit hook and branch decider it names is resolved, and for each
leaf state an event-name -> route table is precompiled. Starting an instance
from a :class:`BoundMachine` then only allocates one small ``__slots__`` object
(no per-instance dict or closure), and :meth:`Instance.send` is one dict lookup
on the fast path.

How names are resolved and called (``context`` is the object given to
:meth:`BoundMachine.start`; a name is looked up in ``handlers=`` first, then on
the context's class):

==================  =========================  ===================================
what                name                       called as
==================  =========================  ===================================
guard               the ``[guard]`` name       ``guard(context, **payload)``
action              each ``/ action`` name     ``action(context, **payload)``
exit hook           ``on_exit_<State>``        ``hook(context)``
enter hook          ``on_enter_<State>``       ``hook(context)``
branch decider      ``decide_<event>``         ``decider(context, **payload)``,
                                               returns the target's name
listener            ``listeners=`` (bind)      ``listener(instance, step, payload)``
on_error            a listener's method,       ``on_error(instance, event, payload,
                    optional                   error)`` after a send raised
                                               InvalidTransition or TransitionFailed
==================  =========================  ===================================

A method of the context's class is called as ``context.method(**payload)``.
Guards, actions and deciders are required (a missing one is a
:class:`~fsm.DefinitionError` at bind time); hooks are optional.

A spec is data and may come from someone not fully trusted, so on the
context's class a name resolves only to a public method the class or one of
its bases defines: a function, staticmethod, classmethod, partialmethod or
another callable that binds like a method (a method of a built-in base
class, a functools.cache wrapper). A name with a leading underscore,
an attribute of the metaclass (``mro``), a property, a data attribute or a
nested class is a :class:`~fsm.DefinitionError` at bind time that says why.
The Machine already refuses guard and action names starting with ``_``, and
hook and decider names start with ``on_enter_``, ``on_exit_`` or
``decide_`` whatever the state or event is called.

One ``send``, in order: pick the route for ``(state or nearest ancestor,
event)``; evaluate guards in definition order, ``[else]`` last (or ask the
decider of a branch); run exit hooks (innermost first), the actions, enter
hooks (outermost first); set the state and append to the history; call the
listeners. If anything raises, the state and the history are exactly as
before: listeners run after the state is set, so that they see it, and a
raising listener undoes the transition. An :class:`Exception` is re-raised as
:class:`TransitionFailed` chained to it (``raise ... from error``), naming the
transition and the step that failed. A :class:`BaseException` (such as
:class:`KeyboardInterrupt` or :class:`asyncio.CancelledError`) still undoes
the transition but propagates as it is. The side effects of handlers that
already ran are the handlers' own business: they are not undone.

Run-to-completion: an event a handler (or listener) sends to the instance it
runs in is queued, not run inside the transition, and delivered after the
step commits, first in, first out; ``send`` returns the state after the last
one. A step that fails drops the events it queued; a queued event that is
refused or fails raises :class:`QueuedEventRejected`, the steps before it
kept. While a transition runs, the instance's state is the "busy twin" of its
leaf, which reads the same but has no routes: a send from a handler misses
the fast path and is queued, at no cost to an ordinary send.

Which hooks run: a transition from leaf ``A`` to leaf ``B`` exits the states
from ``A`` up to, not including, the nearest superstate that also contains
``B``, innermost first, and enters the states below that superstate down to
``B``, outermost first. A transition back to the same leaf exits and enters
that leaf only. An internal transition (``Transition.internal``) leaves
nothing: the instance stays in its leaf (even when the transition is
declared on a superstate), its guard and actions run, no hook does, and the
timers keep running. :meth:`BoundMachine.start` and :meth:`BoundMachine.restore`
run no hook.

A branch (several ``[branch]`` outcomes of one ``(state, event)``) is decided
by the ``decide_<event>`` handler, which must return the name of one of the
declared targets; anything else is a :class:`TransitionFailed`.

The payload is passed through as it is; it is not checked against
:attr:`Transition.params` (the typed face of the protocol checks it).

Timers (``Transition.after``): the timers of the states a step enters start
at commit, due at the clock's time plus the delay; those of the states it
leaves stop (the states whose hooks run; an internal transition touches
none). :meth:`Instance.fire_due` sends the due events through ``send``;
:meth:`Instance.run_timers` does it from asyncio. See :mod:`fsm._clock` for
the clocks. A route that starts or stops a timer is never fast.
"""

# The classes here share their private slots: BoundMachine builds the slots of
# Instance directly (no __init__ call), which keeps start() cheap.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import functools
import importlib
import inspect
import linecache
import threading
import types
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, cast

from . import _display
from ._clock import DEFAULT_CLOCK, Clock, PendingTimer, Timers, TimerSpec, check_timers, timer_specs
from ._errors import (
    DefinitionError,
    FSMError,
    InvalidTransition,
    Problem,
    SnapshotError,
    short_repr,
)
from ._guard import combined_handler, is_combination
from ._transition import ELSE, Transition

if TYPE_CHECKING:
    from ._model import Machine

__all__ = [
    "BoundMachine",
    "Instance",
    "Listener",
    "QueuedEventRejected",
    "Step",
    "TransitionFailed",
    "bind",
]

Handler = Callable[..., object]
#: A transition listener: ``listener(instance, step, payload)``.
Listener = Callable[["Instance", "Step", "dict[str, Any]"], object]
_Call = tuple[Handler, bool, str]
_Hooks = Mapping[str, "Handler | None"]

_SNAPSHOT_KEYS: Final = ("machine", "fingerprint", "state")
_OPTIONAL_KEYS: Final = ("history", "timers")


class Step(NamedTuple):
    """One entry of an instance's history: the leaf states left and entered.

    ``source`` is the state the instance was in (a leaf, even when the
    transition was declared on one of its superstates) and ``target`` the leaf
    it entered.
    """

    source: str
    event: str
    target: str


class TransitionFailed(FSMError):
    """A guard, hook, action, decider or listener raised during a transition.

    The instance is exactly as before the event: same state, same history.
    The original exception is the ``__cause__`` of this one.

    Attributes:
        state: the state the instance was (and still is) in.
        event: the event being sent.
        transition: the transition being taken or tested, or None when a
            branch decider failed before one was chosen.
        stage: what failed, such as ``"action 'notify'"``.
        detail: what went wrong there, such as ``"ValueError: no tool"``.
    """

    state: str
    event: str
    transition: Transition | None
    stage: str
    detail: str

    def __init__(
        self,
        state: str,
        event: str,
        transition: Transition | None,
        stage: str,
        detail: str,
    ) -> None:
        self.state = state
        self.event = event
        self.transition = transition
        self.stage = stage
        self.detail = detail
        if transition is None:
            what = f"Sending {event!r} in state {state!r}"
        elif transition.source == state:
            what = f"Transition {transition.describe()}"
        else:
            what = f"Transition {transition.describe()} (from substate {state!r})"
        super().__init__(
            f"{what} failed in {stage}: {detail}; the instance is unchanged, still in {state!r}"
        )

    def __reduce__(self) -> tuple[type[TransitionFailed], tuple[Any, ...], object]:
        # The third item keeps what else is in __dict__, such as __notes__.
        args = (self.state, self.event, self.transition, self.stage, self.detail)
        return (type(self), args, self.__dict__)


class QueuedEventRejected(FSMError):
    """An event queued by a handler (run-to-completion) was refused or failed.

    The ``send`` that raised it took its own transition and every queued one
    before this event: those steps stay committed (state, history,
    listeners). The queued event's own step changed nothing, and the events
    its handlers queued were dropped. The original error, a
    :class:`~fsm.InvalidTransition` or a :class:`TransitionFailed`, is the
    ``__cause__`` (and ``.error``).

    Attributes:
        state: the state the instance is in now.
        event: the queued event that was refused or failed.
        pending: the events not delivered, ``(event, payload)`` pairs in
            queue order, this event first; send them again to go on.
        error: the error the queued event raised.
    """

    state: str
    event: str
    pending: tuple[tuple[str, dict[str, Any]], ...]
    error: Exception

    def __init__(
        self,
        state: str,
        event: str,
        payload: dict[str, Any],
        rest: Iterable[tuple[str, dict[str, Any]]],
        error: Exception,
    ) -> None:
        self.state = state
        self.event = event
        self.pending = ((event, payload), *rest)
        self.error = error
        names = ", ".join(repr(name) for name, _ in self.pending)
        super().__init__(
            f"Queued event {event!r} (sent from a handler) was not delivered: "
            f"{str(error).rstrip('.')}; the steps before it stay committed, the instance "
            f"is in {state!r}; not delivered: {names} (in .pending)"
        )

    def __reduce__(self) -> tuple[type[QueuedEventRejected], tuple[Any, ...], object]:
        event, payload = self.pending[0]
        args = (self.state, event, payload, self.pending[1:], self.error)
        return (type(self), args, self.__dict__)


def _failure(
    leaf: _Leaf, event: str, transition: Transition | None, stage: str, error: BaseException
) -> TransitionFailed:
    return TransitionFailed(leaf.name, event, transition, stage, f"{type(error).__name__}: {error}")


# -- compiled tables ----------------------------------------------------------------


class _Leaf:
    """A leaf state of a bound machine: the current state of an instance."""

    __slots__ = (
        "allowed",
        "bound",
        "busy",
        "final",
        "name",
        "real",
        "routes",
        "running",
        "timers",
    )

    def __init__(
        self, bound: BoundMachine, name: str, final: bool, real: _Leaf | None = None
    ) -> None:
        self.bound = bound
        self.name = name
        self.final = final
        self.routes: dict[str, _Route] = {}
        self.allowed: tuple[str, ...] = ()
        # The timers that run while the instance is in this leaf (its own and
        # its superstates'), outermost first.
        self.timers: tuple[TimerSpec, ...] = ()
        # The busy twin: the instance's state while a transition runs from
        # (or commits into) this leaf. It reads the same, but it has no
        # routes, so that a send from inside a handler misses the fast path
        # and is queued (run-to-completion) at no cost to an ordinary send.
        self.running = real is not None
        self.real: _Leaf = self if real is None else real
        self.busy: _Leaf = self if real is not None else _Leaf(bound, name, final, self)


class _Option:
    """One transition that a route may take from one leaf."""

    __slots__ = (
        "calls",
        "guard",
        "guard_is_async",
        "guard_label",
        "name",
        "retime",
        "step",
        "target",
        "transition",
    )

    def __init__(
        self,
        transition: Transition,
        guard: Handler | None,
        target: _Leaf,
        step: Step,
        calls: tuple[_Call, ...],
    ) -> None:
        self.transition = transition
        self.guard = guard
        self.guard_is_async = guard is not None and _is_async(guard)
        self.guard_label = f"guard {transition.guard!r}"
        self.target = target
        self.name = target.name
        self.step = step
        self.calls = calls
        # The timers this step cancels and starts, or None.
        self.retime: tuple[tuple[TimerSpec, ...], tuple[TimerSpec, ...]] | None = None


class _Route:
    """What ``send(event)`` does in one leaf.

    ``fast`` routes (one unguarded transition, no actions, hooks or
    listeners) are taken inline by :meth:`Instance.send`.
    """

    __slots__ = (
        "async_label",
        "branches",
        "decider",
        "decider_label",
        "fast",
        "name",
        "options",
        "step",
        "target",
    )

    def __init__(self, options: tuple[_Option, ...]) -> None:
        self.options = options
        first = options[0]
        self.target = first.target
        self.name = first.name
        self.step = first.step
        self.fast = False
        self.decider: Handler | None = None
        self.decider_label = ""
        self.branches: dict[str, _Option] = {}
        self.async_label: str | None = None


# -- binding ------------------------------------------------------------------------


class _Resolver:
    """Looks names up in ``handlers``, then on the context's class.

    A name resolves only to a public method the context's class defines: a
    function, staticmethod, classmethod, partialmethod or other callable that
    binds like a method, found in the class's own namespace or a base class's
    (never on its metaclass, never a property, a data attribute or a nested
    class). A name with a leading
    underscore never resolves, not even through ``handlers``: the Machine
    refuses such guard and action names already, and hook and decider names
    always start with ``on_enter_``, ``on_exit_`` or ``decide_``.
    """

    def __init__(
        self,
        machine: Machine,
        context_type: type[Any] | None,
        handlers: Mapping[str, object],
    ) -> None:
        self.machine = machine
        self.context_type = context_type
        self.handlers = handlers
        self.problems: list[Problem] = []
        self.used: set[str] = set()
        self.cache: dict[str, Handler | None] = {}

    def where(self) -> str:
        if self.context_type is None:
            return "pass it in handlers="
        return f"add a method to {self.context_type.__name__} or pass it in handlers="

    def lookup(self, name: str, what: str, *, required: bool) -> Handler | None:
        if name in self.cache:
            return self.cache[name]
        found = self._lookup(name, what, required=required)
        self.cache[name] = found
        return found

    def _lookup(self, name: str, what: str, *, required: bool) -> Handler | None:
        self.used.add(name)
        if name.startswith("_"):
            self.problems.append(
                Problem(
                    f"{what} {name!r} of machine {self.machine.name!r} starts with an "
                    f"underscore; a handler is a public method of the context, so a spec "
                    f"may not name {name!r}"
                )
            )
            return None
        if name in self.handlers:
            value = self.handlers[name]
            if not callable(value):
                self.problems.append(
                    Problem(
                        f"handlers[{name!r}] ({what}) must be callable (got {value!r} of "
                        f"type {type(value).__name__}); pass a function "
                        f"taking the context first"
                    )
                )
                return None
            return value
        cls = self.context_type
        if cls is not None:
            for klass in cls.__mro__:
                namespace: Mapping[str, object] = vars(klass)
                if name in namespace:
                    return self._from_class(cls, name, namespace[name], what)
            if _on_metaclass(cls, name):
                self.problems.append(
                    Problem(
                        f"{what} {name!r} of machine {self.machine.name!r} is not a method "
                        f"of {cls.__name__}: {name!r} is an attribute of its metaclass "
                        f"{type(cls).__name__}, which a spec may not reach; {self.where()}"
                    )
                )
                return None
        if required:
            self.problems.append(
                Problem(
                    f"{what} {name!r} of machine {self.machine.name!r} is not defined; "
                    f"{self.where()}"
                )
            )
        return None

    def _from_class(self, cls: type[Any], name: str, raw: object, what: str) -> Handler | None:
        if inspect.isfunction(raw):
            return raw  # called as raw(context, ...), exactly context.name(...)
        if isinstance(raw, staticmethod):
            func: Handler = raw.__func__  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]

            def call_static(context: object, /, **payload: Any) -> object:
                return func(**payload)

            call_static.__wrapped__ = func  # type: ignore[attr-defined]
            return call_static
        wrapped = _method_of(raw)
        if wrapped is None:
            self.problems.append(
                Problem(
                    f"{cls.__name__}.{name} ({what}) must be a method, not "
                    f"{_not_a_method(raw)}; define 'def {name}(self, ...)'"
                    + (" or wrap it in staticmethod(...)" if _callable_data(raw) else "")
                )
            )
            return None
        get = cast("Callable[[object, type[Any]], Handler]", raw.__get__)  # type: ignore[attr-defined]

        def call_method(context: object, /, **payload: Any) -> object:
            # Bound from the class's own attribute: the instance's __dict__
            # and __getattr__ are never consulted.
            method: Handler = get(context, type(context))
            return method(**payload)

        call_method.__wrapped__ = wrapped  # type: ignore[attr-defined]
        return call_method


def _guard_handler(resolver: _Resolver, guard: str, what: str) -> Handler | None:
    """The handler of a guard: one name's handler, or one made for a combination.

    A combination (``ok and not busy``) resolves each of its names like a
    single guard, so a missing one is reported by name; one handler per
    combination text is made, once, at bind time.
    """
    if not is_combination(guard):
        return resolver.lookup(guard, what, required=True)  # the common case, as fast as ever
    key = f"({guard})"  # never a name, so never mixed up with one in the cache
    if key not in resolver.cache:
        found = combined_handler(guard, lambda name: resolver.lookup(name, what, required=True))
        resolver.cache[key] = found
    return resolver.cache[key]


def _method_of(raw: object) -> object | None:
    """The function behind a method-like class attribute, or None if it is no method."""
    if isinstance(raw, classmethod):
        return cast("object", raw.__func__)  # pyright: ignore[reportUnknownMemberType]
    if isinstance(raw, (functools.partialmethod, functools.singledispatchmethod)):
        return cast("object", raw.func)  # pyright: ignore[reportUnknownMemberType]
    if not inspect.isclass(raw) and hasattr(type(raw), "__get__") and callable(raw):
        # A callable that binds like a method: a method of a built-in base
        # class (dict.get), a functools.cache wrapper, a decorator's object.
        return raw
    if isinstance(raw, types.ClassMethodDescriptorType):
        return raw  # a classmethod of a built-in base class, such as dict.fromkeys
    return None


def _callable_data(raw: object) -> bool:
    if inspect.isclass(raw) or hasattr(type(raw), "__get__"):
        return False
    return callable(raw)


def _not_a_method(raw: object) -> str:
    if isinstance(raw, property):
        return "a property"
    if inspect.isclass(raw):
        return "a class (calling it would construct an object)"
    if hasattr(type(raw), "__get__"):
        return f"a {type(raw).__name__}"
    return f"a data attribute (got {short_repr(raw)} of type {type(raw).__name__})"


def _on_metaclass(cls: type[Any], name: str) -> bool:
    metaclass: type[Any] = type(cls)
    return any(name in vars(meta) for meta in metaclass.__mro__)


def _decider_what(state: str, event: str, targets: Iterable[str]) -> str:
    return (
        f"decider of the branch {state!r} --{event}--> "
        + " | ".join(repr(target) for target in targets)
        + ", which returns the target's name,"
    )


def _is_async(handler: Handler) -> bool:
    target: object = getattr(handler, "__wrapped__", handler)
    return inspect.iscoroutinefunction(target)


def _chain(machine: Machine, state: str) -> list[str]:
    """``state`` and its ancestors, outermost first."""
    return [*reversed(machine.ancestors(state)), state]


def _hook_states(machine: Machine, source: str, target: str) -> tuple[list[str], list[str]]:
    """The states a transition from leaf ``source`` to leaf ``target`` exits and enters.

    Exited innermost first, entered outermost first: those below the nearest
    superstate that contains both (a transition back to the same leaf exits
    and enters that leaf only).
    """
    source_chain = _chain(machine, source)
    target_chain = _chain(machine, target)
    shared = min(len(source_chain), len(target_chain)) - (1 if source == target else 0)
    common = 0
    while common < shared and source_chain[common] == target_chain[common]:
        common += 1
    return list(reversed(source_chain[common:])), target_chain[common:]


def _async_label(route: _Route, listeners: Iterable[Listener]) -> str | None:
    """The label of the first async handler of ``route``, or None when all are sync.

    Handlers are looked at in the order they run: each option's guard, then
    its hooks and actions; the decider; the listeners.
    """
    for option in route.options:
        if option.guard_is_async:
            return option.guard_label
        for handler, _, label in option.calls:
            if _is_async(handler):
                return label
    if route.decider is not None and _is_async(route.decider):
        return route.decider_label
    for listener in listeners:
        if _is_async(listener):
            return f"listener {_name_of(listener)}"
    return None


def bind(
    machine: Machine,
    context_type: type[Any] | None = None,
    *,
    handlers: Mapping[str, object] | None = None,
    listeners: Iterable[Listener] = (),
) -> BoundMachine:
    """Resolve every name of ``machine`` and precompile its routes.

    See :meth:`fsm.Machine.bind`, which calls this.
    """
    given: object = context_type
    if given is not None and not inspect.isclass(given):
        raise TypeError(
            f"bind() takes the context's class, not an instance (got {given!r}); "
            f"pass type(context), or use machine.start(context)"
        )
    return BoundMachine(machine, context_type, dict(handlers or {}), tuple(listeners))


class BoundMachine:
    """A :class:`~fsm.Machine` with its names resolved: a factory of instances.

    Made by :meth:`fsm.Machine.bind`. Binding checks that every guard, action
    and branch decider the machine names exists and is callable, and reports
    all that are missing in one :class:`~fsm.DefinitionError`. Start as many
    instances as needed from one BoundMachine: each start is cheap.

    Attributes:
        machine: the machine bound.
        context_type: the class whose methods are called, or None.
    """

    __slots__ = (
        "_fingerprint",
        "_initial",
        "_leaves",
        "_listeners",
        "_plain",
        "_steps",
        "_timers",
        "context_type",
        "machine",
    )

    machine: Machine
    context_type: type[Any] | None

    def __init__(
        self,
        machine: Machine,
        context_type: type[Any] | None,
        handlers: Mapping[str, object],
        listeners: tuple[Listener, ...],
    ) -> None:
        self.machine = machine
        self.context_type = context_type
        self._listeners = listeners
        self._fingerprint: str | None = None
        resolver = _Resolver(machine, context_type, handlers)
        given: tuple[object, ...] = listeners
        for n, listener in enumerate(given):
            if not callable(listener):
                resolver.problems.append(
                    Problem(
                        f"listeners[{n}] must be callable (got {listener!r}); pass "
                        f"functions taking (instance, step, payload)"
                    )
                )
        compiled = machine.compiled
        leaves: dict[str, _Leaf] = {}
        for number, state in enumerate(machine.states):
            if compiled.is_leaf[number]:
                leaves[state] = _Leaf(self, state, state in machine.final)
        self._leaves = leaves
        self._initial = leaves[machine.states[compiled.initial]]
        self._steps: dict[tuple[str, str, str], Step] = {}
        self._timers = timer_specs(machine.transitions)
        # start() takes its inline path when there is no context class to
        # check and no timer to start: one test instead of two.
        self._plain = context_type is None and not self._timers
        if self._timers:
            for leaf in leaves.values():
                chain = _chain(machine, leaf.name)
                leaf.timers = tuple(s for state in chain for s in self._timers.get(state, ()))
        # Every name (deciders included) is resolved, even one whose transition
        # is shadowed in all substates, so that a definition is checked whole,
        # at bind time.
        branches: dict[tuple[str, str], list[str]] = {}
        for t in machine.transitions:
            if t.guard is not None and t.guard != ELSE:
                _guard_handler(resolver, t.guard, f"guard of {t.describe()}")
            for action in t.actions:
                resolver.lookup(action, f"action of {t.describe()}", required=True)
            if t.branch:
                branches.setdefault((t.source, t.event), []).append(t.target)
        for (source, event), targets in branches.items():
            resolver.lookup(f"decide_{event}", _decider_what(source, event, targets), required=True)
        exits = {
            s: resolver.lookup(f"on_exit_{s}", f"exit hook of {s!r}", required=False)
            for s in machine.states
        }
        enters = {
            s: resolver.lookup(f"on_enter_{s}", f"enter hook of {s!r}", required=False)
            for s in machine.states
        }
        for number, state in enumerate(machine.states):
            if compiled.is_leaf[number]:
                self._compile_leaf(leaves[state], number, resolver, exits, enters)
        known = resolver.used
        for key in handlers:
            if key not in known:
                resolver.problems.append(
                    Problem(
                        f"handlers has {key!r}, which names no guard, action, hook "
                        f"(on_enter_<State>, on_exit_<State>) or decider (decide_<event>) "
                        f"of machine {machine.name!r}; check its spelling or remove it"
                    )
                )
        if resolver.problems:
            raise DefinitionError(resolver.problems)

    def _compile_leaf(
        self,
        leaf: _Leaf,
        number: int,
        resolver: _Resolver,
        exits: Mapping[str, Handler | None],
        enters: Mapping[str, Handler | None],
    ) -> None:
        """Fill ``leaf.routes``: one route for each event the leaf has a transition for."""
        machine = self.machine
        dispatch = machine.compiled.dispatch[number]
        for event_number in sorted(dispatch):
            event = machine.compiled.events[event_number]
            options = tuple(
                self._compile_option(leaf, t_number, resolver, (exits, enters))
                for t_number in dispatch[event_number]
            )
            leaf.routes[event] = self._compile_route(leaf, event, options, resolver)
        leaf.allowed = leaf.busy.allowed = tuple(leaf.routes)

    def _compile_option(
        self, leaf: _Leaf, t_number: int, resolver: _Resolver, hooks: tuple[_Hooks, _Hooks]
    ) -> _Option:
        """One transition from ``leaf``: its guard, and its hooks and actions in call order.

        ``hooks`` are the exit and the enter hook of each state (None if it has none).
        """
        exits, enters = hooks
        machine = self.machine
        t = machine.transitions[t_number]
        guard: Handler | None = None
        if t.guard is not None and t.guard != ELSE:
            guard = _guard_handler(resolver, t.guard, f"guard of {t.describe()}")
        if t.internal:
            # An internal transition does not leave its state: the leaf stays
            # (also when it is declared on a superstate) and no hook runs.
            target = leaf
            left: list[str] = []
            entered: list[str] = []
        else:
            target = self._leaves[machine.states[machine.compiled.targets[t_number]]]
            left, entered = _hook_states(machine, leaf.name, target.name)
        calls: list[_Call] = []
        for state in left:
            hook = exits[state]
            if hook is not None:
                calls.append((hook, False, f"exit hook 'on_exit_{state}'"))
        for action in t.actions:
            found = resolver.lookup(action, f"action of {t.describe()}", required=True)
            if found is not None:
                calls.append((found, True, f"action {action!r}"))
        for state in entered:
            hook = enters[state]
            if hook is not None:
                calls.append((hook, False, f"enter hook 'on_enter_{state}'"))
        timed = self._timers
        if timed and (left or entered):
            cancel = tuple(s for state in left for s in timed.get(state, ()))
            begin = tuple(s for state in entered for s in timed.get(state, ()))
            retime = (cancel, begin) if cancel or begin else None
        else:
            retime = None
        key = (leaf.name, t.event, target.name)
        step = self._steps.setdefault(key, Step(*key))
        option = _Option(t, guard, target, step, tuple(calls))
        option.retime = retime
        return option

    def _compile_route(
        self, leaf: _Leaf, event: str, options: tuple[_Option, ...], resolver: _Resolver
    ) -> _Route:
        """What ``send(event)`` does in ``leaf``: its options, decider, async mark and fast flag."""
        route = _Route(options)
        first = options[0].transition
        if first.branch:
            name = f"decide_{event}"
            targets = [o.transition.target for o in options]
            route.decider = resolver.lookup(
                name, _decider_what(leaf.name, event, targets), required=True
            )
            route.decider_label = f"decider {name!r}"
            for option in options:
                route.branches[option.transition.target] = option
                route.branches.setdefault(option.name, option)
        route.async_label = _async_label(route, self._listeners)
        route.fast = (
            not first.branch
            and len(options) == 1
            and options[0].guard is None
            and not options[0].calls
            and options[0].retime is None
            and not self._listeners
        )
        return route

    def __repr__(self) -> str:
        bound = self.context_type.__name__ if self.context_type is not None else "handlers"
        return f"<fsm.BoundMachine {self.machine.name!r} bound to {bound}>"

    @property
    def fingerprint(self) -> str:
        """The machine's fingerprint, computed once (used by snapshots)."""
        if self._fingerprint is None:
            self._fingerprint = self.machine.fingerprint
        return self._fingerprint

    def start(
        self,
        context: object = None,
        *,
        lock: bool = False,
        history: bool | int = False,
        clock: Clock | None = None,
    ) -> Instance:
        """Start an instance in the machine's initial state.

        Enter hooks of the initial state are not run: nothing is left to
        enter it, and starting stays cheap and cannot fail.

        Args:
            context: the object whose methods are the guards, actions and
                hooks; every handler gets it as first argument.
            lock: when True, :meth:`Instance.send` holds a per-instance lock,
                so threads may share the instance.
            history: False (the default) keeps none, True keeps every step, a
                positive int keeps that many most recent steps.
            clock: the clock of the instance's timers (see :class:`fsm.Clock`);
                :class:`fsm.WallClock` by default. The timers of the initial
                state start now.

        Returns:
            A new :class:`Instance`.

        Raises:
            TypeError: ``context`` is not of the class the machine was bound
                to, or ``history`` is not a bool or a positive int.
        """
        if lock or history is not False or not self._plain:
            inst = self._make(context, self._initial, lock, history, ())
            if self._timers:
                timers = inst._timers = Timers(clock or DEFAULT_CLOCK, {})
                timers.start(self._initial.timers)
            return inst
        inst = _new_instance(Instance)
        inst._state = self._initial
        inst._context = context
        inst._history = None
        inst._alock = None
        inst._queue = None
        inst._timers = None
        return inst

    def _make(
        self,
        context: object,
        leaf: _Leaf,
        lock: bool,
        history: bool | int,
        steps: Iterable[Step],
    ) -> Instance:
        cls = self.context_type
        if cls is not None and type(context) is not cls:
            raise TypeError(
                f"context must be an instance of {cls.__name__}, the class machine "
                f"{self.machine.name!r} was bound to (got {context!r} of type "
                f"{type(context).__name__}); pass one, or bind the machine to "
                f"{type(context).__name__}"
            )
        log: list[Step] | deque[Step] | None
        if history is True:
            log = list(steps)
        elif history is False:
            log = None
        elif _positive_int(history):
            log = deque(steps, maxlen=history)
        else:
            raise TypeError(
                f"history must be False, True or a positive int (got {history!r}); "
                f"use True to keep every step or N to keep the last N"
            )
        inst: Instance
        if lock:
            locked = _new_instance(_LockedInstance)
            locked._lock = threading.RLock()
            inst = locked
        else:
            inst = _new_instance(Instance)
        inst._state = leaf
        inst._context = context
        inst._history = log
        inst._alock = None
        inst._queue = None
        inst._timers = None
        return inst

    def restore(
        self,
        snapshot: object,
        context: object = None,
        *,
        lock: bool = False,
        history: bool | int | None = None,
        clock: Clock | None = None,
    ) -> Instance:
        """Make an instance from a snapshot taken by :meth:`Instance.snapshot`.

        No hook runs. The snapshot is checked, never evaluated or unpickled.

        Args:
            snapshot: the dict returned by :meth:`Instance.snapshot` (possibly
                after a round trip through JSON).
            context: as for :meth:`start`.
            lock: as for :meth:`start`.
            history: as for :meth:`start`; None (the default) keeps every step
                when the snapshot has a history, and none otherwise.
            clock: as for :meth:`start`. The timers keep the due times the
                snapshot holds (``"timers"``); a snapshot of a machine with
                timers that has none starts the state's timers now.

        Returns:
            An :class:`Instance` in the snapshot's state, with its history.

        Raises:
            SnapshotError: the snapshot is malformed, is of another machine or
                of another version of this one, or names an unknown state or
                step; the message says which.
        """
        leaf, steps = self._check_snapshot(snapshot)
        if history is None:
            history = steps is not None
        data = cast("Mapping[str, object]", snapshot)
        if not self._timers:
            if "timers" in data:
                raise SnapshotError(
                    f"snapshot has timers but machine {self.machine.name!r} has none; "
                    f"remove the key 'timers' or restore it with the machine it was taken from"
                )
            return self._make(context, leaf, lock, history, steps or ())
        timers = Timers(clock or DEFAULT_CLOCK, {})
        if "timers" in data:
            timers.pending = check_timers(data["timers"], leaf.timers, leaf.name, self.machine.name)
        else:
            timers.start(leaf.timers)
        inst = self._make(context, leaf, lock, history, steps or ())
        inst._timers = timers
        return inst

    def _check_snapshot(self, snapshot: object) -> tuple[_Leaf, list[Step] | None]:
        machine = self.machine
        if not isinstance(snapshot, Mapping):
            raise SnapshotError(
                f"snapshot must be a dict as returned by Instance.snapshot() (got "
                f"{short_repr(snapshot)} of type {type(snapshot).__name__})"
            )
        data: Mapping[object, object] = snapshot  # pyright: ignore[reportUnknownVariableType]
        for key in _SNAPSHOT_KEYS:
            if key not in data:
                raise SnapshotError(
                    f"snapshot is missing the key {key!r}; pass the whole dict "
                    f"returned by Instance.snapshot()"
                )
        for extra in data:
            if extra not in _SNAPSHOT_KEYS and extra not in _OPTIONAL_KEYS:
                raise SnapshotError(
                    f"snapshot has an unknown key {short_repr(extra)}; expected only "
                    f"machine, fingerprint, state, history and timers"
                )
        strings: list[str] = []
        for key in _SNAPSHOT_KEYS:
            value = data[key]
            if not isinstance(value, str):
                raise SnapshotError(
                    f"snapshot[{key!r}] must be a string (got {short_repr(value)} of type "
                    f"{type(value).__name__})"
                )
            strings.append(value)
        name, fingerprint, state = strings
        if name != machine.name:
            raise SnapshotError(
                f"snapshot is of machine {short_repr(name)}, not {machine.name!r}; restore it "
                f"with the machine it was taken from"
            )
        if fingerprint != self.fingerprint:
            raise SnapshotError(
                f"snapshot fingerprint {fingerprint[:12]}... does not match machine "
                f"{machine.name!r} (fingerprint {self.fingerprint[:12]}...): the "
                f"definition changed since the snapshot was taken; restore it with "
                f"the definition it was taken from"
            )
        leaf = self._leaves.get(state)
        if leaf is None:
            if state in machine.compiled.state_index:
                raise SnapshotError(
                    f"snapshot state {state!r} is a superstate; an instance is always "
                    f"in a leaf state, such as {machine.resolve(state)!r}"
                )
            raise SnapshotError(
                f"snapshot state {short_repr(state)} is not a state of machine {machine.name!r}; "
                f"its states are {', '.join(self._leaves)}"
            )
        if "history" not in data:
            return leaf, None
        return leaf, self._check_history(data["history"], state)

    def _check_history(self, raw: object, state: str) -> list[Step]:
        if not isinstance(raw, list):
            raise SnapshotError(
                f"snapshot['history'] must be a list of [source, event, target] "
                f"lists (got {short_repr(raw)} of type {type(raw).__name__})"
            )
        steps: list[Step] = []
        items: list[object] = raw  # pyright: ignore[reportUnknownVariableType]
        for n, item in enumerate(items):
            key = _step_key(item)
            if key is None:
                raise SnapshotError(
                    f"snapshot['history'][{n}] must be a [source, event, target] list "
                    f"of three strings (got {short_repr(item)})"
                )
            step = self._steps.get(key)
            if step is None:
                raise SnapshotError(
                    f"snapshot['history'][{n}] {short_repr(list(key))} is not a transition of "
                    f"machine {self.machine.name!r}; the history was edited or is of "
                    f"another machine"
                )
            if steps and steps[-1].target != step.source:
                raise SnapshotError(
                    f"snapshot['history'][{n}] starts in {step.source!r} but the step "
                    f"before it ends in {steps[-1].target!r}; the history was edited"
                )
            steps.append(step)
        if steps and steps[-1].target != state:
            raise SnapshotError(
                f"snapshot history ends in {steps[-1].target!r} but its state is "
                f"{state!r}; the snapshot was edited"
            )
        return steps


def _step_key(item: object) -> tuple[str, str, str] | None:
    if not isinstance(item, (list, tuple)):
        return None
    parts: list[object] = list(item)  # pyright: ignore[reportUnknownArgumentType]
    if len(parts) != 3:
        return None
    source, event, target = parts
    if isinstance(source, str) and isinstance(event, str) and isinstance(target, str):
        return (source, event, target)
    return None


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _name_of(function: object) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


# -- instances ----------------------------------------------------------------------


class Instance:
    """A running machine: a current state, driven by event names.

    Made by :meth:`fsm.Machine.start` (or :meth:`BoundMachine.start`), or by
    :meth:`fsm.Machine.restore` from a snapshot.

    Examples:
        >>> import fsm
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Open : open
        ...     Open --> Closed : close
        ... ''')
        >>> inst = door.start(history=True)
        >>> inst.send("open")
        'Open'
        >>> inst.state, inst.allowed, inst.can("open")
        ('Open', ('close',), False)
        >>> inst.send("open")
        Traceback (most recent call last):
        ...
        fsm.InvalidTransition: Can't send 'open' in state 'Open'; allowed here: close.
        >>> inst.history
        (Step(source='Closed', event='open', target='Open'),)
        >>> door.restore(inst.snapshot()).state
        'Open'
    """

    __slots__ = ("__weakref__", "_alock", "_context", "_history", "_queue", "_state", "_timers")

    _state: _Leaf
    _context: object
    _history: list[Step] | deque[Step] | None
    # The asyncio.Lock that serializes asend, with the event loop it serves.
    _alock: _Gate | None
    # The pending timers, with the clock; None for a machine without timers.
    _timers: Timers | None
    # The events sent from handlers while a transition runs (run-to-completion).
    _queue: list[tuple[str, dict[str, Any]]] | None

    def __init__(self) -> None:
        raise TypeError(
            "fsm.Instance cannot be made directly; use machine.start(...) or "
            "machine.bind(...).start(...)"
        )

    def __repr__(self) -> str:
        return f"<fsm.Instance of {self.machine.name!r} in {self._state.name!r}>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Its machine's diagram, for Jupyter, with the state and the last steps marked."""
        log = self._history
        recent = tuple(log)[-_display.RECENT :] if log is not None else ()
        return _display.mimebundle(repr(self), self.machine, self._state.name, recent)

    def __getstate__(self) -> dict[str, object]:
        # The asyncio lock serves one event loop, which does not pickle: a
        # copy makes its own when it first runs asend.
        state: dict[str, object] = {
            "state": self._state.real,
            "context": self._context,
            "history": self._history,
        }
        if self._timers is not None:
            state["timers"] = self._timers
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._state = state["state"]
        self._context = state["context"]
        self._history = state["history"]
        self._alock = None
        self._queue = None
        self._timers = state.get("timers")

    # -- reading --------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The current state (always a leaf: never a superstate)."""
        return self._state.name

    @property
    def machine(self) -> Machine:
        """The :class:`~fsm.Machine` this instance runs."""
        return self._state.bound.machine

    @property
    def bound(self) -> BoundMachine:
        """The :class:`BoundMachine` this instance was started from."""
        return self._state.bound

    @property
    def context(self) -> object:
        """The context object given at start (None if none was)."""
        return self._context

    @property
    def is_final(self) -> bool:
        """True when the current state is one of the machine's final states."""
        return self._state.final

    @property
    def allowed(self) -> tuple[str, ...]:
        """The events that have a transition in the current state.

        Guards are not evaluated (they may need the event's payload); use
        :meth:`can` for that.
        """
        return self._state.allowed

    @property
    def history(self) -> tuple[Step, ...]:
        """The steps taken, oldest first (the most recent ones, when bounded).

        Raises:
            FSMError: history is off for this instance.
        """
        log = self._history
        if log is None:
            raise FSMError(
                f"history is off for this instance of {self.machine.name!r}; start it "
                f"with history=True (every step) or history=N (the last N steps)"
            )
        return tuple(log)

    @property
    def timers(self) -> tuple[PendingTimer, ...]:
        """The timers started and not yet fired, soonest first (empty without timers).

        A timer starts when its state is entered and stops when it is left
        (an internal transition leaves nothing; an external self-transition
        starts it again). :meth:`fire_due` fires those that are due.
        """
        timers = self._timers
        return () if timers is None else timers.listed()

    def fire_due(self) -> tuple[str, ...]:
        """Send the event of each timer due by the instance's clock, soonest first.

        Each timer fires once, through :meth:`send` (so run-to-completion and
        the lock apply). A timer whose event finds no enabled transition (its
        guards are false) is spent, as in UML. A timer started by a step this
        call fired waits for the next call, even when already due (so a cycle
        of zero delays cannot loop for ever). A timer cancelled by a step this
        call fired does not fire.

        Returns:
            The events of the timers that took a transition, in order.

        Raises:
            TransitionFailed: a handler of a timer's transition raised; the
                instance is unchanged and that timer still due (the next call
                tries it again); the timers after it wait for the next call.
            QueuedEventRejected: as :meth:`send`; the timer has fired.
        """
        timers = self._timers
        if timers is None:
            return ()
        pending = timers.pending
        fired: list[str] = []
        for spec, due in timers.due_now():
            if pending.get(spec) != due:
                continue  # cancelled or started again by a step fired before
            del pending[spec]
            try:
                self.send(spec.event)
            except InvalidTransition:
                continue
            except QueuedEventRejected:
                raise
            except BaseException:
                pending[spec] = due
                raise
            fired.append(spec.event)
        return tuple(fired)

    async def afire_due(self) -> tuple[str, ...]:
        """:meth:`fire_due` through :meth:`asend`: awaits async handlers."""
        timers = self._timers
        if timers is None:
            return ()
        pending = timers.pending
        fired: list[str] = []
        for spec, due in timers.due_now():
            if pending.get(spec) != due:
                continue
            del pending[spec]
            try:
                await self.asend(spec.event)
            except InvalidTransition:
                continue
            except QueuedEventRejected:
                raise
            except BaseException:
                pending[spec] = due
                raise
            fired.append(spec.event)
        return tuple(fired)

    async def run_timers(self) -> None:
        """Fire the timers when they are due, until cancelled: the asyncio driver.

        Run it as a task beside the code that sends events
        (``asyncio.create_task(inst.run_timers())``). It calls
        :meth:`afire_due`, then sleeps on the instance's clock until the next
        timer is due, or until a step starts a timer. It never ends by itself;
        cancel the task to stop it. An error of :meth:`afire_due` ends it.

        Raises:
            FSMError: the machine has no timers.
        """
        timers = self._timers
        if timers is None:
            raise FSMError(
                f"machine {self.machine.name!r} has no timers (no transition with "
                f"after=...); there is nothing for run_timers() to fire"
            )
        asyncio = _asyncio()
        loop = asyncio.get_running_loop()
        while True:
            await self.afire_due()
            wake = timers.wake = loop.create_future()
            waits: list[Any] = [wake]
            listed = timers.listed()
            if listed:
                delay = listed[0].due - timers.clock.now()
                waits.append(asyncio.ensure_future(timers.clock.sleep(delay)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                timers.wake = None
                for waiting in waits[1:]:
                    waiting.cancel()

    def can(self, event: str, /, **payload: Any) -> bool:
        """Return True when ``send(event, **payload)`` would find a transition.

        Guards are evaluated with ``payload`` (so they must not have side
        effects); a branch counts as possible without asking its decider.
        Nothing changes.

        Raises:
            TransitionFailed: a guard raised.
            FSMError: a guard is async; use :meth:`asend` and catch
                :class:`~fsm.InvalidTransition` instead.
        """
        leaf = self._state.real
        route = leaf.routes.get(event)
        if route is None:
            return False
        if route.decider is not None:
            return True
        context = self._context
        for option in route.options:
            guard = option.guard
            if guard is None:
                return True
            if option.guard_is_async:
                raise FSMError(
                    f"{option.guard_label} of {option.transition.describe()} is async, so "
                    f"can({event!r}) cannot evaluate it; use 'await inst.asend(...)' "
                    f"and catch fsm.InvalidTransition"
                )
            try:
                if guard(context, **payload):
                    return True
            except Exception as error:
                raise _failure(leaf, event, option.transition, option.guard_label, error) from error
        return False

    def snapshot(self) -> dict[str, Any]:
        """A JSON-safe dict to store and later :meth:`fsm.Machine.restore`.

        ``{"machine", "fingerprint", "state"}`` plus ``"history"`` (a list of
        ``[source, event, target]`` lists) when history is on. The context is
        not part of it: pass it again to ``restore``.
        """
        leaf = self._state
        data: dict[str, Any] = {
            "machine": leaf.bound.machine.name,
            "fingerprint": leaf.bound.fingerprint,
            "state": leaf.name,
        }
        if self._history is not None:
            data["history"] = [list(step) for step in self._history]
        timers = self._timers
        if timers is not None:
            data["timers"] = [[spec.event, due, spec.state] for spec, due in timers.pending.items()]
        return data

    # -- sending --------------------------------------------------------------------

    def send(self, event: str, /, **payload: Any) -> str:
        """Send ``event``; take the transition it enables and return the new state.

        Args:
            event: the event's name.
            **payload: passed as keyword arguments to the guards, the actions
                and the branch decider (not to hooks).

        Returns:
            The state entered.

        Raises:
            InvalidTransition: no transition for ``event`` is enabled in the
                current state (unknown event, or every guard false).
            TransitionFailed: a guard, hook, action, decider or listener
                raised; it is chained to the original exception.
            FSMError: a handler of this transition is async; use :meth:`asend`.
        """
        route = self._state.routes.get(event)
        if route is not None and route.fast:
            log = self._history
            if log is not None:
                log.append(route.step)
            self._state = route.target
            return route.name
        try:
            if route is None or route.async_label is not None:
                if self._state.running:
                    return self._enqueue(event, payload)
                raise self._refusal(event, route)
            return _transition(self, self._state, event, route, payload)
        except (InvalidTransition, TransitionFailed) as error:
            _tell_not_taken(self, event, payload, error)
            raise
        except QueuedEventRejected as error:
            _tell_queued_not_taken(self, error)
            raise

    def _enqueue(self, event: str, payload: dict[str, Any]) -> str:
        """Queue an event sent while a transition runs; return the state now."""
        queue = self._queue
        if queue is None:
            queue = self._queue = []
        queue.append((event, payload))
        return self._state.name

    def _invalid(self, leaf: _Leaf, event: str, reason: str | None) -> InvalidTransition:
        if reason is None and event not in leaf.bound.machine.compiled.event_index:
            reason = f"machine {leaf.bound.machine.name!r} has no event {event!r}"
        return InvalidTransition(leaf.name, event, leaf.allowed, reason)

    def _refusal(self, event: str, route: _Route | None) -> FSMError:
        """Why ``send(event)`` takes no route: none, or one with an async handler."""
        leaf = self._state
        if route is None:
            return self._invalid(leaf, event, None)
        return FSMError(
            f"{route.async_label} of {event!r} in state {leaf.name!r} is async; use "
            f"'await inst.asend({event!r}, ...)' instead of send()"
        )

    # The one core of send and asend: choose the transition, run the handlers,
    # apply, roll back. It is written once, here, as a coroutine; the sync
    # variant (_transition, below the class) is derived from this source at
    # import time by _sync_variant, which drops the lines marked "# async only"
    # (each awaits what a handler returned, if it is awaitable). Measured
    # against driving one generator from both loops, which cost ~450 ns per
    # send with handlers (+25% on a guard, action and enter hook), the derived
    # plain function is as fast as a hand-written sync copy, and the coroutine
    # as fast as the old hand-written async copy (benchmarks/README.md). A sync
    # core that asend reuses for routes without async handlers would still
    # need an awaiting copy for the others; deriving one from the other keeps
    # a single source. send() calls _transition itself, without a _send step
    # between: that one call was a measurable part of the 5% budget.
    async def _atransition(
        self, leaf: _Leaf, event: str, route: _Route, payload: dict[str, Any]
    ) -> str:
        context = self._context
        first = True  # the step of the event sent, before any queued one
        mark = 0  # how many queued events are older than the step running
        while True:
            # The busy twin reads as leaf but has no routes: a send from a
            # handler is queued (Instance._enqueue), not run inside this step.
            self._state = leaf.busy
            try:
                decider = route.decider
                option: _Option | None = None
                if decider is not None:
                    try:
                        choice = decider(context, **payload)
                        if inspect.isawaitable(choice):  # async only
                            choice = await choice  # async only
                    except Exception as error:
                        raise _failure(leaf, event, None, route.decider_label, error) from error
                    option = self._branch(leaf, event, route, choice)
                else:
                    for candidate in route.options:
                        guard = candidate.guard
                        if guard is None:
                            option = candidate
                            break
                        try:
                            held = guard(context, **payload)
                            if inspect.isawaitable(held):  # async only
                                held = await held  # async only
                        except Exception as error:
                            raise _failure(
                                leaf, event, candidate.transition, candidate.guard_label, error
                            ) from error
                        if held:
                            option = candidate
                            break
                    if option is None:
                        raise self._invalid(leaf, event, _guards_false(route))
                label = ""
                try:
                    for handler, takes_payload, label in option.calls:  # noqa: B007
                        result = handler(context, **payload) if takes_payload else handler(context)
                        if inspect.isawaitable(result):  # async only
                            await result  # async only
                except Exception as error:
                    raise _failure(leaf, event, option.transition, label, error) from error
                evicted = self._apply(leaf, event, option)
                listeners = leaf.bound._listeners
                if listeners:
                    listener: Listener | None = None
                    try:
                        for listener in listeners:
                            result = listener(self, option.step, payload)
                            if inspect.isawaitable(result):  # async only
                                await result  # async only
                    except BaseException as error:
                        self._rollback(leaf, evicted)
                        if isinstance(error, Exception):
                            stage = f"listener {_name_of(listener)}"
                            raise _failure(leaf, event, option.transition, stage, error) from error
                        raise
            except BaseException as error:
                # The step is undone and the events it queued are dropped;
                # the steps before it (of queued events) stay committed.
                self._state = leaf
                queue = self._queue
                rest = queue[:mark] if queue else []
                if queue:
                    queue.clear()
                if first or not isinstance(error, Exception):
                    raise
                raise QueuedEventRejected(leaf.name, event, payload, rest, error) from error
            leaf = option.target
            self._state = leaf
            if option.retime is not None:
                self._retime(option)
            queue = self._queue
            if not queue:
                return leaf.name
            # Run to completion: deliver the oldest queued event.
            first = False
            event, payload = queue.pop(0)
            mark = len(queue)
            found = leaf.routes.get(event)
            sync = True
            sync = False  # async only
            if found is None or (sync and found.async_label is not None):
                refused = self._refusal(event, found)
                rest = queue[:]
                queue.clear()
                raise QueuedEventRejected(leaf.name, event, payload, rest, refused) from refused
            route = found

    def _branch(self, leaf: _Leaf, event: str, route: _Route, choice: object) -> _Option:
        option = route.branches.get(choice) if isinstance(choice, str) else None
        if option is None:
            targets = ", ".join(repr(o.transition.target) for o in route.options)
            raise TransitionFailed(
                leaf.name,
                event,
                None,
                route.decider_label,
                f"it returned {short_repr(choice)}; return one of {targets}",
            )
        return option

    def _apply(self, leaf: _Leaf, event: str, option: _Option) -> Step | None:
        """Set the state and record the step; return the step the history dropped."""
        if self._state is not leaf.busy:
            raise TransitionFailed(
                leaf.name,
                event,
                option.transition,
                "commit",
                f"the state changed to {self._state.name!r} while the transition ran "
                f"(another thread or task sent an event to this instance); use "
                f"lock=True to share an instance between threads",
            )
        log = self._history
        evicted: Step | None = None
        if log is not None:
            if isinstance(log, deque) and len(log) == log.maxlen:
                evicted = log[0]
            log.append(option.step)
        self._state = option.target.busy
        return evicted

    def _retime(self, option: _Option) -> None:
        """Cancel and start the timers of the states ``option`` left and entered."""
        timers = self._timers
        retime = option.retime
        if timers is None or retime is None:
            return
        cancel, begin = retime
        pending = timers.pending
        for spec in cancel:
            pending.pop(spec, None)
        if begin:
            timers.start(begin)

    def _rollback(self, leaf: _Leaf, evicted: Step | None) -> None:
        self._state = leaf
        log = self._history
        if log is not None:
            log.pop()
            if evicted is not None:
                assert isinstance(log, deque)
                log.appendleft(evicted)

    async def asend(self, event: str, /, **payload: Any) -> str:
        """Send ``event``, awaiting async guards, hooks, actions and listeners.

        Concurrent ``asend`` calls on one instance run one after the other,
        in the order they acquire the instance's :class:`asyncio.Lock`. Sync
        handlers are called as in :meth:`send`. Do not mix ``send`` and
        ``asend`` on one instance while an ``asend`` is running.

        The instance may be used from one event loop after another (each
        :func:`asyncio.run` makes a new one): the lock is made for the loop
        that is running. Calls are serialized within one loop; do not run
        ``asend`` on one instance from two loops at the same time (two
        threads): that is as unsupported as ``send`` from two threads
        without ``lock=True``.

        Returns:
            The state entered.

        Raises:
            InvalidTransition: as :meth:`send`.
            TransitionFailed: as :meth:`send`.
        """
        loop = (_running_loop or _asyncio_loaded())()
        gate = self._alock
        if gate is None or gate.loop is not loop:
            # A lock serves one loop only: asyncio.Lock refuses waiters from
            # another loop once it has had one.
            gate = self._alock = _Gate(loop, _asyncio().Lock())
        task = _current_task()
        if self._state.running and gate.owner is task:
            # Sent from a handler of the transition this task runs: queued
            # (run-to-completion); waiting for the lock would never end.
            return self._enqueue(event, payload)
        async with gate.lock:
            gate.owner = task
            try:
                return await self._asend(event, payload)
            finally:
                gate.owner = None

    async def _asend(self, event: str, payload: dict[str, Any]) -> str:
        leaf = self._state
        route = leaf.routes.get(event)
        try:
            if route is None:
                raise self._invalid(leaf, event, None)
            return await self._atransition(leaf, event, route, payload)
        except (InvalidTransition, TransitionFailed) as error:
            _tell_not_taken(self, event, payload, error)
            raise
        except QueuedEventRejected as error:
            _tell_queued_not_taken(self, error)
            raise


def _sync_variant(
    coroutine: Callable[..., Coroutine[Any, Any, Any]], name: str
) -> Callable[..., Any]:
    """Derive the plain function ``name`` from the source of ``coroutine``.

    Drops each line marked ``# async only`` and turns ``async def`` into
    ``def name``; an ``await`` left is a mistake in the marking, refused here.
    The source made is registered with :mod:`linecache` under its own file
    name, so a traceback through it shows its lines. Without the source (a
    build shipping only ``.pyc`` files), the coroutine is run to its end
    without an event loop instead: slower, and an awaitable a sync handler
    returns is then awaited, not ignored.
    """
    code = coroutine.__code__
    lines = linecache.getlines(code.co_filename)
    if not lines:
        return functools.partial(_run_to_end, coroutine)
    first = code.co_firstlineno - 1
    indent = len(lines[first]) - len(lines[first].lstrip())
    body = [lines[first][indent:].replace(f"async def {code.co_name}(", f"def {name}(", 1)]
    start = first
    while not lines[start].rstrip().endswith(":"):  # the rest of the signature
        start += 1
        body.append(lines[start][indent:])
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if not line.rstrip().endswith("# async only"):
            body.append(line[indent:])
    source = "".join(body)
    if "await " in source or source.startswith("async"):
        raise AssertionError(f"{coroutine.__qualname__}: an await is not marked '# async only'")
    filename = f"<fsm generated: {name}, the sync variant of {coroutine.__qualname__}>"
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), coroutine.__globals__, namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return cast("Callable[..., Any]", namespace[name])


def _run_to_end(coroutine: Callable[..., Coroutine[Any, Any, Any]], *args: object) -> Any:
    running = coroutine(*args)
    try:
        running.send(None)
    except StopIteration as done:
        return done.value
    running.close()
    raise FSMError(f"{coroutine.__qualname__} waited for an event loop in a sync send")


#: The sync core: Instance._atransition without its awaits.
_transition: Final[Callable[[Instance, _Leaf, str, _Route, dict[str, Any]], str]] = _sync_variant(
    Instance._atransition, "_transition"
)


#: asyncio.get_running_loop, once asend has imported asyncio (slow to import:
#: sync users never need it).
_running_loop: Callable[[], object] | None = None


def _no_task() -> object:
    return None


#: asyncio.current_task, set with _running_loop.
_current_task: Callable[[], object] = _no_task


class _Gate:
    """What serializes ``asend`` on one instance: a lock for one event loop.

    ``owner`` is the task whose ``asend`` holds the lock, so that an
    ``asend`` from one of its own handlers is queued instead of waiting.
    """

    __slots__ = ("lock", "loop", "owner")

    def __init__(self, loop: object, lock: _AsyncLock) -> None:
        self.loop = loop
        self.lock = lock
        self.owner: object = None


class _AsyncLock(Protocol):
    """What asend needs of an asyncio.Lock."""

    async def __aenter__(self) -> object: ...
    async def __aexit__(self, *exc: object) -> object: ...


def _asyncio() -> Any:
    # Through importlib, so that type checkers do not read asyncio (and the
    # ssl, socket, concurrent and multiprocessing stubs it brings) for every
    # module that imports fsm or typestate: it was most of the modules mypy
    # analysed for a one-line "from typestate import State".
    return importlib.import_module("asyncio")


def _asyncio_loaded() -> Callable[[], object]:
    global _running_loop, _current_task
    asyncio = _asyncio()
    running: Callable[[], object] = asyncio.get_running_loop
    _current_task = asyncio.current_task
    _running_loop = running
    return running


def _tell_not_taken(
    instance: Instance, event: str, payload: dict[str, Any], error: FSMError
) -> None:
    """Call ``on_error`` of each listener that has one: ``event`` was not taken.

    Only on the error path, so a send that succeeds pays nothing for it. The
    state is the one before the send (a failed transition was undone).
    """
    for listener in instance._state.bound._listeners:
        on_error = getattr(listener, "on_error", None)
        if on_error is None:
            continue
        try:
            on_error(instance, event, payload, error)
        except Exception as failure:
            # The send's own error is what the caller catches; a listener that
            # cannot report it must not replace it nor silence the others.
            add_note = getattr(error, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(f"listener {listener!r} failed in on_error: {failure!r}")


def _tell_queued_not_taken(instance: Instance, rejected: QueuedEventRejected) -> None:
    """Tell the listeners that a queued event was not taken (run-to-completion)."""
    error = rejected.error
    if isinstance(error, FSMError):
        _tell_not_taken(instance, rejected.event, rejected.pending[0][1], error)


def _guards_false(route: _Route) -> str:
    names = [o.transition.guard for o in route.options if o.guard is not None]
    if len(names) == 1:
        return f"guard {names[0]} is false"
    return f"guards {', '.join(str(n) for n in names)} are false"


class _LockedInstance(Instance):
    """An :class:`Instance` whose ``send`` holds a lock (``lock=True``).

    A subclass, so that the plain :meth:`Instance.send` pays nothing for a
    lock it does not have. It keeps its own name: ``type(inst)`` of a locked
    instance is this class, not :class:`Instance`, and it pickles as itself
    (the copy gets a lock of its own).
    """

    __slots__ = ("_lock",)

    _lock: threading.RLock

    def __repr__(self) -> str:
        return f"{Instance.__repr__(self)[:-1]} (locked)>"

    def __getstate__(self) -> dict[str, object]:
        with self._lock:
            return Instance.__getstate__(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        Instance.__setstate__(self, state)
        self._lock = threading.RLock()

    def send(self, event: str, /, **payload: Any) -> str:
        with self._lock:
            return Instance.send(self, event, **payload)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return Instance.snapshot(self)

    def fire_due(self) -> tuple[str, ...]:
        with self._lock:
            return Instance.fire_due(self)


_new_instance: Final = object.__new__
