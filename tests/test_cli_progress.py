"""The progress line of the `typestate` console script, on a real pseudo-terminal.

Standard error is the terminal side of a pty (80 columns); standard output is a
pipe, so that what the command prints can be compared byte for byte with a run
whose standard error is a pipe too. A module TARGET that sleeps while it is
imported gives a phase of a known length with the real one-second delay.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fsm

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pseudo-terminals are POSIX only", allow_module_level=True)

import fcntl
import pty
import termios

ROOT = Path(__file__).resolve().parent.parent

SLOW_SPEC = """\
import os
import time

import fsm

time.sleep(float(os.environ["SLEEP"]))
if os.environ.get("FAIL"):
    raise RuntimeError("the spec module failed")
machine = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]\\n")
other = fsm.parse("stateDiagram-v2\\n[*] --> C\\nC --> D : go\\nC --> C : stay\\n")
"""

SHOW_OUTPUT = (
    b"machine Machine (2 states, 1 transitions)\nstates:\n  A  (initial)\n  B  (final)\n"
    b"transitions:\n  A --> B : go\n"
)

# Makes the pty the controlling terminal of the command (as a shell does), so
# that a Ctrl-C typed on it interrupts the command and is echoed as ^C.
_WITH_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def _env(**extra: str) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TYPESTATE_PROGRESS_DELAY")}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)
    env["TERM"] = "xterm"
    return {**env, **extra}


def _script() -> str:
    exe = shutil.which("typestate")
    assert exe is not None, "the typestate console script is not installed: pip install -e ."
    return exe


def _read_until_exit(master: int, process: subprocess.Popen[bytes], ctrl_c_on: bytes) -> bytes:
    """All the terminal shows until ``process`` exits; type Ctrl-C once ``ctrl_c_on`` shows."""
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ctrl_c_on and ctrl_c_on in seen:
            os.write(master, b"\x03")
            ctrl_c_on = b""
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every copy of the terminal side is closed
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    return seen


def on_terminal(
    *args: str,
    cwd: Path,
    ctrl_c_on: bytes = b"",
    program: str = "",
    size: tuple[int, int] = (24, 80),
    **env: str,
) -> tuple[int, bytes, bytes]:
    """Run the console script (or ``program``), stderr on a pty: (status, stdout, stderr).

    ``size`` is the terminal's (rows, columns); 0 columns is a terminal that
    reports no width.
    """
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", _WITH_TERMINAL, program or _script(), *args],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=cwd,
        env=_env(**env),
        start_new_session=True,
    )
    os.close(terminal)
    try:
        stderr = _read_until_exit(master, process, ctrl_c_on)
        assert process.stdout is not None
        stdout = process.stdout.read()
        status = process.wait(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    return status, stdout, stderr


def in_pipes(*args: str, cwd: Path, **env: str) -> tuple[int, bytes, bytes]:
    """Run the console script with standard output and error on pipes."""
    done = subprocess.run(
        [_script(), *args], cwd=cwd, capture_output=True, env=_env(**env), timeout=60, check=False
    )
    return done.returncode, done.stdout, done.stderr


def screen(data: bytes) -> list[str]:
    """The lines a terminal shows after ``data``: carriage returns, erases, overwrites."""
    lines = [""]
    column = 0
    for token in re.findall(rb"\x1b\[K|\r\n|\n|\r|[^\r\n\x1b]", data):
        if token == b"\x1b[K":
            lines[-1] = lines[-1][:column]
        elif token in (b"\r\n", b"\n"):
            lines.append("")
            column = 0
        elif token == b"\r":
            column = 0
        else:
            line = lines[-1].ljust(column)
            lines[-1] = line[:column] + token.decode("latin-1") + line[column + 1 :]
            column += 1
    return [line.rstrip() for line in lines if line.strip()]


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    (tmp_path / "slow_spec.py").write_text(SLOW_SPEC, encoding="utf-8")
    return tmp_path


def test_a_phase_over_one_second_shows_a_line_that_is_erased(spec_dir: Path) -> None:
    status, stdout, stderr = on_terminal("show", "slow_spec:machine", cwd=spec_dir, SLEEP="2")
    assert status == 0, stderr
    assert stdout == SHOW_OUTPUT
    assert b"\rtypestate: loading slow_spec:machine [00:01]" in stderr
    assert screen(stderr) == []  # erased: nothing is left on the terminal


def test_a_phase_under_one_second_shows_nothing(spec_dir: Path) -> None:
    status, stdout, stderr = on_terminal("show", "slow_spec:machine", cwd=spec_dir, SLEEP="0.3")
    assert (status, stdout, stderr) == (0, SHOW_OUTPUT, b"")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("show", "slow_spec:machine", "--quiet"), {}),
        (("-q", "show", "slow_spec:machine"), {}),
        (("show", "slow_spec:machine"), {"CI": "1"}),
        (("show", "slow_spec:machine"), {"CI": "true"}),
        (("show", "slow_spec:machine"), {"TERM": "dumb"}),
    ],
    ids=["--quiet after the command", "-q before it", "CI=1", "CI=true", "TERM=dumb"],
)
def test_quiet_ci_and_dumb_terminals_show_nothing(
    spec_dir: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    status, stdout, stderr = on_terminal(
        *args, cwd=spec_dir, SLEEP="0.4", TYPESTATE_PROGRESS_DELAY="0", **env
    )
    assert (status, stdout, stderr) == (0, SHOW_OUTPUT, b"")


def test_a_terminal_that_reports_no_width_shows_nothing(spec_dir: Path) -> None:
    # tqdm took a width of 0 as "unknown" and drew the line cut short.
    status, stdout, stderr = on_terminal(
        "show",
        "slow_spec:machine",
        cwd=spec_dir,
        SLEEP="0.6",
        TYPESTATE_PROGRESS_DELAY="0",
        size=(24, 0),
    )
    assert (status, stdout, stderr) == (0, SHOW_OUTPUT, b"")


WARNING_SPEC = """\
import logging
import time
import warnings

