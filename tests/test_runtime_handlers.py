"""Handler resolution: a name in a spec reaches only a public method of the context's class.

Each attack below used to run code the spec had no business reaching (the
context's constructor, a private helper, the metaclass) or failed only at the
first send. Each is now refused when the definition is read or bound.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

import fsm
from fsm import DefinitionError, Machine, Transition
from fsm._runtime import _Resolver  # pyright: ignore[reportPrivateUsage]


class Account:
    """A context with everything a spec must not reach, and one real method."""

    constructed = 0
    limit = 10

    def __init__(self, owner: str = "alice", balance: int = 100) -> None:
        Account.constructed += 1
        self.owner = owner
        self.balance = balance

    def _wipe(self, **_payload: object) -> None:
        self.balance = 0

    @property
    def rich(self) -> bool:
        return self.balance > 50

    @functools.cached_property
    def score(self) -> int:
        return self.balance

    class Audit:
        def __init__(self, **_payload: object) -> None:
            pass

    log = print

    def approve(self, **_payload: object) -> bool:
        return True

    def record(self, **_payload: object) -> None:
        self.balance -= 1


def _spec(label: str) -> str:
    return f"stateDiagram-v2\n    [*] --> A\n    A --> B : {label}\n"


# -- a spec never names private code: refused where the definition is read ---------------


PRIVATE = [
    ("go(owner, balance) / __init__", "action name '__init__'", "A --go--> B"),
    ("go [__class__]", "guard name '__class__'", "A --go [__class__]--> B"),
    ("go / _wipe", "action name '_wipe'", "A --go--> B"),
    ("go [__subclasses__]", "guard name '__subclasses__'", "A --go [__subclasses__]--> B"),
    ("go [__name__]", "guard name '__name__'", "A --go [__name__]--> B"),
    ("go [__mro__]", "guard name '__mro__'", "A --go [__mro__]--> B"),
    ("go [__bases__]", "guard name '__bases__'", "A --go [__bases__]--> B"),
    ("go / record, __init__", "action name '__init__'", "A --go--> B"),
]


@pytest.mark.parametrize(("label", "named", "where"), PRIVATE, ids=[p[0] for p in PRIVATE])
def test_dsl_refuses_a_private_handler_name(label: str, named: str, where: str) -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse(_spec(label))
    assert info.value.line == 3
    assert info.value.messages == (
        f"{named} starts with an underscore; a spec has no business naming private code: "
        f"name a public method of the context (no leading underscore) (in {where})",
    )


def test_the_constructor_is_never_rerun_by_a_spec() -> None:
    """The attack of the report: '/ __init__' used to reset the account to mallory, 0."""
    with pytest.raises(DefinitionError, match=r"action name '__init__' starts with an underscore"):
        fsm.parse(_spec("go(owner, balance) / __init__"))


def test_json_refuses_a_private_handler_name() -> None:
    data: dict[str, Any] = json.loads(json.dumps(fsm.parse(_spec("go [ok]")).to_dict()))
    data["transitions"][0]["guard"] = "__class__"
    with pytest.raises(DefinitionError, match=r"guard name '__class__' starts with an underscore"):
        Machine.from_dict(data)


def test_the_machine_constructor_refuses_private_names_all_at_once() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine(
            "M",
            states=("A", "B"),
            initial="A",
            transitions=(
                Transition("A", "go", "B", guard="_ok"),
                Transition("A", "go", "A", guard="else", actions=("_log", "fine", "__del__")),
            ),
        )
    assert [m.split(" starts")[0] for m in info.value.messages] == [
        "guard name '_ok'",
        "action name '_log'",
        "action name '__del__'",
    ]


def test_private_names_are_refused_even_when_the_resolver_is_reached_directly() -> None:
    """Defence in depth: the resolver refuses them too, whatever built the machine."""
    machine = fsm.parse(_spec("go"))
    resolver = _Resolver(machine, Account, {"__init__": print})
    for name in ("__init__", "_wipe", "__class__"):
        assert resolver.lookup(name, "guard of A --go--> B", required=True) is None
    assert [str(p) for p in resolver.problems] == [
        f"guard of A --go--> B {name!r} of machine 'Machine' starts with an underscore; a handler "
        f"is a public method of the context, so a spec may not name {name!r}"
        for name in ("__init__", "_wipe", "__class__")
    ]


# -- a public name resolves only to a method the class defines ----------------------------


def _bind_error(label: str) -> str:
    machine = fsm.parse(_spec(label))
    with pytest.raises(DefinitionError) as info:
        machine.bind(Account)
    (message,) = info.value.messages
    return message


def test_an_attribute_of_the_metaclass_is_not_a_handler() -> None:
    assert _bind_error("go [mro]") == (
        "guard of A --go [mro]--> B 'mro' of machine 'Machine' is not a method of Account: "
        "'mro' is an attribute of its metaclass type, which a spec may not reach; add a "
        "method to Account or pass it in handlers="
    )


def test_a_property_is_not_a_handler() -> None:
    assert _bind_error("go [rich]") == (
        "Account.rich (guard of A --go [rich]--> B) must be a method, not a property; "
        "define 'def rich(self, ...)'"
    )


def test_a_cached_property_is_not_a_handler() -> None:
    assert _bind_error("go [score]") == (
        "Account.score (guard of A --go [score]--> B) must be a method, not a cached_property; "
        "define 'def score(self, ...)'"
    )


def test_a_nested_class_is_not_a_handler() -> None:
    assert _bind_error("go / Audit") == (
        "Account.Audit (action of A --go--> B) must be a method, not a class (calling it "
        "would construct an object); define 'def Audit(self, ...)'"
    )


def test_a_data_attribute_is_not_a_handler_even_when_callable() -> None:
    assert _bind_error("go / limit") == (
        "Account.limit (action of A --go--> B) must be a method, not a data attribute "
        "(got 10 of type int); define 'def limit(self, ...)'"
    )
    assert _bind_error("go / log") == (
        "Account.log (action of A --go--> B) must be a method, not a data attribute "
        "(got <built-in function print> of type builtin_function_or_method); "
        "define 'def log(self, ...)' or wrap it in staticmethod(...)"
    )


def test_nothing_ran_while_the_attacks_were_refused() -> None:
    before = Account.constructed
    for label in ("go [mro]", "go [rich]", "go [score]", "go / Audit", "go / limit"):
        with pytest.raises(DefinitionError):
            fsm.parse(_spec(label)).bind(Account)
    assert Account.constructed == before


def test_hooks_are_checked_like_guards() -> None:
    class Ctx:
        on_enter_B = property(lambda self: None)

    with pytest.raises(
        DefinitionError,
        match=r"^Ctx\.on_enter_B \(enter hook of 'B'\) must be a method, not a property; ",
    ):
        fsm.parse(_spec("go")).bind(Ctx)


def test_instance_attributes_do_not_shadow_the_class_method() -> None:
    """A method is taken from the class, never from the instance's own dict."""

    class Ctx:
        def __init__(self) -> None:
            self.calls: list[str] = []

        @classmethod
        def note(cls, **_payload: object) -> None:
            pass

        def ok(self, **_payload: object) -> bool:
            return True

    ctx = Ctx()
    ctx.__dict__["note"] = lambda **_p: ctx.calls.append("instance attribute")
    ctx.__dict__["ok"] = lambda **_p: False
    inst = fsm.parse(_spec("go [ok] / note")).start(ctx)
    assert inst.send("go") == "B"
    assert ctx.calls == []


