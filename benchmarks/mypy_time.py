"""Benchmark: mypy's time on a generated 200-state protocol vs the same plain classes.

The protocol module is written by ``typestate.codegen`` from a 200-state
machine (10 abstract superstates of 20 states each, every state with a plain
transition and a guarded one that becomes a union, a superstate transition,
two final states). The baseline is the same module with the library taken
out: ``@attrs.frozen`` classes, the same methods, no ``@transition``, no
``State`` base. Each round runs ``mypy --strict`` on both, each with a fresh
cache (so typeshed, attrs and typestate itself are analysed every time, as in
a cold CI run), alternating which goes first; the median of each is reported.

Run: ``python benchmarks/mypy_time.py [--rounds N]`` (target: ratio at most 2).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fsm
from typestate import codegen

LEAVES = 200
GROUP = 20


def machine() -> fsm.Machine:
    """The 200-state protocol: a chain through 10 superstates, to ``Done``."""
    names = [f"S{n:03d}" for n in range(LEAVES)]
    groups = [f"Phase{g}" for g in range(LEAVES // GROUP)]
    parents = {name: groups[n // GROUP] for n, name in enumerate(names)}
    note, count = (("note", "str"),), (("count", "int"),)
    transitions: list[fsm.Transition] = []
    for n, name in enumerate(names):
        following = names[n + 1] if n + 1 < LEAVES else "Done"
        back = names[max(n - 1, 0)]
        transitions += [
            fsm.Transition(name, "advance", following, params=note),
            fsm.Transition(name, "check", following, guard="passed", params=count),
            fsm.Transition(name, "check", back, guard="else", params=count),
        ]
    transitions += [
        fsm.Transition(g, "cancel", "Failed", params=(("reason", "str | None"),)) for g in groups
    ]
    return fsm.Machine(
        "Big",
        states=(*groups, *names, "Done", "Failed"),
        initial=names[0],
        final={"Done", "Failed"},
        transitions=transitions,
        parents=parents,
    )


def plain(module: str) -> str:
    """The generated module without the library: frozen attrs classes."""
    module = module.replace("from typestate import State, transition", "import attrs")
    module = module.replace("    @transition\n", "")
    module = re.sub(
        r"^class (\w+)\(State(?:, \w+=True)?\)", r"@attrs.frozen\nclass \1", module, flags=re.M
    )
    return re.sub(r"^class (\w+)\((Phase\d+)\)", r"@attrs.frozen\nclass \1(\2)", module, flags=re.M)


def mypy_seconds(path: Path) -> float:
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mypy failed on {path.name}:\n{done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    args = parser.parse_args()
    generated = codegen(machine(), line_length=100)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        with_library = root / "protocol_typestate.py"
        without = root / "protocol_plain.py"
        with_library.write_text(generated, encoding="utf-8")
        without.write_text(plain(generated), encoding="utf-8")
        times: dict[Path, list[float]] = {with_library: [], without: []}
        for n in range(args.rounds):
            order = [with_library, without] if n % 2 == 0 else [without, with_library]
            for path in order:
                times[path].append(mypy_seconds(path))
    lines = generated.count("\n")
    typed = statistics.median(times[with_library])
    base = statistics.median(times[without])
    print(f"mypy --strict, fresh cache, median of {args.rounds} rounds; module: {lines} lines")
    print(f"  typestate classes (codegen)   {typed:7.2f} s")
    print(f"  plain frozen attrs classes    {base:7.2f} s")
    print(f"  ratio                         {typed / base:7.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