import fsm

time.sleep(0.5)
warnings.warn("this SDK version is deprecated", FutureWarning)
logging.warning("connecting to the model provider")
time.sleep(0.5)
machine = fsm.parse("stateDiagram-v2\\n[*] --> A\\nA --> B : go\\nB --> [*]\\n")
"""


def test_what_user_code_writes_to_stderr_during_a_phase_is_not_mixed_with_the_line(
    tmp_path: Path,
) -> None:
    # A warning written while the line was shown was appended to it and stayed.
    (tmp_path / "warny.py").write_text(WARNING_SPEC, encoding="utf-8")
    shown = on_terminal("show", "warny:machine", cwd=tmp_path, TYPESTATE_PROGRESS_DELAY="0")
    piped = in_pipes("show", "warny:machine", cwd=tmp_path, TYPESTATE_PROGRESS_DELAY="0")
    assert b"\rtypestate: loading warny:machine" in shown[2]
    assert (shown[0], shown[1]) == (piped[0], piped[1]) == (0, SHOW_OUTPUT)
    lines = screen(piped[2])
    assert any(line.endswith("FutureWarning: this SDK version is deprecated") for line in lines)
    assert "WARNING:root:connecting to the model provider" in lines
    assert screen(shown[2]) == lines


def test_pipes_show_nothing_and_the_output_is_the_same(spec_dir: Path) -> None:
    shown = on_terminal(
        "show", "slow_spec:machine", cwd=spec_dir, SLEEP="0.6", TYPESTATE_PROGRESS_DELAY="0"
    )
    piped = in_pipes(
        "show", "slow_spec:machine", cwd=spec_dir, SLEEP="0.6", TYPESTATE_PROGRESS_DELAY="0"
    )
    assert b"typestate: loading slow_spec:machine" in shown[2]
    assert piped == (0, shown[1], b"")


def test_an_error_is_written_on_a_clean_line(spec_dir: Path) -> None:
    status, stdout, stderr = on_terminal(
        "check",
        "slow_spec:machine",
        cwd=spec_dir,
        SLEEP="0.6",
        FAIL="1",
        TYPESTATE_PROGRESS_DELAY="0",
    )
    assert (status, stdout) == (2, b"")
    assert b"typestate: loading slow_spec:machine" in stderr
    assert screen(stderr) == [
        "typestate: error: importing module 'slow_spec' raised RuntimeError: the spec module failed"
    ]


def test_ctrl_c_leaves_no_broken_line(spec_dir: Path) -> None:
    status, _, stderr = on_terminal(
        "show",
        "slow_spec:machine",
        cwd=spec_dir,
        SLEEP="30",
        TYPESTATE_PROGRESS_DELAY="0",
        ctrl_c_on=b"typestate: loading slow_spec:machine [00:00]",
    )
    assert status == 130
    assert b"^C" in stderr  # the terminal echoed the Ctrl-C after the line
    assert screen(stderr) == ["typestate: interrupted"]


def _big_spec(path: Path, states: int) -> None:
    lines = ["stateDiagram-v2", "    [*] --> S0"]
    lines += [f"    S{i} --> S{i + 1} : e{i % 50}" for i in range(states - 1)]
    lines += [f"    S{i} --> S0 : reset" for i in range(0, states, 2)]
    lines.append(f"    S{states - 1} --> [*]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_parsing_and_checking_a_large_spec(tmp_path: Path) -> None:
    """The real parser on a 15,000-line spec, with the delay lowered so that it shows."""
    _big_spec(tmp_path / "big.mmd", 10_000)
    size = (tmp_path / "big.mmd").stat().st_size
    shown = on_terminal("check", "big.mmd", cwd=tmp_path, TYPESTATE_PROGRESS_DELAY="0")
    piped = in_pipes("check", "big.mmd", cwd=tmp_path, TYPESTATE_PROGRESS_DELAY="0")
    assert f"\rtypestate: parsing big.mmd ({size / 1000:.1f} kB) [00:00]".encode() in shown[2]
    assert screen(shown[2]) == []
    assert piped == (shown[0], shown[1], b"")
    assert shown[1] == b"big: ok\n"


def test_interrupt_signal_without_an_echo(spec_dir: Path) -> None:
    """SIGINT sent by another process (no ^C on the terminal) erases the line as well."""
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [_script(), "show", "slow_spec:machine"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=spec_dir,
        env=_env(SLEEP="30", TYPESTATE_PROGRESS_DELAY="0"),
    )
    os.close(terminal)
    seen = b""
    try:
        while b"[00:00]" not in seen:
            seen += os.read(master, 65536)
        process.send_signal(signal.SIGINT)
        seen += _read_until_exit(master, process, b"")
        assert process.wait(timeout=60) == 130
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert screen(seen) == ["typestate: interrupted"]


def test_a_phase_shows_the_count_of_work_done_and_a_safe_text() -> None:
    """`advance` counts into the current phase's line; control characters become '?'."""
    from analysis import _progress as progress

    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    stream = open(terminal, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        environ = {"TYPESTATE_PROGRESS_DELAY": "0"}
        with (
            progress.shown_on(stream, quiet=False, environ=environ),
            progress.phase("composing a\nb\x1b[2J", unit="product states"),
        ):
            progress.advance(1234)
            with progress.phase("an inner phase"):  # not shown: the outer one goes on
                progress.advance(1000)
                time.sleep(0.6)
        progress.advance(5)  # outside any phase: nothing happens
        time.sleep(0.2)
        stream.flush()
        shown = os.read(master, 65536)
    finally:
        stream.close()
        os.close(master)
    assert b"\rtypestate: composing a?b?[2J, 2,234 product states [00:00]" in shown
    assert b"inner" not in shown
    assert screen(shown) == []


def test_nothing_is_shown_outside_the_command_line() -> None:
    """Library code that runs phases shows nothing unless `shown_on` turned the line on."""
    from analysis import _progress as progress

    master, terminal = pty.openpty()
    stream = open(terminal, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        with progress.phase("checking"):
            time.sleep(0.3)
        environ = {"TYPESTATE_PROGRESS_DELAY": "0"}
        with progress.shown_on(stream, quiet=True, environ=environ), progress.phase("checking"):
            time.sleep(0.3)
        stream.write("end")
        stream.flush()
        shown = os.read(master, 65536)
    finally:
        stream.close()
        os.close(master)
    assert shown == b"end"


def test_a_short_command_does_not_import_tqdm() -> None:
    """The progress line's dependency is imported only when a line is about to be shown."""
    code = (
        "import sys; from analysis._cli import main; status = main(['show', "
        "'examples/agent.mmd']); print(status, 'tqdm' in sys.modules)"
    )
    status, stdout, stderr = on_terminal("-c", code, cwd=ROOT, program=sys.executable)
    assert (status, stderr) == (0, b"")
    assert stdout.endswith(b"\n0 False\n")


@pytest.mark.parametrize(
    "args",
    [
        ("show", "slow_spec:machine", "--format", "json"),
        ("check", "slow_spec:machine", "slow_spec:other"),
        ("paths", "slow_spec:other", "--cover", "states"),
        ("compose", "slow_spec:machine", "slow_spec:other"),
        ("compose", "slow_spec:machine", "slow_spec:other", "--deadlocks"),
        ("codegen", "slow_spec:other"),
        ("render", "slow_spec:other", "-o", "other.mmd"),
        ("check-trace", "slow_spec:machine", "events.log"),
        ("promela", "slow_spec:machine", "slow_spec:other"),
    ],
    ids=lambda args: " ".join(args[:1] + args[3:]),
)
def test_every_command_prints_the_same_with_and_without_the_line(
    spec_dir: Path, args: tuple[str, ...]
) -> None:
    (spec_dir / "events.log").write_text("go\n", encoding="utf-8")
    shown = on_terminal(*args, cwd=spec_dir, SLEEP="0.3", TYPESTATE_PROGRESS_DELAY="0")
    written = (spec_dir / "other.mmd").read_bytes() if args[0] == "render" else b""
    piped = in_pipes(*args, cwd=spec_dir, SLEEP="0", TYPESTATE_PROGRESS_DELAY="0")
    assert b"\rtypestate: loading slow_spec:" in shown[2]
    assert screen(shown[2]) == screen(piped[2])  # the line is gone; anything else is kept
    assert (shown[0], shown[1]) == (piped[0], piped[1])
    if args[0] == "render":
        assert written == (spec_dir / "other.mmd").read_bytes() != b""
    else:
        assert shown[1] != b""


def test_a_delay_past_the_longest_wait_falls_back_to_the_default() -> None:
    # Event.wait(1e10) raised OverflowError (timestamp out of range) in the thread.
    from analysis import _progress

    assert _progress._delay({"TYPESTATE_PROGRESS_DELAY": "1e10"}) == _progress.DELAY  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("function", ["deadlocks", "compose"])
def test_a_composition_counts_its_product_states_into_the_phase(function: str) -> None:
    import analysis
    from analysis import _progress as progress

    def counter(event: str) -> fsm.Machine:  # 200 states in a line, one event
        return fsm.Machine.from_arrays(
            event,
            states=[f"S{n}" for n in range(200)],
            events=[event],
            source=range(199),
            event=[0] * 199,
            target=range(1, 200),
            initial="S0",
        )

    master, terminal = pty.openpty()
    stream = open(terminal, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        environ = {"TYPESTATE_PROGRESS_DELAY": "1000"}  # never drawn: only counted
        with (
            progress.shown_on(stream, quiet=False, environ=environ),
            progress.phase("composing", unit="product states"),
        ):
            getattr(analysis, function)(counter("a"), counter("b"))
            current = progress._PHASE.get()  # pyright: ignore[reportPrivateUsage]
            assert current is not None
            counted = current.count
    finally:
        stream.close()
        os.close(master)
    assert counted == 2 * 2**14  # 40,000 product states explored, counted in steps of 2**14
