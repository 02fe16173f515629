"""The ``typestate`` command line.

Exit status: 0 all good, 1 findings, 2 bad input or usage (one
``typestate: error:`` line on stderr, never a traceback), 3 an internal error (a
bug in typestate: one ``typestate: internal error:`` line). ``--traceback`` or
``TYPESTATE_DEBUG=1`` print the traceback as well. See ``docs/reference/cli.md``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import fsm

from . import _conversations as conversations
from . import _progress as progress
from ._check import KINDS
from ._recording import Recorded, read_recording
from ._target import TargetError, load_target

if TYPE_CHECKING:
    import analysis

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: An error line longer than this is cut: a 50 MB value must not flood the terminal.
_LINE_LIMIT = 500

_EPILOG = """\
exit status: 0 all good, 1 findings (or a --check that differs), 2 bad input or
usage (one 'typestate: error:' line on stderr), 3 an internal error (a bug in
typestate; please report it). Set TYPESTATE_DEBUG=1 or pass --traceback to see
the Python traceback of an error."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"typestate: error: {message}\n")


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from importlib.metadata import PackageNotFoundError, version

        try:
            shown = f"typestate {version('typestate')}"
        except PackageNotFoundError:  # run from a source tree that is not installed
            shown = "typestate (version unknown: not installed)"
        print(shown)
        parser.exit(EXIT_OK)


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="typestate",
        description="Check, show and render protocols written as state machines.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="on an error, print the Python traceback too (as TYPESTATE_DEBUG=1 does)",
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
        "transition methods raising NotImplementedError) for a machine. With -o MODULE "
        "--check, compare the existing MODULE with what the machine gives instead, "
        "writing nothing: exit 1 and print a unified diff when they differ.",
    )
    codegen.add_argument(
        "target",
        metavar="SPEC",
        help="a .mmd/.md/.json file, or module:attribute naming a Machine or State class",
    )
    codegen.add_argument(
        "-o", "--output", metavar="MODULE", help="write the module to this file (default: stdout)"
    )
    codegen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if MODULE (-o) is out of date",
    )
    codegen.add_argument(
        "--role",
        metavar="ROLE",
        help="SPEC is a conversation (a sequenceDiagram): write this role's classes",
    )
    codegen.add_argument(
        "--line-length",
        type=_at_least_one,
        default=88,
        metavar="N",
        help="format for this line length, as ruff format would (default: 88)",
    )
    _add_analysis_commands(commands.add_parser)
    _add_quiet(parser, commands.choices.values())
    return parser


def _add_quiet(
    parser: argparse.ArgumentParser, commands: Iterable[argparse.ArgumentParser]
) -> None:
    """``-q/--quiet`` before the command or after it, on every command."""
    text = "do not show the progress line on a terminal during long work"
    parser.add_argument("-q", "--quiet", action="store_true", help=text)
    for command in commands:
        # SUPPRESS: a command that was not given -q leaves the global value alone.
        command.add_argument(
            "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=text
        )


_TARGET_HELP = "a .mmd/.md/.json file, or module:attribute naming a Machine or State class"
_DIAGRAM_SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv", ".mmd", ".puml")


