"""The text DSL: what it reads, what it writes, and how it reports mistakes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm
from fsm import DefinitionError, Transition

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def parse(*lines: str) -> fsm.Machine:
    return fsm.parse("\n".join(lines) + "\n")


def error(*lines: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        fsm.parse("\n".join(lines) + "\n")
    return info.value


# -- reading --


def test_the_agent_example() -> None:
    machine = fsm.load(EXAMPLES / "agent.mmd")
    assert machine.name == "Agent"
    assert machine.states == (
        "Idle",
        "Planning",
        "Working",
        "Failed",
        "Acting",
        "AwaitingTool",
        "Done",
    )
    assert machine.initial == "Idle"
    assert machine.final == {"Done", "Failed"}
    assert machine.parents == {"Acting": "Working", "AwaitingTool": "Working"}
    assert machine.entries == {"Working": "Acting"}
    assert machine.transitions[4] == Transition(
        "AwaitingTool", "result", "Acting", guard="ok", params=(("output", "str"),)
    )
    assert machine.transitions[5].actions == ("count_retry",)
    assert machine.transitions[3].params == (
        ("name", "str"),
        ("args", "dict[str, object]"),
    )


def test_label_parts() -> None:
    machine = parse(
        "stateDiagram-v2",
        "    [*] --> A",
        "    A --> B : go",
        "    A --> C : push(x, y) [full] / log, count",
        "    A --> A : push(x, y) [else]",
        "    B --> C : pick [branch]",
        "    B --> A : pick [branch]",
    )
    assert machine.transitions == (
        Transition("A", "go", "B"),
        Transition(
            "A",
            "push",
            "C",
            guard="full",
            actions=("log", "count"),
            params=(("x", None), ("y", None)),
        ),
        Transition("A", "push", "A", guard="else", params=(("x", None), ("y", None))),
        Transition("B", "pick", "C", branch=True),
        Transition("B", "pick", "A", branch=True),
    )


def test_types_directive_gives_annotations_and_may_stand_for_the_names() -> None:
    machine = parse(
        "stateDiagram-v2",
        "    %% types: send(data: bytes, flags: Mapping[str, int] | None), ping",
        "    %% types: ack(n: int)",
        "    [*] --> A",
        "    A --> B : send(data, flags)",
        "    B --> A : send",
        "    B --> A : ack(n)",
        "    A --> A : ping",
    )
    expected = (("data", "bytes"), ("flags", "Mapping[str, int] | None"))
    assert machine.transitions[0].params == expected
    assert machine.transitions[1].params == expected
    assert machine.transitions[2].params == (("n", "int"),)


def test_front_matter_title_forms() -> None:
    body = ["stateDiagram-v2", "    [*] --> A"]
    assert parse("---", "title: Order flow", "---", *body).name == "Order flow"
    assert parse("---", 'title: "A: b \\u00e9"', "---", *body).name == "A: b é"
    assert parse("---", "title: 'it''s'", "---", *body).name == "it's"
    assert parse("---", "config:", "  theme: dark", "title: T # comment", "---", *body).name == "T"
    assert parse(*body).name == "Machine"
    assert fsm.parse("\n".join(body), name="Given").name == "Given"


def test_superstates_nest_and_have_entries() -> None:
    machine = parse(
        "stateDiagram-v2",
        "    [*] --> Off",
        "    state On {",
        "        [*] --> Low",
        "        state Low {",
        "            [*] --> Dim",
        "            Dim --> Bright : up",
        "        }",
        "        High",
        "    }",
        "    Off --> On : power",
        "    On --> Off : power",
    )
    assert machine.parents == {"Low": "On", "Dim": "Low", "Bright": "Low", "High": "On"}
    assert machine.entries == {"On": "Low", "Low": "Dim"}
    assert machine.resolve("On") == "Dim"
    assert machine.transitions_from("Bright", "power") == (Transition("On", "power", "Off"),)


def test_ignored_mermaid_statements() -> None:
    machine = parse(
        "%%{init: {'theme': 'dark'}}%%",
        "stateDiagram-v2",
        "    direction LR",
        "    accTitle: The title",
        "    accDescr: A description",
        "    classDef bad fill:#f00",
        "    class A bad",
        "    style A fill:#0f0",
        "    note right of A : a note",
        "    note left of A",
        "        a note over",
        "        several lines --> with arrows : and colons",
        "    end note",
        '    state "A long description" as B',
        "    A : the first state",
        "    C:::bad",
        "    [*] --> A",
        "    A --> B:::bad : go",
    )
    assert machine.states == ("B", "A", "C")
    assert machine.transitions == (Transition("A", "go", "B"),)


def test_crlf_tabs_and_bom_read_correctly() -> None:
    machine = fsm.parse("\ufeffstateDiagram-v2\r\n\t[*] --> A\r\n\tA --> B : go\r\n\tB --> [*]\r\n")
    assert machine.states == ("A", "B")
    assert machine.final == {"B"}


def test_final_marker_inside_a_block() -> None:
    machine = parse(
        "stateDiagram-v2",
        "    [*] --> S",
        "    state S {",
        "        [*] --> A",
        "        A --> [*]",
        "    }",
    )
    assert machine.final == {"A"}


# -- writing --


def test_dumps_of_the_agent_example() -> None:
    text = fsm.dumps(fsm.load(EXAMPLES / "agent.mmd"))
    assert text.splitlines()[:8] == [
        "---",
        "title: Agent",
        "---",
        "stateDiagram-v2",
        "    %% types: assign(task: str)",
        "    %% types: plan(steps: list[str])",
        "    %% types: call_tool(name: str, args: dict[str, object])",
        "    %% types: result(output: str)",
    ]
    assert "    AwaitingTool --> Planning : result(output) [else] / count_retry" in text


def test_dumps_nests_blocks_when_the_order_allows() -> None:
    machine = fsm.Machine(
        "M",
        states=("S", "A", "B"),
        initial="S",
        parents={"A": "S", "B": "S"},
        entries={"S": "B"},
        transitions=(Transition("A", "go", "B"),),
    )
    assert fsm.dumps(machine) == (
        "---\ntitle: M\n---\nstateDiagram-v2\n"
        "    state S {\n        A\n        B\n        [*] --> B\n    }\n"
        "    [*] --> S\n"
        "    A --> B : go\n"
    )


def test_dumps_quotes_a_title_that_needs_it() -> None:
    machine = fsm.Machine("A: #1", states=("X",), initial="X")
    assert fsm.dumps(machine).splitlines()[1] == 'title: "A: #1"'
    assert fsm.parse(fsm.dumps(machine)) == machine


# -- errors: every message names the line and shows a caret --


def test_error_shows_line_column_source_and_caret() -> None:
    err = error("stateDiagram-v2", "    [*] --> A", "    A --> B : go(x", "")
    assert (err.line, err.column, err.source_line) == (3, 15, "    A --> B : go(x")
    assert str(err) == (
        "line 3, column 15: cannot read the label 'go(x'; write 'event(payload) [guard] / "
        "action, action', each part optional but the event\n"
        "        A --> B : go(x\n"
        "                  ^"
    )


def test_empty_text() -> None:
    assert str(error("")) == (
        "line 1, column 1: no 'stateDiagram-v2' header found; the text is empty or not a "
        "Mermaid state diagram"
    )


def test_not_a_state_diagram() -> None:
    assert error("graph TD", "    A --> B").messages == (
        "expected the header 'stateDiagram-v2' before any statement; a machine file is a "
        "Mermaid state diagram",
    )


def test_no_initial_marker() -> None:
    err = error("stateDiagram-v2", "    A --> B : go")
    assert err.messages == (
        "no initial state; add a line '[*] --> STATE' at the top level to say where the "
        "machine starts",
    )
    assert err.line == 1


def test_two_initial_markers() -> None:
    err = error("stateDiagram-v2", "    [*] --> A", "    [*] --> B")
    assert err.messages == (
        "a second initial marker ('[*] --> B'); the initial state is already 'A' (line 2). "
        "A machine has exactly one",
    )
    assert (err.line, err.column) == (3, 13)


def test_unguarded_duplicate_points_at_the_second_line() -> None:
    err = error("stateDiagram-v2", "    [*] --> A", "    A --> B : go", "    A --> C : go")
    assert err.messages[0].startswith("duplicate transition A --go--> C: state 'A' already")
    assert (err.line, err.column) == (4, 15)


def test_cycle_of_superstates() -> None:
    err = error(
        "stateDiagram-v2",
        "    [*] --> A",
        "    state A {",
        "        [*] --> B",
        "        state B {",
        "            A",
        "        }",
        "    }",
    )
    assert err.messages == ("superstates form a cycle: B -> A -> B; a state cannot contain itself",)


def test_a_state_in_two_blocks() -> None:
    err = error(
        "stateDiagram-v2",
        "    [*] --> X",
        "    state P {",
        "        X",
        "    }",
        "    state Q {",
        "        X --> Y : go",
        "    }",
    )
    assert err.messages == (
        "state 'X' is inside superstate 'Q' here but inside 'P' on line 4; a state belongs "
        "to one superstate",
    )
    assert (err.line, err.column) == (7, 9)


def test_second_block_for_a_state() -> None:
    err = error(
        "stateDiagram-v2", "    [*] --> S", "    state S {", "    }", "    state S {", "    }"
    )
    assert err.messages == (
        "state 'S' already has a block (line 3); put all its substates in one block",
    )


def test_unclosed_and_unopened_blocks() -> None:
    assert error("stateDiagram-v2", "    [*] --> S", "    state S {", "        A").messages == (
        "block of state 'S' is never closed; add a line '}'",
    )
    assert error("stateDiagram-v2", "    [*] --> S", "    }").messages == (
        "'}' closes no block; remove it or open one with 'state X {'",
    )


def test_unsupported_mermaid_features_say_what_to_use() -> None:
    assert error("stateDiagram-v2", "    [*] --> A", "    state C <<choice>>").messages == (
        "<<choice>> states are not supported; use guarded transitions instead, e.g. "
        "'A --> B : e [ok]' and 'A --> C : e [else]'",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    state F <<fork>>").messages == (
        "<<fork>> states are not supported; split the parallel parts into separate machines "
        "and combine them with analysis.compose()",
    )
    assert error(
        "stateDiagram-v2",
        "    [*] --> S",
        "    state S {",
        "        A",
        "        --",
        "        B",
        "    }",
    ).messages == (
        "concurrent regions ('--') are not supported; split the regions into separate "
        "machines and combine them with analysis.compose()",
    )


def test_label_problems() -> None:
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go: now").messages == (
        "':' is not allowed in a label (Mermaid 10 cannot draw it); write 'event(payload) "
        "[guard] / action, action'",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go; now").messages == (
        "';' is not allowed in a label (Mermaid 10 cannot draw it); write 'event(payload) "
        "[guard] / action, action'",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : 9lives").messages == (
        "the label must start with an event name (an identifier), got '9lives'",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go(x: int)").messages == (
        "payload name 'x: int' is not an identifier; payload types go in a '%% types:' directive",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go [is-ok]").messages == (
        "guard 'is-ok' is not a name; a guard names a predicate, like [ok], or is [else] or "
        "[branch]",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go [is ok]").messages == (
        "cannot read the guard 'is ok': expected 'and' or 'or' before the guard name 'ok'; "
        "combine guard names with and, or, not and parentheses, like [ok and not busy]",
    )
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B : go / a b").messages == (
        "action 'a b' is not a name; list actions as 'a, b'",
    )


def test_transition_without_event_and_markers_with_labels() -> None:
    assert error("stateDiagram-v2", "    [*] --> A", "    A --> B").messages == (
        "transition A --> B has no event; write 'A --> B : event'",
    )
    assert error("stateDiagram-v2", "    [*] --> A : start").messages == (
        "a start or end marker takes no label; put the event on a transition between two states",
    )
    assert error("stateDiagram-v2", "    [*] --> [*]").messages == (
        "no initial state; add a line '[*] --> STATE' at the top level to say where the "
        "machine starts",
        "'[*] --> [*]' connects nothing; name a state on one side",
    )


def test_bad_state_names() -> None:
    err = error("stateDiagram-v2", "    [*] --> A", "    A --> my-state : go")
    assert err.messages == (
        "the target of a transition must be a state name or [*], got 'my-state'; state "
        "names are identifiers (letters, digits, '_')",
    )
    assert err.column == 11
    assert error("stateDiagram-v2", "    [*] --> A", "    what is this").messages == (
        "cannot read 'what is this'; expected a transition 'A --> B : event', a state name, "
        "'state X {', or '}'",
    )


def test_types_directive_problems() -> None:
    assert error(
        "stateDiagram-v2", "    %% types: go(x: int)", "    [*] --> A", "    A --> B : go(y)"
    ).messages == (
        "payload (y) of 'go' does not match its types directive on line 2 (x); use the same "
        "names in order",
    )
    assert error(
        "stateDiagram-v2",
        "    %% types: go(x: int), go(x: str)",
        "    [*] --> A",
        "    A --> B : go",
    ).messages == ("types of event 'go' are given twice (first on line 2); keep one",)
    assert error("stateDiagram-v2", "    %% types: nope(x: int)", "    [*] --> A").messages == (
        "the types directive names event 'nope', which no transition uses",
    )
    assert error("stateDiagram-v2", "    %% types: go x", "    [*] --> A").messages == (
        "cannot read 'go x' in the types directive; write 'event(name: type, ...)', for "
        "example 'assign(task: str)'",
    )


def test_every_problem_in_a_file_is_reported() -> None:
    err = error(
        "stateDiagram-v2",
        "    [*] --> A",
        "    [*] --> B",
        "    A --> B : go",
        "    A --> C : go",
        "    B --> C : x: y",
    )
    assert [p.line for p in err.problems] == [3, 5, 6]
    assert str(err).startswith("3 problems in this definition:\n- line 3, column 13: ")


def test_parse_refuses_bytes() -> None:
    with pytest.raises(TypeError, match=r"^parse\(\) takes text \(str\), got bytes"):
        fsm.parse(b"stateDiagram-v2")  # type: ignore[arg-type]


# -- files --


def test_load_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "flow.mmd"
    path.write_text("stateDiagram-v2\n    [*] --> A\n    A --> B\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    assert str(info.value).startswith(f"{path}:3:12: transition A --> B has no event")


def test_load_defaults_the_name_to_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "checkout_flow.mmd"
    path.write_text("stateDiagram-v2\n    [*] --> A\n", encoding="utf-8")
    assert fsm.load(path).name == "checkout_flow"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.mmd"
    path.write_bytes("stateDiagram-v2\n    [*] --> A\n    A --> B : caf\xe9\n".encode("latin-1"))
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    assert str(info.value) == (
        f"{path}:3:18: the file is not UTF-8 text (byte 0xe9 at offset 47); save it as UTF-8"
    )


MARKDOWN = """\
# Design

