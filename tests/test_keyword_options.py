"""Options are keyword-only: the subject is positional, everything with a default is named."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

import typestate
from analysis import strategies, testing


def _public_functions() -> list[Callable[..., Any]]:
    found: list[Callable[..., Any]] = [typestate.protocol, typestate.drive]
    for module in (strategies, testing):
        found += [
            value for name in module.__all__ if inspect.isfunction(value := getattr(module, name))
        ]
    return found


@pytest.mark.parametrize("function", _public_functions(), ids=lambda f: f.__qualname__)
def test_every_option_is_keyword_only(function: Callable[..., Any]) -> None:
    positional = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.default is not p.empty and p.kind is not p.KEYWORD_ONLY
    ]
    assert positional == []


def test_a_positional_option_is_a_type_error() -> None:
    class Door(typestate.State, final=True): ...

    with pytest.raises(TypeError, match=r"takes 1 positional argument but 2 were given"):
        typestate.protocol(Door, "Door")  # type: ignore[misc]
