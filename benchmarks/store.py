"""Benchmark the durable store against LangGraph's checkpointers and the in-memory runtime.

Two figures per contestant, each the median of interleaved rounds (every
contestant runs once a round, in a rotating order, so drift in the machine
spreads over all of them):

- **durable sends per second**: one process moves one stored instance along
  the cycle ``Queued -start-> Running -call_tool-> Waiting -result-> Running
  -requeue-> Queued``; each send is committed before it returns
  (``StoredInstance.send``). LangGraph's nearest operation is one checkpoint
  ``put`` per step (what a graph writes per super-step, without running the
  graph or its ``put_writes``: the comparison leaves LangGraph's engine out,
  which favours it);
- **loads per second**: reading an instance back by id (``Store.load``: the
  row, its fingerprint check and the restore), against the checkpointer's
  ``get_tuple`` of a thread's latest checkpoint.

Contestants: ``fsm.SQLiteStore`` and LangGraph's ``SqliteSaver``, each on a
file in a fresh directory on disk (``--dir``), both in WAL mode with
``synchronous=FULL`` (SQLite's default, which LangGraph keeps): a commit is
synced before it returns; ``fsm.PostgresStore`` and LangGraph's
``PostgresSaver`` on one PostgreSQL server with its default, synced commits;
and the in-memory runtime (``Instance.send``, ``Machine.restore`` of a
snapshot), the ceiling no database reaches.

PostgreSQL: the server named by ``TYPESTATE_TEST_POSTGRES`` (a libpq
conninfo), else one this script starts in a temporary directory (``initdb``
and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin``, as the ``postgres`` user
when run as root, on a Unix socket only) and stops at the end. ``--no-postgres``
skips it.

Run: ``python benchmarks/store.py`` (``--rounds N``, ``--seconds S`` per
measurement; needs ``pip install -e '.[postgres]' langgraph
langgraph-checkpoint-sqlite langgraph-checkpoint-postgres``; a contestant
whose package is missing is skipped and said so).
"""

from __future__ import annotations

import argparse
import atexit
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import fsm

PROTOCOL = """
stateDiagram-v2
    [*] --> Queued
    Queued --> Running : start
    Running --> Waiting : call_tool
    Waiting --> Running : result
    Running --> Queued : requeue
"""
CYCLE = ("start", "call_tool", "result", "requeue")
TARGETS = ("Running", "Waiting", "Running", "Queued")
LOADED = 20  # instances (threads) each contestant keeps, loaded in turn

Operation = Callable[[], object]


class Contestant:
    """What one store does for each figure: one durable send, one load."""

    def __init__(self, name: str, send: Operation, load: Operation) -> None:
        self.name = name
        self.send = send
        self.load = load


# -- typestate ----------------------------------------------------------------------


def typestate_contestant(name: str, store: fsm.Store, machine: fsm.Machine) -> Contestant:
    ids = [f"job-{n}" for n in range(LOADED)]
    for id in ids:
        store.create(machine, id)
    stored = store.load(machine, ids[0])
    turn = iter(range(sys.maxsize))

    def send() -> object:
        return stored.send(CYCLE[(stored.version - 1) % len(CYCLE)])

    def load() -> object:
        return store.load(machine, ids[next(turn) % LOADED])

    return Contestant(name, send, load)


def memory_contestant(machine: fsm.Machine) -> Contestant:
    bound = machine.bind()
    instance = bound.start()
    snapshot = instance.snapshot()
    step = iter(range(sys.maxsize))

    def send() -> object:
        return instance.send(CYCLE[next(step) % len(CYCLE)])

    def load() -> object:
        return bound.restore(snapshot)

    return Contestant("in memory (fsm.Instance)", send, load)


# -- LangGraph ----------------------------------------------------------------------


def langgraph_contestant(name: str, saver: Any) -> Contestant:
    from langgraph.checkpoint.base import empty_checkpoint

    saver.setup()
    threads = [str(uuid.uuid4()) for _ in range(LOADED)]
    configs = [{"configurable": {"thread_id": t, "checkpoint_ns": ""}} for t in threads]
    latest: list[Any] = []
    for config in configs:
        latest.append(saver.put(config, _checkpoint(empty_checkpoint(), 0), _meta(0), {}))
    state = {"config": latest[0], "step": 0}
    turn = iter(range(sys.maxsize))

    def send() -> object:
        step = state["step"] = state["step"] + 1
        checkpoint = _checkpoint(empty_checkpoint(), step)
        versions = {"state": checkpoint["channel_versions"]["state"]}
        state["config"] = saver.put(state["config"], checkpoint, _meta(step), versions)
        return state["config"]

    def load() -> object:
        found = saver.get_tuple(configs[next(turn) % LOADED])
        assert found is not None
        return found

    return Contestant(name, send, load)


def _checkpoint(checkpoint: Any, step: int) -> Any:
    from langgraph.checkpoint.base.id import uuid6

    checkpoint["id"] = str(uuid6(clock_seq=step))
    checkpoint["channel_values"] = {"state": TARGETS[step % len(TARGETS)]}
    checkpoint["channel_versions"] = {"state": f"{step:032}"}
    return checkpoint


def _meta(step: int) -> Any:
    return {"source": "loop", "step": step, "parents": {}}


# -- PostgreSQL ---------------------------------------------------------------------


