"""The JSON form: its exact shape, and errors that name the JSON path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm
from fsm import DefinitionError, Machine, Transition

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def small() -> Machine:
    return Machine(
        "Job",
        states=("Queued", "Running", "Done"),
        initial="Queued",
        final={"Done"},
        transitions=(
            Transition("Queued", "start", "Running", params=(("worker", "str"), ("note", None))),
            Transition("Running", "finish", "Done", guard="ok", actions=("log",)),
            Transition("Running", "finish", "Queued", guard="else"),
        ),
    )


def test_to_dict_shape() -> None:
    assert small().to_dict() == {
        "kind": "typestate.machine",
        "version": 1,
        "name": "Job",
        "states": ["Queued", "Running", "Done"],
        "initial": "Queued",
        "final": ["Done"],
        "parents": {},
        "entries": {},
        "transitions": [
            {
                "source": "Queued",
                "event": "start",
                "target": "Running",
                "params": [["worker", "str"], ["note", None]],
            },
            {
                "source": "Running",
                "event": "finish",
                "target": "Done",
                "guard": "ok",
                "actions": ["log"],
            },
            {"source": "Running", "event": "finish", "target": "Queued", "guard": "else"},
        ],
    }


def test_round_trip_through_json_text() -> None:
    assert Machine.from_dict(json.loads(json.dumps(small().to_dict()))) == small()


def test_load_json_file(tmp_path: Path) -> None:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(small().to_dict()), encoding="utf-8")
    assert fsm.load(path) == small()


def test_optional_keys_default() -> None:
    document = {
        "kind": "typestate.machine",
        "version": 1,
        "name": "One",
        "states": ["A"],
        "initial": "A",
    }
    assert Machine.from_dict(document) == Machine("One", ("A",), "A")


def errors(document: Any) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict(document)
    return [str(p) for p in info.value.problems]


def test_not_an_object() -> None:
    assert errors([1, 2]) == ["$: expected a JSON object for a machine, got an array"]


def test_missing_keys_and_wrong_kind() -> None:
    assert errors({"kind": "something.else"}) == [
        "$.version: missing required key 'version'",
        "$.name: missing required key 'name'",
        "$.states: missing required key 'states'",
        "$.initial: missing required key 'initial'",
        "$.kind: expected 'typestate.machine', got 'something.else'; is this a machine file?",
    ]


def test_newer_version_is_refused() -> None:
    document = {**small().to_dict(), "version": 2}
    assert errors(document) == [
        "$.version: schema version 2 is not supported; this release reads version 1 "
        "(upgrade typestate to read newer files)"
    ]


def test_wrong_types_name_their_path() -> None:
    document = small().to_dict()
    document["states"][1] = 7
    document["final"] = "Done"
    document["parents"] = {"Queued": None}
    document["transitions"][0]["params"] = [["worker"]]
    document["transitions"][1]["actions"] = ["log", {"x": 1}]
    document["transitions"][2]["branch"] = "yes"
    assert errors(document) == [
        "$.states[1]: expected a string, got a number (7)",
        "$.final: expected an array of strings, got a string ('Done')",
        "$.parents.Queued: expected a string, got null (None)",
        "$.transitions[0].params[0]: expected a [name, annotation] pair of a string and a "
        "string or null, got ['worker']",
        "$.transitions[1].actions[1]: expected a string, got an object ({'x': 1})",
        "$.transitions[2].branch: expected true or false, got a string ('yes')",
    ]


def test_unknown_keys_are_refused() -> None:
    document = small().to_dict()
    document["colour"] = "red"
    document["transitions"][0]["evnt"] = "start"
    assert errors(document) == [
        "$.colour: unknown key 'colour'; the keys allowed here are: kind, version, name, "
        "states, initial, final, parents, entries, transitions",
        "$.transitions[0].evnt: unknown key 'evnt'; the keys allowed here are: source, "
        "event, target, guard, actions, params, branch, internal, after",
    ]


def test_model_problems_name_the_transition_path() -> None:
    document = small().to_dict()
    document["transitions"][1]["target"] = "Nowhere"
    assert errors(document) == [
        "$.transitions[1]: unknown target state 'Nowhere' in Running --finish [ok]--> Nowhere"
    ]


def test_bad_json_text_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"kind": "typestate.machine",\n  "version": }\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    assert str(info.value) == (
        f'{path}:2:14: not valid JSON: Expecting value\n      "version": }}\n                 ^'
    )
    assert (info.value.line, info.value.column) == (2, 14)


def test_json_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"m\.json: \$: expected a JSON object"):
        fsm.load(path)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def test_duplicate_keys_are_refused_with_their_path(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    text = json.dumps(small().to_dict())
    text = text.replace('"name": "Job"', '"name": "Job", "name": "Other"')
    text = text.replace('"event": "start"', '"event": "start", "event": "begin"')
    text = text.replace('"parents": {}', '"parents": {"Done": "Queued", "Done": "Running"}')
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [
        "$.name: duplicate key 'name'; a key may appear once in an object",
        "$.parents.Done: duplicate key 'Done'; a key may appear once in an object",
        "$.transitions[0].event: duplicate key 'event'; a key may appear once in an object",
    ]


@pytest.mark.parametrize(
    ("constant", "shown"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")]
)
def test_non_finite_numbers_are_refused(tmp_path: Path, constant: str, shown: str) -> None:
    path = tmp_path / "nan.json"
    text = json.dumps(small().to_dict()).replace('"version": 1', f'"version": {constant}')
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [
        f"$.version: expected a whole number, got {shown}, which JSON does not allow"
    ]


def test_a_huge_number_is_not_infinity(tmp_path: Path) -> None:
    document = {**small().to_dict(), "version": 1e400, "name": 1.5}
    assert errors(document) == [
        "$.version: expected a whole number, got Infinity, which JSON does not allow",
        "$.name: expected a string, got a number (1.5)",
    ]


# -- fuzzing: only DefinitionError may come out ------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def from_dict_or_error(document: object) -> Machine | DefinitionError:
    try:
        return Machine.from_dict(document)
    except DefinitionError as exc:
        return exc


@given(JSON_VALUES)
def test_arbitrary_json_values_give_a_definition_error(document: object) -> None:
    result = from_dict_or_error(document)
    assert isinstance(result, DefinitionError)
    assert result.problems
    assert str(result)


@st.composite
def mutated_documents(draw: st.DrawFn) -> object:
    """The document of a valid machine with one to three parts replaced, dropped or added."""
    document: Any = json.loads(json.dumps(small().to_dict()))
    for _ in range(draw(st.integers(1, 3))):
        # Walk down to a random container, then change one of its entries.
        container: Any = document
        while True:
            keys = list(container) if isinstance(container, dict) else list(range(len(container)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = container[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                container = child
                continue
            action = draw(st.sampled_from(["replace", "drop", "add", "wrap"]))
            if action == "replace":
                container[key] = draw(JSON_VALUES)
            elif action == "drop":
                del container[key]
            elif action == "wrap":
                container[key] = [child]
            elif isinstance(container, dict):
                container[draw(st.text(max_size=8))] = draw(JSON_VALUES)
            else:
                container.append(draw(JSON_VALUES))
            break
    return document


@given(mutated_documents())
def test_mutated_documents_give_a_machine_or_a_definition_error(document: object) -> None:
    result = from_dict_or_error(document)
    if isinstance(result, Machine):
        assert Machine.from_dict(result.to_dict()) == result
    else:
        assert result.problems
        assert str(result)


@given(mutated_documents(), st.data())
def test_mutated_json_text_loads_or_gives_a_definition_error(
    document: object, data: st.DataObject
) -> None:
    text = json.dumps(document)
    # Cut the text or splice characters in, as an editor or a transfer might.
    at = data.draw(st.integers(0, len(text)))
    text = (
        text[:at]
        + data.draw(st.sampled_from(["", "[", "{", "]", "}", ",", '"', "\\", "\u00e9"]))
        + text[at + data.draw(st.integers(0, 3)) :]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "machine.json"
        path.write_text(text, encoding="utf-8")
        result = load_or_error(path)
    if isinstance(result, Machine):
        assert Machine.from_dict(result.to_dict()) == result
    else:
        assert result.problems
        assert str(result)


def load_or_error(path: Path) -> Machine | DefinitionError:
    try:
        return fsm.load(path)
    except DefinitionError as exc:
        return exc


def test_a_huge_key_or_value_is_named_by_its_start() -> None:
    document = {**small().to_dict(), "kind": "k" * 1_000_000, "x" * 1_000_000: 1}
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict(document)
    assert len(str(info.value)) < 2_000
    unknown, kind = info.value.problems
    assert kind.path == "$.kind"
    assert kind.message.startswith("expected 'typestate.machine', got 'kkkk")
    assert kind.message.endswith(" more characters)")
    assert len(kind.message) < 500
    assert unknown.path is not None
    assert unknown.path.startswith("$.xxxx")
    assert unknown.path.endswith("... (999,802 more characters)")
    assert len(unknown.message) < 500


def test_a_lone_surrogate_in_a_key_is_escaped_in_the_problem() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict({**small().to_dict(), "\ud800": 1})
    assert str(info.value).encode("utf-8")
    assert info.value.problems[0].path == "$.\\ud800"
