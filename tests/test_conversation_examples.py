"""The conversations of ``examples/``: valid Mermaid, and what their projections are."""

from __future__ import annotations

from pathlib import Path

import pytest

import fsm

from .mermaid_parser import mermaid_errors

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FILES = sorted(EXAMPLES.glob("*_conversation.mmd"))


def test_every_example_conversation_is_found() -> None:
    assert [f.name for f in FILES] == [
        "contract_net_conversation.mmd",
        "tool_approval_conversation.mmd",
        "two_phase_commit_conversation.mmd",
    ]


@pytest.mark.usefixtures("mermaid")
def test_the_real_mermaid_parsers_accept_each_conversation_as_written_and_as_dumped() -> None:
    texts = [f.read_text(encoding="utf-8") for f in FILES]
    texts += [fsm.dumps_conversation(fsm.load_conversation(f)) for f in FILES]
    assert mermaid_errors(texts) == [{"mermaid10": None, "mermaid11": None}] * len(texts)
