"""Graphviz layouts: a size limit, a fallback when ``dot`` fails, its signals named.

Graphviz 2.43 (Debian and Ubuntu's) fails on some small machines with
superstates: ``trouble in init_rank``, or an abort. ``render`` retries them with
``newrank=true`` (then the other direction). It crashes with SIGSEGV on a
20,000-state chain after a minute and a half, so ``render`` refuses machines
past a documented size before running it.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Literal

import pytest

import analysis
import fsm

from .render_support import require_tool, svg_texts

# Two small machines found by drawing random hierarchical machines: the first
# makes `dot -Tsvg` (rankdir LR) fail with "trouble in init_rank", the second
# makes it abort (SIGABRT).
INIT_RANK = """stateDiagram-v2
    S0
    S1
    S2
    S3
    S4
    S5
    S6
    S7
    S8
    S9
    S10
    S11
    S12
    state S0 {
        state S2 {
            state S4 {
                S5
                S12
                [*] --> S12
            }
            [*] --> S4
        }
        [*] --> S2
    }
    state S1 {
        S3
        [*] --> S3
    }
    state S7 {
        S10
        [*] --> S10
    }
    [*] --> S0
    S10 --> S5 : e1
    S9 --> S0 : e0
    S11 --> S9 : e0
    S10 --> S1 : e3
    S5 --> S3 : e0
    S3 --> S0 : e3
    S4 --> S3 : e1
    S6 --> S4 : e3
    S6 --> S3 : e0
    S0 --> S3 : e1
    S8 --> S9 : e3
    S7 --> S6 : e3
    S1 --> S8 : e2
    S4 --> S10 : e2
    S1 --> S6 : e3
"""

ABORT = """stateDiagram-v2
    S0
    S1
    S2
    S3
    S4
    S5
    S6
    S7
    S8
    S9
    S10
    state S0 {
        state S1 {
            S5
            S10
            [*] --> S10
        }
        state S2 {
            S7
            [*] --> S7
        }
        state S4 {
            S8
            [*] --> S8
        }
        [*] --> S4
    }
    [*] --> S0
    S8 --> S0 : e1
    S6 --> S2 : e0
    S5 --> S8 : e3
    S1 --> S4 : e3
    S5 --> S6 : e1
    S4 --> S10 : e0
    S10 --> S4 : e0
    S3 --> S0 : e3
    S3 --> S6 : e0
    S2 --> S7 : e3
    S9 --> S2 : e2
    S8 --> S3 : e0
    S7 --> S2 : e3
    S2 --> S6 : e2
    S7 --> S9 : e2
    S0 --> S8 : e1
    S3 --> S9 : e1
    S10 --> S6 : e2
    S1 --> S3 : e0
"""


def raw_dot(source: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [require_tool("dot"), "-Tsvg"], input=source.encode(), capture_output=True, check=False
    )


def chain(states: int) -> fsm.Machine:
    names = tuple(f"S{n}" for n in range(states))
    return fsm.Machine(
        "Chain",
        states=names,
        initial="S0",
        transitions=tuple(fsm.Transition(a, "go", b) for a, b in itertools.pairwise(names)),
    )


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_a_layout_that_trips_graphviz_is_retried(
    tmp_path: Path, direction: Literal["LR", "TB"]
) -> None:
    machine = fsm.parse(INIT_RANK)
    if direction == "LR":  # the case is real: dot fails on the plain graph
        failed = raw_dot(analysis.to_dot(machine))
        assert failed.returncode == 1
        assert b"trouble in init_rank" in failed.stderr
    path = analysis.render(machine, tmp_path / "m.svg", direction=direction)
    drawn = set(svg_texts(path.read_text(encoding="utf-8")).split())
    assert set(machine.states) <= drawn


def test_a_crash_of_dot_is_retried_and_its_signal_named(tmp_path: Path) -> None:
    from analysis._render import _run_dot  # pyright: ignore[reportPrivateUsage]

    require_tool("dot")
    machine = fsm.parse(ABORT)
    source = analysis.to_dot(machine)
    with pytest.raises(RuntimeError) as info:
        _run_dot(source, "svg", Path("m.svg"))
    assert str(info.value).startswith(
        "'dot -Tsvg' was killed by signal 6 (SIGABRT) drawing 'm.svg': "
    )
    path = analysis.render(machine, tmp_path / "m.svg")
    assert set(machine.states) <= set(svg_texts(path.read_text(encoding="utf-8")).split())


def test_a_machine_too_large_to_lay_out_is_refused_before_dot_runs(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        analysis.render(chain(20_000), tmp_path / "big.svg")
    assert str(info.value) == (
        f"cannot draw {str(tmp_path / 'big.svg')!r}: 'Chain' has 20,000 states and 19,999 "
        "transitions, more than Graphviz lays out (at most 1,000 states and 2,000 "
        "transitions; past that 'dot' takes minutes or crashes). Write a text diagram "
        "instead (.mmd, .puml or .dot, no layout needed), draw a part of it (the paths of "
        "analysis.state_cover), or summarise it with analysis.check"
    )
    assert not (tmp_path / "big.svg").exists()
    for suffix in (".mmd", ".dot", ".puml"):  # text needs no layout
        assert analysis.render(chain(20_000), tmp_path / f"big{suffix}").stat().st_size > 0


def test_the_size_limit_counts_transitions_too(tmp_path: Path) -> None:
    loops = tuple(fsm.Transition("A", f"e{n}", "A") for n in range(2_001))
    machine = fsm.Machine("Loops", states=("A",), initial="A", transitions=loops)
    with pytest.raises(ValueError, match=r"'Loops' has 1 states and 2,001 transitions, more"):
        analysis.render(machine, tmp_path / "loops.png")


def test_the_command_line_says_why_and_what_to_do_instead(tmp_path: Path) -> None:
    exe = shutil.which("typestate")
    assert exe is not None
    document = tmp_path / "big.json"
    document.write_text(json.dumps(chain(20_000).to_dict()), encoding="utf-8")
    result = subprocess.run(
        [exe, "render", str(document), "-o", str(tmp_path / "x.svg")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "more than Graphviz lays out" in result.stderr
    assert "Write a text diagram instead (.mmd, .puml or .dot" in result.stderr
