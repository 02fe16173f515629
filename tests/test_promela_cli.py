"""`typestate promela`: the console script writes a model the real SPIN checks."""

from __future__ import annotations

from pathlib import Path

import analysis
import fsm

from .spin_support import run_spin
from .test_cli import ROOT, typestate

PARTS = [
    f"examples/two_phase_commit_{name}.mmd"
    for name in ("coordinator_buggy", "participant_1", "participant_2")
]


def test_promela_writes_the_model_spin_finds_the_deadlock_in(tmp_path: Path) -> None:
    result = typestate("promela", *PARTS, "-o", str(tmp_path / "model.pml"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    text = (tmp_path / "model.pml").read_text(encoding="utf-8")
    machines = [fsm.load(ROOT / p) for p in PARTS]
    assert text == analysis.to_promela(*machines)
    verdict = run_spin(text, tmp_path)
    (found,) = analysis.deadlocks(*machines)
    assert verdict.deadlock
    assert tuple(m.states[s] for m, s in zip(machines, verdict.end, strict=True)) == found.states


def test_promela_prints_a_conversation_s_projections() -> None:
    result = typestate("promela", "examples/two_phase_commit_conversation.mmd")
    assert (result.returncode, result.stderr) == (0, "")
    conversation = fsm.load_conversation(ROOT / "examples/two_phase_commit_conversation.mmd")
    assert result.stdout == analysis.to_promela(conversation)


def test_promela_names_a_file_it_cannot_write(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "model.pml"
    result = typestate("promela", "examples/agent.mmd", "-o", str(missing))
    assert (result.returncode, result.stdout) == (2, "")
    folder = str(missing.parent)
    assert result.stderr == (
        f"typestate: error: cannot write {str(missing)!r}: the directory {folder!r} does not "
        f"exist; create it first (mkdir -p {folder}) or write somewhere else\n"
    )


def test_promela_refuses_a_conversation_that_is_not_well_formed(tmp_path: Path) -> None:
    # Its projections need not run it (and may be too large to build): refused
    # at once, as check-trace refuses it, instead of an internal error.
    spec = tmp_path / "ill.mmd"
    spec.write_text(
        "sequenceDiagram\n    participant A\n    participant B\n    participant C\n"
        "    alt yes\n        A->>B: go\n        A->>C: more\n"
        "    else no\n        A->>B: stop\n        C->>B: other\n    end\n",
        encoding="utf-8",
    )
    result = typestate("promela", str(spec))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"typestate: error: ill is not well-formed, so its roles' projections do not run "
        f"it; see `typestate check {spec}`\n"
    )
