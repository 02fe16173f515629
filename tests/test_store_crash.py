"""Crash safety: a worker driving stored instances is killed with SIGKILL at random moments.

Each round forks a worker from this process (no new interpreter: a round
costs a fork), lets it open the store, load instances and send events for a
random time of up to 8 ms (30 ms on PostgreSQL, where a send is a few round
trips), and kills it with SIGKILL wherever it is: one round in five while it
opens the store, the others loading, inside a commit, or between a commit
and its acknowledgement. The worker acknowledges a send on a pipe only after
``send`` returned. After each round the database is opened again, and every
instance must agree with its stored history: the steps are numbered without
a gap, each follows the one before as a transition of the machine, their
count is the row's step count and its version less one, and the last one
ends in the state loaded. Every acknowledged send must be there as
acknowledged, and at most one send (cut off between its commit and its
acknowledgement) may be there unacknowledged. The last round checks each
whole history as ``StoredInstance.history`` reads it. 1,000 kills on SQLite;
150 on PostgreSQL, where each round costs two connections.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import fsm

from .store_checks import backend_on_fast_storage, check_path, fork, pick, protocol, read_all
from .store_support import BACKENDS, Backend

#: Rounds (kills) per database: PostgreSQL costs a connection a round.
KILLS = {"sqlite": 1000, "postgres": 150}
INSTANCES = 10
#: Seconds a worker may run once its store is open (a send on PostgreSQL is a
#: few round trips to the server), and, one round in five, at most while it
#: opens the store (about what that takes on each database).
LONGEST = {"sqlite": 0.008, "postgres": 0.03}
OPENING = {"sqlite": 0.002, "postgres": 0.025}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backend_on_fast_storage(request.param, tmp_path)


def worker(open_store: Callable[[], fsm.Store], ids: list[str], seed: int) -> Callable[[int], None]:
    machine = protocol()

    def run(pipe: int) -> None:
        rng = random.Random(seed)
        with open_store() as store:
            os.write(pipe, b"ready\n")
            held: dict[str, fsm.StoredInstance] = {}
            while True:
                id = pick(rng, tuple(ids))
                stored = held.get(id)
                if stored is None or rng.random() < 0.3:  # loads get killed too
                    stored = held[id] = store.load(machine, id)
                event = pick(rng, stored.allowed)
                stored.send(event)
                os.write(pipe, f"{id} {stored.version} {event} {stored.state}\n".encode())

    return run


def new_steps(backend: Backend, known: dict[str, list[fsm.Step]]) -> dict[str, list[Any]]:
    """The step rows stored after the ``known`` ones, by id, in order."""
    ids = sorted(known)
    sql = " UNION ALL ".join(
        "SELECT id, seq, source, event, target FROM typestate_steps WHERE id = ? AND seq > ?"
        for _ in ids
    )
    params = [value for id in ids for value in (id, len(known[id]))]
    rows: dict[str, list[Any]] = {id: [] for id in ids}
    for row in sorted(backend.raw(sql, params), key=lambda row: (row[0], row[1])):
        rows[row[0]].append(row)
    return rows


def test_a_worker_killed_at_random_moments_loses_no_acknowledged_send(backend: Backend) -> None:
    machine = protocol()
    edges = {(t.source, t.event, t.target) for t in machine.transitions}
    ids = [f"job-{n}" for n in range(INSTANCES)]
    with backend.open() as store:
        for id in ids:
            store.create(machine, id)
    rng = random.Random(20261201)
    known: dict[str, list[fsm.Step]] = {id: [] for id in ids}  # the steps checked so far
    acknowledged = unacknowledged = 0
    for round in range(KILLS[backend.name]):
        pid, pipe = fork(worker(backend.open, ids, rng.randrange(2**32)))
        head = b""
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0, OPENING[backend.name]))
        else:
            head = os.read(pipe, 65536)  # the worker's store is open
            time.sleep(rng.uniform(0, LONGEST[backend.name]))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        text = head.decode() + read_all(pipe)
        assert "ERROR" not in text, text
        assert os.WIFSIGNALED(status), f"round {round}: the worker ended on its own"
        acks = [line.split() for line in text.splitlines() if line != "ready"]
        before = sum(map(len, known.values()))
        for id, rows in new_steps(backend, known).items():
            steps = known[id]
            for _, seq, source, event, target in rows:
                here = steps[-1].target if steps else machine.initial
                assert seq == len(steps) + 1, f"round {round}: {id} step {seq} after {len(steps)}"
                assert source == here, f"round {round}: {id} step {seq} from {source}"
                assert (source, event, target) in edges, f"round {round}: {id} step {seq}"
                steps.append(fsm.Step(source, event, target))
        with backend.open() as store:
            for id in ids:
                stored = store.load(machine, id)
                steps = known[id]
                assert len(steps) == stored.version - 1, f"round {round}: {id}"
                assert (steps[-1].target if steps else machine.initial) == stored.state
        counts = backend.raw("SELECT id, steps FROM typestate_instances", ())
        assert dict(counts) == {id: len(s) for id, s in known.items()}, f"round {round}"
        for id, version, event, target in acks:
            step = known[id][int(version) - 2]
            assert (step.event, step.target) == (event, target), f"round {round}: {id} {version}"
        extra = sum(map(len, known.values())) - before - len(acks)
        assert extra in (0, 1), f"round {round}: {extra} sends stored but not acknowledged"
        acknowledged += len(acks)
        unacknowledged += extra
    with backend.open() as store:
        for id in ids:
            stored = store.load(machine, id)
            assert list(stored.history) == known[id]
            check_path(machine, id, stored.history, stored.state)
    print(f"{backend.name}: {KILLS[backend.name]} kills, {acknowledged} acknowledged sends, "
          f"{unacknowledged} committed sends cut off before their acknowledgement")  # fmt: skip
    assert acknowledged > 0  # the rounds did more than open the store
