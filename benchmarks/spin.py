"""Benchmark our product explorer against the SPIN model checker, side by side.

    python benchmarks/spin.py                 # philosophers n = 10, 11, 12
    python benchmarks/spin.py --sizes 8,9     # quicker

Needs ``spin`` and ``gcc`` on PATH (Debian: ``apt-get install spin gcc``).

Two families of dining philosophers (2n machines: n philosophers, n forks):
*left first*, as in the test suite (a philosopher takes the left fork, then the
right one; (1+√2)^n + (1-√2)^n reachable states), and *either first* (a
philosopher takes either fork first; every fork is free or held by one of its
two neighbours, so 3^n states). Both deadlock.

For each: ``analysis.deadlocks`` (the whole product, on the fly, one Python
process: time, states per second, and the growth of the peak resident memory
during the call); then SPIN on ``analysis.to_promela`` of the same machines:
``spin -a`` (generation), ``gcc -O2 -DSAFETY -DNOREDUCE`` (compilation), and
``./pan -c0 -n -wW -mM`` (the whole search, every invalid end state counted): its
states, its own elapsed time and rate, and its own "total actual memory usage"
(the hash table, sized by ``-w`` to the state count, and the depth-first
stack, sized by ``-m``, included) and, of it, the "actual memory usage for
states". Each
measurement runs in its own process, one after the other.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis
import fsm

ROOT = Path(__file__).resolve().parent.parent


def philosophers(n: int, *, either: bool) -> list[fsm.Machine]:
    """n philosophers and n forks; fork i is philosopher i's left fork."""
    either_first = "Thinking --> HasRight : right{i}\nHasRight --> Eating : left{i}\n"
    machines = [
        fsm.parse(
            f"---\ntitle: Phil{i}\n---\nstateDiagram-v2\n[*] --> Thinking\n"
            f"Thinking --> HasLeft : left{i}\nHasLeft --> Eating : right{i}\n"
            + (either_first.format(i=i) if either else "")
            + f"Eating --> Thinking : done{i}"
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


def expected_states(n: int, *, either: bool) -> int:
    return 3**n if either else round((1 + math.sqrt(2)) ** n + (1 - math.sqrt(2)) ** n)


_OURS = """
import resource, sys, time
sys.path.insert(0, {root!r})
import analysis  # first: benchmarks/analysis.py must not hide the package
sys.path.append({here!r})
import spin
machines = spin.philosophers({n}, either={either})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
report = analysis.deadlocks(*machines, max_states=10**8)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, (after - before) / 1024, len(report))
"""


def ours(n: int, *, either: bool) -> tuple[float, float, int]:
    """Seconds, MiB of peak resident growth, deadlocks found: in a fresh process."""
    code = _OURS.format(root=str(ROOT), here=str(Path(__file__).parent), n=n, either=either)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, mib, found = done.stdout.split()
    return float(seconds), float(mib), int(found)


def _timed(command: list[str], folder: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def spin(n: int, *, either: bool) -> dict[str, float]:
    """Generation, compilation and search of the Promela model, as SPIN reports them."""
    states = expected_states(n, either=either)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        Path(folder, "model.pml").write_text(
            analysis.to_promela(*philosophers(n, either=either)), encoding="utf-8"
        )
        export = time.perf_counter() - start
        generate, _ = _timed(["spin", "-a", "model.pml"], folder)
        compile_, _ = _timed(["gcc", "-O2", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], folder)
        width = max(10, math.ceil(math.log2(states)) + 1)
        # -m: a depth-first search may go as deep as there are states.
        search, out = _timed(["./pan", "-c0", "-n", f"-w{width}", f"-m{states + 1}"], folder)

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        if found is None:
            raise RuntimeError(f"pan printed no match for {pattern!r}:\n{out}")
        return float(found.group(1))

    return {
        "export": export,
        "generate": generate,
        "compile": compile_,
        "search": search,
        "stored": number(r"(\d+) states, stored"),
        "errors": number(r"errors: (\d+)"),
        "pan_seconds": number(r"pan: elapsed time ([\d.e+]+) seconds"),
        "pan_rate": number(r"pan: rate\s+([\d.e+]+) states/second") if "rate" in out else 0.0,
        "pan_mib": number(r"([\d.]+)\s+total actual memory usage"),
        "pan_states_mib": number(r"([\d.]+)\s+actual memory usage for states"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10,11,12", help="comma-separated n (default 10,11,12)")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (
        f"{'philosophers':<16} {'states':>8} | {'ours s':>7} {'states/s':>9} {'MiB':>6} | "
        f"{'export':>6} {'spin -a':>7} {'gcc':>5} {'pan s':>6} {'pan states/s':>12} "
        f"{'pan MiB':>8} {'states MiB':>10}"
    )
    print(header)
    print("-" * len(header))
    for either in (False, True):
        for n in (int(x) for x in args.sizes.split(",")):
            states = expected_states(n, either=either)
            seconds, mib, found = ours(n, either=either)
            s = spin(n, either=either)
            if s["stored"] != states or found < 1 or s["errors"] < 1:
                raise SystemExit(f"disagreement at n={n}: {s}, ours found {found} deadlocks")
            label = f"{'either' if either else 'left'} first n={n}"
            # pan prints its time in hundredths of a second: below that, take ours.
            pan_rate = s["stored"] / (s["pan_seconds"] if s["pan_seconds"] >= 0.1 else s["search"])
            print(
                f"{label:<16} {states:>8,} | {seconds:>7.2f} {states / seconds:>9,.0f} "
                f"{mib:>6.0f} | {s['export']:>6.2f} {s['generate']:>7.2f} {s['compile']:>5.2f} "
                f"{s['search']:>6.2f} {pan_rate:>12,.0f} {s['pan_mib']:>8.1f} "
                f"{s['pan_states_mib']:>10.1f}"
            )


if __name__ == "__main__":
    main()
