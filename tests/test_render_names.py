"""State names that Mermaid reads as keywords, checked against the real parsers.

The reserved words come from the lexer rules of Mermaid 10 and 11's
``stateDiagram`` grammar (``tools/mermaid/node_modules/mermaid1x``), which
carry the ``i`` flag: every casing of a keyword is the keyword.
"""

from __future__ import annotations

import pytest

import analysis
import fsm

from .mermaid_parser import require_mermaid
from .mermaid_reading import Reading, expected_reading, mermaid_readings

KEYWORDS = (
    "state",
    "note",
    "class",
    "classDef",
    "scale",
    "default",
    "stateDiagram",
    "accTitle",
    "accDescr",
    "style",
    "click",
    "href",
    "as",
    "direction",
)

#: Near misses: not keywords in any Mermaid version, so they stay allowed.
NEAR = ("States", "End", "end", "Notes", "classy", "Defaults", "Clicker", "Hide", "LR", "Fork")


def casings(word: str) -> list[str]:
    mixed = "".join(c.upper() if n % 2 else c.lower() for n, c in enumerate(word))
    return sorted({word, word.lower(), word.upper(), word.capitalize(), mixed})


def texts(name: str) -> list[str]:
    """``name`` as a leaf, a substate and a superstate (each followed by ``TBx``)."""
    return [
        f"stateDiagram-v2\n    {name}\n    TBx\n    [*] --> {name}\n    {name} --> TBx : go\n",
        f"stateDiagram-v2\n    state S {{\n        {name}\n        TBx\n"
        f"        [*] --> {name}\n    }}\n    [*] --> S\n    {name} --> TBx : go\n",
        f"stateDiagram-v2\n    state {name} {{\n        C\n        [*] --> C\n    }}\n"
        f"    TBx\n    [*] --> TBx\n    TBx --> {name} : go\n",
    ]


def readings(
    name: str,
) -> list[tuple[frozenset[tuple[str, str]], tuple[tuple[str, str, str], ...]]]:
    leaf = ({(name, ""), ("TBx", "")}, [("root_start", name, ""), (name, "TBx", "go")])
    sub = (
        {("S", ""), (name, "S"), ("TBx", "S")},
        [("S_start", name, ""), ("root_start", "S", ""), (name, "TBx", "go")],
    )
    sup = (
        {(name, ""), ("C", name), ("TBx", "")},
        [(f"{name}_start", "C", ""), ("root_start", "TBx", ""), ("TBx", name, "go")],
    )
    return [(frozenset(s), tuple(sorted(a))) for s, a in (leaf, sub, sup)]


Found = dict[str, Reading | str]


@pytest.fixture(scope="module")
def positions() -> list[Found]:
    """Mermaid's readings of every keyword's, then every near miss's texts (one run)."""
    require_mermaid()
    names = [c for k in KEYWORDS for c in casings(k)] + list(NEAR)
    return mermaid_readings([t for name in names for t in texts(name)])


@pytest.mark.parametrize("name", [c for k in KEYWORDS for c in casings(k)])
def test_a_mermaid_keyword_in_any_casing_is_refused(name: str) -> None:
    with pytest.raises(fsm.DefinitionError) as info:
        fsm.Machine("M", states=(name, "B"), initial="B")
    example = name[:1].upper() + name[1:].lower() + "State"
    assert info.value.messages == (
        f"state name {name!r} is a Mermaid keyword (any casing), so Mermaid would not "
        f"read it as a state; rename it (for example {example!r})",
    )


def test_parse_refuses_a_keyword_state_with_its_line() -> None:
    with pytest.raises(fsm.DefinitionError, match=r"'Note' is a Mermaid keyword \(any casing\)"):
        fsm.parse("stateDiagram-v2\n[*] --> Note\nNote --> B : go\n")


@pytest.mark.usefixtures("mermaid")
def test_every_refused_keyword_breaks_real_mermaid_somewhere(positions: list[Found]) -> None:
    names = [c for k in KEYWORDS for c in casings(k)]
    found = positions[: 3 * len(names)]
    for n, name in enumerate(names):
        wanted = readings(name)
        broken = [
            (position, version)
            for position, (want, got) in enumerate(
                zip(wanted, found[3 * n : 3 * n + 3], strict=True)
            )
            for version, reading in got.items()
            if reading != want
        ]
        assert broken, f"Mermaid reads {name!r} as a state everywhere; it need not be refused"


