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

import functools
import inspect
import itertools
import linecache
import sys
import types
import typing
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar, cast

import attrs
import typing_extensions
from typing_extensions import dataclass_transform

from fsm import DefinitionError

from ._errors import ProtocolViolation, StateConsumed

__all__ = [
    "SELF",
    "State",
    "TransitionInfo",
    "as_state",
    "resolve_targets",
    "transition",
    "type_name",
]

# Bound to what a transition may return, so a checker rejects ``@transition``
# on a method annotated to return anything else (on the decorator's line).
_ReturnsState = TypeVar("_ReturnsState", bound=Callable[..., "State | Coroutine[Any, Any, State]"])
_SERIAL: Final = itertools.count(1)

#: Stands for ``Self`` in a resolved return annotation (a self-loop).
SELF: Final = "Self"

_self_ids = {id(typing_extensions.Self)}
if sys.version_info >= (3, 11):
    _self_ids.add(id(typing.Self))
_SELF_FORMS: Final = frozenset(_self_ids)


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

    __slots__ = ("function", "is_async", "name", "owner", "specialized")

    def __init__(self, function: Callable[..., Any], name: str, is_async: bool) -> None:
        self.function = function
        self.name = name
        self.is_async = is_async
        self.owner: type[State] | None = None
        self.specialized: dict[type[State], Callable[..., Any]] = {}

    @property
    def where(self) -> str:
        owner = self.owner.__name__ if self.owner is not None else "?"
        return f"{owner}.{self.name}"


def transition(method: _ReturnsState) -> _ReturnsState:
    """Mark a method of a :class:`State` as a transition of the protocol.

    The return annotation is the protocol: one state class, a union of them (a
    branch the caller narrows), or ``Self`` (a self-loop). The method keeps
    its exact signature for type checkers; ``async def`` methods are allowed.
    Its type accepts only methods annotated to return a state (or, for an
    ``async def``, a coroutine of one), so mypy and pyright reject
    ``-> str`` or ``-> Done | None`` on the decorator's line.
    At run time the call consumes the state object (see :class:`State`) and
    checks that the returned object is one of the declared targets.

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
    """
    if not isinstance(method, types.FunctionType):
        raise TypeError(
            f"@transition decorates a method written with def or async def "
            f"(got {method!r}); put @transition nearest to the def"
        )
    if inspect.isgeneratorfunction(method) or inspect.isasyncgenfunction(method):
        raise TypeError(
            f"@transition can't decorate the generator {method.__qualname__}; "
            f"a transition returns the next state"
        )
    info = TransitionInfo(method, method.__name__, inspect.iscoroutinefunction(method))
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
    return cast("_ReturnsState", wrapper)


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
    # Creation order, so the latest of two same-named local classes wins.
    __ts_serial__: ClassVar[int] = 0

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
        cls.__ts_serial__ = next(_SERIAL)
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


def _specialize(info: TransitionInfo, cls: type[State]) -> Callable[..., Any]:
    """Make the wrapper that runs ``info`` on instances of the concrete ``cls``.

    The wrapper's code is generated with the method's own parameter list, as
    attrs generates ``__init__``: forwarding ``*args, **kwargs`` would cost
    more than all the checks together.
    """
    function = info.function
    name = info.name
    state = cls.__name__
    holder: list[Callable[[dict[type, _Mark]], dict[type, _Mark]]] = []

    def resolve() -> dict[type, _Mark]:
        found, problems = resolve_targets(info, cls)
        if problems:
            raise DefinitionError(problems)
        return bind_classes(tuple(t if isinstance(t, type) else cls for t in found))

    def bind_classes(classes: tuple[type[State], ...]) -> dict[type, _Mark]:
        return holder[0]({target: _Mark(state, name, target.__name__) for target in classes})

    def violation(result: object, targets: dict[type, _Mark]) -> ProtocolViolation:
        return ProtocolViolation(state, name, type(result).__name__, [t.__name__ for t in targets])

    params, call, defaults = _forwarding(function)
    source = _source(name, params, call, len(defaults), info.is_async, cls.__ts_linear__)
    filename = f"<typestate {cls.__qualname__}.{name} #{cls.__ts_serial__}>"
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    wrapper, bind = namespace["_ts_factory"](
        function, resolve, violation, name, _Mark(state, name, None), *defaults
    )
    holder.append(bind)
    wrapper.__code__ = wrapper.__code__.replace(co_name=name)
    # Like attrs, let tracebacks show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    functools.update_wrapper(wrapper, function)
    wrapper.__ts_info__ = info
    wrapper.__ts_bind__ = bind_classes
    return cast("Callable[..., Any]", wrapper)


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


