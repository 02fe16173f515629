"""Bad input never ends in a traceback: every command, over a corpus of bad inputs.

Each case must exit 2 with exactly one ``typestate: error:`` line on stderr
and no traceback. The cases that write to a full disk run the installed console
script in a subprocess (what it does with its standard output at exit is part
of the answer); the others call its entry point ``main`` in this process, which
is what the script runs, without starting Python about sixty times.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm

from .test_cli import ROOT, script_env, typestate

GOOD = "stateDiagram-v2\n    [*] --> Idle\n    Idle --> Done : finish\n    Done --> [*]\n"

#: Every command, with the arguments around the TARGET (a {} in the list).
COMMANDS: dict[str, list[str]] = {
    "show": ["{}"],
    "check": ["{}"],
    "paths": ["{}"],
    "compose": ["good.mmd", "{}"],
    "render": ["{}", "-o", "out.mmd"],
    "codegen": ["{}"],
    "check-trace": ["{}", "run.log"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bad inputs, and one good machine and log to go with them."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "good.mmd").write_text(GOOD, encoding="utf-8")
    (folder / "run.log").write_text("finish\n", encoding="utf-8")
    (folder / "folder.mmd").mkdir()
    (folder / "binary.mmd").write_bytes(bytes(range(256)) * 8)
    (folder / "empty.mmd").write_bytes(b"")
    (folder / "latin1.mmd").write_bytes("stateDiagram-v2\n[*] --> Caf\xe9\n".encode("latin-1"))
    # 50 MB of transitions with no header line.
    line = b"    Idle --> Done : finish\n"
    (folder / "huge.mmd").write_bytes(line * (50 * 2**20 // len(line)))
    depth = 100_000
    (folder / "deep.json").write_text('{"kind": ' + "[" * depth + "]" * depth + "}")
    (folder / "full.mmd").symlink_to("/dev/full")
    return folder


BAD_TARGETS = [
    "missing.mmd",
    "folder.mmd",
    "binary.mmd",
    "empty.mmd",
    "latin1.mmd",
    "huge.mmd",
    "deep.json",
]


def run(args: list[str], cwd: Path, stdout: str | None = None) -> tuple[list[str], int, str]:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    with open(stdout or "/dev/null", "w") as out:
        result = subprocess.run(
            [exe, *args],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
            env=script_env(),
        )
    return args, result.returncode, result.stderr


def run_in_process(args: list[str], cwd: Path) -> tuple[list[str], int, str]:
    """``run`` without the subprocess: ``main`` with this process's standard streams."""
    from analysis._cli import main

    err = io.StringIO()
    with (
        working_directory(str(cwd)),
        open(os.devnull, "w", encoding="utf-8") as out,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            status = main(args)
        except SystemExit as exit:  # argparse: usage errors
            status = exit.code
    assert isinstance(status, int), status
    return args, status, err.getvalue()


def problems(results: list[tuple[list[str], int, str]]) -> list[str]:
    """What each result does wrong: anything but exit 2 with one error line."""
    found: list[str] = []
    for args, status, stderr in results:
        errors = [line for line in stderr.splitlines() if line.startswith("typestate: error: ")]
        if status != 2 or len(errors) != 1 or "Traceback" in stderr:
            found.append(f"typestate {' '.join(args)} -> exit {status}\n{stderr[:2000]}")
    return found


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_refuses_bad_input_in_one_line(command: str, corpus: Path) -> None:
    cases: list[tuple[list[str], str | None]] = [
        ([command, *(target if a == "{}" else a for a in COMMANDS[command])], None)
        for target in BAD_TARGETS
    ]
    good = [command, *("good.mmd" if a == "{}" else a for a in COMMANDS[command])]
    cases.append(([*good, "--no-such-flag"], None))
    if command == "render":
        cases.append(([command, "good.mmd", "-o", "no/such/folder/out.mmd"], None))
        cases.append(([command, "good.mmd", "-o", "full.mmd"], None))
    elif command == "codegen":
        cases.append(([*good, "-o", "no/such/folder/out.py"], None))
        cases.append(([*good, "-o", "full.mmd"], None))
    else:
        cases.append((good, "/dev/full"))
    if command == "check-trace":
        cases.append(([command, "good.mmd", "binary.mmd"], None))
    full = [case for case in cases if case[1] == "/dev/full" or "full.mmd" in case[0]]
    assert full, "each command has a case for the real console script"
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: run(case[0], corpus, case[1]), full))
    results += [run_in_process(args, corpus) for args, out in cases if (args, out) not in full]
    assert len(results) == len(cases)
    assert problems(results) == []


