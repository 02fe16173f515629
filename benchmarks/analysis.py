"""Benchmark analysis.check and composition, side by side with networkx.

    python benchmarks/analysis.py                      # 10k, 100k, 1M states
    python benchmarks/analysis.py --sizes 10000,100000 # quicker

For each size: a random machine with 4 transitions per state (events e0..e3,
uniform random targets, 1% of the states final), built from a list of
Transitions; then ``analysis.check`` against the same graph checks written with
networkx (graph build included): reachability with a shortest-path tree (the
witnesses), co-reachability of the final states, dead ends, and the strongly
connected components of the states that cannot finish (livelocks). Times are
wall-clock, one process; peak memory is what ``tracemalloc`` traces during a
second, separate run (so tracing does not slow the timed run).

Composition: product states explored per second by ``analysis.deadlocks``
(on-the-fly search, no Machine built) and by ``analysis.compose`` (which also
builds the product Machine), on three random 100-state machines whose
alphabets overlap, and on dining philosophers (2n components), against the
explorer as it was (benchmarks/_compose_baseline.py), and the memory traced
per reachable product state:

    python benchmarks/analysis.py --compose-only        # composition alone
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
import tracemalloc
from array import array
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis
import fsm
from analysis._compose import _Product  # private: to count the explored states


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_mib(function: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def rss_mib() -> float:
    """The resident set size of this process now (Linux), or 0.0 where unknown."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def random_transitions(size: int, seed: int) -> tuple[list[str], list[fsm.Transition]]:
    rng = random.Random(seed)
    states = [f"S{n}" for n in range(size)]
    targets = [rng.randrange(size) for _ in range(4 * size)]
    transitions = [
        fsm.Transition(states[n], f"e{k}", states[targets[4 * n + k]])
        for n in range(size)
        for k in range(4)
    ]
    return states, transitions


