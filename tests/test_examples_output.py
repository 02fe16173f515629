"""The example scripts that draw files create their output folder, or say why they cannot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import ROOT, script_env

EXAMPLES = ROOT / "examples"


def run(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=script_env(),
    )


@pytest.mark.parametrize(
    ("script", "drawn"),
    [("two_phase_commit.py", "deadlock.mmd"), ("tcp_client.py", "tcp.svg")],
)
def test_a_missing_output_folder_is_created(tmp_path: Path, script: str, drawn: str) -> None:
    folder = tmp_path / "new" / "folder"
    result = run(script, folder)
    assert (result.returncode, result.stderr) == (0, "")
    assert (folder / drawn).is_file()


@pytest.mark.parametrize("script", ["two_phase_commit.py", "tcp_client.py"])
def test_a_file_in_the_way_is_one_clear_line(tmp_path: Path, script: str) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")
    result = run(script, tmp_path / "taken")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"{script}: cannot draw into {str(tmp_path / 'taken')!r}: it is a file, not a folder\n"
    )
