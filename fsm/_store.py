"""Durable instances: a store keeps each instance's state and history in a database.

A :class:`StoredInstance` wraps an in-memory :class:`~fsm.Instance`. Its
``send`` runs the transition in memory first (guards, hooks, actions and
listeners, exactly as :meth:`fsm.Instance.send` does), then writes the new
snapshot and every step the send took in one database transaction, but only
if the row's version is still the one this instance read (compare-and-set).
Otherwise nothing is written and :class:`Conflict` is raised: load the
instance again and retry.

The SQL is shared by the backends: :class:`SQLiteStore` here (the standard
library's ``sqlite3``, WAL mode) and :class:`fsm.PostgresStore` in
``fsm._postgres`` (psycopg 3, imported only when such a store is opened).
The schema is documented in ``docs/reference/store.md``.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ._errors import FSMError, SnapshotError, short_repr
from ._runtime import BoundMachine, Instance, Listener, Step

if TYPE_CHECKING:
    import sqlite3
    from types import TracebackType

    from typing_extensions import Self

    from ._clock import Clock
    from ._model import Machine

__all__ = [
    "SCHEMA_VERSION",
    "CommitUnknown",
    "Conflict",
    "MachineMismatch",
    "NotStored",
    "SQLiteStore",
    "Store",
    "StoreError",
    "StoredInstance",
    "StoredStep",
]

#: The version of the tables this code reads and writes. A database written
#: by a newer version is refused, never changed.
SCHEMA_VERSION: Final = 2

Row = tuple[Any, ...]


# -- errors -------------------------------------------------------------------------


class StoreError(FSMError):
    """A store cannot do what was asked; nothing was written (except :class:`CommitUnknown`).

    Raised for a row that cannot be read back (the message names the id), a
    database of a newer schema version, a payload that is not JSON, and a
    database error (chained as the cause).
    """


class Conflict(StoreError):
    """Another writer changed the instance since it was read; nothing was written.

    Retryable: load the instance again (or call
    :meth:`StoredInstance.reload`) and send again.

    Attributes:
        id: the instance's id.
        read: the version the failed send read.
        current: the version now stored.
    """

    id: str
    read: int
    current: int

    def __init__(
        self, id: str, read: int, current: int, why: str = "another writer sent to it first"
    ) -> None:
        self.id = id
        self.read = read
        self.current = current
        self.why = why
        super().__init__(
            f"instance {id!r} changed since it was read (version {read} read, {current} "
            f"stored now): {why}; nothing was written; reload it and send again"
        )

    def __reduce__(self) -> tuple[type[Conflict], tuple[str, int, int, str], object]:
        return (type(self), (self.id, self.read, self.current, self.why), self.__dict__)


class CommitUnknown(StoreError):
    """The connection failed at the commit: it may or may not have been written.

    The server may have committed before the connection was lost, so the
    outcome is unknown; nothing can be assumed either way. The
    :class:`StoredInstance` is left as it was before the send: if the commit
    did happen, its next send raises :class:`Conflict`, so nothing is ever
    written twice. Open a new store (the connection is lost) and load the
    instance to see which it was.
    """


class NotStored(StoreError, KeyError):
    """No instance is stored under this id.

    Attributes:
        id: the id asked for.
    """

    id: str

    def __init__(self, id: str) -> None:
        self.id = id
        super().__init__(
            f"no instance {short_repr(id)} is stored; create it with store.create(machine, id)"
        )

    def __str__(self) -> str:
        # KeyError shows the repr of its argument; this is a sentence.
        return str(self.args[0])

    def __reduce__(self) -> tuple[type[NotStored], tuple[str], object]:
        return (type(self), (self.id,), self.__dict__)


class MachineMismatch(StoreError):
    """An instance was stored by another machine, or by another version of it.

    Attributes:
        id: the instance's id.
        stored: the fingerprint stored with the instance.
        expected: the fingerprint of the machine it was loaded with.
        stored_machine: the name of the machine that stored it.
        machine: the name of the machine it was loaded with.
    """

    id: str
    stored: str
    expected: str
    stored_machine: str
    machine: str

    def __init__(
        self, id: str, stored: str, expected: str, stored_machine: str, machine: str
    ) -> None:
        self.id = id
        self.stored = stored
        self.expected = expected
        self.stored_machine = stored_machine
        self.machine = machine
        if stored_machine == machine:
            by = f"another version of machine {machine!r} (fingerprint {stored})"
        else:
            by = f"machine {short_repr(stored_machine)} (fingerprint {stored})"
        super().__init__(
            f"instance {id!r} was stored by {by}, not by the machine {machine!r} loading it "
            f"(fingerprint {expected}); nothing was changed; load it with the machine it was "
            f"stored by, or move the instances stored by the old one with "
            f"store.migrate(old_fingerprint, new_machine, states={{old_state: new_state}})"
        )

    def __reduce__(
        self,
    ) -> tuple[type[MachineMismatch], tuple[str, str, str, str, str], object]:
        args = (self.id, self.stored, self.expected, self.stored_machine, self.machine)
        return (type(self), args, self.__dict__)


def _corrupted(id: str, what: str) -> StoreError:
    return StoreError(
        f"instance {id!r}: its stored row is corrupted ({what}); nothing was changed; "
        f"restore the row from a backup, or delete it with store.delete({id!r})"
    )


class StoredStep(NamedTuple):
    """One committed step of a stored instance, as :meth:`Store.steps` reads it.

    Attributes:
        seq: its position in the instance's history, from 1.
        version: the version of the instance its send committed (the steps
            of one send share it).
        source: the leaf state left.
        event: the event sent.
        target: the leaf state entered.
        payload: the payload the event was sent with.
        at: when it was committed (seconds since the epoch).
    """

    seq: int
    version: int
    source: str
    event: str
    target: str
    payload: dict[str, Any]
    at: float

    @property
    def step(self) -> Step:
        """The :class:`~fsm.Step` alone."""
        return Step(self.source, self.event, self.target)


# -- the database, as the store sees it ---------------------------------------------


class Transaction(ABC):
    """One open write transaction; the SQL uses ``?`` placeholders."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement and return the number of rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each row of parameters."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one SELECT and return its rows."""


class Database(ABC):
    """What a backend gives the store: reads, write transactions, closing."""

    #: How a message names the database (never a password).
    where: str
    #: Appended to a SELECT inside a transaction that updates what it read.
    for_update: str = ""

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one SELECT outside any write transaction."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """Open a write transaction: committed at the end, rolled back on an exception."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def lock_schema(self, tx: Transaction) -> None:  # noqa: B027 (a hook; most need none)
        """Serialize schema creation among processes (SQLite's write lock does already)."""


