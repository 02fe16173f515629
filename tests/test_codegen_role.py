"""``typestate.codegen(machine, receives=...)``: the classes of one role of a conversation.

Sending is a method returning the next state; a waiting state's ``receive()``
returns the union of the messages that may arrive. The real mypy and pyright
accept a role that handles every message and reject, with these exact
messages, one that forgets a branch or sends out of turn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fsm
from typestate import codegen

ROOT = Path(__file__).resolve().parent.parent

# Participant 1 of the two-phase commit, as its projection reads.
PARTICIPANT = """\
stateDiagram-v2
    %% types: prepare(task: str), commit(at: int)
    [*] --> Idle
    Idle --> Voting : prepare(task)
    Voting --> Prepared : yes
    Voting --> VotedNo : no
    Prepared --> Committed : commit(at)
    Prepared --> Aborted : abort
    VotedNo --> Aborted : abort
    Committed --> [*]
    Aborted --> [*]
"""
RECEIVES = ("prepare", "commit", "abort")

CLIENTS = {
    # must pass: every message handled, sends in turn
    "ok_role": """\
from typing_extensions import assert_never

from participant import Abort, Aborted, Commit, Committed, Idle, Prepare, Prepared


def decide(s: Prepared) -> Committed | Aborted:
    message = s.receive()
    match message:
        case Commit(state=done, at=_):
            return done
        case Abort(state=gone):
            return gone
        case _:
            assert_never(message)


def vote(s: Idle) -> Prepared:
    message = s.receive()
    match message:
        case Prepare(state=voting, task=_):
            return voting.yes()
""",
    # must fail: the abort branch is forgotten
    "bad_forgets_a_branch": """\
from typing_extensions import assert_never

from participant import Commit, Committed, Prepared


def decide(s: Prepared) -> Committed:
    message = s.receive()
    match message:
        case Commit(state=done):
            return done
        case _:
            assert_never(message)
""",
    # must fail: a participant that votes before it was asked to prepare
    "bad_out_of_turn": """\
from participant import Idle


def vote(s: Idle) -> None:
    s.yes()
""",
    # must fail: a state that waits cannot send
    "bad_sends_while_waiting": """\
from participant import VotedNo


def leave(s: VotedNo) -> None:
    s.abort()