def _add_analysis_commands(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    check = add_parser(
        "check",
        help="check machines for unreachable states, dead ends, livelocks and more",
        description="Check each machine and print its findings, each with the shortest "
        "event sequence that shows it. Exit 0 when every machine is ok, 1 when any has "
        "an error or a warning, 2 on bad input.",
    )
    check.add_argument("targets", metavar="TARGET", nargs="+", help=_TARGET_HELP)
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    check.add_argument(
        "--ignore",
        metavar="KIND",
        action="append",
        default=[],
        choices=tuple(KINDS),
        help="do not report this kind of finding (repeatable), e.g. --ignore unused-event; "
        f"kinds: {', '.join(KINDS)}",
    )
    paths = add_parser(
        "paths",
        help="print event sequences that cover every state or transition",
        description="Print event sequences from the initial state, one per line, that "
        "together enter every reachable state (--cover states) or take every reachable "
        "transition (--cover transitions): test cases for an implementation.",
    )
    paths.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    paths.add_argument(
        "--cover", choices=("states", "transitions"), default="transitions", help="what to cover"
    )
    paths.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    compose = add_parser(
        "compose",
        help="compose machines (shared events synchronise) and find deadlocks",
        description="Build the synchronous product of the machines: an event shared by "
        "several fires only when all of them can take it, other events interleave. "
        "Print the product, or with --deadlocks its deadlocks (exit 1 when there are any).",
    )
    compose.add_argument("targets", metavar="TARGET", nargs="+", help=_TARGET_HELP)
    compose.add_argument(
        "--deadlocks", action="store_true", help="report deadlocks instead of printing the product"
    )
    compose.add_argument(
        "--max-states",
        type=_at_least_one,
        default=None,
        metavar="N",
        help="stop with an error past N product states",
    )
    render = add_parser(
        "render",
        help="draw a machine as svg, png, pdf, dot, mmd or puml",
        description="Write a diagram of the machine; the format comes from the suffix of "
        "FILE. With --check, compare a committed .mmd/.dot/.puml file with what the "
        "machine gives now and exit 1 with a diff when they differ.",
    )
    render.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    render.add_argument("-o", "--output", metavar="FILE", required=True, help="the file")
    render.add_argument(
        "--highlight-trace",
        metavar="EVENTS",
        help="draw this comma-separated event sequence from the initial state",
    )
    render.add_argument(
        "--report", action="store_true", help="draw the findings of `typestate check`"
    )
    render.add_argument("--direction", choices=("LR", "TB"), default="LR", help="layout direction")
    render.add_argument(
        "--role",
        metavar="ROLE",
        help="TARGET is a conversation: draw this role's projection (without: the "
        "conversation itself, as a .mmd sequence diagram)",
    )
    render.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if FILE is out of date"
    )
    check_trace = add_parser(
        "check-trace",
        help="check a recorded run (one event per line, or JSON lines) against a machine",
        description="Check that the events of LOGFILE, in order, form a run the machine "
        "allows from its initial state. LOGFILE has one event name per line, or JSON "
        "lines with an 'event' field, as fsm.JsonLinesRecorder writes them: their "
        "'instance' field splits the file into one run per instance (each starting in "
        "the 'source' of its first line), 'source' and 'target' must agree with the "
        "machine, and an event with 'outcome' rejected that the machine does not allow "
        "is reported; other fields are ignored. Blank lines and lines starting with # "
        "are skipped. Exit 0 when every run conforms, 1 when one does not (each "
        "instance's first disagreement and every such rejected event are listed), 2 on "
        "bad input. When TARGET is a conversation (a sequenceDiagram), LOGFILE holds "
        "JSON lines of messages ('sender', 'receiver', 'message', optional 'payload' and "
        "'conversation' id; conversations may interleave).",
    )
    check_trace.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    check_trace.add_argument("logfile", metavar="LOGFILE", help="the recorded events")
    promela = add_parser(
        "promela",
        help="write the composition of machines as a Promela model for the SPIN model checker",
        description="Write the synchronous product of the machines (a conversation "
        "stands for its roles' projections) as a Promela model, with the semantics of "
        "`typestate compose`: SPIN's invalid end states are its deadlocks. Check it "
        "with: spin -a model.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && "
        "./pan -m1000000 (pan's default depth, -m10000, silently cuts deeper searches; "
        "pan says 'max search depth too small' then).",
    )
    promela.add_argument("targets", metavar="TARGET", nargs="+", help=_TARGET_HELP)
    promela.add_argument(
        "-o", "--output", metavar="FILE", help="write the model to this file (default: stdout)"
    )


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
    machine = _load(args.target)
    with progress.phase(f"formatting {machine.name}"):
        text = (
            json.dumps(machine.to_dict(), indent=2) if args.format == "json" else show_text(machine)
        )
    print(text)
    return EXIT_OK