def _source(
    name: str, params: list[str], call: list[str], defaults: int, is_async: bool, linear: bool
) -> str:
    """The source of a factory returning the wrapper of one transition, and its binder.

    The first declared target is checked by identity, the others through a
    dict. The mark is stored straight into the instance ``__dict__``, which
    is several times faster than ``object.__setattr__`` on a frozen class.
    A Self transition may return the very object it was called on, which then
    stays live. An async transition marks the object in flight while it runs.
    """
    this = call[0] if call else "self"
    if not this.isidentifier():
        raise DefinitionError(f"transition {name!r} needs 'self' as its first parameter")
    extra = "".join(f", _ts_d{n}" for n in range(defaults))
    head = [
        f"def _ts_factory(_ts_function, _ts_resolve, _ts_violation, _ts_name, _ts_flight{extra}):",
        "    _ts_targets = None",
        "    _ts_first = _ts_first_mark = None",
        "    def _ts_bind(found):",
        "        nonlocal _ts_targets, _ts_first, _ts_first_mark",
        "        _ts_targets = found",
        "        _ts_first, _ts_first_mark = next(iter(found.items()))",
        "        return found",
        f"    {'async ' if is_async else ''}def _ts_method({', '.join(params)}):",
        f"        _ts_mark = {this}.__ts_mark__",
        "        if _ts_mark is not None:",
        "            raise _ts_mark.refuse(_ts_name)",
    ]
    check = [
        "if _ts_result.__class__ is _ts_first:",
        "    _ts_mark = _ts_first_mark",
        "else:",
        "    _ts_mark = (_ts_targets or _ts_resolve()).get(_ts_result.__class__)",
        "    if _ts_mark is None:",
        "        raise _ts_violation(_ts_result, _ts_targets)",
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
    tail = ["        return _ts_result", "    return _ts_method, _ts_bind", ""]
    return "\n".join([*head, *("        " + line for line in body), *tail])


# -- resolving return annotations -------------------------------------------------


def _siblings(owner: type) -> dict[str, Any]:
    """The State classes defined in the same scope as ``owner``.

    For a class defined inside a function its siblings are not in any module
    namespace; they are found among the live subclasses of State that share
    its module and qualified-name prefix (the latest definition wins).
    """
    qualname = owner.__qualname__
    if "<locals>" not in qualname:
        return {}
    prefix = qualname.rpartition(".")[0]
    found: dict[str, Any] = {}
    stack: list[type] = [State]
    seen: set[type] = set()
    classes: list[type] = []
    while stack:
        klass = stack.pop()
        subclasses: list[type] = klass.__subclasses__()
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                classes.append(sub)
                stack.append(sub)
    for klass in sorted(classes, key=_creation_order):
        if klass.__module__ == owner.__module__ and klass.__qualname__.rpartition(".")[0] == prefix:
            found[klass.__name__] = klass
    return found


def _creation_order(klass: type) -> int:
    serial: int = getattr(klass, "__ts_serial__", 0)
    return serial


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
        if origin in (typing.Literal, typing_extensions.Literal):
            inner = ", ".join(repr(arg) for arg in args)
        else:
            inner = ", ".join(type_name(arg) for arg in args)
        head = origin.__name__ if isinstance(origin, type) else _bare(origin)
        return f"{head}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    if isinstance(annotation, (typing.TypeVar, typing_extensions.TypeVar)):
        return annotation.__name__  # a generic state's parameter, as written
    return _bare(annotation)


def _bare(value: object) -> str:
    return repr(value).replace("typing_extensions.", "").replace("typing.", "")


class _Hints:
    """A stand-in object whose only annotation is a method's return annotation."""

    def __init__(self, annotation: object) -> None:
        self.__annotations__ = {"return": annotation}


def resolve_targets(
    info: TransitionInfo,
    owner: type,
    namespace: Mapping[str, Any] | None = None,
) -> tuple[list[type[State] | str], list[str]]:
    """Resolve the return annotation of a transition to its target states.

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
    localns: dict[str, Any] = dict(_siblings(info.owner or owner))
    if namespace is not None:
        localns.update(namespace)
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
            problems.append(
                f"{where} returns {state.__name__}, an abstract state, which is "
                f"never instantiated; return one of its substates, or a union "
                f"of them"
            )
        else:
            found.append(state)
    return found, problems


def as_state(value: object) -> type[State] | None:
    if isinstance(value, type) and issubclass(value, State) and value is not State:
        return value
    return None


State.__module__ = "typestate"
