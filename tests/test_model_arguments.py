"""Wrongly typed arguments to fsm.Machine and fsm.Transition are DefinitionErrors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from fsm import DefinitionError, Machine, Transition


def machine(**changes: Any) -> Machine:
    fields: dict[str, Any] = {
        "states": ("A", "B"),
        "initial": "A",
        "transitions": (Transition("A", "go", "B"),),
    }
    fields.update(changes)
    return Machine("M", **fields)


def messages(**changes: Any) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        machine(**changes)
    return list(info.value.messages)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"initial": ["A"]}, "initial must be a state name (a string), got ['A'] (a list)"),
        ({"states": None}, "states must be an iterable of state names, got None"),
        ({"states": 3}, "states must be an iterable of state names, got 3 (an int)"),
        ({"states": [["A"], "B"]}, "states[0] must be a state name (a string), got ['A'] (a list)"),
        ({"final": None}, "final must be an iterable of state names, got None"),
        ({"final": [{}]}, "final must be an iterable of state names, got [{}] (a list)"),
        ({"transitions": None}, "transitions must be an iterable of fsm.Transition, got None"),
        ({"transitions": 5}, "transitions must be an iterable of fsm.Transition, got 5 (an int)"),
        (
            {"parents": ["A"]},
            "parents must be a mapping of state names to state names, got ['A'] (a list)",
        ),
        ({"parents": None}, "parents must be a mapping of state names to state names, got None"),
        (
            {"entries": {"A": ["B"]}},
            "entries['A'] must be a state name (a string), got ['B'] (a list)",
        ),
        (
            {"transitions": [Transition(["A"], "go", "B")]},  # type: ignore[arg-type]
            "transitions[0].source must be a state name (a string), got ['A'] (a list)",
        ),
        (
            {"transitions": [Transition("A", {}, "B")]},  # type: ignore[arg-type]
            "transitions[0].event must be an event name (a string), got {} (a dict)",
        ),
        (
            {"transitions": [Transition("A", "go", "B", guard=["ok"])]},  # type: ignore[arg-type]
            "transitions[0].guard must be a guard name (a string) or None, got ['ok'] (a list)",
        ),
        (
            {"transitions": [Transition("A", "go", "B", actions=[["log"]])]},  # type: ignore[list-item]
            "transitions[0].actions[0] must be an action name (a string), got ['log'] (a list)",
        ),
        (
            {"transitions": [Transition("A", "go", "B", params=((["x"], None),))]},  # type: ignore[arg-type]
            "transitions[0].params[0] name must be a string, got ['x'] (a list)",
        ),
        (
            {"transitions": [Transition("A", "go", "B", branch="yes")]},  # type: ignore[arg-type]
            "transitions[0].branch must be True or False, got 'yes' (a str)",
        ),
    ],
)
def test_wrong_types_are_definition_errors(changes: dict[str, Any], expected: str) -> None:
    assert messages(**changes) == [expected]


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"params": (("x",),)}, "params must be (name, annotation) pairs, got ('x',) (a tuple)"),
        ({"params": ("xy",)}, "params must be (name, annotation) pairs, got 'xy' (a str)"),
        ({"params": None}, "params must be (name, annotation) pairs, got None"),
        ({"params": 5}, "params must be (name, annotation) pairs, got 5 (an int)"),
        ({"actions": None}, "actions must be an iterable of action names, got None"),
        ({"actions": 3}, "actions must be an iterable of action names, got 3 (an int)"),
    ],
)
def test_transition_arguments_of_the_wrong_shape(arguments: dict[str, Any], expected: str) -> None:
    with pytest.raises(DefinitionError) as info:
        Transition("A", "go", "B", **arguments)
    assert list(info.value.messages) == [expected]


def test_a_string_is_one_final_state() -> None:
    assert machine(final="B").final == frozenset({"B"})


# Values of every kind a careless caller might pass where a name or a collection goes.
junk = st.deferred(
    lambda: (
        st.none()
        | st.booleans()
        | st.integers(-2, 2)
        | st.floats(allow_nan=True)
        | st.sampled_from(["A", "B", "go", "", "else", "a b", "\n"])
        | st.builds(object)
        | st.lists(junk, max_size=3)
        | st.tuples(junk, junk)
        | st.dictionaries(st.sampled_from(["A", "B", "x"]), junk, max_size=2)
        | st.frozensets(st.sampled_from(["A", "B"]))
    )
)


@st.composite
def transitions_or_junk(draw: st.DrawFn) -> object:
    try:
        return Transition(
            draw(junk),
            draw(junk),
            draw(junk),
            guard=draw(junk),
            actions=draw(junk),
            params=draw(junk),
            branch=draw(junk),
        )
    except DefinitionError:
        return draw(junk)


@settings(max_examples=300)
@given(
    name=junk,
    states=junk,
    initial=junk,
    final=junk,
    transitions=st.lists(transitions_or_junk(), max_size=3) | junk,
    parents=junk,
    entries=junk,
)
def test_fuzzed_constructor_arguments_raise_only_definition_error(**fields: Any) -> None:
    try:
        built = Machine(**fields)
    except DefinitionError:
        return
    # Whatever is accepted is a proper machine: it round-trips through the DSL and JSON.
    assert Machine.from_dict(built.to_dict()) == built
    assert fsm.parse(fsm.dumps(built)) == built


class _BadRepr:
    def __repr__(self) -> str:
        raise ZeroDivisionError


def _deep(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "build",
    [
        lambda: Machine("m", ["A"], "A", final=_BadRepr()),  # type: ignore[arg-type]
        lambda: Transition("A", "e", "A", params=_deep(100_000)),  # type: ignore[arg-type]
        lambda: Machine(
            "m",
            ["A"],
            "A",
            transitions=[Transition("A", "e", "A", branch=_deep(100_000))],  # type: ignore[arg-type]
        ),
    ],
    ids=["raising-repr", "deep-params", "deep-branch"],
)
def test_a_hostile_argument_is_named_briefly_in_a_definition_error(build: Any) -> None:
    with pytest.raises(DefinitionError) as info:
        build()
    assert len(str(info.value)) < 300