def _load(target: str) -> fsm.Machine:
    """:func:`load_target`, shown as a phase of the progress line."""
    with progress.phase(_loading(target)):
        return load_target(target)


def _load_conversation(target: str) -> fsm.Conversation:
    """The conversation in the file ``target``, shown as a phase of the progress line."""
    with progress.phase(_loading(target)):
        return conversations.load_conversation_target(target)


def _loading(target: str) -> str:
    """What the progress line says while ``target`` is loaded."""
    if ":" in target and not Path(target).exists():
        return f"loading {target}"
    size = progress.file_size(target)
    return f"parsing {target} ({size})" if size else f"parsing {target}"


def _codegen(args: argparse.Namespace) -> int:
    import typestate

    if args.check and args.output is None:
        raise TargetError("--check compares the module named by -o MODULE; pass -o too")
    if conversations.is_conversation(args.target):
        conversation = _load_conversation(args.target)
        with progress.phase(f"writing the classes of {args.role or 'a role'}"):
            text = conversations.role_module(conversation, args.role, line_length=args.line_length)
    else:
        machine = _load_machine(args)
        with progress.phase(f"writing the classes of {machine.name}"):
            text = typestate.codegen(machine, line_length=args.line_length)
    if args.check:
        path = Path(args.output)
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetError(f"cannot read {args.output!r}: {exc.strerror or exc}") from None
        return _report_drift(
            current,
            text,
            path=args.output,
            source=f"typestate codegen {args.target}",
            problem=f"differs from the module {args.target} gives",
            fix=args.regenerate,
        )
    if args.output is not None:
        _write_file(args.output, text)
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_OK


def _load_machine(args: argparse.Namespace) -> fsm.Machine:
    """The machine TARGET names; for a conversation, the projection on ``--role``."""
    if conversations.is_conversation(args.target):
        conversation = _load_conversation(args.target)
        return conversations.role_machine(conversation, args.role, f"{args.command} reads")
    if args.role is not None:
        raise TargetError(f"--role names a role of a conversation, but {args.target!r} is not one")
    return _load(args.target)


def _render_conversation(args: argparse.Namespace) -> int:
    """``render`` of a conversation without ``--role``: the sequence diagram it is."""
    if Path(args.output).suffix.lower() != ".mmd" or args.highlight_trace or args.report:
        raise TargetError(
            f"{args.target} is a conversation: it renders as a Mermaid sequence diagram "
            f"(-o FILE.mmd, without --highlight-trace or --report); to draw one role's "
            f"machine in any format, add --role ROLE"
        )
    text = fsm.dumps_conversation(_load_conversation(args.target))
    if not args.check:
        _write_file(args.output, text)
        return EXIT_OK
    try:
        current = Path(args.output).read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot read {args.output!r}: {exc.strerror or exc}") from None
    return _report_drift(
        current,
        text,
        path=args.output,
        source=f"typestate render {args.target}",
        problem="is out of date",
        fix=args.regenerate,
    )


def _output_path(name: str) -> Path:
    """The path of an output file, refused early when it cannot be written."""

    path = Path(name)
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a directory" if folder.exists() else "does not exist"
        raise TargetError(
            f"cannot write {name!r}: the directory {str(folder)!r} {problem}; create it "
            f"first (mkdir -p {shlex.quote(str(folder))}) or write somewhere else"
        )
    if path.is_dir():
        raise TargetError(f"cannot write {name!r}: it is a directory; name a file in it")
    return path


def _write_file(name: str, text: str) -> None:
    path = _output_path(name)
    data = text.encode("utf-8")  # before the file is touched: a failure leaves it as it was
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise TargetError(f"cannot write {name!r}: {exc.strerror or exc}") from None


def _check(args: argparse.Namespace) -> int:
    import analysis

    reports: list[analysis.Report] = []
    for t in args.targets:
        if conversations.is_conversation(t):
            conversation = _load_conversation(t)
            with progress.phase(f"checking {conversation.name}"):
                reports.append(analysis.check_conversation(conversation))
        else:
            machine = _load(t)
            with progress.phase(f"checking {machine.name}"):
                reports.append(analysis.check(machine, ignore=args.ignore))
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print("\n".join(r.to_text() for r in reports))
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FINDINGS


