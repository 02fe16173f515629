"""Diagrams: conventions, highlights, files and error messages.

The real tools (``dot``, Mermaid, PlantUML) judge the output in
``tests/test_render_tools.py``; committed diagrams are compared in
``tests/test_render_golden.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis
import fsm

from .render_support import FakeFinding, FakeReport, reports, require_tool, traces
from .strategies import machines

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
AGENT = fsm.load(EXAMPLES / "agent.mmd")

DOOR = fsm.Machine(
    "Door",
    states=("Closed", "Open", "Locked", "Gone"),
    initial="Closed",
    final={"Gone"},
    transitions=(
        fsm.Transition("Closed", "open", "Open"),
        fsm.Transition("Open", "close", "Closed"),
        fsm.Transition("Closed", "lock", "Locked", guard="has_key"),
        fsm.Transition("Closed", "lock", "Closed", guard="else"),
        fsm.Transition("Open", "leave", "Gone", actions=("wave",)),
    ),
)


# -- conventions -------------------------------------------------------------------


def test_dot_marks_initial_final_and_superstates() -> None:
    source = analysis.to_dot(AGENT)
    assert '"[*]" [label="" color="#424a53" fillcolor="#424a53" shape=point' in source
    assert '"[*]" -> Idle' in source
    assert "Done [margin=0.02 shape=doublecircle width=0.5]" in source
    assert "subgraph cluster_Working {" in source
    assert '"Working [*]" -> Acting' in source


def test_dot_edges_to_and_from_a_superstate_meet_its_cluster() -> None:
    source = analysis.to_dot(AGENT)
    assert 'Planning -> "Working [*]" [label="plan(steps)" lhead=cluster_Working]' in source
    assert '"Working [*]" -> Failed [label=cancel ltail=cluster_Working]' in source


def test_dot_labels_read_event_params_guard_actions() -> None:
    source = analysis.to_dot(AGENT)
    assert 'AwaitingTool -> Planning [label="result(output) [else] / count_retry"]' in source


def test_dot_direction_is_an_option() -> None:
    assert "rankdir=TB" in analysis.to_dot(DOOR, direction="TB")
    assert "rankdir=LR" in analysis.to_dot(DOOR)


def test_dot_escapes_the_title() -> None:
    machine = fsm.Machine('A "b" <c> & \\d', states=("S",), initial="S")
    source = analysis.to_dot(machine)
    assert "<b>A &quot;b&quot; &lt;c&gt; &amp; \\d</b>" in source


def test_a_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^direction must be 'LR' or 'TB' \(got 'RL'\)$"):
        analysis.to_mermaid(DOOR, direction="RL")  # type: ignore[arg-type]


def test_to_dot_is_source_text_that_graphviz_displays_in_jupyter() -> None:
    require_tool("dot")
    import graphviz  # type: ignore[import-untyped]  # pyright: ignore[reportMissingTypeStubs]

    source = analysis.to_dot(DOOR)
    assert isinstance(source, str)
    assert source.startswith("digraph Door {")
    # IPython calls this method to show an object; graphviz draws SVG with `dot`.
    bundle = graphviz.Source(source)._repr_mimebundle_()  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
    assert "<svg" in str(bundle["image/svg+xml"])


@given(machines(), st.sampled_from(["LR", "TB"]))
def test_output_is_stable(machine: fsm.Machine, direction: Literal["LR", "TB"]) -> None:
    # An equal Machine built anew (other objects, same values) gives the same text.
    again = fsm.Machine.from_dict(machine.to_dict())
    assert analysis.to_mermaid(machine, direction=direction) == analysis.to_mermaid(
        again, direction=direction
    )
    assert analysis.to_plantuml(machine, direction=direction) == analysis.to_plantuml(
        again, direction=direction
    )
    assert analysis.to_dot(machine, direction=direction) == analysis.to_dot(
        again, direction=direction
    )


@given(st.data())
def test_mermaid_reads_back_as_the_same_machine(data: st.DataObject) -> None:
    machine = data.draw(machines())
    highlight = data.draw(st.one_of(st.none(), traces(machine), reports(machine)))
    assert fsm.parse(analysis.to_mermaid(machine, highlight=highlight)) == machine


def test_mermaid_adds_direction_after_the_header() -> None:
    lines = analysis.to_mermaid(DOOR, direction="TB").splitlines()
    assert lines[lines.index("stateDiagram-v2") + 1] == "    direction TB"


def test_plantuml_nests_superstates_and_marks_entries() -> None:
    text = analysis.to_plantuml(AGENT)
    assert "state Working {\n  state Acting\n  state AwaitingTool\n  [*] --> Acting\n}" in text
    assert "[*] --> Idle\n" in text
    assert "Done --> [*]\n" in text
    assert "AwaitingTool --> Planning : result(output) [else] / count_retry\n" in text


def test_plantuml_title_cannot_inject_markup() -> None:
    machine = fsm.Machine("a\\n$b **c**", states=("S",), initial="S")
    title = analysis.to_plantuml(machine).splitlines()[1]
    assert title == "title a<U+005C>n<U+0024>b <U+002A><U+002A>c<U+002A><U+002A>"


# -- highlights: traces ------------------------------------------------------------


def test_trace_numbers_its_steps_on_the_edges() -> None:
    trace: list[str | tuple[str, str]] = [
        "assign",
        "plan",
        "call_tool",
        ("result", "Planning"),
        "plan",
    ]
    source = analysis.to_dot(AGENT, highlight=trace)
    assert 'label="1: assign(task)" color="#0969da"' in source
    assert 'label="2, 5: plan(steps)"' in source
    assert 'label="4: result(output) [else] / count_retry"' in source
    assert "trace of 5 step(s), numbered; ends in Acting" in source


def test_trace_takes_the_first_outcome_of_a_guarded_group() -> None:
    # 'result' from AwaitingTool: [ok] is evaluated first.
    source = analysis.to_dot(AGENT, highlight=["assign", "plan", "call_tool", "result"])
    assert 'label="4: result(output) [ok]"' in source


def test_trace_follows_superstate_transitions() -> None:
    source = analysis.to_dot(AGENT, highlight=["assign", "plan", "cancel"])
    assert 'label="3: cancel"' in source
    assert "ends in Failed" in source


def test_mermaid_trace_uses_classes() -> None:
    text = analysis.to_mermaid(AGENT, highlight=["assign", "plan"])
    assert text.endswith(
        "    %% highlight: trace assign plan\n"
        "    classDef visited fill:#ddf4ff,stroke:#0969da,color:#0a3069\n"
        "    classDef current fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0a3069\n"
        "    class Idle,Planning visited\n"
        "    class Acting current\n"
    )


def test_an_event_not_allowed_names_the_step() -> None:
    with pytest.raises(
        fsm.InvalidTransition,
        match=r"^Can't send 'finish' in state 'Planning' \(step 2 of the highlight trace\); "
        r"allowed here: plan, give_up\.$",
    ) as caught:
        analysis.to_dot(AGENT, highlight=["assign", "finish"])
    assert (caught.value.state, caught.value.event) == ("Planning", "finish")


def test_a_target_not_reached_names_the_step() -> None:
    with pytest.raises(
        fsm.InvalidTransition,
        match=r"^Can't send 'result' in state 'AwaitingTool' \(step 4 of the highlight trace "
        r"wants target 'Done', but 'result' leads to 'Acting' or 'Planning' there\); "
        r"allowed here: result, cancel\.$",
    ):
        analysis.to_mermaid(AGENT, highlight=["assign", "plan", "call_tool", ("result", "Done")])


def test_a_trace_of_one_string_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^highlight='assign' is one string; pass a trace"):
        analysis.to_dot(AGENT, highlight="assign")


def test_a_malformed_step_is_refused() -> None:
    bad: Any = ["assign", ("plan",)]
    with pytest.raises(TypeError, match=r"^step 2 of the highlight trace is \('plan',\); a step"):
        analysis.to_dot(AGENT, highlight=bad)


# -- highlights: reports -----------------------------------------------------------

REPORT = FakeReport(
    (
        FakeFinding("unreachable", ("Locked",)),
        FakeFinding("dead-end", ("Locked",)),
        FakeFinding("non-productive", ("Locked", "Closed")),
        FakeFinding("nondeterministic", ("Open",)),
    )
)


def test_report_marks_each_state_with_its_strongest_kind() -> None:
    source = analysis.to_dot(DOOR, highlight=REPORT)
    assert 'Locked [color="#afb8c1" fillcolor="#eaeef2" fontcolor="#8c959f"' in source
    assert 'Closed [color="#9a6700" fillcolor="#fff8c5" penwidth=2]' in source
    assert "\tOpen\n" in source


def test_report_legend_lists_only_the_kinds_present() -> None:
    source = analysis.to_dot(DOOR, highlight=REPORT)
    assert "unreachable from the initial state" in source
    assert "non-productive: cannot reach a final state" in source
    assert "dead end" not in source
    assert "livelock" not in source


def test_report_greys_the_edges_of_unreachable_states() -> None:
    machine = fsm.Machine(
        "M",
        states=("A", "B"),
        initial="A",
        transitions=(fsm.Transition("B", "go", "A"),),
    )
    report = FakeReport((FakeFinding("unreachable", ("B",)),))
    source = analysis.to_dot(machine, highlight=report)
    assert 'B -> A [label=go color="#afb8c1" fontcolor="#8c959f" style=dashed]' in source


def test_mermaid_report_uses_classes() -> None:
    text = analysis.to_mermaid(DOOR, highlight=REPORT)
    assert text.endswith(
        "    %% highlight: findings unreachable, non-productive\n"
        "    classDef unreachable fill:#eaeef2,stroke:#afb8c1,color:#6e7781,"
        "stroke-dasharray:4 3\n"
        "    classDef nonProductive fill:#fff8c5,stroke:#9a6700\n"
        "    class Locked unreachable\n"
        "    class Closed nonProductive\n"
    )


def test_a_report_of_another_machine_is_refused() -> None:
    report = FakeReport((FakeFinding("dead-end", ("Nowhere",)),))
    with pytest.raises(
        ValueError,
        match=r"^a 'dead-end' finding names state 'Nowhere', which machine 'Door' does not "
        r"have; is the report of another machine\?$",
    ):
        analysis.to_dot(DOOR, highlight=report)


def test_the_report_of_analysis_check_is_drawn() -> None:
    machine = fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go\nC --> A : back\nB --> [*]")
    text = analysis.to_mermaid(machine, highlight=analysis.check(machine))
    assert "    class C unreachable\n" in text


# -- files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("d.svg", b"<?xml"),
        ("d.png", b"\x89PNG"),
        ("d.pdf", b"%PDF"),
        ("d.dot", b"digraph Door {"),
        ("d.gv", b"digraph Door {"),
        ("d.mmd", b"---\ntitle: Door"),
        ("d.puml", b"@startuml\n"),
    ],
)
def test_render_chooses_the_format_by_suffix(tmp_path: Path, name: str, start: bytes) -> None:
    if name.endswith((".svg", ".png", ".pdf")):
        require_tool("dot")
    written = analysis.render(DOOR, tmp_path / name)
    assert written == tmp_path / name
    assert written.read_bytes().startswith(start)


def test_render_format_overrides_the_suffix(tmp_path: Path) -> None:
    written = analysis.render(DOOR, tmp_path / "diagram.txt", format="mmd")
    assert written.read_text(encoding="utf-8") == analysis.to_mermaid(DOOR)


def test_render_passes_highlight_and_direction(tmp_path: Path) -> None:
    path = analysis.render(DOOR, tmp_path / "d.mmd", highlight=["open"], direction="TB")
    assert path.read_text(encoding="utf-8") == analysis.to_mermaid(
        DOOR, highlight=["open"], direction="TB"
    )


def test_render_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError,
        match=r"^can't tell the diagram format of '.*d\.txt' from its suffix '\.txt'; name "
        r"the file \.svg, \.png, \.pdf, \.dot, \.mmd or \.puml, or pass format=$",
    ):
        analysis.render(DOOR, tmp_path / "d.txt")


def test_render_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError,
        match=r"^unknown diagram format 'jpeg'; use one of svg, png, pdf, dot, mmd, puml$",
    ):
        analysis.render(DOOR, tmp_path / "d.svg", format="jpeg")


def test_render_draws_a_plantuml_highlight(tmp_path: Path) -> None:
    path = analysis.render(DOOR, tmp_path / "d.puml", highlight=["open"])
    assert path.read_text(encoding="utf-8") == analysis.to_plantuml(DOOR, highlight=["open"])
    assert "-[#0969da,bold]->" in path.read_text(encoding="utf-8")


def test_plantuml_marks_a_trace_and_a_report() -> None:
    lines = analysis.to_plantuml(DOOR, highlight=["open"]).splitlines()
    assert "state Closed #ddf4ff;line:0969da" in lines
    assert "state Open #ddf4ff;line:0969da;line.bold" in lines
    assert "Closed -[#0969da,bold]-> Open : 1: open" in lines
    assert lines[-2] == "' highlight: trace open"
    lines = analysis.to_plantuml(DOOR, highlight=REPORT).splitlines()
    assert "state Locked #eaeef2;line:afb8c1;line.dashed;text:8c959f" in lines
    assert "state Closed #fff8c5;line:9a6700" in lines
    assert lines[-2] == "' highlight: findings unreachable, non-productive"


def test_render_without_dot_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a real PATH on which there is no `dot`
    with pytest.raises(
        FileNotFoundError,
        match=r"^cannot draw '.*d\.svg': Graphviz's 'dot' program is not on PATH; install "
        r"Graphviz \(Debian/Ubuntu: 'apt-get install graphviz'; macOS: 'brew install "
        r"graphviz'; .*\. Writing \.dot, \.mmd or \.puml needs no program\.$",
    ):
        analysis.render(DOOR, tmp_path / "d.svg")
    assert not (tmp_path / "d.svg").exists()
    assert analysis.render(DOOR, tmp_path / "d.dot").exists()


def test_without_the_graphviz_package_the_error_names_the_extra() -> None:
    # A None entry in sys.modules is Python's own way of making an import fail.
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import analysis, fsm\n"
        "m = fsm.Machine('M', states=('A',), initial='A')\n"
        "print(analysis.to_mermaid(m).splitlines()[3])\n"
        "try:\n"
        "    analysis.to_dot(m)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES.parent)},
    )
    assert result.stdout == (
        "stateDiagram-v2\n"
        "drawing with Graphviz needs the 'graphviz' Python package: "
        "pip install 'typestate[diagrams]' (.mmd and .puml diagrams need nothing)\n"
    )
