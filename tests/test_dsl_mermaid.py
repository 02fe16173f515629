"""Every text we write or ship is accepted by the real Mermaid 10 and 11 parsers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm

from .mermaid_parser import NodeToolMissingError, ensure_mermaid_installed, mermaid_errors
from .strategies import machines

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module", autouse=True)
def _mermaid() -> None:
    try:
        ensure_mermaid_installed()
    except NodeToolMissingError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(exc))


def _assert_accepted(texts: list[str]) -> None:
    results = mermaid_errors(texts)
    rejected = [
        (text, result) for text, result in zip(texts, results, strict=True) if any(result.values())
    ]
    assert not rejected, (
        f"Mermaid rejected {len(rejected)} text(s); the first:\n{rejected[0][0]}\n{rejected[0][1]}"
    )


@settings(max_examples=1, deadline=None)
@given(st.data())
def test_mermaid_accepts_every_dumps_output(data: st.DataObject) -> None:
    # One batch (one Node process) for a sample of 150 generated machines.
    sample = [data.draw(machines(), label=f"machine {n}") for n in range(150)]
    _assert_accepted([fsm.dumps(machine) for machine in sample])


def test_mermaid_accepts_every_example_file() -> None:
    files = sorted(EXAMPLES.glob("*.mmd"))
    assert files, "no .mmd files in examples/"
    _assert_accepted([path.read_text(encoding="utf-8") for path in files])


def test_mermaid_accepts_the_dumps_of_every_example() -> None:
    files = sorted(EXAMPLES.glob("*.mmd"))
    _assert_accepted([fsm.dumps(fsm.load(path)) for path in files])


def test_the_harness_would_reject_a_bad_dumps() -> None:
    # Guards the test above against a harness that accepts everything.
    [result] = mermaid_errors(["stateDiagram-v2\n    A --> B : a: b\n"])
    assert result["mermaid10"] is not None
