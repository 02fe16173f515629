"""Check diagram text against the *real* Mermaid parsers (v10 and v11) via Node.

This is a test helper, not a test module.  It drives ``tools/mermaid/check.mjs``,
which loads the exact Mermaid versions pinned in ``tools/mermaid/package.json``
(npm aliases ``mermaid10`` and ``mermaid11``) and calls ``mermaid.parse`` on
every text::

    from tests.mermaid_parser import ensure_mermaid_installed, mermaid_errors

    ensure_mermaid_installed()  # runs `npm ci` once if needed
    [result] = mermaid_errors(["stateDiagram-v2\\n    A --> B : go\\n"])
    assert result == {"mermaid10": None, "mermaid11": None}

A value of ``None`` means "accepted by that Mermaid version"; otherwise it is
Mermaid's error message.  One Node process (a ``NodeServer``) answers every
call of a test run: starting Node and loading both Mermaid versions costs about
two seconds of CPU, once; each text about a millisecond.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import NoReturn

__all__ = [
    "CHECK_SCRIPT",
    "MERMAID_DIR",
    "MERMAID_VERSIONS",
    "NodeServer",
    "NodeToolMissingError",
    "assert_mermaid_accepts",
    "ensure_mermaid_installed",
    "mermaid_errors",
    "require_mermaid",
]

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
MERMAID_DIR: Final = REPO_ROOT / "tools" / "mermaid"
CHECK_SCRIPT: Final = MERMAID_DIR / "check.mjs"
MERMAID_VERSIONS: Final = ("mermaid10", "mermaid11")

_INSTALL_HINT: Final = (
    "install Node.js >= 20.19 together with npm (e.g. from https://nodejs.org "
    "or your system package manager) and make sure `node` and `npm` are on PATH"
)
_NPM_CI_TIMEOUT_S: Final = 900.0


class NodeToolMissingError(RuntimeError):
    """``node`` or ``npm`` is not on PATH, so Mermaid cannot be run at all."""


def _which(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise NodeToolMissingError(
            f"`{tool}` was not found on PATH; it is needed to check diagrams "
            f"with the real Mermaid parser: {_INSTALL_HINT}"
        )
    return path


def _install_is_stale() -> bool:
    """True when ``node_modules`` is missing or older than ``package-lock.json``."""
    node_modules = MERMAID_DIR / "node_modules"
    if not node_modules.is_dir():
        return True
    if not all((node_modules / pkg).is_dir() for pkg in (*MERMAID_VERSIONS, "jsdom")):
        return True
    # npm writes node_modules/.package-lock.json last, after a complete install.
    marker = node_modules / ".package-lock.json"
    installed = marker if marker.is_file() else node_modules
    lockfile = MERMAID_DIR / "package-lock.json"
    if not lockfile.is_file():
        raise RuntimeError(f"{lockfile} is missing; it must be committed")
    return installed.stat().st_mtime < lockfile.stat().st_mtime


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """Serialise installs across processes (e.g. pytest-xdist workers)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking, best effort
        yield
        return
    digest = hashlib.sha256(str(MERMAID_DIR).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"typestate-mermaid-{digest}.lock"
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_mermaid_installed() -> None:
    """Make ``tools/mermaid/node_modules`` match ``package-lock.json``.

    Runs ``npm ci --no-audit --no-fund`` in ``tools/mermaid`` when
    ``node_modules`` is missing or older than the lockfile; does nothing
    otherwise.

    Raises:
        NodeToolMissingError: ``node`` or ``npm`` is not on PATH.
        RuntimeError: ``npm ci`` failed or timed out (npm's stderr is included).
    """
    _which("node")
    if not _install_is_stale():
        return
    npm = _which("npm")
    with _install_lock():
        if not _install_is_stale():  # another process installed meanwhile
            return
        cmd = [npm, "ci", "--no-audit", "--no-fund"]
        try:
            proc = subprocess.run(
                cmd,
                cwd=MERMAID_DIR,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=_NPM_CI_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"`{' '.join(cmd)}` in {MERMAID_DIR} timed out after {_NPM_CI_TIMEOUT_S:.0f}s"
            ) from exc
        if proc.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(cmd)}` in {MERMAID_DIR} failed with exit code "
                f"{proc.returncode}; npm's stderr:\n{proc.stderr.strip()}"
            )
        # Guard against a clock skew leaving the install looking stale forever.
        marker = MERMAID_DIR / "node_modules" / ".package-lock.json"
        if marker.is_file():
            os.utime(marker)


class NodeServer:
    """One ``node SCRIPT --serve`` process for the whole test run (per pytest worker).

    Starting Node and loading both Mermaid versions costs about two seconds of
    CPU; the server pays it once, and each batch after that costs only its
    parsing. A batch is one line of JSON on the script's stdin, its answer one
    line on stdout. A timeout or a crash stops the process (the next batch
    starts a new one) and raises ``RuntimeError`` with the script's stderr.
    """

    def __init__(self, script: Path) -> None:
        self.script = script
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: IO[str] | None = None

    def ask(self, batch: Sequence[str], timeout: float) -> str:
        """The script's answer (one line of JSON) to ``batch``."""
        with self._lock:
            proc, lines = self._start()
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(list(batch)) + "\n")
                proc.stdin.flush()
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self._fail(f"timed out after {timeout:.0f}s on {len(batch)} text(s)")
            except OSError as exc:  # the process is gone: a broken pipe
                self._fail(f"could not be sent a batch ({exc})")
            if line is None:
                self._fail(f"ended with exit code {proc.wait()}")
            return line

    def stop(self) -> None:
        """End the process (closing its stdin ends its loop), if one runs."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _start(self) -> tuple[subprocess.Popen[str], queue.Queue[str | None]]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc, self._lines
        self.stop()
        # Closed by stop(): it lives as long as the process that writes to it.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [_which("node"), str(self.script), "--serve"],
            cwd=MERMAID_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._lines = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()
        return self._proc, self._lines

    def _fail(self, what: str) -> NoReturn:
        stderr = self._stderr
        if self._proc is not None:
            self._proc.kill()
        text = ""
        if stderr is not None:
            stderr.seek(0)
            text = stderr.read()[-4000:].strip()
        self.stop()
        raise RuntimeError(f"`node {self.script} --serve` {what}; stderr:\n{text}")


def _pump(stdout: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    """Hand each line the server prints to ``lines``; ``None`` when it ends."""
    assert stdout is not None
    with stdout:
        for line in stdout:
            lines.put(line)
    lines.put(None)


#: The check.mjs server, started on the first batch and stopped at exit.
_CHECK_SERVER: Final = NodeServer(CHECK_SCRIPT)
atexit.register(_CHECK_SERVER.stop)


def _default_timeout(count: int) -> float:
    return 60.0 + 0.1 * count


def mermaid_errors(
    texts: Sequence[str], *, timeout: float | None = None
) -> list[dict[str, str | None]]:
    """Parse every text with Mermaid 10 and Mermaid 11, in the one Node process.

    Returns one ``{"mermaid10": ..., "mermaid11": ...}`` dict per text, in input
    order; a value is ``None`` when that version accepts the text, else the
    error message.  ``timeout`` (seconds) defaults to 60 s plus 0.1 s per text.

    Raises:
        TypeError: ``texts`` is a single string or holds a non-string.
        NodeToolMissingError: ``node``/``npm`` is not on PATH.
        RuntimeError: installing Mermaid or running ``check.mjs`` failed.
    """
    if isinstance(texts, str):
        raise TypeError("mermaid_errors() takes a sequence of texts, not one str")
    batch = list(texts)
    for index, text in enumerate(batch):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] is {type(text).__name__}, expected str")
    if not batch:
        return []
    ensure_mermaid_installed()
    limit = _default_timeout(len(batch)) if timeout is None else timeout
    return _decode(_CHECK_SERVER.ask(batch, limit), len(batch))


def _decode(stdout: str, expected: int) -> list[dict[str, str | None]]:
    try:
        raw: object = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"check.mjs printed invalid JSON ({exc}); stdout began: {stdout[:500]!r}"
        ) from exc
    if not isinstance(raw, list) or len(raw) != expected:
        raise RuntimeError(
            f"check.mjs returned {type(raw).__name__} of unexpected shape; "
            f"expected a list of {expected} result(s)"
        )
    results: list[dict[str, str | None]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RuntimeError(f"check.mjs result {index} is not an object: {item!r}")
        entry: dict[str, str | None] = {}
        for version in MERMAID_VERSIONS:
            if version not in item:
                raise RuntimeError(f"check.mjs result {index} lacks {version!r}")
            value = item[version]
            if value is not None and not isinstance(value, str):
                raise RuntimeError(
                    f"check.mjs result {index}[{version!r}] is not null/str: {value!r}"
                )
            entry[version] = value
        results.append(entry)
    return results


def require_mermaid() -> None:
    """Install the parsers once, or skip the test when Node is missing (fail in CI)."""
    import pytest

    try:
        ensure_mermaid_installed()
    except NodeToolMissingError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(exc))


def assert_mermaid_accepts(texts: Sequence[str]) -> None:
    """Assert that Mermaid 10 and 11 both accept every text (one Node run)."""
    results = mermaid_errors(texts)
    rejected = [
        (text, result) for text, result in zip(texts, results, strict=True) if any(result.values())
    ]
    assert not rejected, (
        f"Mermaid rejected {len(rejected)} text(s); the first:\n{rejected[0][0]}\n{rejected[0][1]}"
    )
