"""A store in PostgreSQL (psycopg 3), for workers on many machines.

psycopg is imported when a :class:`PostgresStore` is opened, never when
:mod:`fsm` is: install it with the extra ``typestate[postgres]``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Generator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Final, Protocol

from ._store import CommitUnknown, Database, Row, Store, StoreError, Transaction

__all__ = ["PostgresStore"]

# Any 64-bit number will do; it names the advisory lock that serializes the
# creation of the tables among processes that open a new database at once.
_SCHEMA_LOCK: Final = 0x7479_7065_7374_6174  # "typestat"


def _sql(text: str) -> str:
    # The statements are the store's own constants, with ? placeholders;
    # psycopg's are %s. Nothing from the data is ever put into SQL text.
    return text.replace("?", "%s")


# What the store uses of psycopg, written out so that type checkers need not
# read psycopg (and the asyncio it imports) for every module that imports fsm.
class _Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchall(self) -> list[Row]: ...
    def executemany(self, query: str, params_seq: Sequence[Sequence[object]]) -> None: ...
    def __enter__(self) -> _Cursor: ...
    def __exit__(self, *exc: object) -> None: ...


class _Connection(Protocol):
    def execute(self, query: str, params: Sequence[object]) -> _Cursor: ...
    def cursor(self) -> _Cursor: ...
    def transaction(self) -> AbstractContextManager[object]: ...
    def close(self) -> None: ...


def _psycopg() -> Any:
    # Through importlib, out of the type checkers' sight (see _Connection).
    return importlib.import_module("psycopg")


class _PostgresTransaction(Transaction):
    __slots__ = ("_connection",)

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._connection.execute(_sql(sql), params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(_sql(sql), rows)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._connection.execute(_sql(sql), params).fetchall()


class _Postgres(Database):
    for_update = " FOR UPDATE"

    def __init__(self, conninfo: str) -> None:
        # Never the conninfo: it may hold a password.
        self.where = "the PostgreSQL database"
        try:
            psycopg = _psycopg()
        except ImportError:
            raise StoreError(
                "fsm.PostgresStore needs psycopg 3, which is not installed; install "
                "it with: pip install 'typestate[postgres]'"
            ) from None
        self._error: type[Exception] = psycopg.Error
        self._lock = threading.RLock()
        try:
            connection: _Connection = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"cannot connect to {self.where}: {error}") from None
        self._connection = connection
        self._tx = _PostgresTransaction(connection)

    def _failed(self, error: Exception) -> StoreError:
        return StoreError(f"{self.where} failed: {error}; nothing was written")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._lock:
            try:
                return self._tx.query(sql, params)
            except self._error as error:
                raise self._failed(error) from error

    @contextmanager
    def _transaction(self) -> Generator[Transaction, None, None]:
        with self._lock:
            committing = False
            try:
                # READ COMMITTED (the default): an UPDATE ... WHERE version = read
                # waits for a concurrent writer of the row, then sees its version,
                # so exactly one of two racing sends matches.
                with self._connection.transaction():
                    yield self._tx
                    committing = True
            except self._error as error:
                # An error the server sent (it has an SQLSTATE) means it rolled
                # back; none at the commit means no answer came: it may have
                # committed.
                if committing and getattr(error, "sqlstate", None) is None:
                    raise CommitUnknown(
                        f"{self.where} failed at the commit ({error}); the commit's outcome "
                        f"is unknown: it may have been written; open a new store and load "
                        f"the instance to see its stored state"
                    ) from error
                raise self._failed(error) from error

    def transaction(self) -> AbstractContextManager[Transaction]:
        return self._transaction()

    def lock_schema(self, tx: Transaction) -> None:
        tx.query("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresStore(Store):
    """A store in a PostgreSQL database (psycopg 3; the extra ``typestate[postgres]``).

    Workers on many machines may share the database: each opens its own
    store. A send's commit is one transaction at PostgreSQL's default
    isolation (read committed); the compare-and-set on the version makes two
    racing sends to one instance commit exactly once. A commit is durable as
    the server's ``synchronous_commit`` setting makes it (on by default).
    The store holds one connection; when it is lost (the server restarted),
    each call raises :class:`~fsm.StoreError`: open a new store. When it is
    lost at a commit, the server may have committed: :class:`~fsm.CommitUnknown`
    says so, and loading the instance again tells.

    Args:
        conninfo: a libpq connection string or URI, such as
            ``"host=/run/postgresql dbname=agents"`` or
            ``"postgresql://user@db.example/agents"``.

    Raises:
        StoreError: psycopg is not installed, the server cannot be reached,
            or the database holds a newer schema version.
    """

    def __init__(self, conninfo: str) -> None:
        self._open(_Postgres(conninfo))
