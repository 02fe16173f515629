"""The main promise: mypy and pyright reject a call the current state does not allow.

A corpus of small files using the public API is written to a temporary
directory and checked by the real mypy (``--strict``) and the real pyright
(strict), each run once over the whole corpus. Every must-fail file has its
exact expected messages; every must-pass file must give none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("pyright") is None, reason="needs the pyright command line"
)

REPO = Path(__file__).resolve().parent.parent

# The protocol every case imports.
AGENT = """
from __future__ import annotations

from typing_extensions import Self

from typestate import State, transition


class Idle(State):
    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    task: str

    @transition
    def plan(self, steps: list[str]) -> Acting | Failed:
        return Acting(steps=tuple(steps)) if steps else Failed()


class Working(State, abstract=True):
    @transition
    def cancel(self) -> Failed:
        return Failed()


class Acting(Working):
    steps: tuple[str, ...]

    @transition
    def think(self) -> Self:
        return self

    @transition
    async def finish(self) -> Done:
        return Done()


class Done(State, final=True): ...


class Failed(State, final=True): ...
"""

PASS = {
    "ok_flow": """
        from typing_extensions import assert_never

        from agent import Acting, Done, Failed, Idle


        async def run() -> Done | Failed:
            s = Idle()
            p = s.assign("write the docs")
            r = p.plan(["outline", "draft"])
            match r:
                case Acting():
                    return await r.think().finish()
                case Failed():
                    return r
                case _:
                    assert_never(r)
    """,
    "ok_isinstance": """
        from agent import Acting, Failed, Planning


        def step(p: Planning) -> Failed:
            r = p.plan([])
            if isinstance(r, Acting):
                return r.cancel()  # inherited from the superstate Working
            return r
    """,
    "ok_rebinding": """
        from agent import Done, Failed, Idle


        async def run() -> Done | Failed:
            s = Idle()
            s = s.assign("t")
            s = s.plan(["a"])
            if isinstance(s, Failed):
                return s
            s = s.think()
            return await s.finish()
    """,
}

FAIL = {
    "bad_not_allowed": """
        from agent import Idle

        Idle().plan(["a"])
    """,
    "bad_payload_type": """
        from agent import Idle

        Idle().assign(3)
    """,
    "bad_missing_payload": """
        from agent import Idle

        Idle().assign()
    """,
    "bad_assign_data": """
        from agent import Planning

        p = Planning(task="t")
        p.task = "u"
    """,
    "bad_final": """
        from agent import Done

        Done().assign("t")
    """,
    "bad_not_narrowed": """
        from agent import Planning

        Planning(task="t").plan([]).think()
    """,
    "bad_not_exhaustive": """
        from typing_extensions import assert_never

        from agent import Acting, Planning

        r = Planning(task="t").plan([])
        match r:
            case Acting():
                pass
            case _:
                assert_never(r)
    """,
    "bad_not_awaited": """
        from agent import Acting, Done


        async def run(a: Acting) -> Done:
            return a.finish()
    """,
}

# What each checker says, file by file (the corpus's own lines, after dedent).
MYPY = {
    "bad_not_allowed": ['3: error: "Idle" has no attribute "plan"  [attr-defined]'],
    "bad_payload_type": [
        '3: error: Argument 1 to "assign" of "Idle" has incompatible type "int"; '
        'expected "str"  [arg-type]'
    ],
    "bad_missing_payload": [
        '3: error: Missing positional argument "task" in call to "assign" of "Idle"  [call-arg]'
    ],
    "bad_assign_data": ['4: error: Property "task" defined in "Planning" is read-only  [misc]'],
    "bad_final": ['3: error: "Done" has no attribute "assign"  [attr-defined]'],
    "bad_not_narrowed": [
        '3: error: Item "Failed" of "Acting | Failed" has no attribute "think"  [union-attr]'
    ],
    "bad_not_exhaustive": [
        '10: error: Argument 1 to "assert_never" has incompatible type "Failed"; '
        'expected "Never"  [arg-type]'
    ],
    "bad_not_awaited": [
        '5: error: Incompatible return value type (got "Coroutine[Any, Any, Done]", '
        'expected "Done")  [return-value]',
        '5: note: Maybe you forgot to use "await"?',
    ],
}

PYRIGHT = {
    "bad_not_allowed": [
        '3:8 - error: Cannot access attribute "plan" for class "Idle"\n'
        '  Attribute "plan" is unknown (reportAttributeAccessIssue)',
        '3:1 - error: Type of "plan" is unknown (reportUnknownMemberType)',
    ],
    "bad_payload_type": [
        '3:15 - error: Argument of type "Literal[3]" cannot be assigned to parameter "task" '
        'of type "str" in function "assign"\n'
        '  "Literal[3]" is not assignable to "str" (reportArgumentType)'
    ],
    "bad_missing_payload": ['3:1 - error: Argument missing for parameter "task" (reportCallIssue)'],
    "bad_assign_data": [
        '4:3 - error: Cannot assign to attribute "task" for class "Planning"\n'
        '  Attribute "task" is read-only (reportAttributeAccessIssue)'
    ],
    "bad_final": [
        '3:8 - error: Cannot access attribute "assign" for class "Done"\n'
        '  Attribute "assign" is unknown (reportAttributeAccessIssue)',
        '3:1 - error: Type of "assign" is unknown (reportUnknownMemberType)',
    ],
    "bad_not_narrowed": [
        '3:29 - error: Cannot access attribute "think" for class "Failed"\n'
        '  Attribute "think" is unknown (reportAttributeAccessIssue)',
        '3:1 - error: Type of "think" is partially unknown\n'
        '  Type of "think" is "(() -> Acting) | Unknown" (reportUnknownMemberType)',
    ],
    "bad_not_exhaustive": [
        '10:22 - error: Argument of type "Failed" cannot be assigned to parameter "arg" of '
        'type "Never" in function "assert_never"\n'
        '  Type "Failed" is not assignable to type "Never" (reportArgumentType)'
    ],
    "bad_not_awaited": [
        '5:12 - error: Type "CoroutineType[Any, Any, Done]" is not assignable to return type '
        '"Done"\n'
        '  "CoroutineType[Any, Any, Done]" is not assignable to "Done" (reportReturnType)'
    ],
}

NBSP = "\xa0"  # pyright's JSON output indents continuation lines with these

MYPY_CONFIG = """
[mypy]
strict = true
python_version = 3.10
allow_redefinition_new = true
local_partial_types = true
"""


def _corpus(root: Path) -> None:
    (root / "agent.py").write_text(AGENT.lstrip())
    for name, source in {**PASS, **FAIL}.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source).lstrip())


def _run(command: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    return done.stdout + done.stderr


def _mypy(root: Path, config: str, files: list[str]) -> dict[str, list[str]]:
    (root / "mypy.ini").write_text(config)
    output = _run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-error-summary",
         "--cache-dir", str(root / ".cache"), *files],
        root,
    )  # fmt: skip
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = re.match(r"^(\w+)\.py:(.*)$", line)
        assert match, f"unexpected mypy output: {line}\n{output}"
        found.setdefault(match[1], []).append(match[2])
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("typecheck")
    _corpus(root)
    return root


@pytest.fixture(scope="module")
def mypy_results(corpus: Path) -> dict[str, list[str]]:
    return _mypy(corpus, MYPY_CONFIG, ["."])


@pytest.fixture(scope="module")
def pyright_results(corpus: Path) -> dict[str, list[str]]:
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.10", "extraPaths": [str(REPO)]}
    (corpus / "pyrightconfig.json").write_text(json.dumps(config))
    output = _run(["pyright", "--outputjson", "."], corpus)
    report = json.loads(output[output.index("{") :])
    found: dict[str, list[str]] = {}
    for item in report["generalDiagnostics"]:
        start = item["range"]["start"]
        rule = f" ({item['rule']})" if "rule" in item else ""
        text = (
            f"{start['line'] + 1}:{start['character'] + 1} - {item['severity']}: "
            f"{item['message'].replace(NBSP, ' ')}{rule}"
        )
        found.setdefault(Path(item["file"]).stem, []).append(text)
    return found


@pytest.mark.parametrize("case", sorted(PASS))
def test_correct_code_passes_mypy(mypy_results: dict[str, list[str]], case: str) -> None:
    assert mypy_results.get(case, []) == []


@pytest.mark.parametrize("case", sorted(PASS))
def test_correct_code_passes_pyright(pyright_results: dict[str, list[str]], case: str) -> None:
    assert pyright_results.get(case, []) == []


def test_the_protocol_module_passes_both(
    mypy_results: dict[str, list[str]], pyright_results: dict[str, list[str]]
) -> None:
    assert (mypy_results.get("agent", []), pyright_results.get("agent", [])) == ([], [])


@pytest.mark.parametrize("case", sorted(FAIL))
def test_misuse_is_a_mypy_error(mypy_results: dict[str, list[str]], case: str) -> None:
    assert mypy_results.get(case, []) == MYPY[case]


@pytest.mark.parametrize("case", sorted(FAIL))
def test_misuse_is_a_pyright_error(pyright_results: dict[str, list[str]], case: str) -> None:
    assert sorted(pyright_results.get(case, [])) == sorted(PYRIGHT[case])


def test_rebinding_needs_mypy_redefinition(corpus: Path) -> None:
    """Without allow_redefinition(_new), mypy rejects ``s = s.assign(...)``."""
    found = _mypy(corpus, "[mypy]\nstrict = true\npython_version = 3.10\n", ["ok_rebinding.py"])
    assert found["ok_rebinding"] == [
        '6: error: Incompatible types in assignment (expression has type "Planning", '
        'variable has type "Idle")  [assignment]',
        '7: error: "Idle" has no attribute "plan"  [attr-defined]',
        '11: error: Returning Any from function declared to return "Done | Failed"  '
        "[no-any-return]",
    ]


@pytest.mark.skipif(
    int(version("mypy").split(".")[0]) < 2, reason="mypy 1 reads allow_redefinition the old way"
)
def test_rebinding_with_mypy_2_allow_redefinition(corpus: Path) -> None:
    """In mypy 2, ``allow_redefinition`` is the new behaviour on its own."""
    config = "[mypy]\nstrict = true\npython_version = 3.10\nallow_redefinition = true\n"
    assert _mypy(corpus, config, ["ok_rebinding.py"]) == {}
