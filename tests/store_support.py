"""The databases the store tests run against: SQLite always, PostgreSQL when given.

PostgreSQL tests read a libpq conninfo from ``TYPESTATE_TEST_POSTGRES``
(``.ci/run`` starts a server and sets it). Without it they skip, except under
``CI``, where a missing server is a failure. Each test gets its own schema in
that database, so tests (and pytest-xdist workers) never see each other's rows.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

import fsm

POSTGRES_ENV = "TYPESTATE_TEST_POSTGRES"
NEEDS_POSTGRES = f"needs PostgreSQL: set {POSTGRES_ENV}=<conninfo> (.ci/run starts one)"
BACKENDS = ("sqlite", "postgres")


def postgres_conninfo() -> str:
    """The conninfo of the test server; skips the test without one (fails under CI)."""
    conninfo = os.environ.get(POSTGRES_ENV, "")
    if not conninfo:
        if os.environ.get("CI"):
            pytest.fail(f"{NEEDS_POSTGRES}; CI must run the PostgreSQL tests")
        pytest.skip(NEEDS_POSTGRES)
    return conninfo


@attrs.define
class Backend:
    """One empty database: open stores on it, or reach its rows directly.

    Attributes:
        name: "sqlite" or "postgres".
        target: what the store's constructor takes (a path or a conninfo).
        open: opens a new store (a new connection) on the database.
        raw: runs one SQL statement (``?`` placeholders) outside the store and
            returns its rows (or [] for a statement that returns none).
    """

    name: str
    target: str
    open: Callable[[], fsm.Store]
    raw: Callable[[str, Sequence[object]], list[tuple[Any, ...]]]


def sqlite_backend(directory: Path) -> Backend:
    """A fresh SQLite file in ``directory``."""
    path = str(directory / "store.db")

    def raw(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(path) as connection:
            rows = connection.execute(sql, params).fetchall()
        connection.close()
        return rows

    return Backend("sqlite", path, lambda: fsm.SQLiteStore(path), raw)


def postgres_backend(conninfo: str) -> Iterator[Backend]:
    """A fresh schema in the test server, dropped afterwards."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")  # pyright: ignore[reportArgumentType]
    target = make_conninfo(conninfo, options=f"-csearch_path={schema}")

    def raw(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(target, autocommit=True) as connection:
            cursor = connection.execute(sql.replace("?", "%s"), params)  # pyright: ignore[reportArgumentType]
            return cursor.fetchall() if cursor.description is not None else []

    def open_store() -> fsm.Store:
        return fsm.PostgresStore(target)

    try:
        yield Backend("postgres", target, open_store, raw)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")  # pyright: ignore[reportArgumentType]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each test that takes it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_backend(tmp_path)
    else:
        yield from postgres_backend(postgres_conninfo())


@pytest.fixture
def store(backend: Backend) -> Iterator[fsm.Store]:
    """A store on a fresh database, closed after the test."""
    with backend.open() as opened:
        yield opened
