"""What the crash and concurrent-workers tests of the store share.

The protocol the workers drive, the checks that a stored history is a valid
path of it, a fast directory for SQLite files, and a forked worker process.

SQLite files go to a tmpfs (``/dev/shm``) when there is one: these tests are
about processes killed and racing, not about the disk. A process killed by
SIGKILL loses nothing the kernel already has, synced or not, and a commit
synced to a disk costs about 5 ms here, which would make thousands of commits
take minutes. PostgreSQL sessions likewise set ``synchronous_commit=off``: the
server is never killed, only its clients.
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import fsm

from .store_support import Backend, postgres_backend, postgres_conninfo, sqlite_backend

PROTOCOL = """
stateDiagram-v2
    [*] --> Queued
    Queued --> Running : start
    Running --> Running : progress
    Running --> Waiting : call_tool
    Waiting --> Running : result
    Waiting --> Queued : timeout
    Running --> Queued : requeue
"""


def protocol() -> fsm.Machine:
    """A job that never ends: every state has a way out, so a random walk never stops."""
    return fsm.parse(PROTOCOL, name="Job")


def check_path(machine: fsm.Machine, id: str, history: tuple[fsm.Step, ...], state: str) -> None:
    """Assert ``history`` is a path of ``machine`` from its initial state to ``state``."""
    edges = {(t.source, t.event, t.target) for t in machine.transitions}
    here = machine.initial
    for n, step in enumerate(history):
        assert step.source == here, f"{id}: step {n} {step} does not start in {here}"
        assert tuple(step) in edges, f"{id}: step {n} {step} is not a transition"
        here = step.target
    assert here == state, f"{id}: the history ends in {here} but the state is {state}"


@contextmanager
def fast_directory(fallback: Path) -> Iterator[Path]:
    """A fresh directory on a tmpfs when there is one, else ``fallback``."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield fallback
        return
    made = Path(tempfile.mkdtemp(prefix="typestate-store-", dir=shm))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


def fork(body: Callable[[int], None]) -> tuple[int, int]:
    """Run ``body(write_fd)`` in a forked child; return its pid and the pipe's read end.

    The child shares nothing open with the parent but the pipe's write end
    (the parent must hold no database connection across the fork). It ends
    with ``os._exit``: never back into pytest. An exception in ``body`` is
    written to the pipe as a line starting with ``ERROR``.
    """
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (pytest-xdist
        # has one) may deadlock; the child touches no lock those threads hold.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(read)
            body(write)
        except BaseException:
            text = traceback.format_exc().replace("\n", " | ")
            os.write(write, f"ERROR {text}\n".encode()[:4000])
            code = 1
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(write)
    return pid, read


def read_all(fd: int) -> str:
    """Everything written to the pipe, until every writer is gone."""
    chunks: list[bytes] = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


def pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]


def backend_on_fast_storage(name: str, tmp_path: Path) -> Iterator[Backend]:
    """A Backend for ``name`` as in store_support, on a tmpfs or without synced commits."""
    if name == "sqlite":
        with fast_directory(tmp_path) as directory:
            yield sqlite_backend(directory)
        return
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    for backend in postgres_backend(postgres_conninfo()):
        options = str(conninfo_to_dict(backend.target).get("options", ""))
        target = make_conninfo(backend.target, options=f"{options} -csynchronous_commit=off")
        yield Backend("postgres", target, functools.partial(fsm.PostgresStore, target), backend.raw)
