"""``typestate check-trace`` on random conversations and random interleaved logs.

For any well-formed conversation, runs drawn on its global machine and
interleaved in one log conform, and so do they with independent messages
swapped; a message its sender's projection does not allow there is reported at
exactly that line. The command runs in this process
(``analysis._cli.main``, what the console script calls), from the JSON file of
the conversation and the log file.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm
from analysis._cli import main

from .conversation_support import well_formed_conversations

Record = tuple[int, fsm.Message]
VALUES: dict[str | None, object] = {"int": 1, "str": "s", "list[int]": [1]}  # by annotation


@st.composite
def logs(draw: st.DrawFn) -> tuple[fsm.Conversation, list[Record], list[str]]:
    """A conversation, an interleaving of a few runs of it, and each run's end state."""
    conversation = draw(well_formed_conversations(max_roles=3))
    machine = analysis.conversation_machine(conversation)
    events = conversation.events()
    runs: list[list[fsm.Message]] = []
    ends: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        state = machine.initial
        run: list[fsm.Message] = []
        for _ in range(draw(st.integers(0, 8))):
            moves = [t for t in machine.transitions if t.source == state]
            if not moves:
                break
            move = draw(st.sampled_from(moves))
            run.append(events[move.event])
            state = move.target
        runs.append(run)
        ends.append(state)
    order = draw(st.permutations([n for n, run in enumerate(runs) for _ in run]))
    cursors = [0] * len(runs)
    records: list[Record] = []
    for n in order:
        records.append((n, runs[n][cursors[n]]))
        cursors[n] += 1
    return conversation, records, ends


def check(conversation: fsm.Conversation, records: list[Record]) -> tuple[int, str, Path]:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "conversation.json"
        target.write_text(json.dumps(conversation.to_dict()), encoding="utf-8")
        log = Path(folder) / "log.jsonl"
        lines = [
            json.dumps({"conversation": f"r{n}", "sender": m.sender, "receiver": m.receiver,
                        "message": m.label, "payload": {n: VALUES.get(t, 1) for n, t in m.params}})
            for n, m in records
        ]  # fmt: skip
        log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["check-trace", str(target), str(log)])
        assert err.getvalue() == ""
        return status, out.getvalue(), log


@settings(max_examples=40, deadline=None)
@given(logs())
def test_interleaved_runs_conform(drawn: tuple[fsm.Conversation, list[Record], list[str]]) -> None:
    conversation, records, ends = drawn
    status, output, log = check(conversation, records)
    final = analysis.conversation_machine(conversation).final
    runs = {n for n, _ in records}
    complete = sum(1 for n in runs if ends[n] in final)
    assert status == 0, output
    assert output.startswith(
        f"{log}: conforms to {conversation.name} ({len(runs)} conversation"
        f"{'s' if len(runs) != 1 else ''}, {complete} complete)\n"
    )


@settings(max_examples=30, deadline=None)
@given(logs(), st.data())
def test_independent_messages_in_any_order_conform(
    drawn: tuple[fsm.Conversation, list[Record], list[str]], data: st.DataObject
) -> None:
    # The roles run asynchronously: two messages with no role in common, or
    # with only their receiver in common, may be logged in either order (the
    # receiver takes each one when its projection is ready for it).
    conversation, records, ends = drawn
    records = list(records)

    def independent(first: fsm.Message, then: fsm.Message) -> bool:
        return not {first.sender, first.receiver} & {then.sender, then.receiver} or (
            first.receiver == then.receiver and first.sender != then.sender
        )

    for _ in range(data.draw(st.integers(0, 12))):
        pairs = [
            i
            for i in range(len(records) - 1)
            if records[i][0] != records[i + 1][0] or independent(records[i][1], records[i + 1][1])
        ]
        if not pairs:
            break
        i = data.draw(st.sampled_from(pairs))
        records[i], records[i + 1] = records[i + 1], records[i]
    status, output, log = check(conversation, records)
    final = analysis.conversation_machine(conversation).final
    runs = {n for n, _ in records}
    complete = sum(1 for n in runs if ends[n] in final)
    assert status == 0, output
    assert output.startswith(f"{log}: conforms to {conversation.name} ({len(runs)} conversation")
    assert f", {complete} complete)\n" in output


@settings(max_examples=40, deadline=None)
@given(logs(), st.data())
def test_a_message_out_of_place_is_named_at_its_line(
    drawn: tuple[fsm.Conversation, list[Record], list[str]], data: st.DataObject
) -> None:
    conversation, records, _ = drawn
    machines = analysis.projections(conversation)
    at = data.draw(st.integers(0, len(records)))
    run = data.draw(st.integers(0, 3)) if at == len(records) else records[at][0]
    sender = data.draw(st.sampled_from(conversation.roles))
    # The sender's projection, stepped by the messages it sent or received so far.
    machine = machines[sender]
    state = machine.initial
    for n, message in records[:at]:
        if n == run and sender in (message.sender, message.receiver):
            [move] = machine.transitions_from(state, message.event)
            state = move.target
    wrong = [
        m
        for e, m in conversation.events().items()
        if m.sender == sender and e not in machine.enabled_events(state)
    ]
    if not wrong:
        return  # every message is allowed there: nothing to put out of place
    message = data.draw(st.sampled_from(wrong))
    status, output, log = check(conversation, [*records[:at], (run, message)])
    assert status == 1
    assert output.startswith(
        f"{log}:{at + 1}: '{message.sender}->>{message.receiver}: {message.label}' is not "
        f"allowed here in conversation r{run}; {sender} allowed instead: "
    )


def test_an_ill_formed_conversation_is_refused(tmp_path: Path) -> None:
    conversation = fsm.parse_conversation(
        "sequenceDiagram\n  alt\n    A->>B: x\n    C->>A: y\n  else\n"
        "    A->>B: w\n    C->>A: z\n  end"
    )
    target = tmp_path / "conversation.json"
    target.write_text(json.dumps(conversation.to_dict()), encoding="utf-8")
    log = tmp_path / "log.jsonl"
    log.write_text("", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check-trace", str(target), str(log)])
    assert status != 0
    assert "Conversation is not well-formed, so its roles' projections do not run it" in (
        err.getvalue()
    )
