"""The pytest plugin: ``--typestate-coverage`` prints what conformance tests exercised.

Registered through the ``pytest11`` entry point. Without the option it does
nothing; it never imports Hypothesis itself. With it, the session's
collection of coverages lives in the pytest config's stash: each conformance
``.TestCase`` that runs adds the ``coverage`` it carries.
"""

from __future__ import annotations

import pytest

_COVERAGES = pytest.StashKey[list[object]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("typestate").addoption(
        "--typestate-coverage",
        action="store_true",
        default=False,
        help="print the states and transitions each conformance() test exercised",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("typestate_coverage"):
        config.stash[_COVERAGES] = []


def pytest_runtest_call(item: pytest.Item) -> None:
    collected = item.config.stash.get(_COVERAGES, None)
    if collected is None:
        return
    from .testing import Coverage

    coverage = getattr(getattr(item, "cls", None), "coverage", None)
    if isinstance(coverage, Coverage) and not any(c is coverage for c in collected):
        collected.append(coverage)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    collected = terminalreporter.config.stash.get(_COVERAGES, None)
    if collected is None:
        return
    from .testing import Coverage, coverage_report

    report = coverage_report(c for c in collected if isinstance(c, Coverage))
    terminalreporter.section("typestate coverage")
    terminalreporter.write_line(report)
