"""Benchmark: mypy and pyright on a generated 200-state protocol vs the same plain classes.

The protocol module is written by ``typestate.codegen`` from a 200-state
machine (10 abstract superstates of 20 states each, every state with a plain
transition and a guarded one that becomes a union, a superstate transition,
two final states). The baseline is the same module with the library taken
out: ``@attrs.frozen`` classes, the same methods, no ``@transition``, no
``State`` base. Each round runs ``mypy --strict`` (with a fresh cache, so
typeshed, attrs and typestate itself are analysed every time, as in a cold CI
run) and pyright strict on both, alternating which goes first.

The checkers run in a scratch directory with this checkout on ``PYTHONPATH``,
so they read ``typestate`` the way a user's project reads the installed
package, not as part of the project being checked. For each side the best
(minimum) of the rounds is reported, as wall-clock time and as CPU time (user
plus system, of the checker's processes): on a machine shared with other work
the wall clock also counts the time spent waiting for a core, and the CPU
time does not.

Run: ``python benchmarks/mypy_time.py [--rounds N] [--checker mypy|pyright] [--kinds]
[--against CHECKOUT]``
(target: each ratio at most 1.15). ``--kinds`` gives each state an internal
transition and a timer too, to time the decorator's other overloads;
``--against`` also checks the typestate module with another checkout's
``typestate`` (before a change, say), in the same rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fsm
from typestate import codegen

LEAVES = 200
GROUP = 20
TARGET = 1.15
REPO = Path(__file__).resolve().parent.parent


def machine(kinds: bool = False) -> fsm.Machine:
    """The 200-state protocol: a chain through 10 superstates, to ``Done``.

    With ``kinds``, each state also has an internal transition and a timer
    (``@transition(internal=True)`` and ``@transition(after=30)``).
    """
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
        if kinds:
            transitions += [
                fsm.Transition(name, "ping", name, internal=True, params=count),
                fsm.Transition(name, "expire", following, after=30.0),
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
    module = re.sub(r"^    @transition(\(.*\))?\n", "", module, flags=re.M)
    module = re.sub(
        r"^class (\w+)\(State(?:, \w+=True)?\)", r"@attrs.frozen\nclass \1", module, flags=re.M
    )
    return re.sub(r"^class (\w+)\((Phase\d+)\)", r"@attrs.frozen\nclass \1(\2)", module, flags=re.M)


Seconds = tuple[float, float]  # wall clock, CPU (user + system, the checker's processes)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(command: list[str], cwd: Path, what: str, repo: Path = REPO) -> Seconds:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    cpu = _cpu()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stdout}{done.stderr}")
    return seconds, _cpu() - cpu


def mypy_seconds(path: Path, repo: Path = REPO) -> Seconds:
    with tempfile.TemporaryDirectory() as cache:
        command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache, path.name]
        return _timed(command, path.parent, f"mypy on {path.name}", repo)


def pyright_seconds(path: Path, pyright: str, repo: Path = REPO) -> Seconds:
    return _timed([pyright, path.name], path.parent, f"pyright on {path.name}", repo)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument(
        "--checker", choices=("mypy", "pyright"), action="append", help="only this one (repeatable)"
    )
    parser.add_argument(
        "--kinds",
        action="store_true",
        help="give each state an internal transition and a timer as well",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="CHECKOUT",
        help="also check the typestate module with this checkout's typestate (such as "
        "`git worktree add /tmp/base main`), alternating, and print this/that",
    )
    args = parser.parse_args()
    checkers: list[str] = args.checker or ["mypy", "pyright"]
    pyright = shutil.which("pyright") or ""
    if "pyright" in checkers and not pyright:
        raise SystemExit("needs the pyright command line (pip install pyright)")
    generated = codegen(machine(args.kinds), line_length=100)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        config = {"typeCheckingMode": "strict", "extraPaths": [str(REPO)]}
        (root / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
        with_library = root / "protocol_typestate.py"
        without = root / "protocol_plain.py"
        with_library.write_text(generated, encoding="utf-8")
        without.write_text(plain(generated), encoding="utf-8")
        repos = {with_library: REPO, without: REPO}
        if args.against is not None:
            (root / "against").mkdir()
            config["extraPaths"] = [str(args.against.resolve())]
            (root / "against" / "pyrightconfig.json").write_text(json.dumps(config), "utf-8")
            other = root / "against" / with_library.name
            other.write_text(generated, encoding="utf-8")
            repos[other] = args.against.resolve()
        times: dict[tuple[str, Path], list[Seconds]] = {}
        for n in range(args.rounds):
            order = list(repos) if n % 2 == 0 else list(reversed(repos))
            for path in order:
                repo = repos[path]
                if "mypy" in checkers:
                    times.setdefault(("mypy", path), []).append(mypy_seconds(path, repo))
                if "pyright" in checkers:
                    found = pyright_seconds(path, pyright, repo)
                    times.setdefault(("pyright", path), []).append(found)
    lines = generated.count("\n")
    print(f"fresh mypy cache each run; best of {args.rounds} rounds; module: {lines} lines")
    print(f"{'':32}{'wall s':>8}{'CPU s':>8}")
    for checker in checkers:
        print(f"{checker} (strict)")
        best: dict[Path, Seconds] = {}
        for path, label in (
            (with_library, "typestate classes (codegen)"),
            (without, "plain frozen attrs classes"),
        ):
            runs = times[checker, path]
            best[path] = (min(r[0] for r in runs), min(r[1] for r in runs))
            print(f"  {label:30}{best[path][0]:8.2f}{best[path][1]:8.2f}")
        wall, cpu = (best[with_library][i] / best[without][i] for i in (0, 1))
        print(f"  {'ratio':30}{wall:7.2f}x{cpu:7.2f}x  (target <= {TARGET}x)")
        if args.against is not None:
            runs = times[checker, root / "against" / with_library.name]
            that = (min(r[0] for r in runs), min(r[1] for r in runs))
            print(f"  {'typestate classes, --against':30}{that[0]:8.2f}{that[1]:8.2f}")
            wall, cpu = (best[with_library][i] / that[i] for i in (0, 1))
            print(f"  {'this checkout / --against':30}{wall:7.2f}x{cpu:7.2f}x")


if __name__ == "__main__":
    main()