def test_deep_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({"kind": [[[[[[]]]]]]}).replace("[[", "[" * 3000, 1))
    result = typestate("show", str(path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("typestate: error: ")
    assert len(result.stderr.splitlines()) == 1


def test_unknown_finding_kind_is_a_usage_error() -> None:
    result = typestate("check", "--ignore", "bogus", "examples/agent.mmd")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "typestate: error: argument --ignore: invalid choice: 'bogus' (choose from "
        "'unreachable', 'dead-end', 'deadlock', 'livelock', 'non-productive', "
        "'final-has-outgoing', 'unused-event', 'nondeterministic', "
        "'choice-not-by-one-role', 'indistinguishable-branches', 'uninformed-role')"
    )


def test_a_relative_module_name_is_refused() -> None:
    result = typestate("show", "..x:y")
    assert (result.returncode, result.stderr) == (
        2,
        "typestate: error: '..x' is not a module name; write module:attribute with a "
        "dotted module name such as 'mypackage.protocols' (relative names are not allowed)\n",
    )


def test_a_module_that_fails_to_import_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "broken_spec.py").write_text("1 / 0\n", encoding="utf-8")
    result = typestate("show", "broken_spec:M", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "typestate: error: importing module 'broken_spec' raised ZeroDivisionError: "
        "division by zero\n",
    )


def test_a_module_that_exits_is_bad_input_not_our_exit_status(tmp_path: Path) -> None:
    (tmp_path / "exiting_spec.py").write_text("import sys\nsys.exit(7)\n", encoding="utf-8")
    (tmp_path / "lazy_spec.py").write_text(
        "def __getattr__(name):\n    raise SystemExit(9)\n", encoding="utf-8"
    )
    result = typestate("show", "exiting_spec:M", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "typestate: error: importing module 'exiting_spec' raised SystemExit: 7\n",
    )
    result = typestate("show", "lazy_spec:M", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "typestate: error: reading 'M' of module 'lazy_spec' raised SystemExit: 9\n",
    )


def test_a_missing_output_folder_is_named_with_the_fix(tmp_path: Path) -> None:
    result = typestate("render", "examples/agent.mmd", "-o", str(tmp_path / "nowhere" / "x.svg"))
    assert (result.returncode, result.stderr) == (
        2,
        f"typestate: error: cannot write '{tmp_path}/nowhere/x.svg': the directory "
        f"'{tmp_path}/nowhere' does not exist; create it first (mkdir -p {tmp_path}/nowhere) "
        "or write somewhere else\n",
    )


def test_a_full_disk_is_one_line() -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [shutil.which("typestate") or "typestate", "show", "examples/agent.mmd"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            env=script_env(),
        )
    assert (result.returncode, result.stderr) == (
        2,
        "typestate: error: cannot write the output: No space left on device\n",
    )


def test_messages_name_the_flags(tmp_path: Path) -> None:
    result = typestate("compose", "examples/agent.mmd", "examples/agent.mmd", "--max-states", "2")
    assert result.returncode == 2
    assert result.stderr == (
        "typestate: error: the product of 'Agent' x 'Agent' has more than 2 reachable "
        "states; pass a larger --max-states or compose fewer machines\n"
    )
    result = typestate("compose", "examples/agent.mmd", "--max-states", "0")
    assert result.stderr.splitlines()[-1] == (
        "typestate: error: argument --max-states: must be at least 1 (got 0)"
    )
    result = typestate("render", "examples/agent.mmd", "-o", str(tmp_path / "x.txt"))
    assert result.stderr == (
        f"typestate: error: can't tell the diagram format of '{tmp_path}/x.txt' from its "
        "suffix '.txt'; name the -o FILE .svg, .png, .pdf, .dot, .mmd or .puml\n"
    )