def _paths(args: argparse.Namespace) -> int:
    import analysis

    machine = _load(args.target)
    with progress.phase(f"finding paths that cover the {args.cover} of {machine.name}"):
        if args.cover == "states":
            cover = analysis.state_cover(machine)
        else:
            cover = analysis.transition_cover(machine)
    if args.format == "json":
        document = {
            "name": machine.name,
            "cover": args.cover,
            "traces": [list(t) for t in cover.traces],
            # Guarded outcomes are not told apart by event names alone.
            "paths": [[[state, t.event, t.target] for state, t in path] for path in cover.paths],
            "length": cover.length,
            "required": cover.required,
            "lower_bound": cover.lower_bound,
        }
        print(json.dumps(document, indent=2))
        return EXIT_OK
    for trace in cover.traces:
        print(" ".join(trace) if trace else "(the initial state)")
    print(
        f"# {len(cover)} paths, {cover.length} events; {cover.required} {args.cover} to "
        f"cover; no cover is shorter than {cover.lower_bound} events",
        file=sys.stderr,
    )
    return EXIT_OK


def _compose(args: argparse.Namespace) -> int:
    import analysis

    machines = [_load(t) for t in args.targets]
    limit = {} if args.max_states is None else {"max_states": args.max_states}
    count = f"{len(machines)} machine{'s' if len(machines) != 1 else ''}"
    try:
        if not args.deadlocks:
            with progress.phase(f"composing {count}", unit="product states"):
                product = analysis.compose(*machines, **limit)
            with progress.phase(f"formatting {product.name}"):
                text = show_text(product)
            print(text)
            return EXIT_OK
        with progress.phase(f"looking for deadlocks of {count}", unit="product states"):
            report = analysis.deadlocks(*machines, **limit)
    except fsm.DefinitionError:
        raise
    except ValueError as exc:  # documented: the product is too large, or has clashing names
        raise TargetError(str(exc).replace("max_states=", "--max-states")) from None
    if report:
        print(f"{report.name}: no deadlock")
        return EXIT_OK
    print(f"{report.name}: {len(report)} deadlock{'s' if len(report) != 1 else ''}")
    for finding in report:
        print(f"  {finding.kind}: {finding.message}")
        trace = " ".join(finding.trace or ()) or "(the initial state)"
        print(f"    trace: {trace}")
    return EXIT_FINDINGS


def _promela(args: argparse.Namespace) -> int:
    import analysis

    if args.output is not None:
        _output_path(args.output)  # refused before any work when it cannot be written
    parts: list[fsm.Machine | fsm.Conversation] = []
    for t in args.targets:
        if not conversations.is_conversation(t):
            parts.append(_load(t))
            continue
        conversation = _load_conversation(t)
        with progress.phase(f"checking {conversation.name}"):
            well_formed = analysis.check_conversation(conversation).ok
        if not well_formed:
            raise TargetError(
                f"{conversation.name} is not well-formed, so its roles' projections do not "
                f"run it; see `typestate check {t}`"
            )
        parts.append(conversation)
    with progress.phase("writing the Promela model"):
        try:
            text = analysis.to_promela(*parts)
        except ValueError as exc:  # documented: too many options, or a projection too large
            raise TargetError(str(exc)) from None
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    _write_file(args.output, text)
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    import analysis

    suffix = Path(args.output).suffix.lower()
    if suffix not in _DIAGRAM_SUFFIXES:
        shown = f"suffix {suffix!r}" if suffix else "no suffix"
        raise TargetError(
            f"can't tell the diagram format of {args.output!r} from its {shown}; name the "
            f"-o FILE .svg, .png, .pdf, .dot, .mmd or .puml"
        )
    if args.highlight_trace is not None and args.report:
        raise TargetError("use --highlight-trace or --report, not both")
    if args.role is None and conversations.is_conversation(args.target):
        return _render_conversation(args)
    machine = _load_machine(args)
    highlight: list[str] | analysis.Report | None = None
    if args.highlight_trace is not None:
        highlight = [e.strip() for e in args.highlight_trace.split(",") if e.strip()]
    elif args.report:
        with progress.phase(f"checking {machine.name}"):
            highlight = analysis.check(machine)
    if args.check:
        return _render_check(machine, Path(args.output), highlight, args)
    output = _output_path(args.output)
    try:
        with progress.phase(f"rendering {args.output}"):
            analysis.render(machine, output, highlight=highlight, direction=args.direction)
    # The errors analysis.render documents: no `dot` or `graphviz`, `dot` failed,
    # a machine too large to lay out, a highlight step the machine does not
    # allow, the file cannot be written.
    except OSError as exc:
        if exc.filename is None:  # `dot` is not on PATH: the message says what to do
            raise TargetError(str(exc)) from None
        raise TargetError(f"cannot write {args.output!r}: {exc.strerror or exc}") from None
    except (ImportError, RuntimeError, ValueError, fsm.InvalidTransition) as exc:
        raise TargetError(str(exc)) from None
    return EXIT_OK


