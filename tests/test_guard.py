"""Guard combinations: and, or, not and parentheses over guard names, everywhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis
import fsm
import typestate
from fsm import MAX_DEPTH, DefinitionError, Machine, Transition

from .mermaid_parser import assert_mermaid_accepts
from .render_support import dot_svg, plantuml_errors, svg_texts

DOOR = """\
stateDiagram-v2
    [*] --> Closed
    Closed --> Open : push [unlocked and not (jammed or alarmed)]
    Closed --> Closed : push [else]
    Open --> [*]
"""


class Door:
    def __init__(self, **flags: bool) -> None:
        self.flags = flags
        self.asked: list[str] = []

    def ask(self, name: str) -> bool:
        self.asked.append(name)
        return self.flags[name]

    def unlocked(self) -> bool:
        return self.ask("unlocked")

    def jammed(self) -> bool:
        return self.ask("jammed")

    def alarmed(self) -> bool:
        return self.ask("alarmed")


def test_parse_guard_reads_the_grammar() -> None:
    guard = fsm.parse_guard("a or b and not (c or d)")
    assert str(guard) == "a or b and not (c or d)"
    assert guard.op == "or"
    assert guard.names == ("a", "b", "c", "d")
    assert str(fsm.parse_guard(" ((a)) and (b and c) ")) == "a and b and c"
    assert str(fsm.parse_guard("(a or b) and c")) == "(a or b) and c"


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("ok and", 7, "expected a guard name, 'not' or '(', but the guard ends there"),
        ("ok busy", 4, "expected 'and' or 'or' before the guard name 'busy'"),
        ("ok && busy", 4, "'&' cannot stand in a guard; write 'and'"),
        ("!ok", 1, "'!' cannot stand in a guard; write 'not'"),
        ("(ok", 4, "expected ')' to close the '(' at column 1, but the guard ends there"),
        ("ok)", 3, "expected 'and', 'or' or the end of the guard, got ')'"),
        ("ok or else", 7, "[else] stands alone; it cannot be combined with other guards"),
        (
            "x == 1",
            3,
            "'=' cannot stand in a guard; a guard combines guard names with and, "
            "or, not and parentheses",
        ),
    ],
)
def test_parse_guard_errors_give_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse_guard(text)
    [problem] = info.value.problems
    assert (problem.column, problem.message) == (
        column,
        f"cannot read the guard {text!r}: {message}",
    )


def test_nesting_is_limited() -> None:
    fsm.parse_guard("(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1))
    for text in ("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH, "not " * 5000 + "a"):
        with pytest.raises(DefinitionError, match=r"nests more than 100 deep \(the limit, "):
            fsm.parse_guard(text)


def test_reading_a_long_guard_is_linear() -> None:
    def run_time(n: int) -> float:
        text = " or ".join(f"(g{k} and not h{k})" for k in range(n))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fsm.parse_guard(text)
            best = min(best, time.perf_counter() - start)
        return best

    ratio = run_time(20_000) / run_time(5_000)
    assert ratio < 10, f"4x the guard took {ratio:.1f}x the time"


def test_a_transition_keeps_the_canonical_spelling() -> None:
    assert Transition("A", "go", "B", guard="(ok)  and (not busy)").guard == "ok and not busy"
    assert Transition("A", "go", "B", guard="ok").guard == "ok"
    # A text that is not a guard is kept as it is, for the Machine to report.
    assert Transition("A", "go", "B", guard="ok and").guard == "ok and"


def test_the_dsl_reads_and_writes_a_combination() -> None:
    m = fsm.parse(DOOR)
    assert m.transitions[0].guard == "unlocked and not (jammed or alarmed)"
    text = fsm.dumps(m)
    assert "Closed --> Open : push [unlocked and not (jammed or alarmed)]\n" in text
    assert fsm.parse(text) == m
    assert Machine.from_dict(m.to_dict()) == m
    assert m.to_dict()["transitions"][0]["guard"] == "unlocked and not (jammed or alarmed)"


def test_the_real_mermaid_parsers_accept_combinations(mermaid: None) -> None:
    assert_mermaid_accepts([DOOR, "stateDiagram-v2\n    A --> B : go [(a or b) and not c] / x\n"])


def test_the_dsl_points_at_the_bad_part_of_a_guard() -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse("stateDiagram-v2\n[*] --> A\nA --> B : go [ok and or busy]")
    assert str(info.value.problems[0]) == (
        "line 3, column 22: cannot read the guard 'ok and or busy': expected a guard name, "
        "'not' or '(', got 'or'; combine guard names with and, or, not and parentheses, like "
        "[ok and not busy]\n"
        "    A --> B : go [ok and or busy]\n"
        "                         ^"
    )


def test_the_machine_checks_every_name_of_a_combination() -> None:
    with pytest.raises(DefinitionError) as info:
        Machine("M", ("A", "B"), "A", transitions=(Transition("A", "go", "B", guard="ok and _x"),))
    assert [p.message for p in info.value.problems] == [
        "guard name '_x' starts with an underscore; a spec has no business naming private "
        "code: name a public method of the context (no leading underscore) (in A --go [ok and "
        "_x]--> B)"
    ]


def test_json_refuses_a_bad_combination_at_its_path() -> None:
    document = fsm.parse(DOOR).to_dict()
    document["transitions"][0]["guard"] = "unlocked and"
    with pytest.raises(DefinitionError) as info:
        Machine.from_dict(document)
    assert [str(p) for p in info.value.problems] == [
        "$.transitions[0]: guard 'unlocked and' is not a guard name nor a combination of guard "
        "names: expected a guard name, 'not' or '(', but the guard ends there (at offset 12); "
        "combine names with and, or, not and parentheses, like 'ok and not busy' (in Closed "
        "--push [unlocked and]--> Open)"
    ]


@pytest.mark.parametrize(
    ("unlocked", "jammed", "alarmed", "state", "asked"),
    [
        (True, False, False, "Open", ["unlocked", "jammed", "alarmed"]),
        (True, True, False, "Closed", ["unlocked", "jammed"]),
        (True, False, True, "Closed", ["unlocked", "jammed", "alarmed"]),
        (False, False, False, "Closed", ["unlocked"]),  # and stops at the first false
    ],
)
def test_the_runtime_evaluates_a_combination_lazily(
    unlocked: bool, jammed: bool, alarmed: bool, state: str, asked: list[str]
) -> None:
    door = Door(unlocked=unlocked, jammed=jammed, alarmed=alarmed)
    assert fsm.parse(DOOR).start(door).send("push") == state
    assert door.asked == asked


def test_async_parts_make_the_combination_async() -> None:
    class Slow(Door):
        async def jammed(self) -> bool:  # type: ignore[override]
            return self.ask("jammed")

    door = Slow(unlocked=True, jammed=False, alarmed=False)
    assert asyncio.run(fsm.parse(DOOR).start(door).asend("push")) == "Open"
    with pytest.raises(fsm.FSMError, match=r"^guard 'unlocked and not \(jammed or alarmed\)' "):
        fsm.parse(DOOR).start(Slow(unlocked=True, jammed=False, alarmed=False)).send("push")


def test_a_missing_name_is_reported_by_name_at_bind_time() -> None:
    with pytest.raises(DefinitionError) as info:
        fsm.parse(DOOR).bind(handlers={"unlocked": lambda _: True, "jammed": lambda _: False})
    assert [p.message for p in info.value.problems] == [
        "guard of Closed --push [unlocked and not (jammed or alarmed)]--> Open 'alarmed' of "
        "machine 'Machine' is not defined; pass it in handlers="
    ]


def _trees(names: list[str]) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(names)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(lambda g: f"not {g}"),
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
        ),
        max_leaves=8,
    )


@settings(max_examples=80, deadline=None)
@given(
    _trees(["a", "b", "c"]),
    st.fixed_dictionaries({"a": st.booleans(), "b": st.booleans(), "c": st.booleans()}),
)
def test_the_runtime_agrees_with_boolean_logic(text: str, values: dict[str, bool]) -> None:
    m = Machine(
        "M",
        ("A", "Yes", "No"),
        "A",
        transitions=(
            Transition("A", "go", "Yes", guard=text),
            Transition("A", "go", "No", guard=fsm.ELSE),
        ),
    )
    handlers: dict[str, Callable[..., object]] = {
        name: (lambda _, v=v: v)
        for name, v in values.items()
        if name in fsm.parse_guard(text).names
    }
    expected = eval(text, {"__builtins__": {}}, dict(values))  # the reference: Python's own logic
    assert m.start(handlers=handlers).send("go") == ("Yes" if expected else "No")
    assert fsm.parse(fsm.dumps(m)) == m


def test_the_analysis_shows_combinations_as_opaque_conditions() -> None:
    m = fsm.parse(DOOR)
    [finding] = analysis.check(m).of("nondeterministic")
    assert finding.message == (
        "event 'push' in state 'Closed' may lead to 'Open', 'Closed'; the guards decide "
        "(unlocked and not (jammed or alarmed), then else)"
    )
    twice = (
        "stateDiagram-v2\n[*] --> A\nA --> B : go [a and b]\nA --> C : go [(b) and a]\n"
        "A --> C : go [b and a]"
    )
    with pytest.raises(DefinitionError, match=r"guard 'b and a' is used twice on 'go' from 'A'"):
        fsm.parse(twice)


def test_diagrams_and_generated_code_show_the_combination() -> None:
    m = fsm.parse(DOOR)
    svg, _ = dot_svg(analysis.to_dot(m))
    assert "push [unlocked and not (jammed or alarmed)]" in svg_texts(svg)
    plantuml = analysis.to_plantuml(m)
    assert "Closed --> Open : push [unlocked and not (jammed or alarmed)]\n" in plantuml
    assert [problem for problem, _ in plantuml_errors([plantuml])] == [None]
    code = typestate.codegen(m)
    assert "Open if unlocked and not (jammed or alarmed)" in code
    compile(code, "<generated>", "exec")


class _AsyncCall:
    """A guard object whose ``__call__`` is async: not a coroutine function itself."""

    def __init__(self, value: bool, calls: list[str], name: str) -> None:
        self.value, self.calls, self.name = value, calls, name

    async def __call__(self, _context: object) -> bool:
        self.calls.append(self.name)
        return self.value


def _awaitable_guard(kind: str, value: bool, calls: list[str], name: str) -> Callable[..., object]:
    async def answer() -> bool:
        return value

    def returns_awaitable(_context: object) -> object:
        calls.append(name)
        return answer()

    def plain(_context: object) -> bool:
        calls.append(name)
        return value

    if kind == "lambda":
        return returns_awaitable
    if kind == "object":
        return _AsyncCall(value, calls, name)
    return plain


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(
    _trees(["a", "b", "c"]),
    st.fixed_dictionaries({"a": st.booleans(), "b": st.booleans(), "c": st.booleans()}),
    st.fixed_dictionaries({n: st.sampled_from(["lambda", "object", "sync"]) for n in "abc"}),
)
def test_asend_awaits_each_part_that_returns_an_awaitable(
    text: str, values: dict[str, bool], kinds: dict[str, str]
) -> None:
    m = fsm.parse(f"stateDiagram-v2\n[*] --> A\nA --> Yes : go [{text}]\nA --> No : go [else]\n")
    calls: list[str] = []
    names = fsm.parse_guard(text).names
    handlers = {n: _awaitable_guard(kinds[n], values[n], calls, n) for n in names}
    expected = eval(text, {"__builtins__": {}}, dict(values))  # the reference: Python's own logic
    assert asyncio.run(m.start(handlers=handlers).asend("go")) == ("Yes" if expected else "No")
    asked: list[str] = []

    def ask(name: str) -> bool:
        asked.append(name)
        return values[name]

    fsm.parse_guard(text).evaluate(ask)
    assert calls == asked  # each part once, in order, stopping where the result is known


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(("text", "state"), [("ok", "A"), ("not ok", "B"), ("ok or ok", "A")])
def test_a_lambda_returning_a_coroutine_is_awaited_in_a_combination(text: str, state: str) -> None:
    async def no() -> bool:
        return False

    src = f"stateDiagram-v2\n[*] --> A\nA --> B : go [{text}]\nA --> A : go [else]\nB --> [*]\n"
    instance = fsm.parse(src).start(None, handlers={"ok": lambda _: no()})
    assert asyncio.run(instance.asend("go")) == state
