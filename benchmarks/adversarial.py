"""Benchmark: hostile inputs to the loaders and builders, 10 KB to 10 MB.

Each shape is a text (DSL, JSON or Markdown) made to hit a slow path: a long
run of spaces inside a statement, many bad lines, many duplicate
transitions, deep nesting, one long line, many states, many fenced blocks.
Each is loaded with ``fsm.load`` from a file of about 10 KB, 100 KB, 1 MB and
10 MB, and the time per MB is printed: a flat row means linear time, a row
that grows tenfold per column means quadratic. Whether the load succeeds or
is refused with a ``DefinitionError`` is printed too (a broken file must be
refused as fast as a good one is read). A last table times
``typestate.codegen`` and ``fsm.dumps`` on machines of nested superstates at
the depth limit.

Run: ``python benchmarks/adversarial.py`` (``--max-mb 1`` for a quicker run,
``--shapes spaces,bad-lines`` for some shapes only).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import fsm
from typestate import codegen

HEADER = "stateDiagram-v2\n[*] --> A\n"


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def spaces(size: int) -> str:
    """A bare statement with a long run of spaces inside: 'A    ...    B'."""
    return HEADER + "A" + " " * size + "B\n"


def spaces_arrow(size: int) -> str:
    """A transition with a long run of spaces before its arrow."""
    return HEADER + "A" + " " * size + "--> B : go\n"


def types_spaces(size: int) -> str:
    """Whitespace inside a '%% types:' directive, before a character it refuses."""
    return "stateDiagram-v2\n%% types: go" + " " * size + "!\n[*] --> A\nA --> B : go\n"


def bad_lines(size: int) -> str:
    """Many lines the parser cannot read: one problem each."""
    return HEADER + _repeat("???\n", size)


def duplicates(size: int) -> str:
    """Many copies of one unguarded transition: one problem each."""
    return HEADER + _repeat("A --> B : go\n", size)


def _chain(depth: int, tag: str) -> str:
    opens = "".join(f"state {tag}_{k} {{\n" for k in range(depth))
    return opens + f"{tag}_leaf\n" + "}\n" * depth


def deep_chains(size: int) -> str:
    """Superstate chains nested to the depth limit, as many as fit."""
    unit = len(_chain(fsm.MAX_DEPTH, "c0"))
    count = max(1, size // unit)
    return HEADER + "".join(_chain(fsm.MAX_DEPTH, f"c{n}") for n in range(count))


def too_deep(size: int) -> str:
    """One chain of blocks nested as deep as the size allows (refused)."""
    depth = max(1, size // 16)
    return HEADER + _chain(depth, "s")


def deep_json(size: int) -> str:
    """A JSON document nested as deep as the size allows (refused)."""
    depth = max(1, size // 2)
    return '{"kind": ' + "[" * depth + "]" * depth + "}"


def long_line(size: int) -> str:
    """One transition whose action list is the whole file."""
    actions = ", ".join(f"a{n}" for n in range(max(1, size // 7)))
    return HEADER + "A --> B : go / " + actions + "\n"


def many_states(size: int) -> str:
    """A chain of distinct states, one transition each."""
    count = max(1, size // 24)
    return (
        HEADER
        + "".join(f"S{n} --> S{n + 1} : e{n % 50}\n" for n in range(count))
        + "A --> S0 : go\n"
    )


def many_fences(size: int) -> str:
    """A Markdown file of many mermaid blocks that are not state diagrams."""
    block = "```mermaid\nflowchart LR\n  a --> b\n```\n\ntext\n\n"
    return _repeat(block, size) + "```mermaid\n" + HEADER + "```\n"


def many_json_transitions(size: int) -> str:
    """A valid JSON document with many transitions."""
    count = max(1, size // 60)
    doc = {
        "kind": "typestate.machine",
        "version": 1,
        "name": "M",
        "states": [f"S{n}" for n in range(count + 1)],
        "initial": "S0",
        "transitions": [
            {"source": f"S{n}", "event": "go", "target": f"S{n + 1}"} for n in range(count)
        ],
    }
    return json.dumps(doc)


SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "spaces": (".mmd", spaces),
    "spaces-arrow": (".mmd", spaces_arrow),
    "types-spaces": (".mmd", types_spaces),
    "bad-lines": (".mmd", bad_lines),
    "duplicates": (".mmd", duplicates),
    "deep-chains": (".mmd", deep_chains),
    "too-deep": (".mmd", too_deep),
    "deep-json": (".json", deep_json),
    "long-line": (".mmd", long_line),
    "many-states": (".mmd", many_states),
    "many-fences": (".md", many_fences),
    "json-transitions": (".json", many_json_transitions),
}
SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
BUDGET = 60.0  # seconds per MB; a shape this slow at one size skips the larger ones


def time_load(path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        fsm.load(path)
        outcome = "ok"
    except fsm.DefinitionError as error:
        outcome = f"refused ({len(error.problems)})"
    return time.perf_counter() - start, outcome


def _size(n: int) -> str:
    return f"{n // 1_000_000} MB" if n >= 1_000_000 else f"{n // 1000} KB"


def run_shapes(names: list[str], max_bytes: int) -> None:
    sizes = [s for s in SIZES if s <= max_bytes]
    print("fsm.load, seconds per MB of input (flat = linear); outcome at the largest size")
    print(f"{'shape':18}" + "".join(f"{_size(s):>10}" for s in sizes) + "   outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            suffix, make = SHAPES[name]
            row = f"{name:18}"
            outcome = ""
            for size in sizes:
                if outcome.startswith("stopped"):
                    row += f"{'-':>10}"
                    continue
                text = make(size)
                path = Path(tmp) / f"{name}{suffix}"
                path.write_text(text, encoding="utf-8")
                seconds, outcome = time_load(path)
                per_mb = seconds / (len(text.encode()) / 1e6)
                row += f"{per_mb:10.3f}"
                if per_mb > BUDGET:
                    outcome = f"stopped: {per_mb:.0f} s per MB at {_size(size)}"
            print(f"{row}   {outcome}")


def _nested(width: int) -> fsm.Machine:
    """``width`` chains of superstates nested to the depth limit, one transition each level."""
    states: list[str] = []
    parents: dict[str, str] = {}
    transitions: list[fsm.Transition] = []
    for w in range(width):
        chain = [f"C{w}_{k}" for k in range(fsm.MAX_DEPTH + 1)]
        states += chain
        for outer, inner in itertools.pairwise(chain):
            parents[inner] = outer
        for k, state in enumerate(chain):
            transitions.append(fsm.Transition(state, f"e{k}", chain[-1]))
    return fsm.Machine(
        "Deep", states=states, initial=states[-1], transitions=transitions, parents=parents
    )


def run_codegen(max_bytes: int) -> None:
    print()
    print(f"nested superstates {fsm.MAX_DEPTH} deep (fsm.MAX_DEPTH), seconds per 1,000 states")
    widths = [w for w in (1, 10, 100) if w * 10_000 <= max_bytes * 10]
    print(f"{'what':18}" + "".join(f"{w * (fsm.MAX_DEPTH + 1):>10,}" for w in widths))
    rows: dict[str, str] = {}
    for width in widths:
        start = time.perf_counter()
        machine = _nested(width)
        built = time.perf_counter() - start
        per = 1000 / len(machine.states)
        text = fsm.dumps(machine)
        works: dict[str, Callable[[], object]] = {
            "fsm.dumps": partial(fsm.dumps, machine),
            "fsm.parse(dumps)": partial(fsm.parse, text),
            "codegen": partial(codegen, machine),
        }
        rows["Machine(...)"] = rows.get("Machine(...)", f"{'Machine(...)':18}") + (
            f"{built * per:10.4f}"
        )
        for label, work in works.items():
            start = time.perf_counter()
            work()
            seconds = time.perf_counter() - start
            rows[label] = rows.get(label, f"{label:18}") + f"{seconds * per:10.4f}"
    for row in rows.values():
        print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--max-mb", type=float, default=10.0, help="largest input (default 10)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names")
    args = parser.parse_args(argv)
    names = [n for n in args.shapes.split(",") if n]
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes: {', '.join(unknown)}; known: {', '.join(SHAPES)}")
    max_bytes = int(args.max_mb * 1_000_000)
    run_shapes(names, max_bytes)
    run_codegen(max_bytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
