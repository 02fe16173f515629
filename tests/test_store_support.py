"""The PostgreSQL tests skip without a server, and fail without one under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .store_support import NEEDS_POSTGRES, POSTGRES_ENV

ROOT = Path(__file__).resolve().parent.parent


def run_postgres_test(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (POSTGRES_ENV, "CI")}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n0",
            "-p",
            "no:cacheprovider",
            "-rs",
            "-q",
            "tests/test_store.py::test_create_refuses_an_id_in_use[postgres]",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_a_server_the_postgres_tests_skip_and_say_how_to_run_them() -> None:
    result = run_postgres_test(ci=False)
    assert result.returncode == 0, result.stdout
    assert "SKIPPED [1] tests/test_store.py:" in result.stdout
    assert NEEDS_POSTGRES in result.stdout
    assert NEEDS_POSTGRES == (
        "needs PostgreSQL: set TYPESTATE_TEST_POSTGRES=<conninfo> (.ci/run starts one)"
    )


def test_without_a_server_under_ci_the_postgres_tests_fail() -> None:
    result = run_postgres_test(ci=True)
    assert result.returncode == 1, result.stdout
    assert f"Failed: {NEEDS_POSTGRES}; CI must run the PostgreSQL tests" in result.stdout
