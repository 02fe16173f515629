"""Two-phase commit: a coordinator and two participants, composed and checked for deadlock.

The protocol is four small diagrams next to this file: the coordinator, a
buggy coordinator, and two participants. :func:`analysis.compose` runs them
together (``prepare``, ``commit`` and ``abort`` are shared, so they happen in
all three machines at once; each vote is shared by the coordinator and one
participant), and :func:`analysis.deadlocks` searches every reachable
combination of states for one where all of them wait and not all are done.

The correct coordinator collects both votes before it decides. The buggy one
aborts on the first ``no``, while the second participant still waits to vote
and will take no ``abort`` before it has voted: a deadlock, found with the
shortest trace that reaches it, which is then drawn on the product's diagram.

Run ``python examples/two_phase_commit.py [DIR]``; the diagrams of the
deadlock are written to DIR (a new temporary directory by default). The same
check from the command line::

    typestate compose --deadlocks examples/two_phase_commit_coordinator_buggy.mmd \\
        examples/two_phase_commit_participant_1.mmd examples/two_phase_commit_participant_2.mmd
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import analysis
import fsm

HERE = Path(__file__).resolve().parent


def load(part: str) -> fsm.Machine:
    """The machine of ``two_phase_commit_<part>.mmd``."""
    return fsm.load(HERE / f"two_phase_commit_{part}.mmd")


def report(machines: tuple[fsm.Machine, ...], out: Path) -> tuple[analysis.Finding, ...]:
    """Print the product's size and its deadlocks; draw each deadlock's trace in ``out``."""
    product = analysis.compose(*machines)
    found = analysis.deadlocks(*machines).findings
    print(f"{product.name}: {len(product.states)} states, {len(product.transitions)} transitions")
    if not found:
        print("  no deadlock")
    for finding in found:
        assert finding.trace is not None
        where = ", ".join(f"{m.name} in {s}" for m, s in zip(machines, finding.states, strict=True))
        print(f"  deadlock after {' '.join(finding.trace)}: {where}")
        for suffix in ("svg", "mmd"):
            path = analysis.render(product, out / f"deadlock.{suffix}", highlight=finding.trace)
            print(f"  drawn: {path}")
    return found


def main(out: Path) -> None:
    participants = (load("participant_1"), load("participant_2"))
    for coordinator in (load("coordinator"), load("coordinator_buggy")):
        report((coordinator, *participants), out)


def output_folder(name: str) -> Path:
    """The folder named on the command line, created if missing; exit 2 if it cannot be."""
    folder = Path(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        why = "it is a file, not a folder" if folder.exists() else error.strerror
        print(f"{Path(__file__).name}: cannot draw into {name!r}: {why}", file=sys.stderr)
        raise SystemExit(2) from None
    return folder


if __name__ == "__main__":
    main(output_folder(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="2pc-")))
