"""Every public exception survives pickle (multiprocessing, logging handlers, caches).

A round trip keeps the type, the message, ``args`` and every field, for any
values of the fields.
"""

from __future__ import annotations

import pickle
from typing import Any

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import fsm
import typestate
from analysis.testing import ConformanceFailure
from fsm import Problem, Transition

text = st.text(max_size=12)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
maybe_int = st.none() | st.integers(min_value=1, max_value=10_000)

problems = st.builds(
    Problem,
    message=text,
    line=maybe_int,
    column=maybe_int,
    source_line=st.none() | text,
    path=st.none() | text,
    filename=st.none() | text,
    transition=st.none() | st.integers(min_value=0, max_value=100),
    state=st.none() | names,
)
transitions = st.none() | st.builds(
    Transition, names, names, names, guard=st.none() | names, actions=st.lists(names, max_size=2)
)

errors: st.SearchStrategy[BaseException] = st.one_of(
    st.builds(fsm.FSMError, text),
    st.builds(fsm.SnapshotError, text),
    st.builds(fsm.DefinitionError, st.lists(problems, min_size=1, max_size=3)),
    st.builds(fsm.InvalidTransition, names, names, st.lists(names, max_size=3), st.none() | text),
    st.builds(fsm.TransitionFailed, names, names, transitions, text, text),
    st.builds(typestate.StateConsumed, names, names, names, st.none() | names),
    st.builds(typestate.ProtocolViolation, names, names, names, st.lists(names, max_size=3)),
    st.builds(
        ConformanceFailure,
        text,
        st.lists(st.tuples(names, st.dictionaries(names, st.integers(), max_size=2)), max_size=3),
        names,
        st.none() | names,
    ),
)


def _fields(error: BaseException) -> dict[str, Any]:
    """Every field of ``error``; a Problem compared with all of its attributes."""
    fields: dict[str, Any] = {}
    for key, value in vars(error).items():
        if key == "problems":
            value = [attrs.astuple(p) for p in value]
        fields[key] = value
    return fields


@given(errors)
@example(fsm.InvalidTransition("Open", "close", ("lock",), "guard ok is false"))
@example(fsm.DefinitionError([Problem("bad", line=3, column=2, source_line="x", transition=1)]))
def test_every_public_exception_round_trips_through_pickle(error: BaseException) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.args == error.args
    assert _fields(back) == _fields(error)


def test_invalid_transition_keeps_its_reason() -> None:
    error = fsm.InvalidTransition("Open", "close", ("lock",), "guard ok is false")
    back = pickle.loads(pickle.dumps(error))
    assert str(back) == (
        "Can't send 'close' in state 'Open' (guard ok is false); allowed here: lock."
    )
    assert back.reason == "guard ok is false"


def test_definition_error_keeps_every_problem_and_its_position() -> None:
    with pytest.raises(fsm.DefinitionError) as info:
        fsm.parse("stateDiagram-v2\n    [*] --> A\n    A --> B : go [_x]\n    B -> C\n")
    back = pickle.loads(pickle.dumps(info.value))
    assert str(back) == str(info.value)
    assert (back.line, back.column, back.source_line) == (
        info.value.line,
        info.value.column,
        info.value.source_line,
    )
    assert [attrs.astuple(p) for p in back.problems] == [
        attrs.astuple(p) for p in info.value.problems
    ]


@pytest.mark.parametrize(
    "error",
    [
        fsm.DefinitionError("bad"),
        fsm.InvalidTransition("A", "go", ()),
        fsm.TransitionFailed("A", "go", None, "guard 'ok'", "ValueError: no"),
        typestate.StateConsumed("Idle", "assign", "assign", "Working"),
        typestate.ProtocolViolation("Idle", "assign", "Done", ("Working",)),
        ConformanceFailure("accepted 'finish'", [("finish", {})], "Idle", "finish"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_notes_survive_pickle(error: BaseException) -> None:
    error.__notes__ = ["while replaying run 7"]  # add_note() is Python 3.11+
    back = pickle.loads(pickle.dumps(error))
    assert back.__notes__ == ["while replaying run 7"]