@contextmanager
def postgres_server() -> Iterator[str]:
    """The conninfo of TYPESTATE_TEST_POSTGRES, or of a server started for this run."""
    given = os.environ.get("TYPESTATE_TEST_POSTGRES")
    if given:
        yield given
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not bins:
        raise SystemExit(
            "no PostgreSQL here: install it (apt-get install postgresql), set "
            "TYPESTATE_TEST_POSTGRES=<conninfo>, or pass --no-postgres"
        )
    tools = bins[-1]
    directory = tempfile.mkdtemp(prefix="typestate-bench-pg-")
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(directory, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(directory, "data")
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run(
        [*as_postgres, f"{tools}/initdb", "-D", data, "-U", "postgres", "--auth=trust"], **quiet
    )
    start = [f"{tools}/pg_ctl", "-D", data, "-l", f"{directory}/log", "-w"]
    options = f"-c listen_addresses= -k {directory}"
    subprocess.run([*as_postgres, *start, "-o", options, "start"], **quiet)

    def stop() -> None:
        subprocess.run([*as_postgres, *start, "-m", "fast", "stop"], **quiet)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    try:
        yield f"host={directory} user=postgres dbname=postgres"
    finally:
        atexit.unregister(stop)
        stop()


@contextmanager
def postgres_schema(conninfo: str) -> Iterator[str]:
    """A fresh schema (so each contestant has its own tables), dropped at the end."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(conninfo, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")  # type: ignore[arg-type]
    try:
        yield make_conninfo(conninfo, options=f"-csearch_path={schema}")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")  # type: ignore[arg-type]


# -- measuring ----------------------------------------------------------------------


def rate(operation: Operation, seconds: float) -> float:
    """Operations per second over about ``seconds`` (whole batches)."""
    done, batch = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            operation()
        done += batch
        took = time.perf_counter() - start
        if took >= seconds:
            return done / took
        batch = min(batch * 2, 1000)


def contestants(stack: ExitStack, directory: str, postgres: bool) -> list[Contestant]:
    machine = fsm.parse(PROTOCOL, name="Job")
    found = [memory_contestant(machine)]
    store = stack.enter_context(fsm.SQLiteStore(os.path.join(directory, "typestate.db")))
    found.append(typestate_contestant("typestate SQLiteStore", store, machine))
    try:
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver
    except ImportError:
        print("skipped LangGraph SqliteSaver: pip install langgraph-checkpoint-sqlite")
    else:
        path = os.path.join(directory, "langgraph.db")
        connection = stack.enter_context(sqlite3.connect(path, check_same_thread=False))
        found.append(langgraph_contestant("LangGraph SqliteSaver", SqliteSaver(connection)))
    if postgres:
        conninfo = stack.enter_context(postgres_server())
        target = stack.enter_context(postgres_schema(conninfo))
        pg = stack.enter_context(fsm.PostgresStore(target))
        found.append(typestate_contestant("typestate PostgresStore", pg, machine))
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError:
            print("skipped LangGraph PostgresSaver: pip install langgraph-checkpoint-postgres")
        else:
            other = stack.enter_context(postgres_schema(conninfo))
            saver = stack.enter_context(PostgresSaver.from_conn_string(other))
            found.append(langgraph_contestant("LangGraph PostgresSaver", saver))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    parser.add_argument(
        "--dir", default=None, help="where the SQLite files go (default: a temp dir)"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="typestate-bench-", dir=args.dir)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        found = contestants(stack, directory, not args.no_postgres)
        sends: dict[str, list[float]] = {c.name: [] for c in found}
        loads: dict[str, list[float]] = {c.name: [] for c in found}
        for round in range(args.rounds):
            order = found[round % len(found) :] + found[: round % len(found)]
            for contestant in order:
                sends[contestant.name].append(rate(contestant.send, args.seconds))
                loads[contestant.name].append(rate(contestant.load, args.seconds))
    send = {name: statistics.median(values) for name, values in sends.items()}
    load = {name: statistics.median(values) for name, values in loads.items()}
    print(f"\nmedian of {args.rounds} rounds, {args.seconds:g} s per measurement; "
          f"SQLite files in {args.dir or tempfile.gettempdir()}\n")  # fmt: skip
    print(f"| {'store':<26} | {'durable sends/s':>15} | {'loads/s':>10} |")
    print(f"|{'-' * 28}|{'-' * 16}:|{'-' * 11}:|")
    for name in send:
        print(f"| {name:<26} | {send[name]:>15,.0f} | {load[name]:>10,.0f} |")
    print()
    pairs = [("SQLite", "typestate SQLiteStore", "LangGraph SqliteSaver"),
             ("PostgreSQL", "typestate PostgresStore", "LangGraph PostgresSaver")]  # fmt: skip
    for label, ours, theirs in pairs:
        if ours in send and theirs in send:
            print(f"{label}: typestate / LangGraph = {send[ours] / send[theirs]:.2f}x sends, "
                  f"{load[ours] / load[theirs]:.2f}x loads")  # fmt: skip
    memory = "in memory (fsm.Instance)"
    for name in send:
        if name.startswith("typestate"):
            print(f"{name}: in memory is {send[memory] / send[name]:,.0f}x its sends, "
                  f"{load[memory] / load[name]:,.0f}x its loads")  # fmt: skip


if __name__ == "__main__":
    main()
