"""Every text we write or ship is accepted by the real Mermaid 10 and 11 parsers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm

from .mermaid_parser import assert_mermaid_accepts, mermaid_errors
from .strategies import machines

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


pytestmark = pytest.mark.usefixtures("mermaid")


@settings(max_examples=1, deadline=None)
@given(st.data())
def test_mermaid_accepts_every_dumps_output(data: st.DataObject) -> None:
    # One batch (one Node process) for a sample of 150 generated machines.
    sample = [data.draw(machines(), label=f"machine {n}") for n in range(150)]
    assert_mermaid_accepts([fsm.dumps(machine) for machine in sample])


def test_mermaid_accepts_every_example_file() -> None:
    files = sorted(EXAMPLES.glob("*.mmd"))
    assert files, "no .mmd files in examples/"
    assert_mermaid_accepts([path.read_text(encoding="utf-8") for path in files])


def test_mermaid_accepts_the_dumps_of_every_example() -> None:
    # *_conversation.mmd files are sequence diagrams, not machines.
    files = [p for p in sorted(EXAMPLES.glob("*.mmd")) if not p.stem.endswith("_conversation")]
    assert_mermaid_accepts([fsm.dumps(fsm.load(path)) for path in files])


def test_the_harness_would_reject_a_bad_dumps() -> None:
    # Guards the test above against a harness that accepts everything.
    [result] = mermaid_errors(["stateDiagram-v2\n    A --> B : a: b\n"])
    assert result["mermaid10"] is not None
