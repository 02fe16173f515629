"""Conversations: the model, the sequenceDiagram reader and writer, and the JSON form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from fsm import Choice, Conversation, DefinitionError, Loop, Message

from .conversation_support import conversations
from .mermaid_parser import assert_mermaid_accepts, mermaid_errors
from .test_limits import MAX_GROWTH, growth

TWO_BUYERS = """\
---
title: Two buyers
---
sequenceDiagram
    %% types: title(name: str), quote(price: int), share(amount: int)
    participant B1 as Buyer one
    actor S as Seller
    participant B2 as Buyer two
    B1->>S: title(name)
    S->>B1: quote(price)
    S->>B2: quote(price)
    B1->>B2: share(amount)
    alt enough money
        B2->>S: ok
        S-->>B2: date
    else
        B2->>S: quit
    end
"""

#: Every feature of the subset, for the Mermaid check and the round trip.
EVERYTHING = """\
sequenceDiagram
    autonumber
    participant C as Client
    participant S
    %% types: ask(question: str)
    Note over C,S: a note is ignored
    C->>+S: ask(question)
    activate S
    loop retries
        S->>C: busy
        C->>S: ask
    end
    deactivate S
    opt
        S->>C: hint
    end
    S-->>-C: answer
"""


def refused(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        fsm.parse_conversation(text)
    return info.value


def test_two_buyers_is_read_into_the_model() -> None:
    c = fsm.parse_conversation(TWO_BUYERS)
    assert c.name == "Two buyers"
    assert c.roles == ("B1", "S", "B2")
    assert c.aliases == {"B1": "Buyer one", "S": "Seller", "B2": "Buyer two"}
    assert c.actors == {"S"}
    assert c.body[:2] == (
        Message("B1", "S", "title", (("name", "str"),)),
        Message("S", "B1", "quote", (("price", "int"),)),
    )
    assert c.body[4] == Choice(
        "B2",
        ((Message("B2", "S", "ok"), Message("S", "B2", "date")), (Message("B2", "S", "quit"),)),
        ("enough money", ""),
    )


def test_the_event_of_a_message_is_sender_label_receiver() -> None:
    c = fsm.parse_conversation(TWO_BUYERS)
    assert list(c.events())[:3] == ["B1_title_S", "S_quote_B1", "S_quote_B2"]


def test_opt_is_a_choice_with_an_empty_branch_and_loop_is_read() -> None:
    c = fsm.parse_conversation(EVERYTHING)
    assert c.body[1] == Loop(
        (Message("S", "C", "busy"), Message("C", "S", "ask", (("question", "str"),))), "retries"
    )
    assert c.body[2] == Choice("S", ((Message("S", "C", "hint"),), ()))
    assert c.body[3] == Message("S", "C", "answer")


def test_the_texts_of_the_tests_are_accepted_by_mermaid_10_and_11(mermaid: None) -> None:
    c = fsm.parse_conversation(TWO_BUYERS)
    e = fsm.parse_conversation(EVERYTHING)
    assert_mermaid_accepts(
        [TWO_BUYERS, EVERYTHING, fsm.dumps_conversation(c), fsm.dumps_conversation(e)]
    )


def test_the_writer_gives_back_the_diagram() -> None:
    c = fsm.parse_conversation(TWO_BUYERS)
    assert fsm.dumps_conversation(c) == (
        "---\ntitle: Two buyers\n---\nsequenceDiagram\n"
        "    %% types: title(name: str)\n"
        "    %% types: quote(price: int)\n"
        "    %% types: share(amount: int)\n"
        "    participant B1 as Buyer one\n"
        "    actor S as Seller\n"
        "    participant B2 as Buyer two\n"
        "    B1->>S: title(name)\n"
        "    S->>B1: quote(price)\n"
        "    S->>B2: quote(price)\n"
        "    B1->>B2: share(amount)\n"
        "    alt enough money\n"
        "        B2->>S: ok\n"
        "        S->>B2: date\n"
        "    else\n"
        "        B2->>S: quit\n"
        "    end\n"
    )


@settings(max_examples=40)
@given(conversations())
def test_text_and_json_round_trip(c: Conversation) -> None:
    assert fsm.parse_conversation(fsm.dumps_conversation(c)) == c
    assert Conversation.from_dict(json.loads(json.dumps(c.to_dict()))) == c


@settings(max_examples=25)
@given(conversations())
def test_mermaid_accepts_every_written_conversation(c: Conversation) -> None:
    # Skipped, like the fixture, when Node is missing outside CI.
    from .mermaid_parser import require_mermaid

    require_mermaid()
    [result] = mermaid_errors([fsm.dumps_conversation(c)])
    assert result == {"mermaid10": None, "mermaid11": None}


# -- what is not modelled: refused with line and column -------------------------------


@pytest.mark.parametrize(
    ("statement", "column", "message"),
    [
        (
            "A->B: x",
            4,
            "arrow '->' is not read in a conversation; write '->>' for a message (or '-->>' "
            "for a reply)",
        ),
        (
            "A-)B: x",
            4,
            "arrow '-)' is not read in a conversation; write '->>' for a message (or '-->>' "
            "for a reply)",
        ),
        (
            "A--xB: x",
            4,
            "arrow '--x' is not read in a conversation; write '->>' for a message (or '-->>' "
            "for a reply)",
        ),
        ("A->>A: x", 3, "'A' sends 'x' to itself; a message goes to another role"),
        ("A->>B: x(y z)", 10, "payload name 'y z' is not an identifier"),
        (
            "A->>B: hello there",
            10,
            "cannot read the message 'hello there'; write 'label' or 'label(name, ...)' with "
            "identifiers",
        ),
        (
            "A->>B: x; B->>A: y",
            11,
            "';' separates statements in Mermaid; write one statement a line",
        ),
        (
            "Loop->>B: x",
            3,
            "role 'Loop' is a Mermaid sequenceDiagram keyword (any casing); rename it",
        ),
        ("create participant A", 3, "'create' is not modelled in a conversation; remove it"),
        (
            "link A: Docs @ https://example.com",
            3,
            "'link' is not modelled in a conversation; remove it",
        ),
        (
            "A",
            3,
            "cannot read 'A': expected 'participant', 'actor', a message 'A->>B: "
            "label(payload)', 'alt', 'else', 'opt', 'loop' or 'end'",
        ),
    ],
)
def test_a_statement_not_modelled_is_refused_where_it_stands(
    statement: str, column: int, message: str
) -> None:
    error = refused(f"sequenceDiagram\n  {statement}\n")
    assert (error.line, error.column, error.messages) == (2, column, (message,))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "par",
            "'par' is not modelled in a conversation; a conversation here is one sequence; "
            "write the messages in one order",
        ),
        (
            "critical",
            "'critical' is not modelled in a conversation; write the outcomes as an 'alt' block",
        ),
        ("break", "'break' is not modelled in a conversation; write the way out as an 'alt' block"),
        ("rect", "'rect' is not modelled in a conversation; remove it"),
    ],
)
def test_a_block_not_modelled_is_refused_once(block: str, message: str) -> None:
    text = f"sequenceDiagram\n  A->>B: x\n  {block} why\n    A->>B: y\n  end\n"
    error = refused(text)
    assert (error.line, error.column, error.messages) == (3, 3, (message,))


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "sequenceDiagram\n  alt\n  A->>B: x\n",
            (2, 3),
            "this alt block is never closed; add 'end'",
        ),
        ("sequenceDiagram\n  A->>B: x\n  end\n", (3, 3), "'end' closes no block; remove it"),
        (
            "sequenceDiagram\n  loop\n  alt\n  end\n  end\n",
            (3, 3),
            "this alt block holds no message; a choice needs a message to tell the branches apart",
        ),
        (
            "sequenceDiagram\n  loop\n  end\n",
            (2, 3),
            "this loop holds no message; a loop must hold at least one message",
        ),
        (
            "sequenceDiagram\n  loop\n  A->>B: x\n  else\n  end\n",
            (4, 3),
            "'else' in a loop block; 'else' belongs in an 'alt' block",
        ),
        (
            "stateDiagram-v2\n  A --> B\n",
            (1, 1),
            "expected the header 'sequenceDiagram' before any statement; a conversation is a "
            "Mermaid sequence diagram",
        ),
        (
            "sequenceDiagram\n  A->>B: x(a)\n  A->>C: x(b)\n",
            (3, 10),
            "payload (b) of 'x' differs from its payload on line 2 (a); give every message "
            "of one label the same payload",
        ),
        (
            "sequenceDiagram\n  %% types: x(a: int)\n  A->>B: x(b)\n",
            (3, 10),
            "payload (b) of 'x' does not match its types directive on line 2 (a); use the "
            "same names in order",
        ),
        (
            "sequenceDiagram\n  %% types: x(a: int)\n  A->>B: y\n",
            (2, 1),
            "the types directive names 'x', which no message uses",
        ),
        (
            "sequenceDiagram\n  %% types: x(a: eval())\n  A->>B: x\n",
            (2, 22),
            "calls and parentheses are not allowed in a type",
        ),
        (
            "sequenceDiagram\n  participant A as Al;ice\n",
            (2, 22),
            "';' separates statements in Mermaid; write one statement a line",
        ),
    ],
)
def test_structural_problems_name_their_line(
    text: str, where: tuple[int, int], message: str
) -> None:
    error = refused(text)
    assert ((error.line, error.column), error.messages[0]) == (where, message)


def test_a_refused_text_is_refused_by_mermaid_too_or_is_not_modelled(mermaid: None) -> None:
    # What we read as Mermaid is Mermaid: the arrows we refuse are valid
    # Mermaid (so the refusal is ours, with a reason), the statement we cannot
    # read is not.
    results = mermaid_errors(["sequenceDiagram\n  A-)B: x\n", "sequenceDiagram\n  A->>B\n"])
    assert results[0] == {"mermaid10": None, "mermaid11": None}
    assert all(results[1].values())


def test_notes_activations_and_titles_are_ignored() -> None:
    c = fsm.parse_conversation(
        "sequenceDiagram\n  title Ping\n  autonumber\n  Note right of A: hi\n"
        "  A->>+B: ping\n  activate B\n  B-->>-A: pong\n  deactivate B\n"
    )
    assert c.body == (Message("A", "B", "ping"), Message("B", "A", "pong"))


def test_load_reads_mmd_md_and_json(tmp_path: Path) -> None:
    c = fsm.parse_conversation(TWO_BUYERS)
    (tmp_path / "c.mmd").write_text(TWO_BUYERS)
    (tmp_path / "c.md").write_text("# Doc\n\n```mermaid\n" + TWO_BUYERS + "```\n")
    (tmp_path / "c.json").write_text(json.dumps(c.to_dict()))
    for name in ("c.mmd", "c.md", "c.json"):
        assert fsm.load_conversation(tmp_path / name) == c


def test_load_of_markdown_reports_lines_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "c.md").write_text("# Doc\n\n```mermaid\nsequenceDiagram\n  A->B: x\n```\n")
    with pytest.raises(DefinitionError) as info:
        fsm.load_conversation(tmp_path / "c.md")
    assert (info.value.line, info.value.column) == (5, 4)


# -- the model ---------------------------------------------------------------------------


def test_the_model_reports_every_problem() -> None:
    with pytest.raises(DefinitionError) as info:
        Conversation(
            "Bad",
            ("A", "B", "end"),
            (
                Message("A", "C", "x"),
                Message("A", "A", "y"),
                Loop(()),
                Choice("Z", [[Message("A", "B", "not a name")]]),
            ),
        )
    assert info.value.messages == (
        "role 'end' is a Mermaid sequenceDiagram keyword (any casing); rename it (for "
        "example 'EndRole')",
        "message 'x': receiver 'C' is not a role of the conversation; add it to the roles",
        "message 'y': 'A' sends it to itself; a message goes to another role",
        "a loop must hold at least one message; remove the empty loop",
        "choice at 'Z': the deciding role is not a role of the conversation; add it to the roles",
        "message 'not a name': the label is not a name; a label is an identifier",
    )


def test_two_messages_with_one_event_are_refused() -> None:
    with pytest.raises(
        DefinitionError, match=r"would share the event 'A_b_c_D'; rename a role or a label"
    ):
        Conversation(
            "C", ("A", "A_b", "c_D", "D"), (Message("A", "c_D", "b"), Message("A_b", "D", "c"))
        )


def test_nesting_deeper_than_the_limit_is_refused_by_model_and_reader() -> None:
    body: tuple[Message | Choice | Loop, ...] = (Message("A", "B", "x"),)
    for _ in range(fsm.MAX_DEPTH):
        body = (Loop(body),)
    with pytest.raises(DefinitionError, match="nest more than 100 deep"):
        Conversation("Deep", ("A", "B"), body)
    text = "sequenceDiagram\n" + "loop\n" * (fsm.MAX_DEPTH + 1) + "A->>B: x\n" + "end\n" * 101
    error = refused(text)
    assert (error.line, error.messages[0][:40]) == (102, "alt, opt and loop blocks nest more than ")


def test_a_conversation_at_the_depth_limit_round_trips_as_text() -> None:
    body: tuple[Message | Choice | Loop, ...] = (Message("A", "B", "x"),)
    for _ in range(fsm.MAX_DEPTH - 1):
        body = (Loop(body),)
    c = Conversation("Deep", ("A", "B"), body)
    assert fsm.parse_conversation(fsm.dumps_conversation(c)) == c


def test_json_keeps_its_own_nesting_limit_of_100_arrays_and_objects() -> None:
    # A loop is three levels of JSON ({"loop": {"body": [...]}}): 32 loops fit.
    def deep(levels: int) -> Conversation:
        body: tuple[Message | Choice | Loop, ...] = (Message("A", "B", "x"),)
        for _ in range(levels):
            body = (Loop(body),)
        return Conversation("Deep", ("A", "B"), body)

    c = deep(32)
    assert Conversation.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    with pytest.raises(DefinitionError, match="nested more than 100 deep"):
        Conversation.from_dict(deep(33).to_dict())


# -- JSON, strict ------------------------------------------------------------------------


def test_from_dict_refuses_unknown_keys_and_wrong_types_with_paths() -> None:
    doc = fsm.parse_conversation(TWO_BUYERS).to_dict()
    doc["colour"] = "red"
    doc["body"][0]["message"]["to"] = 3
    doc["body"][4]["choice"]["branches"][0][0] = {"message": {"from": "B2"}}
    with pytest.raises(DefinitionError) as info:
        Conversation.from_dict(doc)
    assert [(p.path, p.message) for p in info.value.problems] == [
        (
            "$.colour",
            "unknown key 'colour'; the keys allowed here are: kind, version, name, roles, "
            "aliases, actors, body",
        ),
        ("$.body[0].message.to", "expected a string, got a number (3)"),
        ("$.body[4].choice.branches[0][0].message.to", "missing required key 'to'"),
        ("$.body[4].choice.branches[0][0].message.label", "missing required key 'label'"),
    ]


def test_from_dict_refuses_a_newer_version_and_another_kind() -> None:
    doc = fsm.parse_conversation(TWO_BUYERS).to_dict()
    doc["version"] = 2
    doc["kind"] = "typestate.machine"
    with pytest.raises(DefinitionError) as info:
        Conversation.from_dict(doc)
    assert info.value.messages == (
        "expected 'typestate.conversation', got 'typestate.machine'",
        "schema version 2 is not supported; this release reads version 1 (upgrade typestate "
        "to read newer files)",
    )


def test_from_dict_refuses_deep_documents_without_recursing() -> None:
    doc: object = []
    for _ in range(10_000):
        doc = [doc]
    with pytest.raises(DefinitionError, match="nested more than 100 deep"):
        Conversation.from_dict(
            {"kind": "typestate.conversation", "version": 1, "name": "x", "roles": [], "body": doc}
        )


# -- untrusted text: linear time ---------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "sequenceDiagram\n" + "A->>B: x\n" * n,
        lambda n: "sequenceDiagram\n" + "alt\nA->>B: x\nelse\nA->>B: y\nend\n" * (n // 4),
        lambda n: "sequenceDiagram\nparticipant A as a" + " " * (40 * n) + "b\n",
        lambda n: "sequenceDiagram\nalt a" + " " * (40 * n) + "b\nA->>B: x\nend\n",
        lambda n: "sequenceDiagram\nA->>B" + " " * (40 * n) + "C\n",
        lambda n: "sequenceDiagram\n" + "A" * (40 * n) + "\n",
        lambda n: "sequenceDiagram\nA->>" + " " * (40 * n) + "B" + " " * (40 * n) + "x\n",
        lambda n: "sequenceDiagram\nA->>B: x" + " " * (40 * n) + "y\n",
        lambda n: "sequenceDiagram\n" + "A->B: x\n" * n,
        lambda n: (
            "sequenceDiagram\n" + "loop\n" * 99 + "A->>B: x\n" + "end\n" * 99 + "A->>B: y\n" * n
        ),
    ],
    ids=[
        "messages",
        "choices",
        "alias-spaces",
        "alt-spaces",
        "arrow-spaces",
        "long-word",
        "receiver-spaces",
        "label-spaces",
        "bad-arrows",
        "deep-then-long",
    ],
)
def test_reading_is_linear(make: object) -> None:
    build = make  # type: ignore[assignment]
    ratio = growth(lambda n: lambda: fsm.parse_conversation(build(n)), 2_000)  # type: ignore[operator]
    assert ratio < MAX_GROWTH, f"4x the input took {ratio:.1f}x the time"


def test_no_traceback_escapes_on_binary_garbage() -> None:
    text = "sequenceDiagram\n" + "".join(chr(c) for c in range(1, 0x250)) + "\n"
    error = refused(text)
    assert error.line == 2


# -- line breaks: Mermaid's, not Python's ------------------------------------------------

_ODD_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("mark", _ODD_BREAKS, ids=[f"U+{ord(c):04X}" for c in _ODD_BREAKS])
def test_a_line_break_mermaid_does_not_break_at_is_refused(mark: str) -> None:
    # Mermaid reads 'x<mark>B->>A: y' as one message's text: we must not read two.
    error = refused("sequenceDiagram\n  A->>B: x" + mark + "B->>A: y\n")
    assert ((error.line, error.column), error.messages[0]) == (
        (2, 11),
        f"character U+{ord(mark):04X} is not a line break in Mermaid (only \\n and \\r are): "
        f"Mermaid reads what follows it as part of this line; remove it",
    )


def test_mermaid_draws_one_message_where_python_would_split_two(mermaid: None) -> None:
    # Mermaid accepts these texts, so they are one line each to it.
    texts = ["sequenceDiagram\n  A->>B: x" + mark + "B->>A: y\n" for mark in _ODD_BREAKS]
    assert all(r == {"mermaid10": None, "mermaid11": None} for r in mermaid_errors(texts))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_mermaid_line_breaks_are_read(newline: str) -> None:
    text = newline.join(["sequenceDiagram", "  A->>B: x", "  B->>A: y", ""])
    assert fsm.parse_conversation(text).body == (Message("A", "B", "x"), Message("B", "A", "y"))


# Words of Mermaid's sequenceDiagram grammar (and a few that are not keywords).
_WORDS = [
    "par_over",
    "Par_Over",
    "sequenceDiagram",
    "accTitle",
    "accDescr",
    "classDef",
    "style",
    "click",
    "start",
    "stop",
    "on",
]


def test_every_word_mermaid_refuses_as_a_participant_is_a_keyword(mermaid: None) -> None:
    from fsm._conversation import SEQUENCE_KEYWORDS

    words = sorted(set(_WORDS) | SEQUENCE_KEYWORDS)
    texts = [f"sequenceDiagram\n  participant {w}\n  {w}->>B: x\n" for w in words]
    refused_by_mermaid = {
        w for w, r in zip(words, mermaid_errors(texts), strict=True) if any(r.values())
    }
    missing = {w for w in refused_by_mermaid if w.lower() not in SEQUENCE_KEYWORDS}
    assert missing == set()


def test_a_role_named_par_over_is_refused() -> None:
    error = refused("sequenceDiagram\n  Par_Over->>B: x\n")
    assert error.messages[0] == (
        "role 'Par_Over' is a Mermaid sequenceDiagram keyword (any casing); rename it"
    )
    with pytest.raises(DefinitionError, match="'par_over' is a Mermaid sequenceDiagram keyword"):
        Conversation("x", ("par_over", "B"), (Message("par_over", "B", "x"),))


# -- the model round-trips, for every conversation it accepts ------------------------------


@st.composite
def _loose_bodies(
    draw: st.DrawFn, roles: tuple[str, ...], depth: int
) -> tuple[Message | Choice | Loop, ...]:
    # Any shape, any deciding role, empty branches and blank descriptions:
    # what the model accepts must come back from its text and its JSON.
    items: list[Message | Choice | Loop] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["message", "choice", "loop"]))
        if depth == 0 or kind == "message":
            sender, receiver = draw(st.permutations(roles))[:2]
            items.append(Message(sender, receiver, draw(st.sampled_from(["x", "y"]))))
        elif kind == "loop":
            items.append(Loop(draw(_loose_bodies(roles, depth - 1))))
        else:
            count = draw(st.integers(1, 3))
            branches = [draw(_loose_bodies(roles, depth - 1)) for _ in range(count)]
            texts = draw(st.sampled_from([(), ("",) * count, ("ok",) + ("",) * (count - 1)]))
            items.append(Choice(draw(st.sampled_from(roles)), branches, texts))
    return tuple(items)


@settings(max_examples=150)
@given(st.data())
def test_every_conversation_the_model_accepts_round_trips(data: st.DataObject) -> None:
    roles = ("A", "B", "C")
    body = data.draw(_loose_bodies(roles, 2))
    try:
        c = Conversation("x", roles, body)
    except DefinitionError:
        return
    assert fsm.parse_conversation(fsm.dumps_conversation(c)) == c
    assert Conversation.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_a_choice_at_a_role_that_does_not_send_its_first_message_is_refused() -> None:
    with pytest.raises(DefinitionError) as info:
        Conversation("x", ("A", "B", "C"), (Choice("C", [[Message("A", "B", "x")]]),))
    assert info.value.messages == (
        "choice at 'C': the first message of the choice is sent by 'A', and the role that "
        "sends it decides; write Choice('A', ...)",
    )


def test_a_choice_without_a_message_is_refused() -> None:
    with pytest.raises(DefinitionError) as info:
        Conversation("x", ("A", "B"), (Message("A", "B", "x"), Choice("A", [[], []])))
    assert info.value.messages == (
        "a choice must hold a message in at least one branch; remove the empty choice",
    )


def test_blank_descriptions_are_no_descriptions() -> None:
    assert Choice("A", [[Message("A", "B", "x")], []], ["", ""]).descriptions == ()


# -- lines Mermaid refuses are refused, not ignored ------------------------------------------

_NOT_MERMAID = [
    ("Note over A,B,C: hi", (3, 3), "cannot read 'Note over A,B,C: hi'"),
    ("note left of A,B: hi", (3, 3), "cannot read 'note left of A,B: hi'"),
    ("Note over A,: hi", (3, 3), "cannot read 'Note over A,: hi'"),
    ("autonumberfoo", (3, 3), "cannot read 'autonumberfoo'"),
    ("autonumber 10 5 3", (3, 3), "cannot read 'autonumber 10 5 3'"),
    (
        "deactivate A",
        (3, 3),
        "'A' is deactivated but is not active; remove the deactivation (Mermaid refuses it)",
    ),
    (
        "A->>-B: y",
        (3, 3),
        "'A' is deactivated but is not active; remove the deactivation (Mermaid refuses it)",
    ),
]


@pytest.mark.parametrize(("line", "where", "start"), _NOT_MERMAID)
def test_a_line_mermaid_refuses_is_refused(line: str, where: tuple[int, int], start: str) -> None:
    error = refused("sequenceDiagram\n  A->>B: x\n  " + line + "\n")
    assert (error.line, error.column) == where
    assert error.messages[0].startswith(start)


def test_the_lines_refused_as_not_mermaid_are_refused_by_mermaid(mermaid: None) -> None:
    texts = [f"sequenceDiagram\n  A->>B: x\n  {line}\n" for line, _, _ in _NOT_MERMAID]
    assert all(all(r.values()) for r in mermaid_errors(texts))


def test_activations_that_mermaid_draws_are_read() -> None:
    text = (
        "sequenceDiagram\n  autonumber 10 5\n  Note over A , B: hi\n  note right of A: hi\n"
        "  activate A\n  A->>+B: x\n  B->>-A: y\n  deactivate A\n  autonumber off\n"
    )
    assert fsm.parse_conversation(text).body == (Message("A", "B", "x"), Message("B", "A", "y"))
