"""Machines, instances and reports display themselves in Jupyter (_repr_mimebundle_)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import analysis
import fsm

from .mermaid_parser import mermaid_errors

ROOT = Path(__file__).resolve().parent.parent
AGENT = fsm.load(ROOT / "examples" / "agent.mmd")
HANDLERS = {
    "ok": lambda _context, **_payload: True,
    "count_retry": lambda _context, **_payload: None,
    "notify": lambda _context, **_payload: None,
}
FENCE = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


@pytest.fixture
def mermaid_only() -> Iterator[None]:
    """Show Mermaid only, as fsm does before analysis registers its renderer."""
    previous = fsm.set_diagram_renderer(None)
    yield
    fsm.set_diagram_renderer(previous)


def _agent_in_acting() -> fsm.Instance:
    inst = AGENT.start(handlers=HANDLERS, history=True)  # type: ignore[arg-type]
    inst.send("assign", task="t")
    inst.send("plan", steps=["s"])
    return inst


def _mermaid(bundle: dict[str, str]) -> str:
    (text,) = FENCE.findall(bundle["text/markdown"])
    return text


@pytest.mark.usefixtures("mermaid_only")
def test_a_machine_shows_its_dsl_as_mermaid_without_a_renderer() -> None:
    bundle = AGENT._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown"}
    assert bundle["text/plain"] == repr(AGENT)
    assert _mermaid(bundle) == fsm.dumps(AGENT)


@pytest.mark.usefixtures("mermaid_only")
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


@pytest.mark.usefixtures("mermaid_only")
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


@pytest.mark.usefixtures("mermaid_only")
def test_an_instance_without_history_marks_its_state() -> None:
    inst = AGENT.start(handlers=HANDLERS)  # type: ignore[arg-type]
    assert _mermaid(inst._repr_mimebundle_()).endswith("    class Idle current\n")


@pytest.mark.usefixtures("mermaid", "mermaid_only")
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
def test_with_analysis_and_dot_an_instance_is_svg_with_its_steps_numbered() -> None:
    bundle = _agent_in_acting()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown", "image/svg+xml"}
    texts = _svg_texts(bundle["image/svg+xml"])
    assert "trace of 2 step(s), numbered; ends in Acting" in texts
    assert {"1: assign(task)", "2: plan(steps)", "call_tool(name, args)"} <= set(texts)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_with_analysis_and_dot_a_machine_is_svg_without_marks() -> None:
    texts = _svg_texts(AGENT._repr_mimebundle_()["image/svg+xml"])
    assert texts[0] == "Agent"
    assert not [t for t in texts if "trace" in t or t[:2] == "1:"]


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
    code = (
        "import fsm, analysis\n"
        "m = fsm.load('examples/agent.mmd')\n"
        "print(sorted(m._repr_mimebundle_()))\n"
    )
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout == "['text/markdown', 'text/plain']\n"


def test_import_fsm_registers_no_renderer_and_imports_no_analysis() -> None:
    code = "import sys, fsm\nprint(fsm.set_diagram_renderer(None), 'analysis' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout == "None False\n"