def test_a_huge_value_in_a_message_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"kind": "x" * 100_000}), encoding="utf-8")
    result = typestate("show", str(path))
    assert result.returncode == 2
    assert max(len(line) for line in result.stderr.splitlines()) < 600
    assert "xxx... (" in result.stderr
    assert result.stderr.endswith(" more characters)\n")


def test_version() -> None:
    from importlib.metadata import version

    result = typestate("--version")
    assert (result.returncode, result.stdout) == (0, f"typestate {version('typestate')}\n")


def test_an_internal_error_is_one_line_exit_3(tmp_path: Path) -> None:
    # The spec module breaks the analysis on purpose: what a bug in typestate looks like.
    (tmp_path / "sabotage.py").write_text(
        "import analysis, fsm\n"
        "M = fsm.parse('stateDiagram-v2\\n[*] --> A\\nA --> B : go\\n')\n"
        "def broken(machine):\n"
        "    raise RuntimeError('boom')\n"
        "analysis.transition_cover = broken\n",
        encoding="utf-8",
    )
    result = typestate("paths", "sabotage:M", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        "typestate: internal error: RuntimeError: boom; this is a bug in typestate, please "
        "report it with the command you ran (add --traceback to see where it happened)\n"
    )
    result = typestate("--traceback", "paths", "sabotage:M", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith(
        "RuntimeError: boom\ntypestate: internal error: "
        + (
            "RuntimeError: boom; this is a bug in typestate, please report it with the command "
            "you ran (add --traceback to see where it happened)\n"
        )
    )


def test_text_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    # A lone surrogate cannot be encoded as UTF-8: whether the Machine refuses
    # it or the output cannot carry it, the answer is one line, not a traceback.
    (tmp_path / "surrogate_spec.py").write_text(
        "import fsm\nM = fsm.Machine('A\\ud800', states=('A',), initial='A')\n",
        encoding="utf-8",
    )
    for command in ("show", "check"):
        result = typestate(command, "surrogate_spec:M", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("typestate: error: ")
        assert "Traceback" not in result.stderr


WORDS = [
    *COMMANDS,
    "--format", "json", "text", "yaml", "--ignore", "unreachable", "bogus", "--cover",
    "states", "transitions", "--check", "--max-states", "0", "3", "-1", "x", "-o",
    "out.svg", "out.mmd", "out.puml", "out.py", "out", "no/dir/out.dot", "--report",
    "--highlight-trace", "finish", "finish,finish", "--direction", "TB", "UP",
    "--line-length", "--version", "--help", "-h", "good.mmd", "bad.mmd", "good.json",
    "missing.mmd", "deep.json", "run.log", "fsm:Machine", "fsm:nothing", "..x:y", ":", "",
    "\x00", "\udcff", "-", "--",
]  # fmt: skip


@contextlib.contextmanager
def working_directory(folder: str) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=5), max_size=7))
def test_fuzzed_arguments_never_escape(argv: list[str]) -> None:
    # In process, for speed: the console script is `analysis._cli:run`, a thin
    # sys.exit(main()). Any status but 0, 1 or 2, or any exception, fails.
    from analysis._cli import main

    with tempfile.TemporaryDirectory() as folder, working_directory(folder):
        Path("good.mmd").write_text(GOOD, encoding="utf-8")
        Path("bad.mmd").write_text("stateDiagram-v2\n[*] --> A\nA --> B : a: b\n")
        Path("good.json").write_text(json.dumps(fsm.parse(GOOD).to_dict()))
        Path("deep.json").write_text("[" * 50_000)
        Path("run.log").write_text("finish\nfinish\n")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exit:  # argparse: --help, --version, usage errors
                status = exit.code
    assert status in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    if status == 2:
        assert err.getvalue().count("typestate: error: ") == 1, err.getvalue()


def test_main_called_from_python_leaves_standard_output_alone(tmp_path: Path) -> None:
    script = (
        "from analysis._cli import main\n"
        "status = main(['show', 'no-such-file.mmd'])\n"
        "print('after', status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert result.stdout == "after 2\n"
    assert result.stderr.startswith("typestate: error: ")
