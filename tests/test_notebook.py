"""Machines, instances and reports display themselves in Jupyter (_repr_mimebundle_)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
import fsm
from analysis import _notebook
from fsm import _display

from .mermaid_parser import mermaid_errors

ROOT = Path(__file__).resolve().parent.parent
AGENT = fsm.load(ROOT / "examples" / "agent.mmd")
HANDLERS = {
    "ok": lambda _context, **_payload: True,
    "count_retry": lambda _context, **_payload: None,
    "notify": lambda _context, **_payload: None,
}
FENCE = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def _agent_in_acting() -> fsm.Instance:
    inst = AGENT.start(handlers=HANDLERS, history=True)  # type: ignore[arg-type]
    inst.send("assign", task="t")
    inst.send("plan", steps=["s"])
    return inst


def _mermaid(bundle: dict[str, str]) -> str:
    (text,) = FENCE.findall(bundle["text/markdown"])
    return text


def test_a_machine_shows_its_dsl_as_mermaid() -> None:
    bundle = AGENT._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown"}
    assert bundle["text/plain"] == repr(AGENT)
    assert _mermaid(bundle) == fsm.dumps(AGENT)


def test_an_instance_marks_its_state_and_its_last_steps_in_mermaid() -> None:
    inst = _agent_in_acting()
    text = _mermaid(inst._repr_mimebundle_())
    assert text.endswith(
        "    classDef current fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0a3069\n"
        "    classDef recent fill:#ddf4ff,stroke:#0969da,color:#0a3069\n"
        "    class Idle,Planning recent\n"
        "    class Acting current\n"
    )
    assert fsm.parse(text) == AGENT


def test_only_the_last_five_steps_are_marked() -> None:
    machine = fsm.parse(
        "stateDiagram-v2\n[*] --> S0\n" + "".join(f"S{n} --> S{n + 1} : e{n}\n" for n in range(7))
    )
    inst = machine.start(history=True)
    for n in range(7):
        inst.send(f"e{n}")
    assert "    class S2,S3,S4,S5,S6 recent\n    class S7 current\n" in _mermaid(
        inst._repr_mimebundle_()
    )


def test_an_instance_without_history_marks_its_state() -> None:
    inst = AGENT.start(handlers=HANDLERS)  # type: ignore[arg-type]
    assert _mermaid(inst._repr_mimebundle_()).endswith("    class Idle current\n")


@pytest.mark.usefixtures("mermaid")
def test_real_mermaid_accepts_the_notebook_views() -> None:
    texts = [_mermaid(AGENT._repr_mimebundle_()), _mermaid(_agent_in_acting()._repr_mimebundle_())]
    report = analysis.check(fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nA --> C : x"))
    texts.append(_mermaid(report._repr_mimebundle_()))
    assert mermaid_errors(texts) == [{"mermaid10": None, "mermaid11": None}] * 3


def _svg_texts(svg: str) -> list[str]:
    assert svg.lstrip().startswith("<?xml")
    assert "</svg>" in svg
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_svg_of_an_instance_numbers_its_steps() -> None:
    texts = _svg_texts(_notebook._instance_view(_agent_in_acting()) or "")
    assert "trace of 2 step(s), numbered; ends in Acting" in texts
    assert {"1: assign(task)", "2: plan(steps)", "call_tool(name, args)"} <= set(texts)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_svg_of_a_machine_has_no_marks() -> None:
    texts = _svg_texts(_notebook._machine_view(AGENT) or "")
    assert texts[0] == "Agent"
    assert not [t for t in texts if "trace" in t or t[:2] == "1:"]


def test_the_svg_marks_as_many_steps_as_the_mermaid_view() -> None:
    assert _notebook.RECENT == _display.RECENT


def test_fsm_alone_shows_mermaid_even_after_analysis_is_imported() -> None:
    assert set(AGENT._repr_mimebundle_()) == {"text/plain", "text/markdown"}
    assert set(_agent_in_acting()._repr_mimebundle_()) == {"text/plain", "text/markdown"}


def _ipython(code: str, tmp_path: Path) -> str:
    """Run ``code`` in a fresh process with a real IPython shell as ``shell``."""
    pytest.importorskip("IPython")
    prelude = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import fsm\n"
        "m = fsm.load('examples/agent.mmd')\n"
        "def shown(x): return sorted(shell.display_formatter.format(x)[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IPYTHONDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


ALL = "['image/svg+xml', 'text/markdown', 'text/plain']"
MERMAID = "['text/markdown', 'text/plain']"


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_in_a_running_ipython_importing_analysis_adds_svg(tmp_path: Path) -> None:
    code = (
        "print(shown(m))\n"
        "import analysis\n"
        "i = m.start(handlers=dict.fromkeys(['ok', 'count_retry', 'notify'], bool), history=True)\n"
        "print(shown(m)); print(shown(i)); print(shown(analysis.check(m)))\n"
        "shell.run_line_magic('unload_ext', 'analysis')\n"
        "print(shown(m))\n"
        "import analysis\n"  # a second import keeps the user's choice
        "print(shown(m))\n"
        "shell.run_line_magic('load_ext', 'analysis')\n"
        "print(shown(i))\n"
    )
    assert _ipython(code, tmp_path).splitlines() == [MERMAID, ALL, ALL, ALL, MERMAID, MERMAID, ALL]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_a_user_who_removes_the_svg_keeps_that_choice(tmp_path: Path) -> None:
    code = (
        "import analysis\n"
        "svg = shell.display_formatter.formatters['image/svg+xml']\n"
        "svg.pop(fsm.Machine); svg.pop(fsm.Instance)\n"
        "import analysis._render, analysis.testing\n"
        "print(shown(m))\n"
    )
    assert _ipython(code, tmp_path).splitlines() == [MERMAID]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_a_report_shows_its_text_and_its_findings_marked() -> None:
    report = analysis.check(fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nA --> C : x"))
    bundle = report._repr_mimebundle_()
    assert bundle["text/plain"] == report.to_text()
    assert bundle["text/markdown"].startswith(f"```text\n{report.to_text()}\n```\n")
    assert _mermaid(bundle).endswith("    class B,C deadEnd\n")
    assert "dead end: not final, and no way out" in _svg_texts(bundle["image/svg+xml"])


def test_a_report_without_its_machine_is_text() -> None:
    ping = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : ping\nB --> [*]")
    pong = fsm.parse("stateDiagram-v2\n[*] --> X\nX --> Y : pong\nY --> [*]")
    report = analysis.deadlocks(ping, pong)
    assert report._repr_mimebundle_() == {"text/plain": report.to_text()}


def test_without_dot_the_view_falls_back_to_mermaid(tmp_path: Path) -> None:
    pytest.importorskip("IPython")
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import fsm, analysis\n"
        "m = fsm.load('examples/agent.mmd')\n"
        "print(sorted(shell.display_formatter.format(m)[0]))\n"
    )
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT), "IPYTHONDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout == "['text/markdown', 'text/plain']\n"


def test_import_fsm_and_analysis_import_no_ipython() -> None:
    code = (
        "import sys, fsm\nprint('analysis' in sys.modules)\n"
        "import analysis\nprint('IPython' in sys.modules, hasattr(fsm, 'set_diagram_renderer'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\nFalse False\n"
