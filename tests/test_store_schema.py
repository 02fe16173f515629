"""The schema page says what the tables hold, and the rows keep its invariants."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fsm

from .store_support import Backend

PAGE = (Path(__file__).parent.parent / "docs" / "reference" / "store.md").read_text()
TABLES = ("typestate_schema", "typestate_instances", "typestate_steps")


def documented(table: str) -> list[tuple[str, str]]:
    """The (column, type) rows of the table's section on the page."""
    section = PAGE.split(f"## `{table}`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \| `([\w ]+)`", section, re.MULTILINE)


@pytest.mark.parametrize("table", TABLES)
def test_the_schema_page_lists_every_column_with_its_type(backend: Backend, table: str) -> None:
    backend.open().close()
    if backend.name == "sqlite":
        columns = [(c[1], c[2].lower()) for c in backend.raw(f"PRAGMA table_info({table})", ())]
    else:
        columns = backend.raw(
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            "table_name = ? AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
    assert documented(table) == columns


def test_steps_read_back_every_committed_step_with_its_payload(
    store: fsm.Store,
) -> None:
    machine = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go(n)\nB --> A : back", name="M")
    inst = store.create(machine, "x")
    inst.send("go", n=[1, {"k": None}])
    inst.send("back")
    steps = store.steps("x")
    assert [(s.seq, s.version, s.step, s.payload) for s in steps] == [
        (1, 2, fsm.Step("A", "go", "B"), {"n": [1, {"k": None}]}),
        (2, 3, fsm.Step("B", "back", "A"), {}),
    ]
    assert steps[0].at <= steps[1].at
    with pytest.raises(fsm.NotStored, match="'ghost'"):
        store.steps("ghost")


def test_every_history_is_a_path_ending_in_the_stored_state(
    backend: Backend, store: fsm.Store
) -> None:
    machine = fsm.parse(
        "stateDiagram-v2\n[*] --> A\nA --> B : go\nB --> C : go\nC --> A : go", name="M"
    )
    for id, sends in (("x", 4), ("y", 0), ("z", 2)):
        inst = store.create(machine, id)
        for _ in range(sends):
            inst.send("go")
    for id, state, count in backend.raw("SELECT id, state, steps FROM typestate_instances", ()):
        steps = store.steps(id)
        assert [s.seq for s in steps] == list(range(1, count + 1))
        where = machine.initial
        for s in steps:
            assert s.source == where
            where = s.target
        assert where == state