@pytest.mark.usefixtures("mermaid")
def test_near_misses_are_allowed_and_read_right_in_every_position(
    positions: list[Found],
) -> None:
    found = positions[-3 * len(NEAR) :]
    for n, name in enumerate(NEAR):
        fsm.Machine("M", states=(name, "B"), initial="B")
        for want, got in zip(readings(name), found[3 * n : 3 * n + 3], strict=True):
            assert got == {"mermaid10": want, "mermaid11": want}, name


@pytest.mark.usefixtures("mermaid")
def test_keywords_are_fine_as_events_guards_actions_and_payloads() -> None:
    words = [c for k in KEYWORDS for c in casings(k) if fsm.is_name(c)]
    machines = [
        fsm.Machine(
            "M",
            states=("A", "B"),
            initial="A",
            final={"B"},
            transitions=(
                fsm.Transition(
                    "A", word, "B", guard=word, actions=(word,), params=((f"p_{word}", None),)
                ),
                fsm.Transition("A", word, "A", guard="else", params=((f"p_{word}", None),)),
            ),
        )
        for word in words
    ]
    found = mermaid_readings([fsm.dumps(m) for m in machines])
    for machine, got in zip(machines, found, strict=True):
        want = expected_reading(machine)
        assert got == {"mermaid10": want, "mermaid11": want}


@pytest.mark.usefixtures("mermaid")
def test_a_line_ending_in_direction_is_kept_apart_from_a_line_starting_with_tb() -> None:
    # Mermaid's rule `.*direction\s+TB` spans the line break: without the `%%`
    # line between them, it reads both lines as one `direction` statement.
    machine = fsm.Machine(
        "M",
        states=("A_direction", "TBx", "lr"),
        initial="A_direction",
        final={"TBx", "lr"},
        transitions=(
            fsm.Transition("A_direction", "set_direction", "TBx"),
            fsm.Transition("TBx", "go", "lr", actions=("Direction",)),
        ),
    )
    text = fsm.dumps(machine)
    assert "    A_direction\n    %%\n    TBx\n" in text
    assert "set_direction\n    %%\n" in text
    assert fsm.parse(text) == machine
    trace = analysis.to_mermaid(
        fsm.Machine(
            "M",
            states=("A", "B"),
            initial="A",
            transitions=(
                fsm.Transition("A", "set_direction", "B"),
                fsm.Transition("B", "lr", "A"),
            ),
        ),
        highlight=["set_direction", "lr"],
    )
    assert "%% highlight: trace set_direction, lr\n" in trace
    want = expected_reading(machine)
    [got, _] = mermaid_readings([text, trace])
    assert got == {"mermaid10": want, "mermaid11": want}


@pytest.mark.parametrize("name", ["root_start", "root_end", "S_start", "S_end"])
def test_a_state_named_like_a_mermaid_start_or_end_point_is_refused(name: str) -> None:
    with pytest.raises(fsm.DefinitionError) as info:
        fsm.Machine(
            "M", states=("S", "C", name), initial=name, parents={"C": "S"}, entries={"S": "C"}
        )
    assert info.value.messages == (
        f"state name {name!r} is the id Mermaid gives a '[*]' point, so Mermaid would draw "
        f"the state and the point as one node; rename it",
    )


@pytest.mark.usefixtures("mermaid")
def test_mermaid_merges_a_state_named_root_start_with_the_start_point() -> None:
    text = "stateDiagram-v2\n    B\n    root_start\n    [*] --> B\n    B --> root_start : go\n"
    [got] = mermaid_readings([text])
    reading = got["mermaid11"]
    assert not isinstance(reading, str)
    states, arrows = reading
    # The declared state and the start point are one id, so one node.
    assert ("root_start", "") in states
    assert ("root_start", "B", "") in arrows
    assert ("B", "root_start", "go") in arrows
