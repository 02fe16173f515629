"""Concurrent workers: 8 processes x 5,000 sends over 100 stored instances, none lost or doubled.

Each worker is forked from this process; for each send it loads a random
instance and sends an event its state allows. When another worker moved that
instance between the load and the send, the send raises ``fsm.Conflict``
with nothing written, and the worker loads it again and retries with an
event the new state allows. A worker acknowledges a send
only after ``send`` returned. Then the number of steps committed must equal
the number of sends acknowledged, every acknowledged send must be in its
instance's history at the version it was acknowledged with (so none is lost
and none stored twice), and every history must be a path of the machine
ending in the state stored.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import fsm

from .store_checks import backend_on_fast_storage, check_path, fork, pick, protocol, read_all
from .store_support import BACKENDS, Backend

WORKERS = 8
SENDS = 5000  # per worker
INSTANCES = 100


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backend_on_fast_storage(request.param, tmp_path)


def worker(
    open_store: Callable[[], fsm.Store], ids: tuple[str, ...], seed: int
) -> Callable[[int], None]:
    machine = protocol()

    def run(pipe: int) -> None:
        rng = random.Random(seed)
        acks: list[str] = []
        conflicts = 0
        with open_store() as store:
            for _ in range(SENDS):
                id = pick(rng, ids)
                stored = store.load(machine, id)
                while True:
                    event = pick(rng, stored.allowed)
                    try:
                        stored.send(event)
                    except fsm.Conflict:
                        conflicts += 1
                        stored = store.load(machine, id)
                        continue
                    break
                acks.append(f"{id} {stored.version} {event} {stored.state}\n")
        data = f"conflicts {conflicts}\n{''.join(acks)}".encode()
        while data:
            data = data[os.write(pipe, data) :]

    return run


def test_concurrent_workers_commit_each_acknowledged_send_once(backend: Backend) -> None:
    machine = protocol()
    ids = tuple(f"job-{n}" for n in range(INSTANCES))
    with backend.open() as store:
        for id in ids:
            store.create(machine, id)
    start = time.perf_counter()
    children = [fork(worker(backend.open, ids, seed)) for seed in range(WORKERS)]
    outputs = [read_all(pipe) for _, pipe in children]  # each worker writes once, at its end
    for (pid, _), text in zip(children, outputs, strict=True):
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, text[:2000]
    took = time.perf_counter() - start
    acked: dict[str, dict[int, tuple[str, str]]] = {id: {} for id in ids}
    conflicts = 0
    for text in outputs:
        head, *lines = text.splitlines()
        conflicts += int(head.split()[1])
        assert len(lines) == SENDS
        for line in lines:
            id, version, event, target = line.split()
            assert int(version) not in acked[id], f"{line}: acknowledged twice"
            acked[id][int(version)] = (event, target)
    committed = 0
    with backend.open() as store:
        for id in ids:
            stored = store.load(machine, id)
            history = stored.history
            check_path(machine, id, history, stored.state)
            assert stored.version == len(history) + 1
            assert sorted(acked[id]) == list(range(2, len(history) + 2)), id
            for version, (event, target) in acked[id].items():
                assert history[version - 2][1:] == (event, target), f"{id} version {version}"
            committed += len(history)
    print(f"{backend.name}: {WORKERS} workers x {SENDS} sends in {took:.1f} s, "
          f"{conflicts} conflicts retried")  # fmt: skip
    assert committed == WORKERS * SENDS
    assert conflicts > 0  # the workers did race
