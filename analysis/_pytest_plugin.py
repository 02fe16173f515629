"""The pytest plugin: ``--typestate-coverage`` prints what conformance tests exercised.

Registered through the ``pytest11`` entry point. Without the option it does
nothing; it never imports Hypothesis or :mod:`analysis.testing` itself.
"""

from __future__ import annotations

import sys

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("typestate").addoption(
        "--typestate-coverage",
        action="store_true",
        default=False,
        help="print the states and transitions each conformance() test exercised",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not terminalreporter.config.getoption("typestate_coverage"):
        return
    testing = sys.modules.get("analysis.testing")
    report: str = testing.coverage_report() if testing else "no conformance test ran"
    terminalreporter.section("typestate coverage")
    terminalreporter.write_line(report)
