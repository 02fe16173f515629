"""protocol() on every annotation form, without ``from __future__ import annotations``."""

import re
from typing import Optional, Union

import pytest
from typing_extensions import Self

import fsm
from typestate import State, drive, protocol, transition


class Start(State):
    @transition
    def go(self, count: int, names: list[str], note: str | None = None) -> "Middle":
        return Middle()

    @transition
    def skip(self) -> Union["Middle", "End"]:
        return End()


class Middle(State):
    @transition
    def stay(self) -> Self:
        return self

    @transition
    def either(self) -> "Middle | End":
        return End()


class End(State, final=True): ...


def _edges(m: fsm.Machine) -> list[tuple[str, str, str, bool]]:
    return [(t.source, t.event, t.target, t.branch) for t in m.transitions]


def test_quoted_forward_references_unions_and_self() -> None:
    m = protocol(Start)
    assert _edges(m) == [
        ("Start", "go", "Middle", False),
        ("Start", "skip", "Middle", True),
        ("Start", "skip", "End", True),
        ("Middle", "stay", "Middle", False),
        ("Middle", "either", "Middle", True),
        ("Middle", "either", "End", True),
    ]


def test_evaluated_annotations_become_readable_strings() -> None:
    go = protocol(Start).transitions[0]
    assert go.params == (("count", "int"), ("names", "list[str]"), ("note", "str | None"))


def _problems(initial: type[State], namespace: "dict[str, object] | None" = None) -> str:
    with pytest.raises(fsm.DefinitionError) as info:
        protocol(initial, namespace=namespace)
    return str(info.value)


def test_missing_return_annotation() -> None:
    class Bare(State):
        @transition
        def go(self):  # type: ignore[no-untyped-def]
            return self

    assert _problems(Bare) == (
        "Bare.go has no return annotation; a transition's return annotation is the "
        "state it moves to, as in 'def go(self, ...) -> NextState'"
    )


def test_unresolvable_return_annotation() -> None:
    class Typo(State):
        @transition
        def go(self) -> "Nowhere":  # type: ignore[name-defined]  # noqa: F821
            return self

    assert _problems(Typo) == (
        "Typo.go: return annotation 'Nowhere' cannot be resolved (name 'Nowhere' is not "
        "defined); define that state class, or, for classes defined inside a function, "
        "pass namespace=locals() to typestate.protocol()"
    )


def test_targets_that_are_not_concrete_states_are_all_reported() -> None:
    class Base(State, abstract=True):
        @transition
        def ping(self) -> Self:
            return self

    class Wrong(State):
        @transition
        def number(self) -> int:
            return 1

        @transition
        def maybe(self) -> Optional["Wrong"]:
            return None

        @transition
        def up(self) -> Base:
            raise NotImplementedError

    message = _problems(Wrong, {"Base": Base})
    assert message.splitlines() == [
        "3 problems in this definition:",
        "- Wrong.number returns int, which is not a typestate.State subclass; a "
        "transition returns the next state",
        "- Wrong.maybe returns None (in Wrong | None), which is not a "
        "typestate.State subclass; a transition returns the next state",
        "- Wrong.up returns Base, an abstract state, which is never instantiated; return "
        "one of its substates, or a union of them",
    ]


def test_star_args_and_positional_only_parameters_are_refused() -> None:
    class Odd(State):
        @transition
        def many(self, *items: int) -> End:
            return End()

        @transition
        def only(self, x: int, /) -> End:
            return End()

    assert _problems(Odd).splitlines()[1:] == [
        "- Odd.many takes *items; a transition's payload is named parameters, so list them",
        "- Odd.only has the positional-only parameter 'x'; payloads are sent by name, so "
        "drop the '/'",
    ]


def test_classes_defined_in_a_function_resolve_through_the_namespace() -> None:
    class First(State):
        @transition
        def go(self) -> "Second":
            return Second()

    class Second(State, final=True): ...

    m = protocol(First, name="Local", namespace=locals())
    assert (m.name, m.states, m.final) == ("Local", ("First", "Second"), frozenset({"Second"}))
    assert drive(First(), namespace=locals()).send("go") == Second()


def test_two_classes_with_one_name_are_refused() -> None:
    def make() -> type[State]:
        class Twin(State, final=True): ...

        return Twin

    one, two = make(), make()

    class Fork(State):
        @transition
        def go(self) -> one | two:  # type: ignore[valid-type]
            raise NotImplementedError

    message = _problems(Fork)
    assert re.match(r"^two state classes are named Twin: tests\.test_typestate_extract\.", message)