def _render_check(
    machine: fsm.Machine,
    output: Path,
    highlight: list[str] | analysis.Report | None,
    args: argparse.Namespace,
) -> int:
    import tempfile

    import analysis

    if output.suffix.lower() not in (".mmd", ".dot", ".gv", ".puml"):
        raise TargetError(
            "--check compares text diagrams (.mmd, .dot, .puml), not "
            f"{output.suffix or 'a file without suffix'!r}"
        )
    try:
        current = output.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot read {args.output!r}: {exc.strerror or exc}") from None
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / output.name
        try:
            with progress.phase(f"rendering {args.output}"):
                analysis.render(machine, fresh, highlight=highlight, direction=args.direction)
        except (ImportError, fsm.InvalidTransition) as exc:
            raise TargetError(str(exc)) from None
        expected = fresh.read_text(encoding="utf-8")
    return _report_drift(
        current,
        expected,
        path=args.output,
        source=f"typestate render {args.target}",
        problem="is out of date",
        fix=args.regenerate,
    )


def _report_drift(
    current: str, expected: str, *, path: str, source: str, problem: str, fix: str
) -> int:
    """Exit status of a ``--check``: 0 when equal, else 1 with a diff on stdout."""
    if current == expected:
        return EXIT_OK
    sys.stdout.writelines(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile=path,
            tofile=source,
        )
    )
    print(f"typestate: {path} {problem}; regenerate it with: {fix}", file=sys.stderr)
    return EXIT_FINDINGS


