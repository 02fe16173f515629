"""Round-trip properties: DSL text and JSON both give back the same Machine."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm

from .mermaid_reading import expected_reading, mermaid_readings_and_titles
from .render_support import dot_svg, plantuml_errors
from .strategies import machines


@given(machines())
def test_parse_of_dumps_is_identity(machine: fsm.Machine) -> None:
    assert fsm.parse(fsm.dumps(machine)) == machine


@given(machines())
def test_dumps_is_stable(machine: fsm.Machine) -> None:
    assert fsm.dumps(fsm.parse(fsm.dumps(machine))) == fsm.dumps(machine)


@given(machines())
def test_from_dict_of_to_dict_is_identity(machine: fsm.Machine) -> None:
    document = json.loads(json.dumps(machine.to_dict()))
    assert fsm.Machine.from_dict(document) == machine


@given(machines())
def test_equal_machines_share_hash_and_fingerprint(machine: fsm.Machine) -> None:
    again = fsm.parse(fsm.dumps(machine))
    assert hash(again) == hash(machine)
    assert again.fingerprint == machine.fingerprint


# -- every accepted Machine, whatever its title ----------------------------------------

#: Characters that broke a writer once, mixed into Hypothesis' text to find them.
TRICKY = (
    "\x00\x01\x08\t\x0b\x0c\x1c\x1d\x1e\x1f\x7f\x85\x9f\xa0\u2028\u2029\ufeff\ufffe\uffff"
    "\ud800\udfff\U0010ffff\U0001fffe\ufdd0\u202e\u0300 #:'\"\\[]{}<>&$%*/_-~^`|@!=,;"
)
titles = st.text(st.one_of(st.characters(), st.sampled_from(TRICKY)), min_size=1, max_size=12)


def with_title(machine: fsm.Machine, title: str) -> fsm.Machine | None:
    """``machine`` renamed ``title``, or None when the constructor refuses the title."""
    try:
        return attrs.evolve(machine, name=title)
    except fsm.DefinitionError as error:
        [message] = error.messages
        assert message.startswith("machine name "), message
        return None


@given(machines(), titles)
def test_every_accepted_title_round_trips_through_dsl_and_json(
    machine: fsm.Machine, title: str
) -> None:
    renamed = with_title(machine, title)
    if renamed is None:
        return
    assert fsm.parse(fsm.dumps(renamed)) == renamed
    encoded = json.dumps(renamed.to_dict(), ensure_ascii=False).encode("utf-8")
    assert fsm.Machine.from_dict(json.loads(encoded.decode("utf-8"))) == renamed
    analysis.to_mermaid(renamed).encode("utf-8")
    analysis.to_plantuml(renamed).encode("utf-8")


@pytest.mark.parametrize(
    ("title", "code", "why"),
    [
        ("\ud800", "U+D800", "a lone surrogate, which UTF-8 cannot encode, so no file can hold it"),
        ("a\x00", "U+0000", "a control character that XML, and so a Graphviz label, cannot hold"),
        (
            "a\x1b[0m",
            "U+001B",
            "a control character that XML, and so a Graphviz label, cannot hold",
        ),
        ("a\ufffe", "U+FFFE", "a non-character that XML, and so a Graphviz label, cannot hold"),
    ],
)
def test_a_title_no_writer_can_carry_is_refused_naming_the_character(
    title: str, code: str, why: str
) -> None:
    with pytest.raises(fsm.DefinitionError) as info:
        fsm.Machine(title, states=("A",), initial="A")
    position = 0 if title == "\ud800" else 1
    assert info.value.messages == (
        f"machine name {title!r} contains {code} at position {position}, {why}; remove it",
    )


@pytest.mark.parametrize("title", ["a\u2028b", "a\u2029b", "a\x85b", "\ufeffa", "0", "null", "1.0"])
def test_titles_that_broke_the_front_matter_round_trip(title: str) -> None:
    machine = fsm.Machine(title, states=("A",), initial="A")
    assert fsm.parse(fsm.dumps(machine)) == machine
    assert fsm.parse(fsm.dumps(machine)).name == title


@pytest.mark.usefixtures("mermaid")
@settings(max_examples=1, deadline=None)
@given(st.data())
def test_the_real_tools_accept_drawings_of_any_accepted_machine(data: st.DataObject) -> None:
    # Each tricky character in a title for sure (Hypothesis' first example is
    # its simplest), then titles from the whole Unicode range.
    chosen = [f"a{c}b" for c in TRICKY] + [data.draw(titles) for _ in range(20)]
    sample = [
        renamed
        for title in chosen
        if (renamed := with_title(data.draw(machines()), title)) is not None
    ]
    assert len(sample) >= 40
    texts = [analysis.to_mermaid(m) for m in sample]
    for machine, (reading, title) in zip(sample, mermaid_readings_and_titles(texts), strict=True):
        want = expected_reading(machine)
        assert reading == {"mermaid10": want, "mermaid11": want}, fsm.dumps(machine)
        assert title == machine.name
    for machine in sample:
        svg, _ = dot_svg(analysis.to_dot(machine))
        assert svg.startswith("<?xml"), machine.name
    drawings = [analysis.to_plantuml(m) for m in sample]
    for text, (error, _) in zip(drawings, plantuml_errors(drawings), strict=True):
        assert error is None, f"PlantUML: {error}\n{text}"


@pytest.mark.usefixtures("mermaid")
def test_mermaid_reads_back_titles_that_yaml_could_change() -> None:
    # Plain, YAML would read 0 and null as no title, 1.0 as "1", and fold the
    # line separators into spaces.
    titles = [
        "0",
        "null",
        "1.0",
        "1e3",
        "true",
        "a\u2028b",
        "a\x85b",
        " a ",
        "a: b",
        "a #b",
        "x\\y",
    ]
    machines_ = [fsm.Machine(t, states=("A",), initial="A") for t in titles]
    found = mermaid_readings_and_titles([fsm.dumps(m) for m in machines_])
    assert [title for _, title in found] == titles
