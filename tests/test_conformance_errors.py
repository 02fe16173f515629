"""conformance() lets interrupts and its adapter's own errors through, and says what to install."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

import fsm
from analysis.testing import conformance

from .test_cli import ROOT, script_env

DOOR = fsm.parse(
    "stateDiagram-v2\n[*] --> Shut\nShut --> Open : open\nOpen --> Shut : close\n", name="Door"
)
QUICK = settings(max_examples=5, deadline=None, database=None)


class Door:
    """A correct door; ``interrupt`` makes it raise KeyboardInterrupt on some sends."""

    def __init__(self, interrupt: str | None = None) -> None:
        self.state = "Shut"
        self.interrupt = interrupt

    def reset(self) -> None:
        self.state = "Shut"

    def send(self, event: str, payload: Mapping[str, object]) -> object:
        moves = {("Shut", "open"): "Open", ("Open", "close"): "Shut"}
        allowed = (self.state, event) in moves
        if self.interrupt == ("allowed" if allowed else "refused"):
            raise KeyboardInterrupt
        if not allowed:
            raise ValueError(f"can't {event}")
        self.state = moves[self.state, event]
        return self.state


@pytest.mark.parametrize("step", ["allowed", "refused"])
def test_ctrl_c_in_the_implementation_is_not_a_shrinkable_failure(step: str) -> None:
    # A KeyboardInterrupt must stop the run, not become a ConformanceFailure.
    # Derandomized, with room to reach a refused step: five random examples
    # sometimes tried no invalid event, so nothing was interrupted.
    machine = conformance(DOOR, Door(interrupt=step))
    with pytest.raises(KeyboardInterrupt):
        run_state_machine_as_test(
            machine, settings=settings(QUICK, max_examples=50, derandomize=True)
        )


class OwnStrategies(Door):
    """An adapter with payload strategies of its own; one of them is broken."""

    def payload_strategy(self, event: str) -> st.SearchStrategy[dict[str, object]] | None:
        if event == "open":
            raise ValueError("the payload strategy of 'open' is broken")
        return None  # no strategy of its own: the machine's annotations are used


def test_an_error_in_the_adapters_payloads_is_not_swallowed() -> None:
    machine = conformance(DOOR, OwnStrategies())
    with pytest.raises(ValueError, match=r"^the payload strategy of 'open' is broken"):
        run_state_machine_as_test(machine, settings=QUICK)


def test_without_hypothesis_conformance_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import fsm\n"
        "from analysis.testing import conformance\n"
        "door = fsm.parse('stateDiagram-v2\\n[*] --> A\\nA --> B : go\\n')\n"
        "try:\n"
        "    conformance(door, door.start)\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error.name, error, sep='|')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=script_env(),
    )
    assert result.stdout == (
        "hypothesis|conformance() needs Hypothesis, which is not installed: "
        "pip install 'typestate[testing]'\n"
    )
