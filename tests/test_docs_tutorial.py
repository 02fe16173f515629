"""The tutorial's type-checker outputs are what mypy and pyright print today.

``tests/test_docs.py`` runs the tutorial's Python blocks; this runs the real
checkers on the two files the tutorial asks the reader to save, and compares
their output with the text the page shows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    return FENCE.findall(TUTORIAL.read_text(encoding="utf-8"))


def _after(marker: str, language: str) -> str:
    """The first block in ``language`` after the line containing ``marker``."""
    text = TUTORIAL.read_text(encoding="utf-8")
    start = text.index(marker)
    for match in FENCE.finditer(text, start):
        if match.group(1) == language:
            return match.group(2)
    raise AssertionError(f"no {language} block after {marker!r}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "job.py").write_text(_after("Save this as `job.py`", "python"), encoding="utf-8")
    (tmp_path / "use.py").write_text(_after("Save this as `use.py`", "text"), encoding="utf-8")
    return tmp_path


def _shown(command: str) -> str:
    """The output the tutorial shows under ``$ command``."""
    for language, body in _blocks():
        if language == "text" and body.startswith(f"$ {command}\n"):
            return body.removeprefix(f"$ {command}\n")
    raise AssertionError(f"the tutorial shows no output of {command!r}")


def test_mypy_prints_what_the_tutorial_shows(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == _shown("mypy --strict use.py")


def test_pyright_prints_what_the_tutorial_shows(project: Path) -> None:
    exe = shutil.which("pyright")
    if exe is None:
        pytest.skip("pyright is not installed")
    (project / "pyrightconfig.json").write_text(
        f'{{"extraPaths": ["{ROOT.as_posix()}"]}}', encoding="utf-8"
    )
    result = subprocess.run(
        [exe, "use.py"], cwd=project, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 1, result.stderr
    shown = _shown("pyright use.py").replace("/home/you/jobs", project.as_posix())
    # pyright indents its detail lines with no-break spaces.
    assert result.stdout.replace("\xa0", " ") == shown


def test_readme_type_checker_output_is_what_mypy_and_pyright_print(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n")[1].split("```")[0]
    (tmp_path / "app.py").write_text(code + 'Idle().finish("too early")\n', encoding="utf-8")
    shown = readme.split("```text\n")[1].split("```")[0]
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert f"$ mypy --strict app.py\n{mypy.stdout}" in shown
    pyright = subprocess.run(
        ["pyright", "app.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    printed = pyright.stdout.replace(str(tmp_path), "/path/to").replace("\xa0", " ")
    assert printed.splitlines() == shown.split("$ pyright app.py\n")[1].splitlines()
