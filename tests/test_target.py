"""Loading a ``module:attribute`` TARGET leaves ``sys.path`` as it was."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from analysis._target import TargetError, load_target


def test_a_module_target_is_imported_without_editing_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "door_target_module.py").write_text(
        "import fsm\nDOOR = fsm.parse('stateDiagram-v2\\n[*] --> Shut\\n', name='Door')\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "door_target_module", raising=False)
    before = list(sys.path)
    assert load_target("door_target_module:DOOR").name == "Door"
    assert sys.path == before


def test_sys_path_is_put_back_when_the_import_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_target_module.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "broken_target_module", raising=False)
    before = list(sys.path)
    with pytest.raises(TargetError, match=r"^importing module 'broken_target_module' raised"):
        load_target("broken_target_module:X")
    assert sys.path == before
