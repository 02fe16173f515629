"""Projection: each role's machine, against local types written out by hand."""

from __future__ import annotations

import pytest

import analysis
import fsm

#: Every conversation text these tests write, for the Mermaid check.
WRITTEN: list[str] = []


MERGED_RECEIVES = """\
sequenceDiagram
    alt
        A->>B: left
        B->>C: note
        B->>C: go
    else
        A->>B: right
        B->>C: note
        B->>C: stop
    end
    C->>A: done
"""

SAME_IN_EVERY_BRANCH = """\
sequenceDiagram
    alt
        A->>B: left
        C->>B: report
    else
        A->>B: right
        C->>B: report
    end
"""

OUTSIDE_THE_LOOP = """\
sequenceDiagram
    A->>C: start
    loop
        A->>B: ping
        B->>A: pong
    end
    A->>C: done
"""


WRITTEN += [MERGED_RECEIVES, SAME_IN_EVERY_BRANCH, OUTSIDE_THE_LOOP]


def conversation(text: str) -> fsm.Conversation:
    WRITTEN.append(text)
    return fsm.parse_conversation(text)


TWO_BUYERS = conversation("""\
sequenceDiagram
    %% types: title(name: str), quote(price: int), share(amount: int)
    B1->>S: title(name)
    S->>B1: quote(price)
    S->>B2: quote(price)
    B1->>B2: share(amount)
    alt
        B2->>S: ok
        B2->>S: address
        S->>B2: date
    else
        B2->>S: quit
    end
""")

REQUESTS = conversation("""\
sequenceDiagram
    loop
        C->>S: request(query)
        alt
            S->>C: ok(data)
        else
            S->>C: error(reason)
        end
    end
    C->>S: bye
""")


def local(text: str) -> fsm.Machine:
    """A local type written by hand: one transition a line, ``A --> B : event``."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return fsm.parse("stateDiagram-v2\n" + "\n".join(lines))


def assert_projects(conversation: fsm.Conversation, role: str, expected: str) -> None:
    projected = analysis.project(conversation, role)
    answer = analysis.equivalent(projected, local(expected))
    assert answer, f"{role}: {answer.reason}\n{fsm.dumps(projected)}"


def test_two_buyers_projects_to_the_textbook_local_types() -> None:
    assert_projects(
        TWO_BUYERS,
        "B1",
        """
        [*] --> a
        a --> b : B1_title_S
        b --> c : S_quote_B1
        c --> d : B1_share_B2
        d --> [*]
        """,
    )
    assert_projects(
        TWO_BUYERS,
        "S",
        """
        [*] --> a
        a --> b : B1_title_S
        b --> c : S_quote_B1
        c --> d : S_quote_B2
        d --> e : B2_ok_S
        e --> f : B2_address_S
        f --> g : S_date_B2
        d --> g : B2_quit_S
        g --> [*]
        """,
    )
    assert_projects(
        TWO_BUYERS,
        "B2",
        """
        [*] --> a
        a --> b : S_quote_B2
        b --> c : B1_share_B2
        c --> d : B2_ok_S
        d --> e : B2_address_S
        e --> f : S_date_B2
        c --> f : B2_quit_S
        f --> [*]
        """,
    )


def test_request_response_with_a_choice_in_a_loop_projects_to_cycles() -> None:
    expected = """
        [*] --> idle
        idle --> asked : C_request_S
        asked --> idle : S_ok_C
        asked --> idle : S_error_C
        idle --> done : C_bye_S
        done --> [*]
        """
    assert_projects(REQUESTS, "C", expected)
    assert_projects(REQUESTS, "S", expected)


def test_projection_names_states_by_role_and_keeps_payloads() -> None:
    client = analysis.project(REQUESTS, "C")
    assert client.name == "Conversation.C"
    assert client.states == ("C0", "C1", "C2")
    assert client.initial == "C0"
    assert [(t.source, t.event, t.target, t.params) for t in client.transitions] == [
        ("C0", "C_request_S", "C1", (("query", None),)),
        ("C0", "C_bye_S", "C2", ()),
        ("C1", "S_ok_C", "C0", (("data", None),)),
        ("C1", "S_error_C", "C0", (("reason", None),)),
    ]
    assert client.final == {"C2"}


def test_a_third_role_told_by_a_message_gets_a_merged_receive_choice() -> None:
    c = fsm.parse_conversation(MERGED_RECEIVES)
    assert_projects(
        c,
        "C",
        """
        [*] --> a
        a --> b : B_note_C
        b --> c : B_go_C
        b --> c : B_stop_C
        c --> d : C_done_A
        d --> [*]
        """,
    )
    assert_projects(
        c,
        "A",
        """
        [*] --> a
        a --> b : A_left_B
        a --> b : A_right_B
        b --> c : C_done_A
        c --> [*]
        """,
    )


def test_a_role_that_does_the_same_in_every_branch_gets_it_once() -> None:
    c = fsm.parse_conversation(SAME_IN_EVERY_BRANCH)
    assert_projects(c, "C", "[*] --> a\na --> b : C_report_B\nb --> [*]")


def test_a_role_outside_a_loop_body_skips_the_loop() -> None:
    c = fsm.parse_conversation(OUTSIDE_THE_LOOP)
    assert_projects(c, "C", "[*] --> a\na --> b : A_start_C\nb --> c : A_done_C\nc --> [*]")
    # B learns nothing of the loop's end, and needs not: it may stop there.
    assert_projects(c, "B", "[*] --> a\na --> b : A_ping_B\nb --> a : B_pong_A\na --> [*]")


def test_a_role_in_no_message_has_one_final_state() -> None:
    c = fsm.Conversation("C", ("A", "B", "Idle"), (fsm.Message("A", "B", "x"),))
    idle = analysis.project(c, "Idle")
    assert (idle.states, idle.final, idle.transitions) == (("Idle0",), {"Idle0"}, ())


def test_projections_of_the_textbook_cases_compose_without_deadlock() -> None:
    for conversation in (TWO_BUYERS, REQUESTS):
        machines = analysis.projections(conversation)
        assert list(machines) == list(conversation.roles)
        assert analysis.deadlocks(*machines.values()).ok


def test_project_refuses_an_unknown_role_and_a_non_conversation() -> None:
    with pytest.raises(
        ValueError, match=r"^'X' is not a role of conversation 'Conversation'; its roles are C, S$"
    ):
        analysis.project(REQUESTS, "X")
    with pytest.raises(TypeError, match=r"^expected an fsm.Conversation, got Machine$"):
        analysis.project(analysis.project(REQUESTS, "C"), "C")  # type: ignore[arg-type]


def test_the_global_machine_runs_the_messages_in_written_order() -> None:
    g = analysis.conversation_machine(REQUESTS)
    assert analysis.equivalent(
        g,
        local("""
        [*] --> idle
        idle --> asked : C_request_S
        asked --> idle : S_ok_C
        asked --> idle : S_error_C
        idle --> done : C_bye_S
        done --> [*]
        """),
    )


def test_the_subset_construction_is_bounded() -> None:
    with pytest.raises(ValueError) as info:
        analysis.project(REQUESTS, "C", max_states=2)
    assert str(info.value) == (
        f"the machine of '{REQUESTS.name}.C' has more than 2 states; pass a larger "
        "max_states= if the conversation is meant to be this large, or give the ways of its "
        "choices and loops first messages of their own (branches a role cannot tell apart "
        "make the subset construction grow exponentially)"
    )
