"""Running the real SPIN model checker on a model from ``analysis.to_promela``.

The tests that need ``spin`` and ``gcc`` skip without them, except under
``CI``, where a missing tool is a failure (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import attrs
import pytest

NEEDS_SPIN = "needs SPIN: apt-get install spin gcc; .ci/run installs it"

#: pan's options for a full search of a one-process model: safety properties
#: only (invalid end states), no partial-order reduction, so that ``states,
#: stored`` is the number of reachable states.
PAN_FLAGS = ("-DSAFETY", "-DNOREDUCE")


def needs_spin() -> None:
    """Skip the test without ``spin`` and ``gcc`` on PATH (fail under CI)."""
    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{NEEDS_SPIN} (missing: {', '.join(missing)}); CI must run SPIN")
        pytest.skip(f"{NEEDS_SPIN} (missing: {', '.join(missing)})")


@attrs.frozen
class Verdict:
    """What SPIN found on a model.

    Attributes:
        stored: reachable states (``states, stored`` of a search that goes on
            past invalid end states, ``pan -E``).
        deadlock: pan reported an invalid end state.
        events: the events of its trail, read back from ``spin -t`` (empty
            without a deadlock).
        end: the value of each machine variable ``m0``, ``m1``, ... where the
            trail ends.
    """

    stored: int
    deadlock: bool
    events: tuple[str, ...]
    end: tuple[int, ...]


def _run(command: list[str], folder: Path) -> str:
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and command[0] != "./pan":
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def run_spin(model: str, folder: Path) -> Verdict:
    """Generate, compile and run pan on ``model``; replay its trail when it has one."""
    needs_spin()
    (folder / "model.pml").write_text(model, encoding="utf-8")
    _run(["spin", "-a", "model.pml"], folder)
    _run(["gcc", "-O0", *PAN_FLAGS, "-o", "pan", "pan.c"], folder)
    # -m: room for a depth-first search as deep as the test models have states.
    first = _run(["./pan", "-w16", "-m100000"], folder)
    everything = _run(["./pan", "-E", "-w16", "-m100000"], folder)
    assert "max search depth too small" not in everything
    stored = re.search(r"^\s*(\d+) states, stored", everything, re.MULTILINE)
    assert stored is not None, everything
    deadlock = re.search(r"^pan:\d+: invalid end state", first, re.MULTILINE) is not None
    events: list[str] = []
    end: list[int] = []
    if deadlock:
        replay = _run(["spin", "-t", "model.pml"], folder)
        events = re.findall(r"^\s*event: (\S+)$", replay, re.MULTILINE)
        values = dict(re.findall(r"^\s*m(\d+) = (\d+)$", replay, re.MULTILINE))
        end = [int(values[str(i)]) for i in range(len(values))]
    return Verdict(int(stored.group(1)), deadlock, tuple(events), tuple(end))
