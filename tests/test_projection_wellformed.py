"""Well-formedness of conversations: what is refused, why, and a witness that replays."""

from __future__ import annotations

import pytest

import analysis
import fsm

from .mermaid_parser import assert_mermaid_accepts
from .test_limits import MAX_GROWTH, growth
from .test_projection import REQUESTS, TWO_BUYERS

UNMERGEABLE = """\
sequenceDiagram
    A->>B: start
    alt
        A->>B: left
        B->>C: info
        C->>A: yes
    else
        A->>B: right
        B->>C: info
        C->>A: no
    end
"""

NOT_ONE_ROLE = """\
sequenceDiagram
    alt
        A->>B: left
    else
        B->>A: right
    end
"""

SAME_FIRST_LABEL = """\
sequenceDiagram
    alt
        A->>B: go
        B->>C: x
    else
        A->>B: go
        B->>C: y
    end
"""

LOOP_LEFT_BY_ANOTHER = """\
sequenceDiagram
    loop
        A->>B: ping
    end
    B->>A: bye
"""

UNINFORMED = """\
sequenceDiagram
    alt
        A->>B: left
        C->>B: yes
    else
        A->>B: right
        C->>B: no
    end
"""

UNINFORMED_AT_THE_END = """\
sequenceDiagram
    opt
        A->>B: more
        C->>B: extra
    end
"""


TOLD_BY_A_MESSAGE = """\
sequenceDiagram
    alt
        A->>B: left
        B->>C: go
        C->>A: yes
    else
        A->>B: right
        B->>C: stop
        C->>A: no
    end
"""

LOOP_LEFT_BY_ITS_DECIDER = """\
sequenceDiagram
    A->>C: start
    loop
        A->>B: ping
        B->>A: pong
    end
    A->>C: done
"""


def replay(conversation: fsm.Conversation, trace: tuple[str, ...]) -> str:
    """Run ``trace`` on the global machine (raising if it cannot); return the state reached."""
    instance = analysis.conversation_machine(conversation).start()
    for event in trace:
        instance.send(event)
    return instance.state


@pytest.mark.parametrize(
    ("text", "kind", "message", "trace"),
    [
        (
            UNMERGEABLE,
            "indistinguishable-branches",
            "'C' cannot tell branch 1 of choice 1 from branch 2: it sees the same messages "
            "(B_info_C) in both, then must send 'C_yes_A' in one and send 'C_no_A' in the "
            "other; send 'C' a message of a different label in each",
            ("A_start_B", "A_left_B", "B_info_C", "C_yes_A"),
        ),
        (
            NOT_ONE_ROLE,
            "choice-not-by-one-role",
            "choice 1 is not made by one role: 'A' decides it, but branch 2 begins with "
            "'B_right_A', sent by 'B'; begin each way with a message from 'A' that tells "
            "which it is",
            ("B_right_A",),
        ),
        (
            SAME_FIRST_LABEL,
            "choice-not-by-one-role",
            "branch 1 and branch 2 of choice 1 both begin with 'A_go_B', so the first "
            "message of 'A' does not tell which way it went; give each a first message of "
            "its own label",
            ("A_go_B",),
        ),
        (
            LOOP_LEFT_BY_ANOTHER,
            "choice-not-by-one-role",
            "loop 1 is not made by one role: 'A' decides it, but leaving the loop begins "
            "with 'B_bye_A', sent by 'B'; begin each way with a message from 'A' that tells "
            "which it is",
            ("B_bye_A",),
        ),
        (
            UNINFORMED,
            "uninformed-role",
            "'C' must send 'C_yes_B' in branch 1 of choice 1 before anyone tells it which "
            "way 'A' went (in branch 2 it must send 'C_no_B'); have 'A' tell 'C' first",
            ("A_left_B", "C_yes_B"),
        ),
        (
            UNINFORMED_AT_THE_END,
            "uninformed-role",
            "'C' must send 'C_extra_B' in branch 1 of choice 1 before anyone tells it which "
            "way 'A' went (in branch 2 it must end); have 'A' tell 'C' first",
            ("A_more_B", "C_extra_B"),
        ),
    ],
    ids=[
        "unmergeable",
        "not-one-role",
        "same-first-label",
        "loop-left-by-another",
        "uninformed",
        "uninformed-at-end",
    ],
)
def test_an_unrealisable_conversation_is_refused_with_a_witness(
    text: str, kind: str, message: str, trace: tuple[str, ...]
) -> None:
    conversation = fsm.parse_conversation(text)
    report = analysis.check_conversation(conversation)
    assert not report.ok
    assert [(f.kind, f.message, f.trace, f.severity) for f in report] == [
        (kind, message, trace, "error")
    ]
    replay(conversation, trace)  # the witness runs on the global machine


RACE = """\
sequenceDiagram
    loop
        C->>A: x
        A->>B: y
    end
    C->>B: z
"""


