"""``State`` and ``@transition``: a protocol written as one class per state.

Each state is a frozen attrs class. A transition is a method decorated with
:func:`transition` whose return annotation names the state(s) it moves to; the
type checker sees the method exactly as written, so calling a method the
current state does not have is a type error.

At run time every concrete state class gets its own wrapper for each of its
transitions (its own and those inherited from abstract superstates). The
wrapper enforces linearity (a state object is used once) and checks that the
returned object is one of the declared targets. Targets are resolved from the
return annotation on the first call, so forward references work.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import linecache
import sys
import types
import typing
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Concatenate,
    Final,
    Literal,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
    overload,
)

import attrs

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - Python 3.10
    from typing_extensions import dataclass_transform

from fsm import DefinitionError

from ._errors import ProtocolViolation, StateConsumed
from ._kinds import check_flags, internal_problem, timer_override_problem

__all__ = [
    "SELF",
    "State",
    "TransitionInfo",
    "as_state",
    "is_linear",
    "resolve_targets",
    "transition",
    "type_name",
]

# Bound to what a transition may return, so a checker rejects ``@transition``
# on a method annotated to return anything else (on the decorator's line).
_ReturnsState = TypeVar("_ReturnsState", bound=Callable[..., "State | Coroutine[Any, Any, State]"])
# A timer takes no payload: only methods callable with ``self`` alone.
_ReturnsStateNoPayload = TypeVar(
    "_ReturnsStateNoPayload", bound=Callable[[Any], "State | Coroutine[Any, Any, State]"]
)
# An internal transition returns the type of ``self`` (``Self``, or its own class).
_OwnState = TypeVar("_OwnState", bound="State")
_Payload = ParamSpec("_Payload")


class _InternalDecorator(Protocol):
    """The type of ``transition(internal=True)``: methods that return their own state.

    The synchronous overload comes first: mypy matches a ``-> Self`` method
    against the first overload that could fit, and with the async one first
    it made a synchronous ``-> Self`` method a coroutine. The synchronous
    overload is repeated last: when no overload fits, pyright explains the
    last one, so a rejected method (the common case is synchronous) gets a
    message about the synchronous form, and keeps its type at call sites.
    """

    @overload
    def __call__(
        self, method: Callable[Concatenate[_OwnState, _Payload], _OwnState], /
    ) -> Callable[Concatenate[_OwnState, _Payload], _OwnState]: ...
    @overload
    def __call__(
        self, method: Callable[Concatenate[_OwnState, _Payload], Coroutine[Any, Any, _OwnState]], /
    ) -> Callable[Concatenate[_OwnState, _Payload], Coroutine[Any, Any, _OwnState]]: ...
    @overload
    def __call__(
        self, method: Callable[Concatenate[_OwnState, _Payload], _OwnState], /
    ) -> Callable[Concatenate[_OwnState, _Payload], _OwnState]: ...


class _InternalTimerDecorator(Protocol):
    """The type of ``transition(internal=True, after=...)``: no payload, same state.

    The overloads are in the order of :class:`_InternalDecorator`, for the same reasons.
    """

    @overload
    def __call__(
        self, method: Callable[[_OwnState], _OwnState], /
    ) -> Callable[[_OwnState], _OwnState]: ...
    @overload
    def __call__(
        self, method: Callable[[_OwnState], Coroutine[Any, Any, _OwnState]], /
    ) -> Callable[[_OwnState], Coroutine[Any, Any, _OwnState]]: ...
    @overload
    def __call__(
        self, method: Callable[[_OwnState], _OwnState], /
    ) -> Callable[[_OwnState], _OwnState]: ...


#: Stands for ``Self`` in a resolved return annotation (a self-loop).
SELF: Final = "Self"

# On Python 3.11 and later typing_extensions re-exports typing's Self and
# Literal, so these checks need only typing; and a checker that targets
# 3.11 reads no typing_extensions stub for a user of typestate (attrs' own
# stubs do the same).
if sys.version_info >= (3, 11):
    _SELF_FORMS: Final = frozenset({id(typing.Self)})
    _LITERALS: Final[tuple[object, ...]] = (typing.Literal,)
else:  # pragma: no cover - Python 3.10
    import typing_extensions

    _SELF_FORMS: Final = frozenset({id(typing_extensions.Self)})
    _LITERALS: Final[tuple[object, ...]] = (typing.Literal, typing_extensions.Literal)


class _Mark:
    """What a state object remembers about the transition that consumed it."""

    __slots__ = ("method", "state", "target")

    def __init__(self, state: str, method: str, target: str | None) -> None:
        self.state = state
        self.method = method
        self.target = target  # None while an async transition is in flight

    def refuse(self, method: str) -> StateConsumed:
        return StateConsumed(self.state, method, self.method, self.target)


class TransitionInfo:
    """A method decorated with :func:`transition`, as written.

    ``owner`` is the class whose body defines it (set when that class is
    created); ``specialized`` caches the wrapper made for each concrete class.
    """

    __slots__ = ("after", "function", "internal", "is_async", "name", "owner", "specialized")

    def __init__(
        self,
        function: Callable[..., Any],
        name: str,
        is_async: bool,
        internal: bool = False,
        after: float | None = None,
    ) -> None:
        self.function = function
        self.name = name
        self.is_async = is_async
        self.internal = internal  # @transition(internal=True)
        self.after = after  # @transition(after=...): a timer's delay in seconds
        self.owner: type[State] | None = None
        self.specialized: dict[type[State], Callable[..., Any]] = {}

    @property
    def where(self) -> str:
        owner = self.owner.__name__ if self.owner is not None else "?"
        return f"{owner}.{self.name}"


@overload
def transition(method: _ReturnsState, /) -> _ReturnsState: ...
@overload
def transition(
    *, internal: Literal[False] = False, after: None = None
) -> Callable[[_ReturnsState], _ReturnsState]: ...
@overload
def transition(
    *, internal: Literal[False] = False, after: float
) -> Callable[[_ReturnsStateNoPayload], _ReturnsStateNoPayload]: ...
# The literal True overloads are narrower than the bool ones below and come
# first on purpose (mypy reports that as an overlap).
@overload
def transition(  # type: ignore[overload-overlap]
    *, internal: Literal[True], after: None = None
) -> _InternalDecorator: ...
@overload
def transition(  # type: ignore[overload-overlap]
    *, internal: Literal[True], after: float
) -> _InternalTimerDecorator: ...
# internal= given a bool that is not a literal: checked as a plain transition
# (the target of an internal one is checked by protocol() and the first call).
@overload
def transition(
    *, internal: bool, after: None = None
) -> Callable[[_ReturnsState], _ReturnsState]: ...
@overload
def transition(
    *, internal: bool, after: float
) -> Callable[[_ReturnsStateNoPayload], _ReturnsStateNoPayload]: ...
def transition(
    method: Callable[..., Any] | None = None,
    /,
    *,
    internal: bool = False,
    after: float | None = None,
) -> Any:
    """Mark a method of a :class:`State` as a transition of the protocol.

    The return annotation is the protocol: one state class, a union of them (a
    branch the caller narrows), or ``Self`` (a self-loop). The method keeps
    its exact signature for type checkers; ``async def`` methods are allowed.
    Its type accepts only methods annotated to return a state (or, for an
    ``async def``, a coroutine of one), so mypy and pyright reject
    ``-> str`` or ``-> Done | None`` on the decorator's line.
    At run time the call consumes the state object (see :class:`State`) and
    checks that the returned object is one of the declared targets.

    Written with arguments, ``@transition(...)`` says more about the transition:

    - ``internal=True``: an internal transition, which stays in its state (no
      exit or enter hook runs at run time, and the state's timers keep
      running). The method returns ``Self`` or its own class; a checker
      rejects one annotated to return another state.
    - ``after=30``: a timer, the event the fsm runtime sends by itself once
      the state has been held that many seconds (a positive number). The
      method takes no payload (only ``self``). The classes have no clock, so
      nothing calls it by itself: your code, or :meth:`typestate.Driver.send`,
      calls it when the time has come; the Machine :func:`typestate.protocol`
      extracts has the delay, for the fsm runtime, diagrams and analysis.

    Examples:
        >>> from typestate import State, transition
        >>> class Off(State):
        ...     @transition
        ...     def press(self) -> "On":
        ...         return On()
        >>> class On(State, final=True): ...
        >>> Off().press()
        On()

    Raises:
        TypeError: ``method`` is not a plain function (``def`` or ``async def``).
        fsm.DefinitionError: ``after`` is not a positive, finite number of
            seconds, a timer takes a payload, or ``internal`` is not a bool.
    """
    if method is None:

        def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
            return _transition(method, internal, after)

        return decorate
    return _transition(method, False, None)


def _transition(method: Callable[..., Any], internal: object, after: object) -> Callable[..., Any]:
    if not isinstance(method, types.FunctionType):
        raise TypeError(
            f"@transition decorates a method written with def or async def "
            f"(got {method!r}); put @transition nearest to the def"
            + (f", and write @transition(after={method!r}) for a timer" if _number(method) else "")
        )
    if inspect.isgeneratorfunction(method) or inspect.isasyncgenfunction(method):
        raise TypeError(
            f"@transition can't decorate the generator {method.__qualname__}; "
            f"a transition returns the next state"
        )
    if _info_of(method) is not None:
        # The outer decorator would wrap the inner one and lose its keywords.
        raise DefinitionError(
            f"{method.__qualname__} is already a transition; write one @transition(...) "
            f"with all keywords, such as @transition(internal=True, after=5)"
        )
    delay = check_flags(method, internal, after)
    info = TransitionInfo(
        method, method.__name__, inspect.iscoroutinefunction(method), internal is True, delay
    )
    wrapper: Callable[..., Any]
    if info.is_async:

        async def generic_async(self: State, *args: Any, **kwargs: Any) -> Any:
            return await _specialized(info, type(self))(self, *args, **kwargs)

        wrapper = generic_async
    else:

        def generic(self: State, *args: Any, **kwargs: Any) -> Any:
            return _specialized(info, type(self))(self, *args, **kwargs)

        wrapper = generic
    functools.update_wrapper(wrapper, method)
    cast("Any", wrapper).__ts_info__ = info
    return wrapper


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _info_of(value: object) -> TransitionInfo | None:
    if isinstance(value, types.FunctionType):
        info = getattr(value, "__ts_info__", None)
        if isinstance(info, TransitionInfo):
            return info
    return None


@dataclass_transform(
    frozen_default=True,
    kw_only_default=True,
    field_specifiers=(attrs.field,),
)
class State:
    """The base of every state class of a typestate protocol.

    A subclass is a frozen attrs class (keyword-only fields): its annotated
    attributes are the state's data. Its methods decorated with
    :func:`transition` are the events it accepts.

    Class keywords:
        final: the protocol may end in this state (it has no transitions).
        abstract: the class is a superstate: never instantiated, its
            transitions apply in every substate (subclass) that does not
            define the same method. Only an abstract state can be subclassed.
        linear: False turns off the run-time linearity check for this class
            and its subclasses (set it on a shared abstract base to turn it off
            for a whole protocol). Default: inherited, else True.

    Linearity: once a transition of a state object has returned, the object
    is consumed and calling any transition on it raises
    :class:`typestate.StateConsumed`. A transition that raises leaves the
    object as it was, so it can be retried.

    Examples:
        >>> from typestate import State, StateConsumed, transition
        >>> class Idle(State):
        ...     @transition
        ...     def assign(self, task: str) -> "Busy":
        ...         return Busy(task=task)
        >>> class Busy(State, final=True):
        ...     task: str
        >>> idle = Idle()
        >>> idle.assign("write docs")
        Busy(task='write docs')
        >>> idle.assign("again")
        Traceback (most recent call last):
          ...
        typestate.StateConsumed: Can't call Idle.assign(): this Idle was consumed by Idle.assign() -> Busy; use the Busy that call returned.
    """  # noqa: E501

    __slots__ = ()

    # The run-time linearity mark: set on an instance once it is consumed.
    __ts_mark__: ClassVar[_Mark | None] = None
    __ts_abstract__: ClassVar[bool] = True
    __ts_final__: ClassVar[bool] = False
    __ts_linear__: ClassVar[bool] = True
    # Transitions written in this class's body, and all it has (own and inherited).
    __ts_own__: ClassVar[Mapping[str, TransitionInfo]] = {}
    __ts_transitions__: ClassVar[Mapping[str, TransitionInfo]] = {}

    if TYPE_CHECKING:
        # Subclasses are attrs classes: this lets attrs.fields() accept them in
        # type-checked code. (mypy's attrs.evolve() check still refuses them: it
        # knows only classes made by an attrs class decorator.)
        __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]
    else:

        def __init__(self, *args: object, **kwargs: object) -> None:
            raise TypeError(
                "typestate.State is the base of state classes and cannot be "
                "instantiated; subclass it"
            )

    def __init_subclass__(
        cls, *, final: bool = False, abstract: bool = False, linear: bool | None = None
    ) -> None:
        super().__init_subclass__()
        name = cls.__name__
        if final and abstract:
            raise DefinitionError(
                f"state {name} is declared both final=True and abstract=True; an "
                f"abstract state is never entered, so it cannot be final"
            )
        for base in cls.__mro__[1:]:
            if base is not State and issubclass(base, State) and not base.__ts_abstract__:
                raise DefinitionError(
                    f"class {name}({base.__name__}): {base.__name__} is a concrete "
                    f"state, and only a state declared with abstract=True can be "
                    f"subclassed (it becomes a superstate); declare "
                    f"class {base.__name__}(State, abstract=True), or share code "
                    f"through a mixin that is not a State"
                )
        own: dict[str, TransitionInfo] = {}
        for attribute, value in cls.__dict__.items():
            problem = timer_override_problem(name, attribute, cls.__mro__[1:])
            if problem is not None:
                raise DefinitionError(problem)
            info = _info_of(value)
            if info is not None:
                if info.owner is not None and info.owner is not cls:
                    raise DefinitionError(
                        f"{name}.{attribute} is the transition {info.where} of another "
                        f"class; define the method in {name} instead of assigning it"
                    )
                info.owner = cls
                own[attribute] = info
        cls.__ts_own__ = own
        cls.__ts_abstract__ = abstract
        cls.__ts_final__ = final
        if linear is not None:
            cls.__ts_linear__ = linear

        everything: dict[str, TransitionInfo] = {}
        for klass in cls.__mro__:
            if klass is State or not issubclass(klass, State):
                continue
            for attribute in klass.__ts_own__:
                if attribute not in everything:
                    info = _info_of(inspect.getattr_static(cls, attribute))
                    if info is not None:
                        everything[attribute] = info
        cls.__ts_transitions__ = everything
        if final and everything:
            where = ", ".join(info.where for info in everything.values())
            raise DefinitionError(
                f"final state {name} has transitions ({where}); a final state ends "
                f"the protocol, so drop final=True or move them to another state"
            )

        made = attrs.frozen(cls, slots=False, kw_only=True)
        assert made is cls  # attrs patches a class in place when slots=False
        if abstract:
            _make_abstract(cls)
        else:
            for attribute, info in everything.items():
                setattr(cls, attribute, _specialized(info, cls))


def _make_abstract(cls: type[State]) -> None:
    name = cls.__name__

    def __init__(self: State, *args: object, **kwargs: object) -> None:
        raise TypeError(
            f"{name} is an abstract state (declared with abstract=True) and cannot "
            f"be instantiated; create one of its substates instead"
        )

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    type.__setattr__(cls, "__init__", __init__)


def _specialized(info: TransitionInfo, cls: type[State]) -> Callable[..., Any]:
    made = info.specialized.get(cls)
    if made is None:
        made = info.specialized[cls] = _specialize(info, cls)
    return made


class _Targets:
    """The targets of one transition in one concrete class, learnt as they are returned.

    The return annotation is resolved when a call returns an object of a class
    not seen before, with that class at hand: sibling classes defined in one
    function need no namespace, and no registry of State classes is kept.
    ``protocol()`` never touches this, so extracting a Machine leaves the
    classes as they were.
    """

    __slots__ = ("cls", "info", "marks")

    def __init__(self, info: TransitionInfo, cls: type[State]) -> None:
        self.info = info
        self.cls = cls
        self.marks: dict[type, _Mark] = {}

    def admit(self, result: object) -> _Mark:
        """The mark of a consumed object for ``result``, a declared target; else raise."""
        cls, name = self.cls, self.info.name
        returned = type(result)
        known = (returned,) if returned.__module__ == cls.__module__ else ()
        unresolved: list[str] = []
        found, problems = resolve_targets(self.info, cls, known=known, unresolved=unresolved)
        if not problems and returned.__name__ in unresolved and _importable(returned):
            # A name the method's module cannot resolve at run time, such as one
            # imported only under TYPE_CHECKING: the returned class, if that name
            # imports it from its own module.
            known, unresolved = (returned,), []
            found, problems = resolve_targets(self.info, cls, known=known, unresolved=unresolved)
        if not problems and unresolved and _importable(self.info.owner or cls):
            # Only a class made in a function can name classes the namespaces
            # lack (its siblings); for a module's own class a name found
            # nowhere is a mistake.
            found, problems = resolve_targets(self.info, cls, known=known)
        if not problems and self.info.internal:
            problem = internal_problem(self.info.where, self.info.owner or cls, found)
            problems = [] if problem is None else [problem]
        if problems:
            raise DefinitionError(problems)
        classes = [cls if target == SELF else target for target in found]
        if returned not in classes:
            expected = [*dict.fromkeys(c.__name__ for c in classes if isinstance(c, type))]
            raise ProtocolViolation(cls.__name__, name, returned.__name__, expected + unresolved)
        mark = self.marks[returned] = _Mark(cls.__name__, name, returned.__name__)
        return mark


def _importable(cls: type) -> bool:
    """Whether ``cls`` is reached from its module by its qualified name (not made in a function)."""
    found: object = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return as_state(cls) is not None and found is cls


def _specialize(info: TransitionInfo, cls: type[State]) -> Callable[..., Any]:
    """Make the wrapper that runs ``info`` on instances of the concrete ``cls``.

    The wrapper's code is generated with the method's own parameter list, as
    attrs generates ``__init__``. Measured against closures forwarding
    ``*args, **kwargs`` (benchmarks/README.md), that call costs 1.2 to 2 times
    as much for a synchronous transition and about 1.15 times for an async
    one; only a method without parameters gets no slower from a closure, and
    a second way to write the same check for it would say it twice.
    """
    function = info.function
    params, call, defaults = _forwarding(function)
    if not call or not call[0].isidentifier():
        raise DefinitionError(f"transition {info.name!r} needs 'self' as its first parameter")
    targets = _Targets(info, cls)
    source = _source(params, call, len(defaults), info.is_async, cls.__ts_linear__)
    factory = _generated(source, "_ts_factory", f"{cls.__qualname__}.{info.name}")
    flight = _Mark(cls.__name__, info.name, None)
    wrapper = factory(function, targets.marks, targets.admit, info.name, flight, *defaults)
    wrapper.__code__ = wrapper.__code__.replace(co_name=info.name)
    functools.update_wrapper(wrapper, function)
    wrapper.__ts_info__ = info
    return cast("Callable[..., Any]", wrapper)


def _generated(source: str, name: str, what: str) -> Any:
    """Compile generated ``source`` and return its function ``name``.

    The code gets a readable file name, ``<typestate generated WHAT>`` (made
    unique), registered in :mod:`linecache` so that tracebacks and debuggers
    show the generated lines, as attrs does for its generated methods.
    """
    lines = source.splitlines(True)
    base = f"<typestate generated {what}"
    filename, count = f"{base}>", 1
    while filename in linecache.cache and linecache.getlines(filename) != lines:
        count += 1
        filename = f"{base}-{count}>"
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, lines, filename)
    return namespace[name]


def _forwarding(function: Callable[..., Any]) -> tuple[list[str], list[str], list[object]]:
    """The parameter list of ``function`` without annotations, and a call passing it on.

    Defaults are named ``_ts_d0``, ``_ts_d1``, ... (arguments of the factory).
    """
    params: list[str] = []
    call: list[str] = []
    defaults: list[object] = []
    positional_only = star = False
    for parameter in inspect.signature(function).parameters.values():
        name = parameter.name
        if name.startswith("_ts_"):
            raise DefinitionError(
                f"{function.__qualname__} has the parameter {name!r}; names "
                f"starting with '_ts_' are reserved by typestate"
            )
        kind = parameter.kind
        if positional_only and kind is not parameter.POSITIONAL_ONLY:
            params.append("/")
        positional_only = kind is parameter.POSITIONAL_ONLY
        if kind is parameter.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        default = ""
        if parameter.default is not parameter.empty:
            default = f"=_ts_d{len(defaults)}"
            defaults.append(parameter.default)
        if kind is parameter.VAR_POSITIONAL:
            star = True
            params.append(f"*{name}")
            call.append(f"*{name}")
        elif kind is parameter.VAR_KEYWORD:
            params.append(f"**{name}")
            call.append(f"**{name}")
        else:
            params.append(name + default)
            call.append(f"{name}={name}" if kind is parameter.KEYWORD_ONLY else name)
    if positional_only:
        params.append("/")
    return params, call, defaults


def _source(params: list[str], call: list[str], defaults: int, is_async: bool, linear: bool) -> str:
    """The source of a factory returning the wrapper of one transition.

    The first class returned is checked by identity, the others through the
    dict of marks; a class not seen yet goes to ``_ts_admit``. The first
    class's mark is stored before the class, so that another thread which
    sees the class also sees its mark. The mark is
    stored straight into the instance ``__dict__``, which is several times
    faster than ``object.__setattr__`` on a frozen class. A Self transition
    may return the very object it was called on, which then stays live. An
    async transition marks the object in flight while it runs.
    """
    this = call[0]
    extra = "".join(f", _ts_d{n}" for n in range(defaults))
    head = [
        f"def _ts_factory(_ts_function, _ts_marks, _ts_admit, _ts_name, _ts_flight{extra}):",
        "    _ts_first = _ts_first_mark = None",
        f"    {'async ' if is_async else ''}def _ts_method({', '.join(params)}):",
        "        nonlocal _ts_first, _ts_first_mark",
        f"        _ts_mark = {this}.__ts_mark__",
        "        if _ts_mark is not None:",
        "            raise _ts_mark.refuse(_ts_name)",
    ]
    check = [
        "if _ts_result.__class__ is _ts_first:",
        "    _ts_mark = _ts_first_mark",
        "else:",
        "    _ts_mark = _ts_marks.get(_ts_result.__class__)",
        "    if _ts_mark is None:",
        "        _ts_mark = _ts_admit(_ts_result)",
        "        if _ts_first is None:",
        "            _ts_first_mark = _ts_mark",  # first: a thread seeing the class reads it
        "            _ts_first = _ts_result.__class__",
    ]
    store = f"{this}.__dict__['__ts_mark__']"
    body: list[str]
    if not is_async:
        body = [f"_ts_result = _ts_function({', '.join(call)})", *check]
        if linear:
            body += [f"if _ts_result is not {this}:", f"    {store} = _ts_mark"]
    elif linear:
        body = [
            f"{store} = _ts_flight",
            "try:",
            f"    _ts_result = await _ts_function({', '.join(call)})",
            *("    " + line for line in check),
            "except BaseException:",
            f"    {store} = None",
            "    raise",
            f"{store} = None if _ts_result is {this} else _ts_mark",
        ]
    else:
        body = [f"_ts_result = await _ts_function({', '.join(call)})", *check]
    tail = ["        return _ts_result", "    return _ts_method", ""]
    return "\n".join([*head, *("        " + line for line in body), *tail])


# -- resolving return annotations -------------------------------------------------


def _scope(owner: type, known: Iterable[type], function: Callable[..., Any]) -> dict[str, Any]:
    """The State classes an annotation of ``owner`` may name without a namespace.

    Only classes at hand: ``owner`` and its State bases, and ``known`` (the
    states found so far, or the object a transition returned). A class
    defined in the same function as ``owner`` hides a module-level name of
    the same name, as Python's scoping would; the others do not (those names
    are looked up in the function's globals).
    """
    globalns: Mapping[str, Any] = getattr(function, "__globals__", {})
    local = owner.__qualname__.rpartition(".")[0] if "<locals>" in owner.__qualname__ else None
    found: dict[str, Any] = {}
    for klass in (*owner.__mro__, *known):
        if as_state(klass) is None:
            continue
        ours = local is not None and klass.__qualname__.rpartition(".")[0] == local
        if ours or klass.__name__ not in globalns:
            found.setdefault(klass.__name__, klass)
    return found


def type_name(annotation: object) -> str:
    """An annotation written as Python source, for messages and payload types.

    Examples:
        >>> from typing import Optional
        >>> type_name(Optional[list[int]])
        'list[int] | None'
    """
    if isinstance(annotation, str):
        return annotation
    if annotation is None or annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if isinstance(annotation, typing.ForwardRef):
        return annotation.__forward_arg__
    if isinstance(annotation, list):
        items = cast("list[object]", annotation)
        return "[" + ", ".join(type_name(item) for item in items) + "]"
    if id(annotation) in _SELF_FORMS:
        return "Self"
    origin = typing.get_origin(annotation)
    args: tuple[object, ...] = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in args)
    if origin is not None and args:
        if origin in _LITERALS:
            inner = ", ".join(repr(arg) for arg in args)
        else:
            inner = ", ".join(type_name(arg) for arg in args)
        head = origin.__name__ if isinstance(origin, type) else _bare(origin)
        return f"{head}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    if isinstance(annotation, typing.TypeVar):  # typing_extensions' make these too
        return annotation.__name__  # a generic state's parameter, as written
    return _bare(annotation)


def _bare(value: object) -> str:
    return repr(value).replace("typing_extensions.", "").replace("typing.", "")


class _Hints:
    """A stand-in object whose only annotation is a method's return annotation.

    It has no type parameters: ``typing.get_type_hints`` on Python 3.12 and
    3.13 copies ``localns`` into a plain dict when the object has some,
    which would drop :class:`_Placeholders`' ``__missing__``.
    """

    __type_params__: ClassVar[tuple[object, ...]] = ()

    def __init__(self, annotation: object) -> None:
        self.__annotations__ = {"return": annotation}


def _itself(cls: type, item: object) -> type:
    return cls


class _Placeholders(dict[str, Any]):
    """Local names in which a name found nowhere evaluates to a placeholder class."""

    def __init__(self, names: Mapping[str, Any], globalns: Mapping[str, Any]) -> None:
        super().__init__(names)
        self.globalns = globalns
        self.made: dict[object, str] = {}

    def __missing__(self, key: str) -> Any:
        if key in self.globalns or hasattr(builtins, key):
            raise KeyError(key)  # eval goes on to the globals and the builtins
        # Subscriptable, standing for itself: a generic state is written
        # ``Answered[int]``.
        made = self[key] = type(key, (), {"__class_getitem__": classmethod(_itself)})
        self.made[made] = key
        return made


def resolve_targets(
    info: TransitionInfo,
    owner: type,
    namespace: Mapping[str, Any] | None = None,
    known: Iterable[type] = (),
    unresolved: list[str] | None = None,
) -> tuple[list[type[State] | str], list[str]]:
    """Resolve the return annotation of a transition to its target states.

    Names are looked up in ``namespace``, then among the classes at hand
    (``owner``, its bases and ``known``), then in the method's globals; no
    registry of State classes is consulted. A class at hand whose name is
    also a global counts only if it is defined in the same function as
    ``owner`` (it hides the global there, as in Python). With an ``unresolved`` list, a
    name found nowhere is added to it instead of being a problem (the
    run-time check: the object a call returned is the class at hand).

    Returns the targets (State classes, or :data:`SELF`) in annotation order,
    and the problems found, each a message naming the class and the method.
    """
    function = info.function
    where = f"{owner.__name__}.{info.name}"
    raw = function.__annotations__.get("return", inspect.Signature.empty)
    if raw is inspect.Signature.empty:
        return [], [
            f"{where} has no return annotation; a transition's return annotation is "
            f"the state it moves to, as in 'def {info.name}(self, ...) -> NextState'"
        ]
    localns = _scope(info.owner or owner, known, function)
    if namespace is not None:
        localns.update(namespace)
    if unresolved is not None:
        localns = _Placeholders(localns, getattr(function, "__globals__", {}))
    try:
        hint = typing.get_type_hints(
            _Hints(raw),
            globalns=getattr(function, "__globals__", None),
            localns=localns,
        )["return"]
    except NameError as error:
        return [], [
            f"{where}: return annotation {type_name(raw)!r} cannot be resolved "
            f"({error}); define that state class, or, for classes defined inside "
            f"a function, pass namespace=locals() to typestate.protocol()"
        ]
    except Exception as error:  # any error raised by evaluating the annotation
        return [], [
            f"{where}: return annotation {type_name(raw)!r} cannot be evaluated "
            f"({type(error).__name__}: {error})"
        ]
    options: list[object]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = list(typing.get_args(hint))
    else:
        options = [hint]
    found: list[type[State] | str] = []
    problems: list[str] = []
    for option in options:
        if id(option) in _SELF_FORMS:
            found.append(SELF)
            continue
        if isinstance(localns, _Placeholders) and option in localns.made:
            assert unresolved is not None
            unresolved.append(localns.made[option])
            continue
        # A generic state's target is written subscripted (``Answered[int]``);
        # the Machine knows its class.
        state = as_state(typing.get_origin(option) or option)
        if state is None:
            shown = type_name(option)
            whole = f" (in {type_name(hint)})" if len(options) > 1 else ""
            problems.append(
                f"{where} returns {shown}{whole}, which is not a typestate.State "
                f"subclass; a transition returns the next state"
            )
        elif state.__ts_abstract__:
            advice = (
                "an internal transition stays in its state, so return Self"
                if info.internal and state is owner
                else "return one of its substates, or a union of them"
            )
            problems.append(
                f"{where} returns {state.__name__}, an abstract state, which is "
                f"never instantiated; {advice}"
            )
        else:
            found.append(state)
    return found, problems


def is_linear(state: State | type[State]) -> bool:
    """Whether the run-time linearity check is on for a state class (or object).

    It is on unless the class, or one of its State bases, was declared with
    ``linear=False``. Tools that drive a protocol (such as
    :func:`analysis.testing.conformance`) ask this to know whether a used
    state object must refuse a second call.

    Examples:
        >>> from typestate import State, is_linear
        >>> class Shared(State, abstract=True, linear=False): ...
        >>> class Loose(Shared, final=True): ...
        >>> class Strict(State, final=True): ...
        >>> is_linear(Loose), is_linear(Strict()), is_linear(Strict)
        (False, True, True)

    Raises:
        TypeError: ``state`` is neither a State subclass nor a state object.
    """
    cls = state if isinstance(state, type) else type(state)
    if as_state(cls) is None:
        raise TypeError(
            f"typestate.is_linear() takes a State subclass or a state object (got {state!r})"
        )
    return cls.__ts_linear__


def as_state(value: object) -> type[State] | None:
    if isinstance(value, type) and issubclass(value, State) and value is not State:
        return value
    return None