#: The largest integer both databases store (a signed 64-bit integer); a row
#: whose version is there cannot take another send.
_LARGEST: Final = 2**63 - 1

_CREATE_SCHEMA: Final = "CREATE TABLE IF NOT EXISTS typestate_schema (version integer NOT NULL)"
_CREATE_TABLES: Final = (
    """CREATE TABLE typestate_instances (
        id text PRIMARY KEY,
        machine text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL,
        version bigint NOT NULL,
        steps bigint NOT NULL,
        snapshot text NOT NULL,
        created double precision NOT NULL,
        updated double precision NOT NULL,
        incarnation text NOT NULL DEFAULT ''
    )""",
    """CREATE INDEX typestate_instances_by_state
        ON typestate_instances (fingerprint, state, id)""",
    """CREATE TABLE typestate_steps (
        id text NOT NULL REFERENCES typestate_instances (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        version bigint NOT NULL,
        source text NOT NULL,
        event text NOT NULL,
        target text NOT NULL,
        payload text NOT NULL,
        at double precision NOT NULL,
        PRIMARY KEY (id, seq)
    )""",
)


def _prepare(db: Database) -> None:
    """Create the tables in an empty database; refuse one of a newer schema."""
    with db.transaction() as tx:
        db.lock_schema(tx)
        tx.execute(_CREATE_SCHEMA)
        rows = tx.query("SELECT version FROM typestate_schema")
        if not rows:
            for statement in _CREATE_TABLES:
                tx.execute(statement)
            tx.execute("INSERT INTO typestate_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            return
        versions = [row[0] for row in rows]
        if len(versions) != 1 or not _is_int(versions[0]):
            raise StoreError(
                f"{db.where} has a corrupted typestate_schema table (versions "
                f"{short_repr(versions)}, expected one integer); nothing was changed"
            )
        version: int = versions[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{db.where} has store schema version {version}, newer than version "
                f"{SCHEMA_VERSION} that this typestate reads; upgrade typestate to open "
                f"it (nothing was changed)"
            )
        if version < 1:
            raise StoreError(
                f"{db.where} has an invalid store schema version {version}; nothing was changed"
            )
        if version == 1:
            # Version 2 added the incarnation: a row made before it keeps ''.
            tx.execute(
                "ALTER TABLE typestate_instances ADD COLUMN incarnation text NOT NULL DEFAULT ''"
            )
            tx.execute("UPDATE typestate_schema SET version = ?", (SCHEMA_VERSION,))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- stores -------------------------------------------------------------------------


class _Recorder:
    """The listener a store binds last: it collects the steps of the send under way."""

    __slots__ = ("buffers",)

    def __init__(self) -> None:
        # id(instance) -> the steps that instance took during its current send.
        self.buffers: dict[int, list[tuple[Step, dict[str, Any]]]] = {}

    def __call__(self, instance: Instance, step: Step, payload: dict[str, Any]) -> None:
        taken = self.buffers.get(id(instance))
        if taken is not None:
            taken.append((step, dict(payload)))


class Store(ABC):
    """A database of stored instances: what :class:`SQLiteStore` and ``PostgresStore`` share.

    A store is a context manager that closes itself. One store object may be
    shared by threads (its calls are serialized); each process opens its own.
    """

    _db: Database
    _recorder: _Recorder
    _bindings: dict[tuple[str, type[Any] | None], BoundMachine]
    _lock: threading.Lock

    def _open(self, db: Database) -> None:
        self._db = db
        self._recorder = _Recorder()
        self._bindings = {}
        self._lock = threading.Lock()
        try:
            _prepare(db)
        except BaseException:
            db.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<fsm.{type(self).__name__} {self._db.where}>"

    def close(self) -> None:
        """Close the connection; the store cannot be used after."""
        self._db.close()

    # -- binding --------------------------------------------------------------------

    def _bind(
        self,
        machine: Machine,
        context: object,
        handlers: Mapping[str, object] | None,
        listeners: Iterable[Listener],
    ) -> BoundMachine:
        context_type = None if context is None else type(context)
        listeners = tuple(listeners)
        if handlers is None and not listeners:
            key = (machine.fingerprint, context_type)
            with self._lock:
                bound = self._bindings.get(key)
            if bound is not None:
                return bound
            bound = machine.bind(context_type, listeners=(self._recorder,))
            with self._lock:
                self._bindings[key] = bound
            return bound
        return machine.bind(context_type, handlers=handlers, listeners=(*listeners, self._recorder))

    # -- the API --------------------------------------------------------------------

    def create(
        self,
        machine: Machine,
        id: str,
        context: object = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
        clock: Clock | None = None,
    ) -> StoredInstance:
        """Store a new instance of ``machine`` under ``id``, in the initial state.

        Args:
            machine: the protocol; its fingerprint is stored with the instance.
            id: a non-empty string, unique in the store.
            context: the object whose methods are the handlers (not stored:
                pass it again to :meth:`load`).
            handlers: name -> function, as for :meth:`fsm.Machine.bind`.
            listeners: as for :meth:`fsm.Machine.bind`; they run before the
                commit.
            clock: the clock of the instance's timers, as for
                :meth:`fsm.BoundMachine.start` (the wall clock by default); the
                due times are stored with the snapshot.

        Returns:
            The :class:`StoredInstance`, at version 1.

        Raises:
            StoreError: an instance is already stored under ``id``.
            DefinitionError: a handler the machine names is missing.
        """
        _check_id(id)
        bound = self._bind(machine, context, handlers, listeners)
        instance = bound.start(context, clock=clock)
        snapshot = _encode_snapshot(instance)
        now = time.time()
        # A new token each creation: a StoredInstance read before a delete never
        # commits to an instance created again under the same id.
        incarnation = secrets.token_hex(16)
        with self._db.transaction() as tx:
            written = tx.execute(
                "INSERT INTO typestate_instances (id, machine, fingerprint, state, version, "
                "steps, snapshot, created, updated, incarnation) "
                "VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (
                    id,
                    machine.name,
                    bound.fingerprint,
                    instance.state,
                    snapshot,
                    now,
                    now,
                    incarnation,
                ),
            )
            if written != 1:
                raise StoreError(
                    f"an instance {id!r} is already stored; load it with "
                    f"store.load(machine, {id!r}), or delete it first"
                )
        return StoredInstance(self, bound, id, instance, 1, 0, incarnation, clock)

    def load(
        self,
        machine: Machine,
        id: str,
        context: object = None,
        *,
        handlers: Mapping[str, object] | None = None,
        listeners: Iterable[Listener] = (),
        clock: Clock | None = None,
    ) -> StoredInstance:
        """Load the instance stored under ``id``, bound to ``context``.

        ``clock`` is the clock of its timers, as for :meth:`create`: they keep
        the due times stored, and :meth:`StoredInstance.fire_due` fires those
        this clock has reached.

        Raises:
            NotStored: no instance is stored under ``id``.
            MachineMismatch: it was stored by another machine or another
                version of ``machine`` (see :meth:`migrate`).
            StoreError: its row cannot be read back (the message says what
                is wrong); nothing is changed.
            DefinitionError: a handler the machine names is missing.
        """
        _check_id(id)
        bound = self._bind(machine, context, handlers, listeners)
        instance, version, steps, incarnation = self._read(bound, id, context, clock)
        return StoredInstance(self, bound, id, instance, version, steps, incarnation, clock)

    def _read(
        self, bound: BoundMachine, id: str, context: object, clock: Clock | None = None
    ) -> tuple[Instance, int, int, str]:
        # One statement, so one snapshot: the steps counted are those of the row read.
        rows = self._db.query(
            "SELECT machine, fingerprint, state, version, steps, snapshot, incarnation, "
            "(SELECT count(*) FROM typestate_steps WHERE typestate_steps.id = i.id), "
            "(SELECT max(seq) FROM typestate_steps WHERE typestate_steps.id = i.id) "
            "FROM typestate_instances i WHERE id = ?",
            (id,),
        )
        if not rows:
            raise NotStored(id)
        name, fingerprint, state, version, steps, text, incarnation, counted, last = rows[0]
        if not isinstance(fingerprint, str) or not isinstance(name, str):
            raise _corrupted(id, "its machine or fingerprint is not text")
        if fingerprint != bound.fingerprint:
            raise MachineMismatch(id, fingerprint, bound.fingerprint, name, bound.machine.name)
        if not _is_int(version) or version < 1 or not _is_int(steps) or steps < 0:
            raise _corrupted(
                id, f"version {short_repr(version)} and steps {short_repr(steps)} must be counts"
            )
        if version >= _LARGEST:  # (steps are checked against the rows below)
            raise _corrupted(
                id, f"version {version} leaves no room for another send (the largest is {_LARGEST})"
            )
        if counted != steps or (last or 0) != steps:
            raise _corrupted(
                id,
                f"its steps column says {steps} steps, but typestate_steps holds {counted} "
                f"numbered up to {last or 0}",
            )
        if not isinstance(text, str):
            raise _corrupted(id, f"its snapshot is not text: {short_repr(text)}")
        if not isinstance(incarnation, str):
            raise _corrupted(id, f"its incarnation is not text: {short_repr(incarnation)}")
        try:
            snapshot: object = json.loads(text)
        except ValueError as error:
            raise _corrupted(id, f"its snapshot is not JSON: {error}") from None
        if not isinstance(snapshot, dict):
            raise _corrupted(id, f"its snapshot is not a JSON object: {short_repr(snapshot)}")
        data: dict[str, object] = snapshot  # pyright: ignore[reportUnknownVariableType]
        if data.get("state") != state:
            raise _corrupted(
                id,
                f"its snapshot says state {short_repr(data.get('state'))}, "
                f"its row {short_repr(state)}",
            )
        try:
            instance = bound.restore(data, context, history=False, clock=clock)
        except SnapshotError as error:
            raise StoreError(
                f"instance {id!r} cannot be restored: {error}; nothing was changed"
            ) from None
        return instance, version, steps, incarnation

    def ids(self, machine: Machine, *, state: str | None = None) -> list[str]:
        """The ids of the instances stored by ``machine`` (this version of it), sorted.

        Args:
            machine: instances stored by another machine or another version of
                it are not listed (see :meth:`migrate`).
            state: when given, only the instances in this state; a superstate
                lists those in any state inside it.

        Raises:
            ValueError: ``state`` is not a state of ``machine``.
        """
        fingerprint = machine.fingerprint
        if state is None:
            rows = self._db.query(
                "SELECT id FROM typestate_instances WHERE fingerprint = ? ORDER BY id",
                (fingerprint,),
            )
            return [str(row[0]) for row in rows]
        if state not in machine.states:
            raise ValueError(
                f"{short_repr(state)} is not a state of machine {machine.name!r}; its states "
                f"are {', '.join(machine.states)}"
            )
        leaves = [leaf for leaf in _leaves(machine) if state in _chain(machine, leaf)]
        marks = ", ".join("?" for _ in leaves)
        rows = self._db.query(
            f"SELECT id FROM typestate_instances WHERE fingerprint = ? AND state IN ({marks}) "
            f"ORDER BY id",
            (fingerprint, *leaves),
        )
        return [str(row[0]) for row in rows]

    def delete(self, id: str) -> None:
        """Delete the instance stored under ``id`` and its history.

        Raises:
            NotStored: no instance is stored under ``id``.
        """
        _check_id(id)
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM typestate_steps WHERE id = ?", (id,))
            if tx.execute("DELETE FROM typestate_instances WHERE id = ?", (id,)) != 1:
                raise NotStored(id)

    def migrate(
        self,
        old: str | Machine,
        new: Machine,
        states: Mapping[str, str],
    ) -> int:
        """Move every instance stored by ``old`` to the machine ``new``, in one transaction.

        Each instance's state is renamed by ``states`` (old name -> new name);
        a state not in ``states`` keeps its name, which must then be a state
        of ``new``. The history is kept as it was taken. Each instance's
        version goes up by one, so a send that read it before fails with
        :class:`Conflict`. The pending timers (``"timers"`` of the snapshot)
        are kept, with their due times, for an instance whose state keeps its
        name, as far as ``new`` has the same timers on it; they are dropped
        for a renamed state (its timers start when it is entered again), and
        when ``new`` has no timers at all.

        Args:
            old: the old machine, or its fingerprint (as
                :class:`MachineMismatch` gives it).
            new: the machine to move to.
            states: the renaming of the states.

        Returns:
            How many instances were moved.

        Raises:
            StoreError: an instance would land in a state ``new`` does not have
                (or in a superstate), or a row cannot be read back; nothing is
                changed.
        """
        fingerprint = old if isinstance(old, str) else old.fingerprint
        target = new.fingerprint
        if fingerprint == target:
            raise StoreError(
                f"the old and the new machine are the same (fingerprint {target[:12]}...); "
                f"pass the old one's fingerprint or Machine"
            )
        leaves = set(_leaves(new))
        for source, into in states.items():
            if into not in leaves:
                raise StoreError(
                    f"states maps {source!r} to {short_repr(into)}, which is not a leaf state of "
                    f"machine {new.name!r}; its leaf states are {', '.join(_leaves(new))}"
                )
        now = time.time()
        with self._db.transaction() as tx:
            rows = tx.query(
                "SELECT id, state, version, snapshot FROM typestate_instances "
                "WHERE fingerprint = ? ORDER BY id" + self._db.for_update,
                (fingerprint,),
            )
            updates: list[tuple[object, ...]] = []
            for id, state, version, text in rows:
                if not isinstance(state, str) or not _is_int(version) or not isinstance(text, str):
                    raise _corrupted(str(id), "its state, version or snapshot has the wrong type")
                try:
                    snapshot: object = json.loads(text)
                except ValueError as error:
                    raise _corrupted(str(id), f"its snapshot is not JSON: {error}") from None
                if not isinstance(snapshot, dict):
                    raise _corrupted(str(id), "its snapshot is not a JSON object")
                into = states.get(state, state)
                if into not in leaves:
                    raise StoreError(
                        f"instance {str(id)!r} is in state {state!r}, which machine {new.name!r} "
                        f"does not have; map it with states={{{state!r}: ...}} (nothing was "
                        f"changed)"
                    )
                moved: dict[str, Any] = {
                    key: value
                    for key, value in snapshot.items()  # pyright: ignore[reportUnknownVariableType]
                    if key not in ("timers", "history")
                }
                moved.update(machine=new.name, fingerprint=target, state=into)
                if any(t.after is not None for t in new.transitions):
                    read: dict[str, object] = snapshot  # pyright: ignore[reportUnknownVariableType]
                    kept = read.get("timers") if into == state else None
                    moved["timers"] = _timers_kept(new, into, kept)
                updates.append((new.name, target, into, version + 1, _dumps(moved), now, id))
            tx.executemany(
                "UPDATE typestate_instances SET machine = ?, fingerprint = ?, state = ?, "
                "version = ?, snapshot = ?, updated = ? WHERE id = ?",
                updates,
            )
        return len(updates)

    # -- what StoredInstance calls --------------------------------------------------

    def steps(self, id: str) -> list[StoredStep]:
        """Every committed step of the instance stored under ``id``, oldest first, with its payload.

        Raises:
            NotStored: no instance is stored under ``id``.
            StoreError: a step cannot be read back (the message names the id).
        """
        _check_id(id)
        rows = self._db.query(
            "SELECT seq, version, source, event, target, payload, at FROM typestate_steps "
            "WHERE id = ? ORDER BY seq",
            (id,),
        )
        if not rows and not self._db.query("SELECT 1 FROM typestate_instances WHERE id = ?", (id,)):
            raise NotStored(id)
        return [_stored_step(id, row) for row in rows]

    def _history(self, id: str) -> tuple[Step, ...]:
        rows = self._db.query(
            "SELECT source, event, target FROM typestate_steps WHERE id = ? ORDER BY seq",
            (id,),
        )
        steps: list[Step] = []
        for source, event, target in rows:
            if not (isinstance(source, str) and isinstance(event, str) and isinstance(target, str)):
                shown = short_repr((source, event, target))
                raise _corrupted(id, f"a step is not three names: {shown}")
            steps.append(Step(source, event, target))
        return tuple(steps)

    def _commit(
        self,
        id: str,
        read: int,
        count: int,
        instance: Instance,
        taken: Sequence[tuple[Step, str]],
        incarnation: str,
    ) -> None:
        snapshot = _encode_snapshot(instance)
        now = time.time()
        version = read + 1
        with self._db.transaction() as tx:
            # The row is the one read only if its version, its machine AND its
            # incarnation are: a version alone repeats after a delete and create.
            written = tx.execute(
                "UPDATE typestate_instances SET state = ?, version = ?, steps = ?, "
                "snapshot = ?, updated = ? WHERE id = ? AND version = ? AND fingerprint = ? "
                "AND incarnation = ?",
                (
                    instance.state,
                    version,
                    count + len(taken),
                    snapshot,
                    now,
                    id,
                    read,
                    instance.machine.fingerprint,
                    incarnation,
                ),
            )
            if written != 1:
                rows = tx.query(
                    "SELECT version, incarnation FROM typestate_instances WHERE id = ?", (id,)
                )
                if not rows:
                    raise NotStored(id)
                current, now_incarnation = rows[0]
                if now_incarnation != incarnation:
                    raise Conflict(
                        id,
                        read,
                        current,
                        "it was deleted and another instance was created under its id",
                    )
                raise Conflict(id, read, current)
            # The steps column is what numbers the new steps: a row changed by
            # hand to say fewer would collide with the steps already stored.
            (above,) = tx.query(
                "SELECT count(*) FROM typestate_steps WHERE id = ? AND seq > ?", (id, count)
            )[0]
            if above:
                raise _corrupted(
                    id,
                    f"its steps column says {count} steps, but typestate_steps holds {above} more",
                )
            tx.executemany(
                "INSERT INTO typestate_steps (id, seq, version, source, event, target, "
                "payload, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (id, count + n, version, step.source, step.event, step.target, payload, now)
                    for n, (step, payload) in enumerate(taken, start=1)
                ],
            )


