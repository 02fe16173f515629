"""The ``typestate`` command line.

Exit status: 0 all good, 1 findings, 2 bad input or usage (the error on stderr,
never a traceback).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import fsm

from ._target import TargetError, load_target

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="typestate",
        description="Check, show and render protocols written as state machines.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    show = commands.add_parser(
        "show",
        help="print a machine's states and transitions",
        description="Print a machine's name, its states (initial and final marked) and "
        "its transitions, one per line.",
    )
    show.add_argument(
        "target",
        metavar="TARGET",
        help="a .mmd/.md/.json file, or module:attribute naming a Machine or State class",
    )
    show.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text)",
    )
    codegen = commands.add_parser(
        "codegen",
        help="write a module of typestate State classes from a machine",
        description="Write a Python module of typestate State classes (one per state, "
        "transition methods raising NotImplementedError) for a machine. With --check, "
        "compare an existing module with what the machine gives instead: exit 1 and "
        "print a unified diff when they differ.",
    )
    codegen.add_argument(
        "target",
        metavar="SPEC",
        help="a .mmd/.md/.json file, or module:attribute naming a Machine or State class",
    )
    where = codegen.add_mutually_exclusive_group()
    where.add_argument(
        "-o", "--output", metavar="MODULE", help="write the module to this file (default: stdout)"
    )
    where.add_argument(
        "--check",
        metavar="MODULE",
        help="exit 1 with a diff if this file differs from the module the spec gives",
    )
    codegen.add_argument(
        "--line-length",
        type=int,
        default=88,
        metavar="N",
        help="format for this line length, as ruff format would (default: 88)",
    )
    return parser


def show_text(machine: fsm.Machine) -> str:
    """The text printed by ``typestate show``."""
    lines = [
        f"machine {machine.name} ({len(machine.states)} states, "
        f"{len(machine.transitions)} transitions)",
        "states:",
    ]
    superstates = machine.superstates
    width = max(len(s) for s in machine.states)
    for state in machine.states:
        marks: list[str] = []
        if state == machine.initial:
            marks.append("initial")
        if state in machine.final:
            marks.append("final")
        if state in superstates:
            entry = machine.entries.get(state)
            marks.append(f"superstate, entry {entry}" if entry else "superstate")
        if state in machine.parents:
            marks.append(f"in {machine.parents[state]}")
        suffix = f"  ({'; '.join(marks)})" if marks else ""
        lines.append(f"  {state.ljust(width)}{suffix}".rstrip())
    lines.append("transitions:")
    if not machine.transitions:
        lines.append("  (none)")
    for t in machine.transitions:
        lines.append(f"  {t.source} --> {t.target} : {t.label}")
    return "\n".join(lines)


def _show(args: argparse.Namespace) -> int:
    machine = load_target(args.target)
    if args.format == "json":
        print(json.dumps(machine.to_dict(), indent=2))
    else:
        print(show_text(machine))
    return EXIT_OK


def _codegen(args: argparse.Namespace) -> int:
    import typestate

    machine = load_target(args.target)
    text = typestate.codegen(machine, line_length=args.line_length)
    if args.check is not None:
        path = Path(args.check)
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"cannot read {args.check!r}: {exc.strerror or exc}") from None
        if current == text:
            return EXIT_OK
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=args.check,
                tofile=f"typestate codegen {args.target}",
            )
        )
        print(
            f"typestate: {args.check} differs from the module {args.target} gives; "
            f"regenerate it with: typestate codegen {args.target} -o {args.check}",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    if args.output is not None:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"cannot write {args.output!r}: {exc.strerror or exc}") from None
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {"show": _show, "codegen": _codegen}
    try:
        return commands[args.command](args)
    except (fsm.DefinitionError, TargetError) as exc:
        print(f"typestate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # pragma: no cover - e.g. `typestate show X | head`
        return EXIT_OK


def run() -> NoReturn:  # pragma: no cover - the console script's entry point
    """Run the command line and exit with its status."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
