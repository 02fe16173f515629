"""Names the analysis modules share, kept apart so that none imports a module above it.

The finding kinds (``_check`` reports them, ``_highlight`` and ``_render``
mark them) and the separator of product state names (``_compose`` joins
with it, ``_highlight`` splits with it).
"""

from __future__ import annotations

from typing import Final, Literal, cast, get_args

__all__ = ["KINDS", "SEPARATOR", "Kind"]

#: What a finding is about. :func:`check` finds every kind but ``deadlock``,
#: which :func:`analysis.deadlocks` finds in a product of machines, and the
#: last three, which :func:`analysis.check_conversation` finds in a conversation.
Kind = Literal[
    "unreachable",
    "dead-end",
    "deadlock",
    "livelock",
    "non-productive",
    "final-has-outgoing",
    "unused-event",
    "nondeterministic",
    "choice-not-by-one-role",
    "indistinguishable-branches",
    "uninformed-role",
]

#: Every finding kind, in the order a report lists them.
KINDS: Final = cast("tuple[Kind, ...]", get_args(Kind))

#: Joins component state names into a product state name.
SEPARATOR: Final = "__"
