"""The ``--typestate-coverage`` pytest plugin, run by a real pytest in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_TESTS = """
import fsm
from hypothesis import settings
from analysis.testing import conformance

door = fsm.parse("stateDiagram-v2\\n[*] --> Shut\\nShut --> Open : open\\n", name="{name}")
TestDoor = conformance(door, door.start).TestCase
TestDoor.settings = settings(max_examples=3, stateful_step_count=3, database=None)
"""

_SESSIONS = """
import pytest
for module in ("test_first.py", "test_second.py"):
    print(f"session {module}", flush=True)
    pytest.main(["-q", "-p", "no:cacheprovider", "--typestate-coverage", module])
"""


def _run(tmp_path: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_each_session_reports_the_conformance_classes_it_ran(tmp_path: Path) -> None:
    (tmp_path / "test_first.py").write_text(_TESTS.format(name="First"))
    (tmp_path / "test_second.py").write_text(_TESTS.format(name="Second"))
    (tmp_path / "sessions.py").write_text(textwrap.dedent(_SESSIONS))
    out = _run(tmp_path, "sessions.py")
    first, second = out.split("session test_second.py")
    assert re.search(r"^FirstConformance \(First, \d+ test cases\)$", first, re.M)
    assert "SecondConformance" not in first
    assert re.search(r"^SecondConformance \(Second, \d+ test cases\)$", second, re.M)
    assert "FirstConformance" not in second


def test_without_the_option_nothing_is_reported(tmp_path: Path) -> None:
    (tmp_path / "test_first.py").write_text(_TESTS.format(name="First"))
    out = _run(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_first.py")
    assert "typestate coverage" not in out
    assert "1 passed" in out


def test_a_session_that_runs_no_conformance_class_says_so(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_one() -> None:\n    assert True\n")
    out = _run(
        tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--typestate-coverage", "."
    )
    assert "typestate coverage" in out
    assert "no conformance test ran" in out


def test_hypothesis_statistics_show_what_the_test_cases_covered(tmp_path: Path) -> None:
    # Enough examples, and derandomized, so that some test case opens the door.
    tests = _TESTS.format(name="First").replace("max_examples=3,", "max_examples=30,")
    (tmp_path / "test_first.py").write_text(tests.replace("database=None", "derandomize=True"))
    out = _run(
        tmp_path,
        *("-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics"),
        "test_first.py",
    )
    assert re.search(r"^ +\* \d+\.\d+%, took transition: Shut --open--> Open$", out, re.M)
    assert re.search(r"^ +\* \d+\.\d+%, entered state: Open$", out, re.M)


_IN_FUNCTIONS = """
import fsm
from hypothesis import settings
from analysis.testing import conformance

door = fsm.parse("stateDiagram-v2\\n[*] --> Shut\\nShut --> Open : open\\n", name="Door")
Short = settings(max_examples=3, stateful_step_count=3, database=None)
TestDoor = conformance(door, door.start).TestCase
TestDoor.settings = Short
InFunc = conformance(door, door.start, name="InFunc")
InFunc.TestCase.settings = Short


def test_in_a_function() -> None:
    InFunc.TestCase().runTest()


def test_in_another_function() -> None:
    InFunc.TestCase().runTest()
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_conformance_run_in_a_test_function_is_reported(tmp_path: Path, workers: str) -> None:
    # With -n 2 the workers' coverages come back to the controller, merged by class.
    (tmp_path / "test_door.py").write_text(_IN_FUNCTIONS)
    out = _run(
        tmp_path,
        *("-m", "pytest", "-q", "-p", "no:cacheprovider", "--typestate-coverage"),
        *("-n", workers, "--dist", "load", "test_door.py"),
    )
    assert "3 passed" in out
    table = out.split("typestate coverage")[1]
    labels = re.findall(r"^(\w+) \(Door, (\d+) test cases\)$", table, re.M)
    assert sorted(label for label, _ in labels) == ["DoorConformance", "InFunc"]
    cases = dict(labels)
    # Each runTest() runs at least one test case; the merged row sums both calls.
    assert int(cases["InFunc"]) >= 2
    assert re.search(r"^  states {10}\s*\d+ / 2 ", table, re.M)


def test_coverages_of_one_class_from_two_workers_merge() -> None:
    # What two workers send for the same class: cases add up, states and transitions unite.
    import fsm
    from analysis import _pytest_plugin as plugin
    from analysis.testing import Coverage

    door = fsm.parse(
        "stateDiagram-v2\n[*] --> Shut\nShut --> Open : open\nOpen --> Shut : close\n",
        name="Door",
    )
    opening, closing = door.transitions

    def sent(
        states: set[str], transitions: set[tuple[str, fsm.Transition]], cases: int
    ) -> Coverage:
        reachable = (("Shut", opening), ("Open", closing))
        return Coverage(
            "DoorConformance", door, ("Shut", "Open"), reachable, states, transitions, cases
        )

    merged: dict[str, plugin._Data] = {}  # pyright: ignore[reportPrivateUsage]
    for coverage in (sent({"Shut"}, set(), 2), sent({"Shut", "Open"}, {("Shut", opening)}, 3)):
        plugin._merge(merged, plugin._to_data(coverage))  # pyright: ignore[reportPrivateUsage]
    assert list(merged) == ["DoorConformance"]
    coverage = plugin._from_data(merged["DoorConformance"])  # pyright: ignore[reportPrivateUsage]
    assert coverage.to_text() == (
        "DoorConformance (Door, 5 test cases)\n"
        "  states          2 / 2     100%\n"
        "  transitions     1 / 2      50%\n"
        "    uncovered transition: Open --close--> Shut"
    )
