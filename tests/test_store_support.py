"""The PostgreSQL tests skip without a server, and fail without one under CI."""

from __future__ import annotations

import pytest

from .store_support import NEEDS_POSTGRES, POSTGRES_ENV, postgres_conninfo


def test_without_a_server_the_postgres_tests_skip_and_say_how_to_run_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(POSTGRES_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as caught:
        postgres_conninfo()
    assert caught.value.msg == (
        "needs PostgreSQL: set TYPESTATE_TEST_POSTGRES=<conninfo> (.ci/run starts one)"
    )


def test_without_a_server_under_ci_the_postgres_tests_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(POSTGRES_ENV, "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as caught:
        postgres_conninfo()
    assert caught.value.msg == f"{NEEDS_POSTGRES}; CI must run the PostgreSQL tests"


def test_with_a_server_the_tests_get_its_conninfo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POSTGRES_ENV, "host=/tmp/pg dbname=postgres")
    monkeypatch.setenv("CI", "true")
    assert postgres_conninfo() == "host=/tmp/pg dbname=postgres"