def test_every_kind_of_method_resolves() -> None:
    seen: list[str] = []

    class Base:
        def inherited(self, **_payload: object) -> None:
            self.log.append("inherited")  # type: ignore[attr-defined]

    class Ctx(Base):
        def __init__(self) -> None:
            self.log: list[str] = []

        def plain(self, n: int) -> bool:
            self.log.append(f"plain {n}")
            return True

        @staticmethod
        def static(n: int) -> None:
            seen.append(f"static {n}")

        @classmethod
        def klass(cls, n: int) -> None:
            seen.append(f"classmethod of {cls.__name__} {n}")

        def _helper(self, n: int) -> None:
            self.log.append(f"partial {n}")

        partial = functools.partialmethod(_helper)

        @functools.cache  # noqa: B019 - the instance lives as long as the test
        def cached(self, n: int) -> bool:
            self.log.append(f"cached {n}")
            return True

    ctx = Ctx()
    machine = fsm.parse(_spec("go(n) [plain] / static, klass, partial, inherited, cached"))
    inst = machine.start(ctx)
    assert inst.send("go", n=1) == "B"
    assert ctx.log == ["plain 1", "partial 1", "inherited", "cached 1"]
    assert seen == ["static 1", "classmethod of Ctx 1"]


def test_a_method_of_a_built_in_base_class_resolves() -> None:
    """Inherited methods count, those of built-in bases too: they are the class's own API."""

    class Basket(list[str]):
        pass

    basket = Basket(["apple"])
    assert fsm.parse(_spec("go / clear")).start(basket).send("go") == "B"
    assert basket == []


def test_handlers_may_name_any_callable_of_the_users_own_code() -> None:
    """handlers= is the user's code, not the spec's: a private function is fine there."""
    seen: list[object] = []

    def _private_guard(context: object) -> bool:
        seen.append(context)
        return True

    inst = fsm.parse(_spec("go [ok]")).start(handlers={"ok": _private_guard})
    assert inst.send("go") == "B"
    assert seen == [None]


def test_state_names_with_underscores_only_reach_on_enter_and_on_exit_methods() -> None:
    """A hook name always starts with on_enter_/on_exit_: a state name cannot make it private."""

    class Ctx:
        def __init__(self) -> None:
            self.log: list[str] = []

        def on_exit___init__(self) -> None:
            self.log.append("exit __init__")

        def on_enter___class__(self) -> None:
            self.log.append("enter __class__")

    machine = fsm.parse("stateDiagram-v2\n    [*] --> __init__\n    __init__ --> __class__ : go\n")
    ctx = Ctx()
    inst = machine.start(ctx)
    assert inst.send("go") == "__class__"
    assert ctx.log == ["exit __init__", "enter __class__"]