def test_receives_from_two_senders_do_not_merge() -> None:
    # C may leave the loop (z) before A has sent y of the round before: B,
    # ready for either, takes z, and A is stuck with y.
    conversation = fsm.parse_conversation(RACE)
    [finding] = analysis.check_conversation(conversation)
    assert (finding.kind, finding.message, finding.trace) == (
        "indistinguishable-branches",
        "'B' cannot tell another round of loop 1 from leaving the loop: it waits for "
        "'A_y_B' from 'A' in one and for 'C_z_B' from 'C' in the other, and two senders "
        "that do not see each other may send in either order; let one role send 'B' the "
        "message that tells the branch",
        ("C_x_A", "A_y_B"),
    )
    replay(conversation, finding.trace)
    stuck = analysis.deadlocks(*analysis.projections(conversation).values())
    assert [f.trace for f in stuck] == [("C_x_A", "C_z_B")]


def test_the_state_of_a_finding_is_where_the_choice_is() -> None:
    conversation = fsm.parse_conversation(UNMERGEABLE)
    [finding] = analysis.check_conversation(conversation)
    assert finding.states == ("G1",)
    assert replay(conversation, ("A_start_B",)) == "G1"


def test_the_role_that_cannot_tell_the_branches_apart_may_answer_wrongly() -> None:
    # C's machine offers both answers after 'info', whichever branch A took:
    # an agent that runs it may send 'no' where A waits for 'yes'.
    conversation = fsm.parse_conversation(UNMERGEABLE)
    c_role = analysis.project(conversation, "C").start()
    for event in ("B_info_C", "C_no_A"):
        c_role.send(event)
    a_role = analysis.project(conversation, "A").start()
    for event in ("A_start_B", "A_left_B"):
        a_role.send(event)
    assert a_role.allowed == ("C_yes_A",)


@pytest.mark.parametrize("conversation", [TWO_BUYERS, REQUESTS], ids=["two-buyers", "requests"])
def test_the_textbook_conversations_are_well_formed(conversation: fsm.Conversation) -> None:
    report = analysis.check_conversation(conversation)
    assert report.ok
    assert report.findings == ()
    assert report.name == "Conversation"


def test_a_third_role_told_by_a_message_is_well_formed() -> None:
    conversation = fsm.parse_conversation(TOLD_BY_A_MESSAGE)
    assert analysis.check_conversation(conversation).ok


def test_a_role_outside_a_loop_and_a_loop_left_by_its_decider_are_well_formed() -> None:
    conversation = fsm.parse_conversation(LOOP_LEFT_BY_ITS_DECIDER)
    assert analysis.check_conversation(conversation).ok


def test_every_problem_of_a_conversation_is_reported_in_writing_order() -> None:
    conversation = fsm.parse_conversation(
        NOT_ONE_ROLE + UNINFORMED.replace("sequenceDiagram\n", "")
    )
    report = analysis.check_conversation(conversation)
    assert [(f.kind, f.message[:40]) for f in report] == [
        ("choice-not-by-one-role", "choice 1 is not made by one role: 'A' de"),
        ("uninformed-role", "'C' must send 'C_yes_B' in branch 1 of c"),
    ]
    assert "of choice 2 before" in report.findings[1].message


def test_the_report_is_text_and_json() -> None:
    report = analysis.check_conversation(fsm.parse_conversation(UNINFORMED))
    assert str(report).splitlines()[0] == "Conversation: problems found (1 error)"
    assert report.to_dict()["findings"][0]["trace"] == ["A_left_B", "C_yes_B"]


def test_check_conversation_refuses_a_machine() -> None:
    with pytest.raises(TypeError, match=r"^expected an fsm.Conversation, got Machine$"):
        analysis.check_conversation(analysis.conversation_machine(REQUESTS))  # type: ignore[arg-type]


def test_every_conversation_these_tests_write_is_accepted_by_mermaid(mermaid: None) -> None:
    from . import test_projection

    texts = [UNMERGEABLE, NOT_ONE_ROLE, SAME_FIRST_LABEL, LOOP_LEFT_BY_ANOTHER, UNINFORMED]
    texts += [UNINFORMED_AT_THE_END, RACE, TOLD_BY_A_MESSAGE, LOOP_LEFT_BY_ITS_DECIDER]
    texts += [fsm.dumps_conversation(c) for c in (test_projection.TWO_BUYERS, REQUESTS)]
    texts += test_projection.WRITTEN
    assert_mermaid_accepts(texts)


def test_checking_many_choices_is_linear() -> None:
    # Each choice's check stops where the roles it concerns have nothing left
    # to do, instead of walking the rest of the conversation once per role.
    def opts(n: int) -> fsm.Conversation:
        roles = "".join(f"participant R{i}\n" for i in range(8))
        body = "".join(f"opt\nA->>B: m{i}\nend\nA->>B: s{i}\n" for i in range(n))
        return fsm.parse_conversation("sequenceDiagram\n" + roles + body)

    ratio = growth(lambda n: lambda: analysis.check_conversation(opts(n)), 150)
    assert ratio < MAX_GROWTH, f"4x the choices took {ratio:.1f}x the time"


