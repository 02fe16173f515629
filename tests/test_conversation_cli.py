"""The command line on a conversation: ``render`` and ``check-trace``.

Each test runs the installed console script in a subprocess on the
two-phase commit of ``examples/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import fsm

ROOT = Path(__file__).resolve().parent.parent
TWO_PC = "examples/two_phase_commit_conversation.mmd"
CONVERSATION = fsm.load_conversation(ROOT / TWO_PC)


def typestate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def write_log(path: Path, *records: tuple[str | None, str, str, str]) -> Path:
    lines: list[str] = []
    for key, sender, receiver, message in records:
        record: dict[str, object] = {"sender": sender, "receiver": receiver}
        record["message"] = message
        if key is not None:
            record["conversation"] = key
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


C, P1, P2 = "Coordinator", "Participant1", "Participant2"
PREPARE = [(C, P1, "prepare"), (C, P2, "prepare")]


# -- render -----------------------------------------------------------------------------


def test_render_writes_the_sequence_diagram_and_checks_it(tmp_path: Path) -> None:
    out = tmp_path / "2pc.mmd"
    assert typestate("render", TWO_PC, "-o", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert text == fsm.dumps_conversation(CONVERSATION)
    assert fsm.parse_conversation(text) == CONVERSATION
    assert typestate("render", TWO_PC, "-o", str(out), "--check").returncode == 0
    out.write_text(text.replace("commit", "comit"), encoding="utf-8")
    stale = typestate("render", TWO_PC, "-o", str(out), "--check")
    assert stale.returncode == 1
    assert f"+{' ' * 12}Coordinator->>Participant1: commit\n" in stale.stdout


def test_render_a_conversation_as_svg_says_to_name_a_role(tmp_path: Path) -> None:
    done = typestate("render", TWO_PC, "-o", str(tmp_path / "2pc.svg"))
    assert done.returncode == 2
    assert done.stderr == (
        f"typestate: error: {TWO_PC} is a conversation: it renders as a Mermaid sequence "
        f"diagram (-o FILE.mmd, without --highlight-trace or --report); to draw one role's "
        f"machine, project it (analysis.project)\n"
    )


# -- check-trace --------------------------------------------------------------------------


def test_a_conforming_log_of_interleaved_conversations(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "log.jsonl",
        *[("a", *m) for m in PREPARE],
        ("b", C, P1, "prepare"),
        ("a", P1, C, "yes"),
        ("b", C, P2, "prepare"),
        ("a", P2, C, "no"),
        ("a", C, P1, "abort"),
        ("a", C, P2, "abort"),
    )
    done = typestate("check-trace", TWO_PC, str(log))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        f"{log}: conforms to TwoPhaseCommit (2 conversations, 1 complete)\n  not finished: b\n"
    )


def test_the_first_message_out_of_turn_is_named_with_what_was_allowed(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "log.jsonl",
        *[("a", *m) for m in PREPARE],
        *[("b", *m) for m in PREPARE],
        ("a", P1, C, "no"),
        ("b", P1, C, "yes"),
        ("a", P2, C, "yes"),
        ("a", C, P1, "commit"),
    )
    done = typestate("check-trace", TWO_PC, str(log))
    assert done.returncode == 1
    assert done.stdout == (
        f"{log}:8: 'Coordinator->>Participant1: commit' is not allowed here in conversation "
        f"a; allowed instead: Coordinator->>Participant1: abort\n"
    )


def test_a_message_the_protocol_does_not_have(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", (None, C, P1, "prepare"), (None, P1, C, "maybe"))
    done = typestate("check-trace", TWO_PC, str(log))
    assert done.returncode == 1
    assert done.stdout == (
        f"{log}:2: 'Participant1->>Coordinator: maybe' is not a message of TwoPhaseCommit; "
        f"allowed instead: Coordinator->>Participant2: prepare\n"
    )


def test_a_message_after_the_end(tmp_path: Path) -> None:
    whole = [*PREPARE, (P1, C, "yes"), (P2, C, "yes"), (C, P1, "commit"), (C, P2, "commit")]
    log = write_log(tmp_path / "log.jsonl", *[(None, *m) for m in [*whole, (C, P1, "commit")]])
    done = typestate("check-trace", TWO_PC, str(log))
    assert done.stdout == (
        f"{log}:7: 'Coordinator->>Participant1: commit' is not allowed here; allowed "
        f"instead: nothing (the conversation has ended)\n"
    )


def test_a_payload_must_carry_the_message_parameters(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    record = {"sender": "Agent", "receiver": "Approver", "message": "ask", "payload": {"x": 1}}
    log.write_text(json.dumps(record) + "\n", encoding="utf-8")
    done = typestate("check-trace", "examples/tool_approval_conversation.mmd", str(log))
    assert done.returncode == 1
    assert done.stdout == (
        f"{log}:1: the payload of Agent->>Approver: ask has missing action; unexpected x "
        f"(it carries action)\n"
    )


def test_a_record_without_a_sender_is_bad_input(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"receiver": "Participant1", "message": "prepare"}\n', encoding="utf-8")
    done = typestate("check-trace", TWO_PC, str(log))
    assert done.returncode == 2
    assert done.stderr == (
        f"typestate: error: {log}:1: a message needs the fields 'sender', 'receiver' and "
        f"'message' (strings), as in "
        f'{{"sender": "Buyer", "receiver": "Seller", "message": "title"}}; '
        f"'sender' is missing or not a string\n"
    )


def test_a_conversation_in_json_is_read_as_one(tmp_path: Path) -> None:
    target = tmp_path / "2pc.json"
    target.write_text(json.dumps(CONVERSATION.to_dict()), encoding="utf-8")
    log = write_log(tmp_path / "log.jsonl", (None, C, P2, "prepare"))
    done = typestate("check-trace", str(target), str(log))
    assert done.stdout == (
        f"{log}:1: 'Coordinator->>Participant2: prepare' is not allowed here; allowed "
        f"instead: Coordinator->>Participant1: prepare\n"
    )