Some prose.

```python
print("not a diagram")
```

```mermaid
graph TD
    A --> B
```

```mermaid
---
title: Checkout
---
stateDiagram-v2
    [*] --> Cart
    Cart --> Paid : pay
```

```mermaid
---
title: Refund
---
stateDiagram-v2
    [*] --> Requested
    Requested --> Refunded : approve
    Requested --> Refunded : approve
```
"""


def test_load_markdown_reads_the_first_state_diagram(tmp_path: Path) -> None:
    path = tmp_path / "design.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    machine = fsm.load(path)
    assert (machine.name, machine.states) == ("Checkout", ("Cart", "Paid"))


def test_load_markdown_by_title_reports_lines_of_the_markdown_file(tmp_path: Path) -> None:
    path = tmp_path / "design.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path, title="Refund")
    assert info.value.line == 30
    assert info.value.source_line == "    Requested --> Refunded : approve"


def test_load_markdown_without_a_diagram(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("# Nothing here\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    assert str(info.value) == (
        f"{path}: no fenced ```mermaid block with a 'stateDiagram-v2' in this Markdown file"
    )
    path.write_text(MARKDOWN, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"no mermaid state diagram titled 'Nope'"):
        fsm.load(path, title="Nope")


def test_a_ten_megabyte_file_loads_in_seconds(tmp_path: Path) -> None:
    lines = ["stateDiagram-v2", "    [*] --> S0"]
    n = size = 0
    while size < 10_000_000:
        lines.append(f"    S{n} --> S{n + 1} : step_{n} [ok] / log")
        lines.append(f"    S{n} --> S0 : step_{n} [else]")
        size += len(lines[-1]) + len(lines[-2]) + 2
        n += 1
    path = tmp_path / "big.mmd"
    path.write_text("\n".join(lines), encoding="utf-8")
    started = time.process_time()  # CPU time: a loaded machine adds none
    machine = fsm.load(path)
    elapsed = time.process_time() - started
    assert len(machine.transitions) == 2 * n
    # Not a benchmark: a guard against accidental quadratic behaviour.
    assert elapsed < 60, f"loading 10 MB took {elapsed:.1f}s"


# -- properties --

FRAGMENTS = st.sampled_from(
    [
        "stateDiagram-v2",
        "stateDiagram",
        "[*] --> A",
        "[*]",
        "-->",
        "A --> B : go",
        "A --> B : go(x) [ok] / a",
        "state S {",
        "state S",
        "}",
        "{",
        "%% types: go(x: int)",
        "%% types: go(",
        "---",
        "title: T",
        "note right of A",
        "end note",
        "--",
        "<<choice>>",
        ":",
        "[else]",
        "[branch]",
        "direction LR",
        "A",
        "B --> [*]",
        '"',
        'state "x" as Y',
        "\t",
        "(",
    ]
)


def parse_or_error(text: str) -> fsm.Machine | DefinitionError:
    try:
        return fsm.parse(text)
    except DefinitionError as exc:
        return exc


@given(st.lists(FRAGMENTS, max_size=12).map("\n".join))
def test_token_soup_gives_a_machine_or_a_definition_error(text: str) -> None:
    result = parse_or_error(text)
    if isinstance(result, DefinitionError):
        assert result.problems
        assert all(p.line is None or p.line >= 1 for p in result.problems)
    else:
        assert fsm.parse(fsm.dumps(result)) == result


@given(st.text())
def test_arbitrary_text_gives_a_machine_or_a_definition_error(text: str) -> None:
    result = parse_or_error(text)
    assert isinstance(result, (fsm.Machine, DefinitionError))


# Pieces of statements: names, markers and punctuation of the DSL, and some
# characters it never uses, joined by nothing or by whitespace.
STATEMENT_TOKENS = st.sampled_from(
    [
        "A",
        "B",
        "Idle",
        "go",
        "x",
        "_",
        "9",
        "[*]",
        "-->",
        "->",
        "--",
        ":",
        ":::",
        "(",
        ")",
        "[",
        "]",
        "/",
        ",",
        "state",
        "as",
        '"d"',
        "{",
        "}",
        "%%",
        "types:",
        "note",
        "left of",
        "end note",
        "direction LR",
        "<<choice>>",
        "[else]",
        "[branch]",
        "\u00e9",
        "\u2028",
        "\x00",
        ";",
    ]
)
SEPARATORS = st.sampled_from(["", " ", "  ", "\t", " " * 40])


@st.composite
def statement_like_texts(draw: st.DrawFn) -> str:
    """A header, then lines made of DSL tokens: near-valid, so the parser goes deep."""
    lines = ["stateDiagram-v2"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 10))):
        tokens = draw(st.lists(STATEMENT_TOKENS, max_size=8))
        separator = draw(SEPARATORS)
        lines.append(draw(SEPARATORS) + separator.join(tokens))
    return "\n".join(lines)


@given(statement_like_texts())
def test_statement_like_text_gives_a_machine_or_a_definition_error(text: str) -> None:
    result = parse_or_error(text)
    if isinstance(result, DefinitionError):
        assert result.problems
        assert all(
            p.line is None or 1 <= p.line <= max(len(text.splitlines()), 1) for p in result.problems
        )
        assert str(result)
    else:
        assert fsm.parse(fsm.dumps(result)) == result


@given(st.text())
def test_arbitrary_text_after_a_header_gives_a_machine_or_a_definition_error(text: str) -> None:
    result = parse_or_error("stateDiagram-v2\n[*] --> A\n" + text)
    if isinstance(result, fsm.Machine):
        assert fsm.parse(fsm.dumps(result)) == result
    else:
        assert str(result)


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_dumps_writes_a_direction_after_the_header_that_parse_reads_past(direction: str) -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> [*]")
    text = fsm.dumps(m, direction=direction)  # type: ignore[arg-type]
    lines = text.splitlines()
    assert lines[3:5] == ["stateDiagram-v2", f"    direction {direction}"]
    assert text.replace(f"    direction {direction}\n", "") == fsm.dumps(m)
    assert fsm.parse(text) == m


@pytest.mark.parametrize("direction", ["lr", "BT", "", 1])
def test_dumps_refuses_another_direction(direction: object) -> None:
    m = fsm.parse("stateDiagram-v2\n[*] --> A")
    with pytest.raises(ValueError, match=r"^direction must be 'LR' or 'TB', not "):
        fsm.dumps(m, direction=direction)  # type: ignore[arg-type]


@pytest.mark.parametrize("mark", ["\x0c", "\x85", "\u2028"], ids=["FF", "NEL", "LS"])
def test_a_line_break_mermaid_does_not_break_at_is_refused(mark: str) -> None:
    # Mermaid reads 'A --> B: go<mark>B --> C: evil' as one line.
    with pytest.raises(DefinitionError) as info:
        fsm.parse("stateDiagram-v2\n  [*] --> A\n  A --> B: go" + mark + "B --> C: evil\n")
    error = info.value
    assert ((error.line, error.column), error.messages[0]) == (
        (3, 14),
        f"character U+{ord(mark):04X} is not a line break in Mermaid (only \\n and \\r are): "
        f"Mermaid reads what follows it as part of this line; remove it",
    )


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_mermaid_line_breaks_are_read_in_a_machine(newline: str) -> None:
    text = newline.join(["stateDiagram-v2", "  [*] --> A", "  A --> B: go", ""])
    assert [t.event for t in fsm.parse(text).transitions] == ["go"]