def _stored_step(id: str, row: Row) -> StoredStep:
    seq, version, source, event, target, text, at = row
    if not (isinstance(source, str) and isinstance(event, str) and isinstance(target, str)):
        raise _corrupted(id, f"a step is not three names: {short_repr((source, event, target))}")
    if not _is_int(seq) or not _is_int(version) or not isinstance(at, (int, float)):
        raise _corrupted(id, f"step {short_repr(seq)} has a bad number")
    try:
        payload: object = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise _corrupted(id, f"the payload of step {seq} is not a JSON object")
    data: dict[str, Any] = payload  # pyright: ignore[reportUnknownVariableType]
    return StoredStep(seq, version, source, event, target, data, float(at))


def _timers_kept(machine: Machine, state: str, timers: object) -> list[list[object]]:
    """The ``[event, due, owner]`` triples of ``timers`` that ``machine`` runs in ``state``."""
    chain = set(_chain(machine, state))
    free = {(t.event, t.source) for t in machine.transitions if t.after is not None}
    free = {(event, owner) for event, owner in free if owner in chain}
    kept: list[list[object]] = []
    items: list[object] = timers if isinstance(timers, list) else []  # pyright: ignore[reportUnknownVariableType]
    for item in items:
        triple: list[object] = item if isinstance(item, list) else []  # pyright: ignore[reportUnknownVariableType]
        if len(triple) != 3 or not isinstance(triple[0], str) or not isinstance(triple[2], str):
            continue
        key = (triple[0], triple[2])
        if key in free:
            free.discard(key)
            kept.append(triple)
    return kept


