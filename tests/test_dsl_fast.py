"""The DSL reader's fast path means what the statement reader means, errors included.

The fast path reads the common lines (``A --> B : e``, ``[*] --> A``,
``A --> [*]``, ``A``, ``state A``, comments, blanks) without the statement
reader; ``fsm._dsl._fast_path_enabled`` turns it off so both can be compared.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fsm
from fsm import DefinitionError, _dsl

HEADER = "stateDiagram-v2\n[*] --> A\n"

NAMES = ["A", "B", "C", "s1", "_x"]
WORDS = ["state", "class", "classDef", "style", "note", "end", "direction"]
EVENTS = ["go", "e1", "internal", "after", "types"]
BLANKS = [" ", "", "\t", "  ", " \t"]
ODD_BLANKS = ["\xa0", "\x1f", "\x0b", "\u2028"]


@st.composite
def lines(draw: st.DrawFn) -> str:
    """A line: mostly one the fast path reads, sometimes any other."""
    rare = draw(st.integers(0, 3)) == 0
    name = st.sampled_from(NAMES + WORDS if rare else NAMES)
    odd = rare and draw(st.integers(0, 4)) == 0
    blank = st.sampled_from(BLANKS + ODD_BLANKS if odd else BLANKS)
    a, b, e = draw(name), draw(name), draw(st.sampled_from(EVENTS))
    shapes = [
        f"{a} --> {b} : {e}",
        f"{a}{draw(blank)}-->{draw(blank)}{b}{draw(blank)}:{draw(blank)}{e}",
        f"{a} --> [*]",
        f"{a}",
        f"state {a}",
        f"%% a comment{draw(blank)}here",
        "",
    ]
    if rare:
        shapes += [
            f"[*] --> {a}",
            f"state {a} {{",
            "}",
            f"{a} --> {b}",
            f"{a} --> {b} : {e}(x) [ok] / log",
            f"{a} --> {b} : {e} after 5s",
            f"{a} : waiting",
            f"%% types: {e}(x: int)",
            f"note left of {a} : hi",
            f"note right of {a}",
            "end note",
            f"class {a} hot",
            "??? -->",
        ]
    line = draw(st.sampled_from(shapes))
    return draw(blank) + line + draw(blank)


def _read(text: str, fast: bool) -> fsm.Machine | list[fsm.Problem]:
    _dsl._fast_path_enabled = fast
    try:
        return fsm.parse(text, filename="m.mmd")
    except DefinitionError as exc:
        return exc.problems
    finally:
        _dsl._fast_path_enabled = True


@settings(max_examples=300)
@given(st.lists(lines(), max_size=12), st.integers(0, 3))
def test_the_fast_path_reads_what_the_statement_reader_reads(body: list[str], header: int) -> None:
    text = (HEADER if header else "stateDiagram-v2\n") + "\n".join(body) + "\n"
    fast, full = _read(text, True), _read(text, False)
    assert fast == full
    if isinstance(fast, fsm.Machine):
        assert isinstance(full, fsm.Machine)
        assert (fast.states, fast.events) == (full.states, full.events)
        assert fast.to_dict() == full.to_dict()


BLOCKS = "".join(f"  s{n}\n" for n in range(120))


@pytest.mark.parametrize(
    "body",
    [
        "class --> B : go\n",
        "classDef --> B : go\n",
        "style\t--> B : go\n",
        "state --> B : go\n",
        "class-->B : go\n",
        "A-->note:go\n",
        "A --> B : go\n%% types: go(x: int)\n",
        "A --> B : go(y)\n%% types: go(x: int)\n",
        "A --> B : go\n%%\x0btypes\n%% types\n",
        "A --> B : go\n\xa0\nB\xa0--> C : go\n",
        "A --> B : go\x1f\n",
        "[*] --> B\n",
        "state P {\n  [*] --> B\n  B --> C : go\n  C\n}\nD --> C : go\n",
        f"state P {{\n{BLOCKS}}}\nstate Q {{\n{BLOCKS}}}\n",
    ],
)
def test_tricky_lines_read_the_same_on_both_paths(body: str) -> None:
    text = HEADER + body
    assert _read(text, True) == _read(text, False)


def test_a_model_problem_on_a_fast_line_points_at_its_label() -> None:
    text = HEADER + "  A  -->  B  :  go\nA --> B : go\n"
    with pytest.raises(DefinitionError) as raised:
        fsm.parse(text)
    [problem] = raised.value.problems
    assert (problem.line, problem.column) == (4, 1 + len("A --> B : "))
    assert problem.message.startswith("duplicate transition")


def test_a_state_problem_on_a_fast_line_points_at_the_state() -> None:
    with pytest.raises(DefinitionError) as raised:
        fsm.parse(HEADER + "A --> B : go\n\tB  -->  note : go\n")
    [problem] = raised.value.problems
    assert (problem.line, problem.column) == (4, 1 + len("\tB  -->  "))
    assert "'note'" in problem.message


@pytest.mark.parametrize(
    "line",
    [
        "A --> B : go{}!",  # a fast line spoiled at its end
        "%%{}\x0b",  # a comment with an odd line break at its end
        "[*] -->{}!",
        "state{}!",
    ],
)
def test_blank_runs_in_lines_the_fast_path_refuses_take_linear_time(line: str) -> None:
    def cpu(size: int) -> float:
        text = HEADER + line.format(" " * size) + "\n"
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            with contextlib.suppress(DefinitionError):
                fsm.parse(text)
            best = min(best, time.process_time() - start)
        return best

    small, large = cpu(50_000), cpu(200_000)
    assert large / small < 10, f"4x the blanks took {large / small:.1f}x the time"
