"""The one transition core: the sync variant derived from the async source."""

from __future__ import annotations

import asyncio
import linecache
import traceback
from typing import Any

import pytest

import fsm
from fsm import _runtime

SPEC = """stateDiagram-v2
    [*] --> A
    A --> B : go [ok] / act
"""


class Failing:
    def ok(self, **payload: Any) -> bool:
        raise ValueError("no")

    def act(self, **payload: Any) -> None:
        pass


def test_a_traceback_through_the_sync_core_shows_its_source_line() -> None:
    inst = fsm.parse(SPEC).bind(Failing).start(Failing())
    with pytest.raises(fsm.TransitionFailed) as caught:
        inst.send("go")
    cause = caught.value.__cause__
    assert cause is not None
    frames = traceback.extract_tb(cause.__traceback__)
    core = [f for f in frames if f.name == "_transition"]
    assert len(core) == 1
    assert core[0].filename.startswith("<fsm generated: _transition")
    assert core[0].line == "held = guard(context, **payload)"


def test_the_sync_core_is_the_async_source_without_its_awaits() -> None:
    filename = _runtime._transition.__code__.co_filename
    source = "".join(linecache.getlines(filename))
    assert source.startswith("def _transition(\n")
    assert "await" not in source
    assert "isawaitable" not in source
    assert "# async only" not in source


class AwaitableFromSync:
    """Sync handlers that return awaitables: send ignores them, asend awaits them."""

    def __init__(self) -> None:
        self.awaited: list[str] = []

    def ok(self, **payload: Any) -> object:
        return self._note("ok", value=False)

    def act(self, **payload: Any) -> object:
        return self._note("act", value=None)

    async def _note(self, name: str, value: object) -> object:
        self.awaited.append(name)
        return value


def test_awaitables_from_sync_handlers_are_awaited_by_asend_only() -> None:
    bound = fsm.parse(SPEC).bind(AwaitableFromSync)
    context = AwaitableFromSync()
    inst = bound.start(context)
    # The guard's coroutine is truthy and never awaited, as before the one core.
    with pytest.warns(RuntimeWarning, match="never awaited"):
        assert inst.send("go") == "B"
    assert context.awaited == []
    inst = bound.start(context)
    with pytest.raises(fsm.InvalidTransition):
        asyncio.run(inst.asend("go"))
    assert context.awaited == ["ok"]
