"""The pytest plugin: ``--typestate-coverage`` prints what conformance tests exercised.

Registered through the ``pytest11`` entry point. Without the option it does
nothing; it never imports Hypothesis itself. With it, the session opens a
collector (``analysis._conformance_types.COLLECTOR``) that each conformance
class adds its ``coverage`` to when its first test case starts, however it is
run: a ``.TestCase`` collected by pytest, or ``run_state_machine_as_test`` or
``.TestCase().runTest()`` inside a test function.

Under pytest-xdist each worker sends its coverages, as JSON-safe data, to the
controller when its session ends; the controller merges the coverages of the
same class (test cases added, states and transitions united) and prints them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import pytest

if TYPE_CHECKING:
    from contextvars import Token

    from ._conformance_types import Coverage


class _Data(TypedDict):
    """A :class:`Coverage` as a worker sends it (execnet carries lists, tuples, dicts)."""

    label: str
    machine: dict[str, Any]
    reachable_states: list[str]
    reachable_transitions: list[tuple[str, int]]
    states: list[str]
    transitions: list[tuple[str, int]]
    cases: int


_TOKEN: pytest.StashKey[Token[list[Coverage] | None]] = pytest.StashKey()
#: In the controller of an xdist run: label -> the merged data of the workers' coverages.
_FROM_WORKERS = pytest.StashKey[dict[str, _Data]]()
_KEY = "typestate_coverage"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("typestate").addoption(
        "--typestate-coverage",
        action="store_true",
        default=False,
        help="print the states and transitions each conformance() test exercised",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("typestate_coverage"):
        from ._conformance_types import COLLECTOR

        config.stash[_TOKEN] = COLLECTOR.set([])
        config.stash[_FROM_WORKERS] = {}


def pytest_unconfigure(config: pytest.Config) -> None:
    token = config.stash.get(_TOKEN, None)
    if token is not None:
        from ._conformance_types import COLLECTOR

        COLLECTOR.reset(token)
        del config.stash[_TOKEN]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    output = getattr(config, "workeroutput", None)
    if output is None or _TOKEN not in config.stash:
        return
    from ._conformance_types import COLLECTOR

    output[_KEY] = [_to_data(c) for c in COLLECTOR.get() or ()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    merged = node.config.stash.get(_FROM_WORKERS, None)
    if merged is None:
        return
    for data in getattr(node, "workeroutput", {}).get(_KEY, ()):
        _merge(merged, data)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    if _TOKEN not in config.stash:
        return
    from ._conformance_types import COLLECTOR
    from .testing import coverage_report

    merged: dict[str, _Data] = {}
    for coverage in COLLECTOR.get() or ():
        _merge(merged, _to_data(coverage))
    for data in config.stash[_FROM_WORKERS].values():
        _merge(merged, data)
    terminalreporter.section("typestate coverage")
    terminalreporter.write_line(coverage_report(_from_data(d) for d in merged.values()))


def _to_data(coverage: Coverage) -> _Data:
    """``coverage`` as JSON-safe data; a transition as ``(leaf, index in machine.transitions)``."""
    # By value, not identity: a machine built from arrays makes its Transition
    # objects on demand, and no two transitions of a machine are equal.
    index = {t: i for i, t in enumerate(coverage.machine.transitions)}
    return {
        "label": coverage.label,
        "machine": coverage.machine.to_dict(),
        "reachable_states": list(coverage.reachable_states),
        "reachable_transitions": [(leaf, index[t]) for leaf, t in coverage.reachable_transitions],
        "states": sorted(coverage.states),
        "transitions": sorted((leaf, index[t]) for leaf, t in coverage.transitions),
        "cases": coverage.cases,
    }


def _merge(merged: dict[str, _Data], data: _Data) -> None:
    """Add ``data`` to the coverage of the same label in ``merged`` (or make it)."""
    found = merged.get(data["label"])
    if found is None:
        merged[data["label"]] = {**data, "transitions": [(s, i) for s, i in data["transitions"]]}
        return
    found["cases"] += data["cases"]
    found["states"] = sorted({*found["states"], *data["states"]})
    pairs = {(s, i) for s, i in [*found["transitions"], *data["transitions"]]}
    found["transitions"] = sorted(pairs)


def _from_data(data: _Data) -> Coverage:
    import fsm

    from ._conformance_types import Coverage

    machine = fsm.Machine.from_dict(data["machine"])
    ts = machine.transitions
    return Coverage(
        label=data["label"],
        machine=machine,
        reachable_states=tuple(data["reachable_states"]),
        reachable_transitions=tuple((leaf, ts[i]) for leaf, i in data["reachable_transitions"]),
        states=set(data["states"]),
        transitions={(leaf, ts[i]) for leaf, i in data["transitions"]},
        cases=data["cases"],
    )