def _read_events(name: str) -> list[Recorded]:
    """The events of a log file, each with its line number (and what else it records)."""
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot read {name!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TargetError(f"{name!r} is not UTF-8 text") from None
    try:
        # Only \n ends a line: JSON strings may hold U+2028 or U+0085 as they are.
        return read_recording(text.split("\n"), name)
    except ValueError as exc:
        raise TargetError(str(exc)) from None


def _check_trace(args: argparse.Namespace) -> int:
    from .testing import check_recording

    if conversations.is_conversation(args.target):
        conversation = _load_conversation(args.target)
        with progress.phase(f"checking {args.logfile}"):
            verdict = conversations.check_log(conversation, args.logfile)
        print("\n".join(verdict.lines))
        return EXIT_OK if verdict.ok else EXIT_FINDINGS
    machine = _load(args.target)
    with progress.phase(f"reading {args.logfile}"):
        records = _read_events(args.logfile)
    try:
        with progress.phase(f"checking {args.logfile}"):
            result = check_recording(machine, records)
    except ValueError as exc:
        raise TargetError(f"{args.logfile}: {exc}") from None
    for finding in result.findings:
        print(f"{args.logfile}:{finding.line}: {finding.message}")
    if result.findings:
        return EXIT_FINDINGS
    if result.instances == (None,):
        where = " or ".join(repr(s) for s in result.ends[None])
        summary = f"{result.events} events, ends in {where}"
    else:
        summary = f"{result.events} events, {len(result.instances)} instances"
    notes = [
        f"{count} {what}"
        for count, what in (
            (result.rejected_by_guards, "rejected by guards"),
            (result.failed, "failed"),
        )
        if count
    ]
    if notes:
        summary += "; " + ", ".join(notes) + " (state unchanged)"
    print(f"{args.logfile}: conforms to {machine.name} ({summary})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    # What a --check suggests to run: this very command without --check, so
    # that the file it writes passes the same check.
    args.regenerate = shlex.join(["typestate", *(w for w in words if w != "--check")])
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "show": _show,
        "codegen": _codegen,
        "check": _check,
        "paths": _paths,
        "compose": _compose,
        "render": _render,
        "check-trace": _check_trace,
        "promela": _promela,
    }
    debug = args.traceback or os.environ.get("TYPESTATE_DEBUG", "") not in ("", "0")
    try:
        # Each phase erases its line before it ends: output and errors start on a clean line.
        with progress.shown_on(sys.stderr, quiet=args.quiet, environ=os.environ):
            status = commands[args.command](args)
        sys.stdout.flush()  # here, so that a full disk is reported like any error
        return status
    except BrokenPipeError:  # e.g. `typestate show X | head`: the reader has what it wanted
        return EXIT_OK
    except KeyboardInterrupt:
        print("typestate: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        status, message = _describe(exc)
        if debug:
            traceback.print_exc()
        print(_shorten(message), file=sys.stderr)
        return status


def _describe(error: Exception) -> tuple[int, str]:
    """The exit status and the one-line message for an error that ended a command."""
    if isinstance(error, (fsm.DefinitionError, TargetError)):
        return EXIT_USAGE, f"typestate: error: {error}"
    if isinstance(error, RecursionError):
        return EXIT_USAGE, (
            "typestate: error: the input is nested too deeply to read (Python's recursion "
            "limit was reached); flatten it"
        )
    if isinstance(error, MemoryError):
        return EXIT_USAGE, "typestate: error: out of memory; is the input the file you meant?"
    if isinstance(error, UnicodeEncodeError):
        return EXIT_USAGE, (
            f"typestate: error: cannot write {error.object[error.start : error.end]!r} as "
            f"{error.encoding} ({error.reason}); the machine holds text that cannot be written"
        )
    if isinstance(error, UnicodeError):
        return EXIT_USAGE, f"typestate: error: the input is not readable text ({error})"
    if isinstance(error, OSError):
        if error.filename is None:
            return EXIT_USAGE, (
                f"typestate: error: cannot write the output: {error.strerror or error}"
            )
        return EXIT_USAGE, (f"typestate: error: {error.filename!r}: {error.strerror or error}")
    return EXIT_INTERNAL, (
        f"typestate: internal error: {type(error).__name__}: {error}; this is a bug in "
        f"typestate, please report it with the command you ran (add --traceback to see "
        f"where it happened)"
    )


def _shorten(message: str) -> str:
    """``message`` with every line cut to a readable length."""
    lines = message.splitlines() or [""]
    return "\n".join(
        line
        if len(line) <= _LINE_LIMIT
        else f"{line[:_LINE_LIMIT]}... ({len(line) - _LINE_LIMIT:,} more characters)"
        for line in lines
    )


def _discard_stdout() -> None:
    """Point standard output at the null device, dropping what is still buffered."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout
        pass


def run() -> NoReturn:  # pragma: no cover - the console script's entry point
    """Run the command line and exit with its status.

    Output a failed command left in the buffer is dropped, and so is output
    that cannot be written (a full disk, a closed pipe), so that nothing fails
    again at exit. Only the console script does this: ``main()`` called from
    Python leaves the caller's standard output alone.
    """
    status = main()
    if status in (EXIT_OK, EXIT_FINDINGS):
        try:
            sys.stdout.flush()
        except OSError:
            _discard_stdout()
    else:
        _discard_stdout()
    sys.exit(status)


if __name__ == "__main__":  # pragma: no cover
    run()
