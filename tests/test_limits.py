"""Hostile inputs: linear time on every shape, one nesting limit, capped problem lists.

Time is never asserted absolutely: a test compares the time of an input with
that of one four times its size (linear: about 4x; quadratic: about 16x),
each the best of three runs, at sizes where timer noise does not matter.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import analysis
import fsm
from fsm import DefinitionError, Machine, Transition
from typestate import codegen

HEADER = "stateDiagram-v2\n[*] --> A\n"
LIMIT = fsm.MAX_DEPTH
#: The most time(4n) / time(n) may be: linear is about 4, quadratic about 16.
#: CPU time still moves with a busy neighbour's cache use (8.1 and 8.6 were
#: seen on loaded machines), so the line is drawn at 10.
MAX_GROWTH = 10


def run_time(work: Callable[[], object]) -> float:
    # CPU time of this process: other processes on a loaded machine (the other
    # test worker, say) take wall time away from a run but add none to this.
    start = time.process_time()
    with contextlib.suppress(DefinitionError):
        work()
    return time.process_time() - start


def growth(make: Callable[[int], Callable[[], object]], n: int) -> float:
    """time(4n) / time(n): about 4 when linear, about 16 when quadratic.

    The two sizes run in turns, after one run each to warm the allocator
    up, and the best of three counts for each.
    """
    small, large = make(n), make(4 * n)
    run_time(small)
    run_time(large)
    small_times: list[float] = []
    large_times: list[float] = []
    for _ in range(3):
        small_times.append(run_time(small))
        large_times.append(run_time(large))
    return min(large_times) / min(small_times)


def parsing(text: str) -> Callable[[], object]:
    return lambda: fsm.parse(text)


def refused(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        fsm.parse(text)
    return info.value


def chain(depth: int, tag: str = "s") -> str:
    """``depth`` nested blocks around one leaf state."""
    opens = "".join(f"state {tag}{k} {{\n" for k in range(depth))
    return opens + f"{tag}_leaf\n" + "}\n" * depth


def nested(depth: int, width: int = 1) -> Machine:
    """``width`` chains of superstates, each state inside ``depth`` others at the bottom."""
    states: list[str] = []
    parents: dict[str, str] = {}
    transitions: list[Transition] = []
    for w in range(width):
        links = [f"C{w}_{k}" for k in range(depth + 1)]
        states += links
        parents.update(zip(links[1:], links, strict=False))
        transitions += [Transition(s, f"e{k}", links[-1]) for k, s in enumerate(links)]
    return Machine(
        "Deep", states=states, initial=states[-1], transitions=transitions, parents=parents
    )


# -- linear time -------------------------------------------------------------------------


def test_spaces_inside_a_statement_are_linear() -> None:
    assert refused(HEADER + "A" + " " * 50 + "B").messages == (
        "cannot read 'A" + " " * 50 + "B'; expected a transition 'A --> B : event', a state "
        "name, 'state X {', or '}'",
    )
    ratio = growth(lambda n: parsing(HEADER + "A" + " " * n + "B"), 50_000)
    assert ratio < MAX_GROWTH, f"4x the spaces took {ratio:.1f}x the time"


def test_spaces_around_an_arrow_are_read_and_linear() -> None:
    m = fsm.parse(HEADER + "A" + " \t" * 20 + "-->" + " " * 20 + "B : go")
    assert m.transitions == (Transition("A", "go", "B"),)
    ratio = growth(lambda n: parsing(HEADER + "A" + " " * n + "--> B : go"), 50_000)
    assert ratio < MAX_GROWTH, f"4x the spaces took {ratio:.1f}x the time"


def test_many_duplicate_transitions_are_linear() -> None:
    error = refused(HEADER + "A --> B : go\n" * 300)
    assert len(error.problems) == 299
    assert str(error).splitlines()[0] == "299 problems in this definition:"
    assert str(error).splitlines()[-1] == "and 199 more problems"
    ratio = growth(lambda n: parsing(HEADER + "A --> B : go\n" * n), 1_000)
    assert ratio < MAX_GROWTH, f"4x the duplicates took {ratio:.1f}x the time"


def test_a_broken_file_stops_being_read_after_100_problems() -> None:
    error = refused(HEADER + "???\n" * 250_000)
    assert len(error.problems) == 101
    assert error.problems[-1].line == 103
    assert error.messages[-1] == (
        "stopped reading here, after 100 problems; fix them and read the text again"
    )
    assert error.messages[0].startswith("cannot read '???'")


def test_a_deep_superstate_chain_is_refused_in_linear_time() -> None:
    def build(n: int) -> Callable[[], object]:
        states = [f"S{k}" for k in range(n)]
        parents = dict(zip(states[1:], states, strict=False))
        return lambda: Machine("M", states=states, initial=states[-1], parents=parents)

    ratio = growth(build, 5_000)
    assert ratio < MAX_GROWTH, f"4x the depth took {ratio:.1f}x the time"


def test_codegen_of_machines_at_the_depth_limit_is_linear() -> None:
    def make(width: int) -> Callable[[], object]:
        machine = nested(LIMIT, width)
        return lambda: codegen(machine)

    ratio = growth(make, 2)
    assert ratio < MAX_GROWTH, f"4x the states took {ratio:.1f}x the time"


def test_many_fenced_blocks_in_markdown_are_linear(tmp_path: Path) -> None:
    block = "```mermaid\nflowchart LR\n  a --> b\n```\n\n"

    def make(n: int) -> Callable[[], object]:
        path = tmp_path / f"many{n}.md"
        path.write_text(block * n + "```mermaid\n" + HEADER + "```\n", encoding="utf-8")
        return lambda: fsm.load(path)

    make(10)
    assert fsm.load(tmp_path / "many10.md").states == ("A",)
    ratio = growth(make, 2_000)
    assert ratio < MAX_GROWTH, f"4x the blocks took {ratio:.1f}x the time"


# -- the problem list ----------------------------------------------------------------------


def test_the_message_lists_100_problems_and_counts_the_rest() -> None:
    error = DefinitionError([f"problem {n}" for n in range(250)])
    lines = str(error).splitlines()
    assert len(error.problems) == 250
    assert lines[0] == "250 problems in this definition:"
    assert lines[1:101] == [f"- problem {n}" for n in range(100)]
    assert lines[101:] == ["and 150 more problems"]


def test_one_problem_over_the_cap_is_shown_not_counted() -> None:
    lines = str(DefinitionError([f"problem {n}" for n in range(101)])).splitlines()
    assert lines[-1] == "- problem 100"
    assert len(lines) == 102


# -- one nesting limit ---------------------------------------------------------------------


def test_the_limit_is_100() -> None:
    assert fsm.MAX_DEPTH == 100


def test_a_machine_at_the_limit_round_trips() -> None:
    m = nested(LIMIT)
    assert len(m.ancestors("C0_100")) == LIMIT
    assert fsm.parse(fsm.dumps(m)) == m
    assert Machine.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    assert fsm.parse(HEADER + chain(LIMIT)).parents["s_leaf"] == f"s{LIMIT - 1}"


def test_the_constructor_refuses_one_more_level() -> None:
    states = [f"S{k}" for k in range(LIMIT + 2)]
    with pytest.raises(DefinitionError) as info:
        Machine(
            "M",
            states=states,
            initial=states[-1],
            parents=dict(zip(states[1:], states, strict=False)),
        )
    assert info.value.messages == (
        f"state 'S{LIMIT + 1}' has more than {LIMIT} superstates around it, the limit "
        f"(fsm.MAX_DEPTH); flatten the hierarchy",
    )


def test_the_dsl_refuses_a_block_one_level_deeper() -> None:
    error = refused(HEADER + chain(LIMIT + 1))
    assert error.messages == (
        f"the block of state 's{LIMIT}' is nested {LIMIT + 1} deep, more than the limit "
        f"of {LIMIT} (fsm.MAX_DEPTH); flatten the hierarchy",
    )
    assert (error.line, error.column) == (3 + LIMIT, 7)


def test_the_dsl_refuses_a_chain_made_of_two_blocks() -> None:
    # Each block is within the limit, but 'b0' (inside 'a...') holds 'b...'.
    text = HEADER + chain(LIMIT - 1, "b") + chain(2, "a").replace("a_leaf", "b0")
    error = refused(text)
    assert error.messages == (
        f"state 'b_leaf' has more than {LIMIT} superstates around it, the limit "
        f"(fsm.MAX_DEPTH); flatten the hierarchy",
    )
    assert error.line == 3 + LIMIT - 1


def test_the_dsl_refuses_a_very_deep_chain_once_and_in_linear_time() -> None:
    error = refused(HEADER + chain(20_000))
    assert len(error.problems) == 1
    ratio = growth(lambda n: parsing(HEADER + chain(n)), 3_000)
    assert ratio < MAX_GROWTH, f"4x the depth took {ratio:.1f}x the time"


def deep_list(depth: int) -> list[object]:
    root: list[object] = []
    inner = root
    for _ in range(depth - 1):
        child: list[object] = []
        inner.append(child)
        inner = child
    return root


def deep_dict(depth: int) -> dict[str, object]:
    root: dict[str, object] = {}
    inner = root
    for _ in range(depth - 1):
        child: dict[str, object] = {}
        inner["a"] = child
        inner = child
    return root


@pytest.mark.parametrize("depth", [LIMIT, 5_000, 100_000])
@pytest.mark.parametrize("make", [deep_list, deep_dict])
def test_from_dict_refuses_deep_documents(depth: int, make: Callable[[int], object]) -> None:
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict({"kind": make(depth)})
    assert info.value.messages == (
        f"arrays and objects are nested more than {LIMIT} deep (the limit, fsm.MAX_DEPTH); "
        "a machine document nests 5 deep, so this is not one",
    )
    assert (info.value.path or "").startswith("$.kind")


def test_from_dict_reads_nesting_up_to_the_limit() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict({"kind": deep_list(LIMIT - 1)})
    kind = [p for p in info.value.problems if p.path == "$.kind"]
    assert kind[0].message.startswith("expected 'typestate.machine', got [[[")


def deep_json_text(depth: int, opener: str) -> str:
    close = {"[": "]", '{"a": ': "}"}[opener]
    return '{"kind": ' + opener * depth + "1" + close * depth + "}"


@pytest.mark.parametrize("depth", [5_000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a": '])
def test_load_refuses_deep_json_text(tmp_path: Path, depth: int, opener: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(deep_json_text(depth, opener), encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    assert str(info.value).startswith(f"{path}:1:")
    assert info.value.messages == (
        "the JSON document's arrays and objects are nested more than 100 deep (the limit, "
        "fsm.MAX_DEPTH); a machine document nests 5 deep, so this is not one",
    )


def test_load_points_at_the_first_bracket_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    second = '  "[[[", "x": ' + "[" * 200 + "]" * 200 + "}"
    path.write_text('{"kind":\n' + second, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        fsm.load(path)
    # The object is level 1, so the 100th '[' after "x" is level 101.
    first = second.index("[", second.index('"x"')) + 1
    assert (info.value.line, info.value.column) == (2, first + 99)
    assert info.value.source_line == second


@pytest.mark.parametrize("command", ["show", "check", "paths", "codegen", "render"])
def test_the_cli_refuses_deep_json(tmp_path: Path, command: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(deep_json_text(5_000, "["), encoding="utf-8")
    exe = shutil.which("typestate")
    assert exe is not None
    extra = ["-o", str(tmp_path / "x.mmd")] if command == "render" else []
    result = subprocess.run(
        [exe, command, str(path), *extra], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"typestate: error: {path}:1:")
    assert "nested more than 100 deep" in result.stderr


def test_every_face_works_at_the_depth_limit() -> None:
    m = nested(LIMIT, 2)
    assert analysis.check(m).findings is not None
    assert "C1_100" in analysis.to_mermaid(m)
    assert "C1_100" in analysis.to_plantuml(m)
    assert "C1_100" in analysis.to_dot(m)
    assert "class C1_100(C1_99):" in codegen(m)
    instance = m.start()
    instance.send("e50")
    assert instance.state == "C1_100"


def test_drawing_many_superstates_is_linear() -> None:
    def make(n: int) -> Callable[[], object]:
        states = [name for k in range(n) for name in (f"P{k}", f"C{k}")]
        machine = Machine(
            "Flat",
            states=states,
            initial="C0",
            parents={f"C{k}": f"P{k}" for k in range(n)},
            transitions=[Transition(f"C{k}", "go", f"C{(k + 1) % n}") for k in range(n)],
        )
        return lambda: analysis.to_dot(machine)

    ratio = growth(make, 600)
    assert ratio < MAX_GROWTH, f"4x the superstates took {ratio:.1f}x the time"


def test_a_problem_shows_only_the_part_of_a_long_line_around_its_column() -> None:
    text = "stateDiagram-v2\n%% types: " + "e(a: int), " * 10_000 + "\n[*] --> A\nA --> B : e\n"
    with pytest.raises(fsm.DefinitionError) as info:
        fsm.parse(text)
    assert len(info.value.problems) == 10_000
    assert len(str(info.value)) < 40_000  # 100 problems shown, each a short window
    second = str(info.value.problems[1]).splitlines()
    assert second[1].startswith("    %% types: e(a: int), ")
    assert second[1].endswith("...")
    assert second[2] == " " * (4 + 32) + "^"  # column 33
