"""Hypothesis strategies for conversations (global protocols), and their helpers.

``conversations()`` draws any conversation the model accepts (well-formed or
not): a few roles, labels with one payload each, messages, choices, loops and
opts nested a few levels. The deciding role of each choice is the sender of
its first message, as the diagram reader infers it.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

import fsm

ROLES = ("A", "B", "C", "D")
LABELS = ("x", "y", "z", "w", "v")
PAYLOADS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "x": (),
    "y": (("n", "int"),),
    "z": (("text", "str"), ("extra", None)),
    "w": (),
    "v": (("items", "list[int]"),),
}


def first_sender(items: Sequence[fsm.Message | fsm.Choice | fsm.Loop]) -> str | None:
    """The sender of the first message of ``items`` (in blocks too), or None."""
    for item in items:
        if isinstance(item, fsm.Message):
            return item.sender
        branches = (item.body,) if isinstance(item, fsm.Loop) else item.branches
        for branch in branches:
            found = first_sender(branch)
            if found is not None:
                return found
    return None


@st.composite
def messages(draw: st.DrawFn, roles: Sequence[str]) -> fsm.Message:
    sender = draw(st.sampled_from(roles))
    receiver = draw(st.sampled_from([r for r in roles if r != sender]))
    label = draw(st.sampled_from(LABELS))
    return fsm.Message(sender, receiver, label, PAYLOADS[label])


@st.composite
def bodies(
    draw: st.DrawFn, roles: Sequence[str], depth: int, min_size: int = 0
) -> tuple[fsm.Message | fsm.Choice | fsm.Loop, ...]:
    items: list[fsm.Message | fsm.Choice | fsm.Loop] = []
    for _ in range(draw(st.integers(min_size, 3))):
        kind = draw(st.sampled_from(["message", "message", "choice", "loop", "opt"]))
        if depth == 0 or kind == "message":
            items.append(draw(messages(roles)))
        elif kind == "loop":
            body = draw(bodies(roles, depth - 1, min_size=1).filter(first_sender))
            items.append(fsm.Loop(body, draw(st.sampled_from(["", "again"]))))
        else:
            count = 1 if kind == "opt" else draw(st.integers(1, 3))
            branches = [draw(bodies(roles, depth - 1, min_size=1)) for _ in range(count)]
            if kind == "opt":
                branches.append(())
            at = next((s for b in branches if (s := first_sender(b))), None)
            if at is None:
                items.append(draw(messages(roles)))
                continue
            texts = draw(st.sampled_from([[], ["ok", *([""] * (len(branches) - 1))]]))
            items.append(fsm.Choice(at, branches, texts))
    return tuple(items)


@st.composite
def conversations(draw: st.DrawFn, max_roles: int = 4, depth: int = 2) -> fsm.Conversation:
    """Any conversation the model accepts, over 2 to ``max_roles`` roles."""
    roles = ROLES[: draw(st.integers(2, max_roles))]
    body = draw(bodies(roles, depth, min_size=1))
    aliases = draw(st.sampled_from([{}, {roles[0]: "First role"}]))
    actors = draw(st.sampled_from([(), (roles[-1],)]))
    name = draw(st.sampled_from(["Conversation", "Two buyers", "x: y"]))
    return fsm.Conversation(name, roles, body, aliases=aliases, actors=actors)
