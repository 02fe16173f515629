"""Reading large DSL files: lines per second and memory of fsm.parse and fsm.load.

Each figure is measured in a fresh process, so that its peak resident memory is
its own: the file is written first; the process reads its text (for
``parse``), notes its memory, reads the machine once, and reports the time,
the growth of its peak resident memory (``ru_maxrss``) and the resident
memory still held with the machine alive.

Columns, side by side for each file:

* ``fast``: this tree, as shipped;
* ``full``: this tree with the DSL reader's fast path switched off (every line
  through the statement reader), up to ``--full-max`` lines;
* ``base``: the fsm package found under ``--baseline DIR`` (for instance the
  previous commit, ``git archive HEAD~1 fsm | tar -x -C /tmp/base``), up to
  ``--full-max`` lines.

Files: ``plain``, transitions ``sN --> sM : eK`` only (a quarter as many
states as lines); ``mixed``, the same with, every ten lines, a guard and
actions, a comment, a note and a state declaration.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def plain(lines: int, seed: int = 1) -> str:
    """A machine of ``lines`` transitions, ``lines // 4`` states."""
    rng = random.Random(seed)
    count = max(lines // 4, 2)
    out = ["stateDiagram-v2", "    [*] --> s0"]
    out.extend(
        f"    s{n % count} --> s{rng.randrange(count)} : e{n // count}" for n in range(lines)
    )
    out.append("    s1 --> [*]")
    return "\n".join(out) + "\n"


def mixed(lines: int, seed: int = 1) -> str:
    """As :func:`plain`, but of every ten lines one has a guard and actions,
    one is a comment, one a note and one a state declaration."""
    rng = random.Random(seed)
    count = max(lines // 4, 2)
    out = ["stateDiagram-v2", "    [*] --> s0"]
    for n in range(lines):
        source, target, event = n % count, rng.randrange(count), n // count
        kind = n % 10
        if kind == 3:
            out.append(f"    s{source} --> s{target} : g{event}(x) [ok and not busy] / log, notify")
        elif kind == 5:
            out.append(f"    %% line {n}: a comment")
        elif kind == 7:
            out.append(f"    note right of s{source} : a note on line {n}")
        elif kind == 9:
            out.append(f"    state s{source}")
        else:
            out.append(f"    s{source} --> s{target} : e{event}")
    out.append("    s1 --> [*]")
    return "\n".join(out) + "\n"


KINDS = {"plain": plain, "mixed": mixed}


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(path: Path, how: str, fast: bool) -> dict[str, float]:
    """In this process: read the file's machine once; report time and memory."""
    import fsm

    if not fast:
        from fsm import _dsl

        _dsl._fast_path_enabled = False  # pyright: ignore[reportPrivateUsage]
    text = path.read_text(encoding="utf-8") if how == "parse" else ""
    peak, resident = _peak_mib(), _resident_mib()
    start = time.perf_counter()
    cpu = time.process_time()
    machine = fsm.load(path) if how == "load" else fsm.parse(text)
    cpu = time.process_time() - cpu
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mib": _peak_mib() - peak,
        "held_mib": _resident_mib() - resident,
        "states": len(machine.states),
        "events": len(machine.events),
    }


def run_child(path: Path, how: str, column: str, baseline: str | None) -> dict[str, float]:
    """Measure in a fresh process, with this tree's fsm or the baseline's."""
    env = dict(os.environ, PYTHONPATH=baseline if column == "base" and baseline else str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), how, column],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="lines per file")
    parser.add_argument("--kinds", default="plain,mixed", help="plain, mixed or both")
    parser.add_argument("--how", default="parse,load", help="parse, load or both")
    parser.add_argument(
        "--full-max", type=int, default=100_000, help="largest file for the full/base columns"
    )
    parser.add_argument("--baseline", help="a folder holding another fsm package (the base column)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, how, column = args.child
        print(json.dumps(measure(Path(path), how, fast=column == "fast")))
        return 0
    columns = ["fast", "full"] + (["base"] if args.baseline else [])
    print(
        f"load average {os.getloadavg()[0]:.2f}; s: wall (cpu) seconds; lines/s from wall; "
        f"MiB: peak growth / held by the machine"
    )
    header = f"{'file':<16}{'how':<6}"
    for column in columns:
        header += f"{column + ' s (cpu)':>16}{'lines/s':>10}{'MiB':>10}"
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.kinds.split(","):
            for lines in (int(size) for size in args.sizes.split(",")):
                path = Path(folder) / f"{kind}-{lines}.mmd"
                path.write_text(KINDS[kind](lines), encoding="utf-8")
                for how in args.how.split(","):
                    row = f"{kind + ' ' + format(lines, ','):<16}{how:<6}"
                    for column in columns:
                        if column != "fast" and lines > args.full_max:
                            row += f"{'-':>16}{'-':>10}{'-':>10}"
                            continue
                        got = run_child(path, how, column, args.baseline)
                        timing = f"{got['seconds']:.2f} ({got['cpu']:.2f})"
                        memory = f"{got['peak_mib']:.0f}/{got['held_mib']:.0f}"
                        row += f"{timing:>16}{lines / got['seconds']:>10,.0f}{memory:>10}"
                    print(row, flush=True)
                path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
