# must pass: the ways to narrow a branch that both checkers accept, each exhaustive
from __future__ import annotations

from typing_extensions import assert_never, assert_type

from agent import Acting, Failed, Planning


def by_match(p: Planning) -> str:
    r = p.plan(["a"])
    match r:
        case Acting():
            return "acting"
        case Failed():
            return "failed"
        case _:
            assert_never(r)


def by_isinstance(p: Planning) -> str:
    r = p.plan(["a"])
    if isinstance(r, Acting):
        return "acting"
    assert_type(r, Failed)  # the last case, without a test pyright finds unnecessary
    return "failed"


def by_return_type(p: Planning) -> Failed:
    r = p.plan(["a"])
    if isinstance(r, Acting):
        return r.cancel()
    return r  # a new target in the union would not be a Failed
