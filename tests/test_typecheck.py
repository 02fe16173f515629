"""The main promise: mypy and pyright reject a call the current state does not allow.

The corpus is ``tests/typecheck/``: small files using the public API, each
starting with ``# must pass: ...`` or ``# must fail: ...``. A must-fail file
ends with the exact messages expected, as comments::

    # expect mypy:
    #   4: error: "Idle" has no attribute "plan"  [attr-defined]
    # expect pyright:
    #   4:8 - error: Cannot access attribute "plan" for class "Idle"
    #     Attribute "plan" is unknown (reportAttributeAccessIssue)

(an indented comment line continues the message above it). ``# expect mypy
without allow_redefinition_new:`` gives what mypy says without that setting.
The real mypy (``--strict``, with ``allow_redefinition_new``) runs once over
the whole corpus, once more without the setting over the files that say what
it gives then, and the real pyright (strict) runs once. The directory is left
out of pytest's collection and of ruff (pyproject.toml): its errors are on
purpose.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "typecheck"
NBSP = "\xa0"  # pyright's JSON output indents continuation lines with these

MYPY_CONFIG = """
[mypy]
strict = true
python_version = 3.10
allow_redefinition_new = true
local_partial_types = true
"""
MYPY_WITHOUT_REDEFINITION = "[mypy]\nstrict = true\npython_version = 3.10\n"

MYPY, PYRIGHT, WITHOUT = "mypy", "pyright", "mypy without allow_redefinition_new"


def _expected(path: Path) -> tuple[str, dict[str, list[str]]]:
    """The kind of a corpus file (``pass`` or ``fail``) and its expected messages."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kind = re.match(r"^# must (pass|fail): ", lines[0])
    assert kind, f"{path.name} must start with '# must pass: ...' or '# must fail: ...'"
    expected: dict[str, list[str]] = {}
    section: list[str] | None = None
    for line in lines[1:]:
        header = re.match(r"^# expect (.+):$", line)
        if header:
            section = expected.setdefault(header[1], [])
        elif section is not None and line.startswith("#     "):
            section[-1] += "\n" + line[4:]
        elif section is not None and line.startswith("#   "):
            section.append(line[4:])
    return kind[1], expected


CASES = {path.stem: _expected(path) for path in sorted(CORPUS.glob("*.py"))}


def _run(command: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus, outside the ``tests`` package (mypy would name it by it)."""
    root = tmp_path_factory.mktemp("typecheck") / "corpus"
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _mypy(root: Path, config: str, files: list[str]) -> dict[str, list[str]]:
    (root / "mypy.ini").write_text(config)
    output = _run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-error-summary",
         "--no-sqlite-cache", "--cache-dir", str(root / ".cache"), *files],
        root,
    )  # fmt: skip
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = re.match(r"^(\w+)\.py:(.*)$", line)
        assert match, f"unexpected mypy output: {line}\n{output}"
        found.setdefault(match[1], []).append(match[2])
    return found


@pytest.fixture(scope="module")
def mypy_results(corpus: Path) -> dict[str, list[str]]:
    return _mypy(corpus, MYPY_CONFIG, ["."])


@pytest.fixture(scope="module")
def pyright_results(corpus: Path) -> dict[str, list[str]]:
    pyright = shutil.which("pyright")
    if pyright is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pyright is not installed, and CI must run it: pip install pyright")
        pytest.skip("needs the pyright command line (pip install pyright)")
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(REPO)]}
    (corpus / "pyrightconfig.json").write_text(json.dumps(config))
    output = _run([pyright, "--outputjson", "."], corpus)
    report = json.loads(output[output.index("{") :])
    assert report["summary"]["filesAnalyzed"] == len(CASES)
    found: dict[str, list[str]] = {}
    for item in report["generalDiagnostics"]:
        start = item["range"]["start"]
        rule = f" ({item['rule']})" if "rule" in item else ""
        text = (
            f"{start['line'] + 1}:{start['character'] + 1} - {item['severity']}: "
            f"{item['message'].replace(NBSP, ' ')}{rule}"
        )
        found.setdefault(Path(item["file"]).stem, []).append(text)
    return found


def test_the_corpus_covers_both_kinds() -> None:
    kinds = [kind for kind, _ in CASES.values()]
    assert kinds.count("pass") >= 4
    assert kinds.count("fail") >= 8
    for name, (kind, expected) in CASES.items():
        wanted = {MYPY, PYRIGHT} if kind == "fail" else set()
        assert set(expected) - {WITHOUT} == wanted, name


@pytest.mark.parametrize("case", sorted(CASES))
def test_mypy_says_exactly_what_is_expected(mypy_results: dict[str, list[str]], case: str) -> None:
    assert mypy_results.get(case, []) == CASES[case][1].get(MYPY, [])


@pytest.mark.parametrize("case", sorted(CASES))
def test_pyright_says_exactly_what_is_expected(
    pyright_results: dict[str, list[str]], case: str
) -> None:
    assert sorted(pyright_results.get(case, [])) == sorted(CASES[case][1].get(PYRIGHT, []))


def test_mypy_does_not_read_asyncio_for_typestate(
    mypy_results: dict[str, list[str]], corpus: Path
) -> None:
    """fsm and typestate import asyncio out of the checkers' sight (it brings ssl,
    socket, concurrent, multiprocessing...; see benchmarks/mypy_time.py)."""
    # One cache entry (a file, or a folder for a package) per module analysed.
    analysed = {path.name.split(".")[0] for path in (corpus / ".cache" / "3.10").iterdir()}
    assert {"typestate", "fsm", "attrs"} <= analysed
    assert not analysed & {"asyncio", "ssl", "socket", "concurrent", "multiprocessing"}


def test_rebinding_needs_mypy_redefinition(corpus: Path) -> None:
    """Without allow_redefinition(_new), mypy rejects ``s = s.assign(...)``."""
    cases = [name for name, (_, expected) in CASES.items() if WITHOUT in expected]
    assert cases == ["ok_rebinding"]
    found = _mypy(corpus, MYPY_WITHOUT_REDEFINITION, [f"{name}.py" for name in cases])
    assert found == {name: CASES[name][1][WITHOUT] for name in cases}


@pytest.mark.skipif(
    int(version("mypy").split(".")[0]) < 2, reason="mypy 1 reads allow_redefinition the old way"
)
def test_rebinding_with_mypy_2_allow_redefinition(corpus: Path) -> None:
    """In mypy 2, ``allow_redefinition`` is the new behaviour on its own."""
    config = MYPY_WITHOUT_REDEFINITION + "allow_redefinition = true\n"
    assert _mypy(corpus, config, ["ok_rebinding.py"]) == {}