def networkx_check(machine: fsm.Machine) -> dict[str, Any]:
    """The checks of analysis.check, written with networkx (graph build included)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(machine.states)
    graph.add_edges_from((t.source, t.target) for t in machine.transitions)
    tree = dict(nx.bfs_predecessors(graph, machine.initial))
    reached = set(tree) | {machine.initial}
    sink = object()
    graph.add_edges_from((state, sink) for state in machine.final)
    productive = nx.ancestors(graph, sink)
    graph.remove_node(sink)
    dead = [s for s in reached if graph.out_degree(s) == 0 and s not in machine.final]
    doomed = reached - productive - set(machine.final)
    loops = [c for c in nx.strongly_connected_components(graph.subgraph(doomed)) if len(c) > 1]
    return {"reached": len(reached), "dead": len(dead), "loops": len(loops)}


def bench_size(size: int) -> None:
    before = rss_mib()
    made, (states, transitions) = timed(lambda: random_transitions(size, seed=size))
    final = frozenset(states[::100])
    built, machine = timed(
        lambda: fsm.Machine(
            "Random", states=states, initial="S0", final=final, transitions=transitions
        )
    )
    model_mib = rss_mib() - before
    ours, report = timed(lambda: analysis.check(machine))
    ours_mib = peak_mib(lambda: analysis.check(machine))
    theirs, counts = timed(lambda: networkx_check(machine))
    theirs_mib = peak_mib(lambda: networkx_check(machine))
    assert len(report.of("dead-end")) == counts["dead"], (report, counts)
    print(
        f"{size:>10,} {4 * size:>12,} {made:>14.2f} {built:>10.2f} {model_mib:>10.0f} "
        f"{ours:>8.2f} "
        f"{ours_mib:>10.0f} {theirs:>11.2f} {theirs_mib:>13.0f} "
        f"{theirs / ours:>10.1f}x {theirs_mib / ours_mib:>9.1f}x"
    )


def bench_check(sizes: list[int]) -> None:
    print("analysis.check against networkx (random machines, 4 transitions per state)")
    header = (
        f"{'states':>10} {'transitions':>12} {'Transitions s':>14} {'Machine s':>10} "
        f"{'model MiB':>10} "
        f"{'check s':>8} {'check MiB':>10} {'networkx s':>11} {'networkx MiB':>13} "
        f"{'time ratio':>11} {'mem ratio':>10}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        bench_size(size)
    print(
        "Transitions s: making the Transition objects; Machine s: fsm.Machine(...) "
        "(validation and compiled tables);\nmodel MiB: growth of the process's resident "
        "memory while making both; check MiB, networkx MiB: tracemalloc peak of one run;\n"
        "ratios: networkx / analysis.check (higher means check is faster or smaller)."
    )


def random_arrays(size: int, seed: int) -> tuple[list[str], array[int], array[int], array[int]]:
    """The machine of :func:`random_transitions` as the bulk constructor's arrays."""
    rng = random.Random(seed)
    states = [f"S{n}" for n in range(size)]
    targets = array("i", [rng.randrange(size) for _ in range(4 * size)])
    source = array("i", [n // 4 for n in range(4 * size)])
    event = array("i", [n % 4 for n in range(4 * size)])
    return states, source, event, targets


def compact_one(size: int, path: str) -> None:
    """Build one machine by ``path`` (``arrays`` or ``transitions``) and check it; print JSON.

    Run in a fresh process (see :func:`bench_compact`) so that the resident
    memory is this machine's alone.
    """
    import json

    if path == "arrays":
        states, source, event, target = random_arrays(size, seed=size)
        final = states[::100]
        made = 0.0
        before = rss_mib()
        built, machine = timed(
            lambda: fsm.Machine.from_arrays(
                "Random",
                states=states,
                events=["e0", "e1", "e2", "e3"],
                source=source,
                event=event,
                target=target,
                initial="S0",
                final=final,
            )
        )
    else:
        before = rss_mib()
        made, (states, transitions) = timed(lambda: random_transitions(size, seed=size))
        final = frozenset(states[::100])
        built, machine = timed(
            lambda: fsm.Machine(
                "Random", states=states, initial="S0", final=final, transitions=transitions
            )
        )
    model = rss_mib()
    checked, report = timed(lambda: analysis.check(machine))
    result = {
        "made": made,
        "built": built,
        "model_mib": model - before,
        "resident_mib": model,
        "check": checked,
        "findings": len(report.findings),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))


def bench_compact(sizes: list[int], old_sizes: list[int]) -> None:
    """The bulk constructor against the ordinary one, each size and path in a fresh process."""
    import json
    import subprocess

    print()
    print("compact Machine: built from arrays (Machine.from_arrays) or from Transitions")
    header = (
        f"{'states':>10} {'path':<12} {'Transitions s':>14} {'Machine s':>10} {'total s':>8} "
        f"{'model MiB':>10} {'resident MiB':>13} {'peak MiB':>9} {'check s':>8}"
    )
    print(header)
    print("-" * len(header))
    runs = [(size, "arrays") for size in sizes] + [(size, "transitions") for size in old_sizes]
    runs.sort()
    for size, path in runs:
        output = subprocess.run(
            [sys.executable, __file__, "--compact-one", f"{size}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(output.splitlines()[-1])
        print(
            f"{size:>10,} {path:<12} {r['made']:>14.2f} {r['built']:>10.2f} "
            f"{r['made'] + r['built']:>8.2f} {r['model_mib']:>10.0f} {r['resident_mib']:>13.0f} "
            f"{r['peak_mib']:>9.0f} {r['check']:>8.2f}"
        )
    print(
        "4 transitions per state. arrays: Machine.from_arrays on array('i') arrays (made "
        "before timing);\ntransitions: making the Transition objects, then fsm.Machine(...). "
        "model MiB: resident growth while\nmaking the model (Transitions included); resident, "
        "peak: the whole process (interpreter, the states\nlist and the input arrays included); "
        "check s: analysis.check on the machine built."
    )


def random_machine(name: str, size: int, events: list[str], seed: int) -> fsm.Machine:
    rng = random.Random(seed)
    states = [f"{name}{n}" for n in range(size)]
    transitions = [
        fsm.Transition(states[n], event, states[rng.randrange(size)])
        for n in range(size)
        for event in rng.sample(events, 2)
    ]
    return fsm.Machine(
        name, states=states, initial=states[0], final={states[-1]}, transitions=transitions
    )


def philosophers(n: int) -> list[fsm.Machine]:
    machines = [
        fsm.parse(
            f"---\ntitle: Phil{i}\n---\nstateDiagram-v2\n[*] --> Thinking\n"
            f"Thinking --> HasLeft : left{i}\nHasLeft --> Eating : right{i}\n"
            f"Eating --> Thinking : done{i}"
        )
        for i in range(n)
    ]
    machines += [
        fsm.parse(
            f"---\ntitle: Fork{i}\n---\nstateDiagram-v2\n[*] --> Free\n"
            f"Free --> HeldL : left{i}\nHeldL --> Free : done{i}\n"
            f"Free --> HeldR : right{(i - 1) % n}\nHeldR --> Free : done{(i - 1) % n}"
        )
        for i in range(n)
    ]
    return machines


def compose_cases(sizes: list[int]) -> list[tuple[str, list[fsm.Machine]]]:
    return [
        (
            "3 random machines x 100 states",
            [
                random_machine("A", 100, ["a", "b", "s", "t"], 1),
                random_machine("B", 100, ["c", "d", "s", "u"], 2),
                random_machine("C", 100, ["e", "f", "t", "u"], 3),
            ],
        ),
        *((f"dining philosophers n={n} ({2 * n} machines)", philosophers(n)) for n in sizes),
    ]


def bench_compose(philosopher_sizes: list[int], rounds: int) -> None:
    """Old (benchmarks/_compose_baseline.py) and new explorer, side by side."""
    import _compose_baseline as old  # the script's own folder is on sys.path

    print()
    print(f"composition: product states per second, old and new (best of {rounds} for deadlocks)")
    header = (
        f"{'case':<40} {'states':>9} {'deadlocks() old':>16} {'new':>10} {'x':>6} "
        f"{'compose() old':>14} {'new':>10} {'x':>6} {'B/state old':>12} {'new':>6}"
    )
    print(header)
    print("-" * len(header))
    for label, machines in compose_cases(philosopher_sizes):
        count = len(_Product(machines, 10**8, keep_edges=False).codes)
        explore = {}
        for _ in range(rounds):
            for name, module in (("old", old), ("new", analysis)):
                took, _ = timed(partial(module.deadlocks, *machines, max_states=10**8))
                explore[name] = min(explore.get(name, took), took)
        build = {
            name: timed(partial(module.compose, *machines, max_states=10**8))[0]
            for name, module in (("old", old), ("new", analysis))
        }
        memory = {
            name: peak_mib(partial(module.deadlocks, *machines, max_states=10**8)) * 2**20 / count
            for name, module in (("old", old), ("new", analysis))
        }
        print(
            f"{label:<40} {count:>9,} {count / explore['old']:>16,.0f} "
            f"{count / explore['new']:>10,.0f} {explore['old'] / explore['new']:>5.1f}x "
            f"{count / build['old']:>14,.0f} {count / build['new']:>10,.0f} "
            f"{build['old'] / build['new']:>5.1f}x {memory['old']:>12,.0f} {memory['new']:>6,.0f}"
        )
    print(
        "states/s: reachable product states / wall-clock seconds of the whole call;\n"
        "B/state: tracemalloc peak of one deadlocks() call / reachable product states."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--compact",
        default="100000,1000000",
        help="sizes for the compact Machine table (from arrays); empty to skip",
    )
    parser.add_argument(
        "--compact-old",
        default="100000",
        help="sizes built from Transitions in that table, to compare (1000000 takes minutes)",
    )
    parser.add_argument("--compact-one", help=argparse.SUPPRESS)
    parser.add_argument("--compose-only", action="store_true", help="only the composition")
    parser.add_argument("--philosophers", default="10,11,12", help="composition: sizes n")
    parser.add_argument("--rounds", type=int, default=3, help="composition: deadlocks rounds")
    args = parser.parse_args()
    if args.compact_one:
        size, path = args.compact_one.split(":")
        compact_one(int(size), path)
        return
    print(f"Python {sys.version.split()[0]}")
    if args.compact and not args.compose_only:
        numbers = [int(s) for s in args.compact.split(",")]
        old = [int(s) for s in args.compact_old.split(",") if s]
        bench_compact(numbers, old)
    if not args.compose_only:
        bench_check([int(s) for s in args.sizes.split(",") if s])
    bench_compose([int(n) for n in args.philosophers.split(",")], args.rounds)


if __name__ == "__main__":
    main()
