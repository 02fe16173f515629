"""The command line's progress indicator: one status line on a terminal for long work.

The ``typestate`` command wraps each piece of work that may take long (parsing
a spec, checking, composing, rendering) in :func:`phase`. Nothing is shown
unless the command turned the indicator on with :func:`shown_on` (so library
users calling ``analysis.check`` never see it), standard error is a terminal,
``--quiet`` was not given and the environment variable ``CI`` is not set; and
even then only once the phase has lasted :data:`DELAY` seconds. A background
thread then writes one line to standard error, ``typestate: parsing big.mmd
(48.0 MB) [00:03]``, refreshed as the seconds pass, and the phase erases it
when it ends, however it ends (an error, Ctrl-C), before anything else is
written, so that output and error messages never share a line with it.

The line is drawn by tqdm (no dependencies of its own; it fits the line to the
terminal's width and erases it on close), imported only when a line is about
to be shown.

Counting: code running inside a phase may call :func:`advance` with how many
units of work it has done (``phase(..., unit="states")``); the line then shows
the count. It is a no-op outside a phase, cheap enough for an inner loop
(call it every few thousand items, not every item), and needs no argument
passed down: the current phase lives in a context variable.

``TYPESTATE_PROGRESS_DELAY`` (seconds, default 1) changes the delay. It is
internal, for this project's own tests, and not a stable interface.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
import time
from collections.abc import Generator, Mapping
from typing import TextIO, cast

__all__ = ["DELAY", "advance", "file_size", "phase", "shown_on", "wanted"]

#: Seconds a phase must last before its line is shown.
DELAY = 1.0

#: Seconds between two refreshes of the line.
_TICK = 0.2

_DELAY_VARIABLE = "TYPESTATE_PROGRESS_DELAY"


class _Display:
    """Where the lines go, and after how long a phase shows one.

    ``lock`` orders the line's drawing and the other writes to the stream
    (see :class:`_Guarded`); ``showing`` is the phase whose line is drawn.
    """

    def __init__(self, stream: TextIO, delay: float) -> None:
        self.stream = stream
        self.delay = delay
        self.lock = threading.Lock()
        self.showing: _Phase | None = None


class _Guarded:
    """Stands for ``sys.stderr`` while lines may be shown: a write erases the line first.

    So a warning or a log record written by the user's code during a phase
    (a slow module that warns as it is imported) starts on a clean line; the
    line is drawn again at the next refresh, below it, once the text written
    ends a line. Everything else is the real stream's.
    """

    def __init__(self, display: _Display) -> None:
        self._display = display

    def write(self, text: str) -> int:
        display = self._display
        with display.lock:
            showing = display.showing
            if showing is not None and text:
                if not showing.erased:
                    display.stream.write("\r\x1b[K")
                    showing.erased = True
                showing.at_line_start = text.endswith("\n")
            return display.stream.write(text)

    def flush(self) -> None:
        self._display.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._display.stream, name)


class _Phase:
    """One phase being shown: its text, its count, and the thread drawing its line."""

    def __init__(self, text: str, unit: str, display: _Display) -> None:
        self.text = text
        self.unit = unit
        self.count = 0
        self._display = display
        self._start = time.monotonic()
        self._done = threading.Event()
        #: Whether the line was ever written (and so has been erased).
        self.shown = False
        #: Whether other text erased the line, and whether that text ended a line.
        self.erased = False
        self.at_line_start = True
        self._thread = threading.Thread(target=self._draw, name="typestate-progress", daemon=True)

    def start(self) -> None:
        """Start the thread that draws the line (none when no thread can be started)."""
        with contextlib.suppress(RuntimeError):  # no more threads: work without a line
            self._thread.start()

    def stop(self, *, interrupted: bool = False) -> None:
        """End the phase: the line is erased when this returns.

        After Ctrl-C the terminal has echoed ``^C`` after the line; the
        erase-to-end-of-line sequence removes it too.
        """
        self._done.set()
        if self._thread.ident is not None:  # started
            self._thread.join()
        if interrupted and self.shown:
            with contextlib.suppress(Exception):
                self._display.stream.write("\r\x1b[K")
                self._display.stream.flush()

    def line(self) -> str:
        from tqdm import tqdm

        counted = f", {self.count:,} {self.unit}" if self.unit and self.count else ""
        elapsed = tqdm.format_interval(time.monotonic() - self._start)
        line = f"typestate: {self.text}{counted} [{elapsed}]"
        # What the terminal cannot show becomes "?" rather than an error.
        encoding = getattr(self._display.stream, "encoding", None) or "utf-8"
        return line.encode(encoding, "replace").decode(encoding)

    def _draw(self) -> None:
        if self._done.wait(self._display.delay):
            return  # the phase was short: nothing was shown, nothing to erase
        if _columns(self._display.stream) <= 0:
            return  # no width known: a line could wrap, and a wrapped line cannot be erased
        display = self._display
        try:
            from tqdm import tqdm

            # One line, no bar: the description is the whole line. leave=False
            # erases it on close; dynamic_ncols cuts it to the terminal's
            # width, so that it never wraps (a wrapped line cannot be erased).
            with display.lock:
                bar = tqdm(
                    file=display.stream,
                    desc=self.line(),
                    bar_format="{desc}",
                    leave=False,
                    dynamic_ncols=True,
                    mininterval=0,
                    disable=False,
                )
                display.showing = self
        except Exception:  # a broken terminal must not break the command
            return
        self.shown = True
        try:
            shown = bar.desc
            while not self._done.wait(_TICK):
                with display.lock:
                    text = self.line()
                    if self.erased:
                        if not self.at_line_start:
                            continue  # drawn again once the other text ends its line
                        self.erased = False
                        bar.set_description_str(text)  # draws it anew, below that text
                    elif text != shown:
                        bar.set_description_str(text)
                    shown = text
        except Exception:
            pass
        finally:
            with display.lock, contextlib.suppress(Exception):
                display.showing = None
                if self.erased:
                    bar.disable = True  # already erased: closing must not erase other text
                bar.close()


_DISPLAY: contextvars.ContextVar[_Display | None] = contextvars.ContextVar(
    "typestate_progress_display", default=None
)
_PHASE: contextvars.ContextVar[_Phase | None] = contextvars.ContextVar(
    "typestate_progress_phase", default=None
)


def wanted(stream: TextIO, *, quiet: bool, environ: Mapping[str, str]) -> bool:
    """Whether the indicator may be shown on ``stream``.

    Not with ``--quiet``, not in CI (``CI`` set to anything but empty, ``0`` or
    ``false``), not on a dumb terminal (``TERM=dumb``), and only when
    ``stream`` is a terminal (never in a pipe or a file).
    """
    if quiet:
        return False
    if environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return False
    if environ.get("TERM", "") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # a closed or replaced stream
        return False


def _delay(environ: Mapping[str, str]) -> float:
    try:
        value = float(environ.get(_DELAY_VARIABLE, DELAY))
    except ValueError:
        return DELAY
    # Past threading.TIMEOUT_MAX, Event.wait raises OverflowError in the thread.
    return value if 0 <= value <= threading.TIMEOUT_MAX else DELAY


@contextlib.contextmanager
def shown_on(
    stream: TextIO, *, quiet: bool, environ: Mapping[str, str]
) -> Generator[None, None, None]:
    """Within this block, phases show their line on ``stream`` when :func:`wanted`."""
    display = (
        _Display(stream, _delay(environ)) if wanted(stream, quiet=quiet, environ=environ) else None
    )
    token = _DISPLAY.set(display)
    guarded = None
    if display is not None and sys.stderr is stream:
        guarded = _Guarded(display)
        sys.stderr = cast("TextIO", guarded)
    try:
        yield
    finally:
        if guarded is not None and sys.stderr is guarded:
            sys.stderr = stream
        _DISPLAY.reset(token)


@contextlib.contextmanager
def phase(text: str, *, unit: str = "") -> Generator[None, None, None]:
    """A piece of work that may take long, described by ``text`` ("parsing big.mmd").

    Shows nothing outside :func:`shown_on` or inside another phase (the outer
    one goes on being shown). The line is erased before this block exits.
    """
    display = _DISPLAY.get()
    if display is None or _PHASE.get() is not None:
        yield
        return
    current = _Phase(_printable(text), unit, display)
    token = _PHASE.set(current)
    interrupted = False
    try:
        current.start()  # in the try: a Ctrl-C right after it still stops the thread
        yield
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        current.stop(interrupted=interrupted)
        _PHASE.reset(token)


def advance(count: int = 1) -> None:
    """Add ``count`` units of work done to the current phase (no-op outside one)."""
    current = _PHASE.get()
    if current is not None:
        current.count += count


def _columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to, or 0 when it reports none."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def _printable(text: str) -> str:
    """``text`` with anything that would move the cursor (newlines, escapes) replaced."""
    return "".join(c if c.isprintable() else "?" for c in text)


def file_size(path: str) -> str:
    """The size of the file ``path`` for a phase's text, or "" when it cannot be read."""
    try:
        size = os.stat(path).st_size
    except (OSError, ValueError):
        return ""
    if size < 1000:
        return f"{size} bytes"
    scaled = size / 1000
    for unit in ("kB", "MB"):
        if scaled < 1000:
            return f"{scaled:.1f} {unit}"
        scaled /= 1000
    return f"{scaled:.1f} GB"