""",
}

MYPY = {
    "bad_forgets_a_branch": [
        '12: error: Argument 1 to "assert_never" has incompatible type "Abort[Aborted]"; '
        'expected "Never"  [arg-type]'
    ],
    "bad_out_of_turn": ['5: error: "Idle" has no attribute "yes"  [attr-defined]'],
    "bad_sends_while_waiting": ['5: error: "VotedNo" has no attribute "abort"  [attr-defined]'],
}
PYRIGHT = {
    "bad_forgets_a_branch": [
        '12:26 - error: Argument of type "Abort[Aborted]" cannot be assigned to parameter '
        '"arg" of type "Never" in function "assert_never"\n'
        '  Type "Abort[Aborted]" is not assignable to type "Never" (reportArgumentType)'
    ],
    "bad_out_of_turn": [
        '5:7 - error: Cannot access attribute "yes" for class "Idle"\n'
        '  Attribute "yes" is unknown (reportAttributeAccessIssue)',
        '5:5 - error: Type of "yes" is unknown (reportUnknownMemberType)',
    ],
    "bad_sends_while_waiting": [
        '5:7 - error: Cannot access attribute "abort" for class "VotedNo"\n'
        '  Attribute "abort" is unknown (reportAttributeAccessIssue)',
        '5:5 - error: Type of "abort" is unknown (reportUnknownMemberType)',
    ],
}


def participant() -> str:
    return codegen(fsm.parse(PARTICIPANT, name="Participant1"), receives=RECEIVES, role="P1")


def test_a_waiting_state_receives_the_union_of_its_messages() -> None:
    text = participant()
    assert "    def receive(self) -> Commit[Committed] | Abort[Aborted]:\n" in text
    assert "    @transition\n    def yes(self) -> Prepared:\n" in text
    assert "class Commit(Generic[NextState]):" in text
    assert "    state: NextState\n    at: int\n" in text
    assert "def commit" not in text
    assert "def abort" not in text


def test_receives_must_name_events_of_the_machine() -> None:
    machine = fsm.parse(PARTICIPANT, name="Participant1")
    with pytest.raises(fsm.DefinitionError, match=r"receives names 'vote', which is not an event"):
        codegen(machine, receives=("prepare", "vote"))


def test_a_message_class_may_not_hide_a_state() -> None:
    machine = fsm.parse("stateDiagram-v2\n  [*] --> A\n  A --> Go : go\n  Go --> [*]\n")
    with pytest.raises(fsm.DefinitionError, match=r"the message class 'Go' of event 'go'"):
        codegen(machine, receives=("go",))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("roles")
    (root / "participant.py").write_text(participant(), encoding="utf-8")
    for name, text in CLIENTS.items():
        (root / f"{name}.py").write_text(text, encoding="utf-8")
    return root


def _tool(command: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    return done.stdout + done.stderr


def test_mypy_accepts_a_complete_role_and_names_what_is_wrong(folder: Path) -> None:
    (folder / "mypy.ini").write_text("[mypy]\nstrict = true\npython_version = 3.10\n")
    output = _tool(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-error-summary",
         "--cache-dir", str(folder / ".mypy_cache"), "."],
        folder,
    )  # fmt: skip
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        name, _, message = line.partition(".py:")
        found.setdefault(name, []).append(message)
    assert found == MYPY


def test_pyright_accepts_a_complete_role_and_names_what_is_wrong(folder: Path) -> None:
    pyright = shutil.which("pyright")
    if pyright is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pyright is not installed, and CI must run it: pip install pyright")
        pytest.skip("needs the pyright command line (pip install pyright)")
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]}
    (folder / "pyrightconfig.json").write_text(json.dumps(config))
    output = _tool([pyright, "--outputjson", "."], folder)
    report = json.loads(output[output.index("{") :])
    found: dict[str, list[str]] = {}
    for item in report["generalDiagnostics"]:
        start = item["range"]["start"]
        text = (
            f"{start['line'] + 1}:{start['character'] + 1} - {item['severity']}: "
            f"{item['message'].replace(chr(0xA0), ' ')} ({item['rule']})"
        )
        found.setdefault(Path(item["file"]).stem, []).append(text)
    assert {name: sorted(messages) for name, messages in found.items()} == {
        name: sorted(messages) for name, messages in PYRIGHT.items()
    }


@pytest.mark.parametrize("width", [60, 88])
def test_a_long_receive_is_wrapped_as_ruff_format_wraps_it(tmp_path: Path, width: int) -> None:
    machine = fsm.parse(PARTICIPANT, name="Participant1")
    names = {e: f"{e.capitalize()}MessageFromTheCoordinator" for e in RECEIVES}
    path = tmp_path / "participant.py"
    path.write_text(codegen(machine, receives=names, line_length=width), encoding="utf-8")
    form = _tool(["ruff", "format", "--isolated", "--line-length", str(width), "--check", "."],
                 tmp_path)  # fmt: skip
    assert form == "1 file already formatted\n"


@pytest.mark.parametrize("width", [50, 60])
def test_a_long_message_class_header_is_wrapped_as_ruff_format_wraps_it(
    tmp_path: Path, width: int
) -> None:
    machine = fsm.parse(PARTICIPANT, name="Participant1")
    names = {e: f"{e.capitalize()}MessageFromTheCoordinatorOfThisRound" for e in RECEIVES}
    module = codegen(machine, receives=names, line_length=width)
    classes = module[module.index("@attrs.frozen") :]
    assert (
        "class CommitMessageFromTheCoordinatorOfThisRound(\n    Generic[NextState]\n):" in classes
    )
    headers = [line for line in classes.splitlines() if line.startswith(("class", "    Generic"))]
    assert max(len(line) for line in headers) <= width
    path = tmp_path / "messages.py"
    path.write_text(classes, encoding="utf-8")
    form = _tool(["ruff", "format", "--isolated", "--line-length", str(width), "--check", "."],
                 tmp_path)  # fmt: skip
    assert form == "1 file already formatted\n"


def test_the_role_module_passes_ruff(folder: Path) -> None:
    lint = _tool(
        ["ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "participant.py"],
        folder,
    )
    form = _tool(["ruff", "format", "--isolated", "--check", "participant.py"], folder)
    assert (lint, form) == ("All checks passed!\n", "1 file already formatted\n")
