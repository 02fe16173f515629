"""The conversations of ``examples/``: valid Mermaid, and what their projections are."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


ROOT = EXAMPLES.parent


def _tool(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)


@pytest.fixture(scope="module")
def role_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``typestate codegen --role`` for every role of every example conversation."""
    folder = tmp_path_factory.mktemp("role_modules")
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    for path in FILES:
        for role in fsm.load_conversation(path).roles:
            out = folder / f"{path.stem.removesuffix('_conversation')}_{role.lower()}.py"
            done = _tool([exe, "codegen", str(path), "--role", role, "-o", str(out)], ROOT)
            assert (done.returncode, done.stderr) == (0, "")
    return folder


def test_every_role_module_passes_mypy_strict(role_modules: Path) -> None:
    done = _tool(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10",
         "--cache-dir", str(role_modules / ".mypy_cache"), "."],
        role_modules,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Success: no issues found in 10 source files\n")


def test_every_role_module_passes_pyright_strict(role_modules: Path) -> None:
    pyright = shutil.which("pyright")
    if pyright is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pyright is not installed, and CI must run it: pip install pyright")
        pytest.skip("needs the pyright command line (pip install pyright)")
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(ROOT)]}
    (role_modules / "pyrightconfig.json").write_text(json.dumps(config))
    report = json.loads(_tool([pyright, "--outputjson", "."], role_modules).stdout)
    assert report["generalDiagnostics"] == []
    assert report["summary"]["filesAnalyzed"] == 10


def test_every_role_module_passes_ruff(role_modules: Path) -> None:
    lint = _tool(
        ["ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "."], role_modules
    )
    form = _tool(["ruff", "format", "--isolated", "--check", "."], role_modules)
    assert (lint.stdout, form.stdout) == ("All checks passed!\n", "10 files already formatted\n")