def _leaves(machine: Machine) -> list[str]:
    parents = set(machine.parents.values())
    return [state for state in machine.states if state not in parents]


def _chain(machine: Machine, state: str) -> list[str]:
    chain = [state]
    while chain[-1] in machine.parents:
        chain.append(machine.parents[chain[-1]])
    return chain


def _check_id(id: object) -> None:
    if not isinstance(id, str) or not id:
        raise TypeError(f"an instance id must be a non-empty str (got {short_repr(id)})")


def _dumps(value: object) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def _encode_snapshot(instance: Instance) -> str:
    return _dumps(instance.snapshot())


def _encode_payload(id: str, event: str, payload: Mapping[str, Any]) -> str:
    try:
        return _dumps(payload)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"the payload of {event!r} sent to instance {id!r} cannot be stored as JSON "
            f"({error}); pass str, int, float (not nan or infinity), bool, None, and "
            f"lists and dicts of them; nothing was run or written"
        ) from None


# -- stored instances ---------------------------------------------------------------


class StoredInstance:
    """An instance kept in a store: every send is committed before it returns.

    Made by :meth:`Store.create` and :meth:`Store.load`. It reads like an
    :class:`~fsm.Instance` (``state``, ``allowed``, ``can``) and its
    ``send`` runs the transition in memory and then commits the new state and
    every step taken, with its payload, in one database transaction, if the
    stored version is still the one read (else :class:`Conflict`).

    Not for sharing between threads: give each thread its own (load again).

    Attributes:
        id: the id the instance is stored under.
    """

    __slots__ = (
        "_bound",
        "_clock",
        "_count",
        "_incarnation",
        "_instance",
        "_store",
        "_version",
        "id",
    )

    id: str

    def __init__(
        self,
        store: Store,
        bound: BoundMachine,
        id: str,
        instance: Instance,
        version: int,
        count: int,
        incarnation: str = "",
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._bound = bound
        self.id = id
        self._instance = instance
        self._version = version
        self._count = count
        self._incarnation = incarnation
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"<fsm.StoredInstance {self.id!r} of {self.machine.name!r} in {self.state!r}, "
            f"version {self._version}>"
        )

    @property
    def state(self) -> str:
        """The state as of the last read or commit."""
        return self._instance.state

    @property
    def version(self) -> int:
        """The stored version this instance last read or wrote: 1 when created, +1 a send."""
        return self._version

    @property
    def machine(self) -> Machine:
        """The :class:`~fsm.Machine` this instance runs."""
        return self._instance.machine

    @property
    def context(self) -> object:
        """The context object given to :meth:`Store.create` or :meth:`Store.load`."""
        return self._instance.context

    @property
    def instance(self) -> Instance:
        """The in-memory :class:`~fsm.Instance` (replaced when a commit fails)."""
        return self._instance

    @property
    def is_final(self) -> bool:
        """True when the current state is a final state."""
        return self._instance.is_final

    @property
    def allowed(self) -> tuple[str, ...]:
        """The events with a transition in the current state (as :attr:`fsm.Instance.allowed`)."""
        return self._instance.allowed

    @property
    def history(self) -> tuple[Step, ...]:
        """Every step committed, oldest first, read from the store."""
        return self._store._history(self.id)  # pyright: ignore[reportPrivateUsage]

    def can(self, event: str, /, **payload: Any) -> bool:
        """As :meth:`fsm.Instance.can`; nothing is read or written."""
        return self._instance.can(event, **payload)

    def reload(self) -> None:
        """Read the stored row again (after a :class:`Conflict`, before a retry).

        Raises:
            NotStored: the instance was deleted.
            MachineMismatch: it was migrated to another machine.
        """
        store = self._store
        read = store._read(self._bound, self.id, self._instance.context, self._clock)  # pyright: ignore[reportPrivateUsage]
        self._instance, self._version, self._count, self._incarnation = read

    def send(self, event: str, /, **payload: Any) -> str:
        """Send ``event`` and commit what it did; return the state entered.

        Guards, hooks, actions and listeners run first, in memory, as in
        :meth:`fsm.Instance.send`; then the new state and every step taken
        (with its payload, as JSON) are committed in one transaction, if the
        stored version is still :attr:`version`. If a handler raises or the
        commit fails, nothing is written and this instance is as it was (when
        the connection is lost at the commit, :class:`CommitUnknown`: it may
        have been written).

        Events a handler sends to :attr:`instance` while the send runs
        (run-to-completion) are queued: they are steps of this send, committed
        with it in the same transaction. If a queued event is refused or its
        handler raises, the steps before it are kept in memory and committed,
        and :class:`~fsm.QueuedEventRejected` is raised (the queued event's
        error is its ``__cause__``); if that commit fails, its error is raised
        instead, nothing is written and this instance is as it was.

        Raises:
            InvalidTransition: as :meth:`fsm.Instance.send`; nothing is written.
            TransitionFailed: a handler of the event sent raised; nothing is
                written.
            QueuedEventRejected: a queued event was refused or failed; the
                steps before it are committed.
            Conflict: another writer committed first; nothing is written
                (the handlers have run: see the consistency model in the docs).
            NotStored: the instance was deleted since it was read.
            CommitUnknown: the connection was lost at the commit (PostgreSQL):
                the outcome is unknown; this instance is as it was before the
                send, so its next send conflicts if the commit happened.
            StoreError: the payload is not JSON (refused before any handler
                runs), a send to this instance is already under way, or the
                database failed.
        """
        before, snapshot, taken = self._begin(event, payload)
        try:
            state = before.send(event, **payload)
        except BaseException as error:
            self._end(before, snapshot, taken, error)
            raise
        self._end(before, snapshot, taken, None)
        return state

    async def asend(self, event: str, /, **payload: Any) -> str:
        """As :meth:`send`, awaiting async handlers (see :meth:`fsm.Instance.asend`).

        The commit itself is synchronous: it holds the event loop while the
        database writes. One send at a time: await it before the next.
        """
        before, snapshot, taken = self._begin(event, payload)
        try:
            state = await before.asend(event, **payload)
        except BaseException as error:
            self._end(before, snapshot, taken, error)
            raise
        self._end(before, snapshot, taken, None)
        return state

    def fire_due(self) -> tuple[str, ...]:
        """Fire the timers due by the clock and commit their steps, as :meth:`send` does.

        As :meth:`fsm.Instance.fire_due`: each due timer's event is sent, soonest
        first. Every step they took (with run-to-completion) is committed in
        one transaction, with the timers left pending, if the stored version
        is still :attr:`version`. A timer whose event finds no enabled
        transition is spent in memory only; as nothing else is written, it
        stays in the store and a later load tries it again.

        Returns:
            The events of the timers that took a transition, in order.

        Raises:
            TransitionFailed: a timer's handler raised; the steps of the
                timers before it are committed, and that timer is still due.
            QueuedEventRejected: as :meth:`send`.
            Conflict: another writer committed first; nothing is written.
            StoreError: as :meth:`send`.
        """
        before, snapshot, taken = self._begin("fire_due", {})
        try:
            fired = before.fire_due()
        except BaseException as error:
            self._end(before, snapshot, taken, error)
            raise
        self._end(before, snapshot, taken, None)
        return fired

    async def afire_due(self) -> tuple[str, ...]:
        """As :meth:`fire_due`, awaiting async handlers (see :meth:`fsm.Instance.afire_due`)."""
        before, snapshot, taken = self._begin("fire_due", {})
        try:
            fired = await before.afire_due()
        except BaseException as error:
            self._end(before, snapshot, taken, error)
            raise
        self._end(before, snapshot, taken, None)
        return fired

    def _begin(
        self, event: str, payload: dict[str, Any]
    ) -> tuple[Instance, dict[str, Any], list[tuple[Step, dict[str, Any]]]]:
        _encode_payload(self.id, event, payload)
        before = self._instance
        buffers = self._store._recorder.buffers  # pyright: ignore[reportPrivateUsage]
        if id(before) in buffers:
            raise StoreError(
                f"a send to instance {self.id!r} is already under way; await it before the "
                f"next, and from inside a handler send to its .instance (the event is "
                f"queued and committed with the send under way)"
            )
        taken: list[tuple[Step, dict[str, Any]]] = []
        snapshot = before.snapshot()
        buffers[id(before)] = taken
        return before, snapshot, taken

    def _end(
        self,
        before: Instance,
        snapshot: dict[str, Any],
        taken: list[tuple[Step, dict[str, Any]]],
        error: BaseException | None,
    ) -> None:
        del self._store._recorder.buffers[id(before)]  # pyright: ignore[reportPrivateUsage]
        if not taken:
            return
        if error is not None and not isinstance(error, Exception):
            # KeyboardInterrupt and the like: write nothing, as if never sent.
            self._restore(snapshot)
            return
        # The recorder listens last, so ``taken`` holds exactly the steps the
        # in-memory instance kept: after an error, those run-to-completion
        # kept before a queued event failed.
        try:
            rows = [(step, _encode_payload(self.id, step.event, data)) for step, data in taken]
            self._store._commit(  # pyright: ignore[reportPrivateUsage]
                self.id, self._version, self._count, self._instance, rows, self._incarnation
            )
        except BaseException:
            self._restore(snapshot)
            raise
        self._version += 1
        self._count += len(taken)

    def _restore(self, snapshot: dict[str, Any]) -> None:
        self._instance = self._bound.restore(
            snapshot, self._instance.context, history=False, clock=self._clock
        )