def test_a_choice_used_twice_is_numbered_by_its_places() -> None:
    def choice() -> fsm.Choice:
        return fsm.Choice("A", [[fsm.Message("A", "B", "x")], [fsm.Message("B", "A", "y")]])

    shared = choice()
    z = fsm.Message("A", "B", "z")
    reused = fsm.Conversation("P", ("A", "B"), (shared, z, shared))
    copies = fsm.Conversation("P", ("A", "B"), (choice(), z, choice()))
    found = [(f.kind, f.message, f.trace) for f in analysis.check_conversation(reused)]
    assert found == [(f.kind, f.message, f.trace) for f in analysis.check_conversation(copies)]
    assert [m.split(" is ")[0] for _, m, _ in found] == ["choice 1", "choice 2"]


def _blow_up(k: int) -> fsm.Conversation:
    # The global machine of this text has about 2**k states, but its problem
    # (going round the loop and leaving it begin alike) is at its start.
    lines = ["sequenceDiagram", "loop", "alt", "A->>B: a", "else", "A->>B: b", "end", "end"]
    lines += ["A->>B: a"]
    for _ in range(k):
        lines += ["alt", "A->>B: a", "else", "A->>B: b", "end"]
    return fsm.parse_conversation("\n".join(lines))


def test_a_problem_at_the_start_is_found_without_the_whole_global_machine() -> None:
    report = analysis.check_conversation(_blow_up(40), max_states=1_000)
    assert [(f.kind, f.states, f.trace) for f in report] == [
        ("choice-not-by-one-role", ("G0",), ("A_a_B",)),
    ]
    ratio = growth(lambda n: lambda: analysis.check_conversation(_blow_up(n)), 20)
    assert ratio < MAX_GROWTH, f"4x the input took {ratio:.1f}x the time"


def _opts(n: int) -> fsm.Conversation:
    # Each 'opt' may be skipped, so a role's machine after block i may receive
    # any later message: its machine has n states of n transitions each.
    lines = ["sequenceDiagram"]
    for i in range(n):
        lines += ["opt", f"A->>B: m{i}", f"B->>C: n{i}", "end"]
    return fsm.parse_conversation("\n".join(lines))


@pytest.mark.parametrize(
    "work",
    [analysis.check_conversation, analysis.projections],
    ids=["check", "projections"],
)
def test_a_run_of_opt_blocks_takes_at_most_quadratic_time(
    work: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The output is quadratic (n states of n transitions). Each closure walks
    # O(n) nodes, so O(n) closures in all keep the work quadratic; one per
    # subset and event (before: O(n**2) of them) made it cubic.
    from analysis import _projection

    calls = [0]
    closure = _projection._Graph.closure  # pyright: ignore[reportPrivateUsage]

    def counted(self: object, nodes: object, role: object) -> object:
        calls[0] += 1
        return closure(self, nodes, role)  # type: ignore[arg-type]

    monkeypatch.setattr(_projection._Graph, "closure", counted)  # pyright: ignore[reportPrivateUsage]
    run = work  # type: ignore[assignment]
    counts: list[int] = []
    for n in (20, 80):
        calls[0] = 0
        run(_opts(n))  # type: ignore[operator]
        counts.append(calls[0])
    assert counts[1] / counts[0] < 5, (
        f"4x the blocks made {counts[1] / counts[0]:.1f}x the closures"
    )


def _loop_then_same_message(k: int) -> fsm.Conversation:
    # 'C' receives 'B_a_C' when the loop goes round (branch p) and when it
    # ends: it would have to merge a return to the loop with the rest.
    alt = ["alt", "A->>B: p", "B->>C: a", "else", "A->>B: q", "B->>C: b", "end"]
    lines = ["sequenceDiagram", "loop", *alt, "end", "A->>B: stop", "B->>C: a"]
    return fsm.parse_conversation("\n".join(lines + alt * k))


def test_a_role_that_cannot_tell_a_return_to_the_loop_from_leaving_it_is_refused() -> None:
    [finding] = analysis.check_conversation(_loop_then_same_message(30), max_states=1_000)
    assert (finding.kind, finding.states, finding.trace, finding.message) == (
        "indistinguishable-branches",
        ("G0",),
        ("A_p_B", "B_a_C"),
        "'C' cannot tell another round of loop 1 from leaving it: after 'B_a_C' it may be "
        "back at the start of the loop or past it, and a role's projection does not merge a "
        "return to the loop with what follows the loop; send 'C' a message of a different "
        "label when the loop goes round and when it ends",
    )


def test_a_role_told_after_the_same_message_whether_the_loop_ended_is_fine() -> None:
    # 'C' receives 'a' either way, but the next message (x or y) tells it.
    c = fsm.parse_conversation(
        "sequenceDiagram\nloop\nA->>B: p\nB->>C: a\nB->>C: x\nend\n"
        "A->>B: stop\nB->>C: a\nB->>C: y\n"
    )
    assert analysis.check_conversation(c).ok
