"""Shared test configuration: Hypothesis profiles."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from .mermaid_parser import require_mermaid

# "ci" runs more examples and never fails for slowness on a loaded machine.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def mermaid() -> None:
    """The real Mermaid parsers, installed once (skipped without Node, except in CI)."""
    require_mermaid()


# The store tests' databases (SQLite, and PostgreSQL when given): see store_support.
from .store_support import backend as backend  # noqa: E402
from .store_support import store as store  # noqa: E402