# -- SQLite -------------------------------------------------------------------------


def _sqlite3() -> Any:
    # Imported on first use: ``import fsm`` stays light.
    import sqlite3

    return sqlite3


class _SQLiteTransaction(Transaction):
    __slots__ = ("_connection", "_where")

    def __init__(self, connection: sqlite3.Connection, where: str) -> None:
        self._connection = connection
        self._where = where

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            return self._connection.execute(sql, params).rowcount
        except _sqlite3().Error as error:
            raise _failed(self._where, error) from error

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        try:
            self._connection.executemany(sql, rows)
        except _sqlite3().Error as error:
            raise _failed(self._where, error) from error

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        try:
            return self._connection.execute(sql, params).fetchall()
        except _sqlite3().Error as error:
            raise _failed(self._where, error) from error


def _failed(where: str, error: Exception) -> StoreError:
    return StoreError(f"{where} failed: {error}; nothing was written")


class _SQLite(Database):
    def __init__(self, path: str, timeout: float) -> None:
        self.where = f"SQLite database {path!r}"
        self._lock = threading.RLock()
        try:
            connection: sqlite3.Connection = _sqlite3().connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except _sqlite3().Error as error:
            raise StoreError(f"cannot open {self.where}: {error}") from error
        self._connection = connection
        self._tx = _SQLiteTransaction(connection, self.where)

    def setup(self) -> None:
        """Switch to WAL and full synchronous commits (after the schema was checked)."""
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk when it returns, so it survives a power loss
            # too, not only a crash of the process (NORMAL in WAL mode would not).
            self._connection.execute("PRAGMA synchronous=FULL")
        except _sqlite3().Error as error:
            raise StoreError(f"cannot open {self.where}: {error}") from error

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._lock:
            return self._tx.query(sql, params)

    @contextmanager
    def _transaction(self) -> Generator[Transaction, None, None]:
        with self._lock:
            connection = self._connection
            try:
                # IMMEDIATE takes the write lock now, so a busy database waits (up to
                # the timeout) here rather than failing half-way.
                connection.execute("BEGIN IMMEDIATE")
            except _sqlite3().Error as error:
                raise _failed(self.where, error) from error
            try:
                yield self._tx
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            try:
                connection.execute("COMMIT")
            except _sqlite3().Error as error:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise _failed(self.where, error) from error

    def transaction(self) -> AbstractContextManager[Transaction]:
        return self._transaction()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class SQLiteStore(Store):
    """A store in one SQLite file (standard library ``sqlite3``, WAL mode).

    Many processes may open the same file: reads run concurrently, writes one
    at a time (a writer waits up to ``timeout`` seconds for the lock). Every
    commit is synced to disk (``synchronous=FULL``): a send that returned
    survives a crash of the process and a power loss.

    Args:
        path: the database file, created with its tables when missing.
        timeout: seconds a write waits for another process's write to end.

    Raises:
        StoreError: the file cannot be opened, or holds a newer schema version.

    Examples:
        >>> import fsm
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     [*] --> Closed
        ...     Closed --> Open : open
        ...     Open --> Closed : close
        ... ''')
        >>> with fsm.SQLiteStore(":memory:") as store:
        ...     store.create(door, "front").send("open")
        ...     stored = store.load(door, "front")
        ...     stored.state, stored.version, stored.history
        'Open'
        ('Open', 2, (Step(source='Closed', event='open', target='Open'),))
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        db = _SQLite(os.fspath(path), timeout)
        self._open(db)
        try:
            db.setup()
        except BaseException:
            db.close()
            raise
