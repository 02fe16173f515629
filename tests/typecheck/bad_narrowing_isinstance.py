# must fail: a complete isinstance chain that ends in else: assert_never (pyright strict), and one that misses a case
from __future__ import annotations

from typing_extensions import assert_never, assert_type

from agent import Acting, Failed, Planning


def complete(p: Planning) -> str:
    r = p.plan(["a"])
    if isinstance(r, Acting):
        return "acting"
    elif isinstance(r, Failed):
        return "failed"
    else:
        assert_never(r)


def incomplete(p: Planning) -> str:
    r = p.plan(["a"])
    assert_type(r, Acting)
    return "acting"

# expect mypy:
#   21: error: Expression is of type "Acting | Failed", not "Acting"  [assert-type]
# expect pyright:
#   13:10 - error: Unnecessary isinstance call; "Failed" is always an instance of "Failed" (reportUnnecessaryIsInstance)
#   21:17 - error: "assert_type" mismatch: expected "Acting" but received "Acting | Failed" (reportAssertTypeFailure)
