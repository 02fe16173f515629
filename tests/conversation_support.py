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


# -- well-formed by construction -----------------------------------------------------


class _Labels:
    """Fresh labels for the messages that tell roles which way a choice went."""

    def __init__(self) -> None:
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"k{self.count}"


def _roles_in(items: Sequence[fsm.Message | fsm.Choice | fsm.Loop]) -> set[str]:
    found: set[str] = set()
    stack = [items]
    while stack:
        for item in stack.pop():
            if isinstance(item, fsm.Message):
                found |= {item.sender, item.receiver}
            elif isinstance(item, fsm.Loop):
                stack.append(item.body)
            else:
                stack.extend(item.branches)
    return found


@st.composite
def _well_formed_body(
    draw: st.DrawFn, roles: Sequence[str], depth: int, labels: _Labels, min_size: int
) -> list[fsm.Message | fsm.Choice | fsm.Loop]:
    items: list[fsm.Message | fsm.Choice | fsm.Loop] = []
    for _ in range(draw(st.integers(min_size, 3))):
        kind = draw(st.sampled_from(["message", "message", "choice", "loop"]))
        if depth == 0 or kind == "message":
            items.append(draw(messages(roles)))
            continue
        decider = draw(st.sampled_from(roles))
        others = [r for r in roles if r != decider]
        if kind == "choice":
            # Each branch: the decider tells every other role, with labels of
            # its own, then anything well-formed.
            branches: list[list[fsm.Message | fsm.Choice | fsm.Loop]] = []
            for _ in range(draw(st.integers(1, 3))):
                told = [fsm.Message(decider, r, labels.fresh()) for r in others]
                rest = draw(_well_formed_body(roles, depth - 1, labels, 0))
                branches.append([*told, *rest])
            items.append(fsm.Choice(decider, branches))
        else:
            # Each round begins by telling every other role "one more"; the
            # loop is left by telling each of them "done".
            more = [fsm.Message(decider, r, labels.fresh()) for r in others]
            rest = draw(_well_formed_body(roles, depth - 1, labels, 0))
            items.append(fsm.Loop([*more, *rest]))
            items.extend(fsm.Message(decider, r, labels.fresh()) for r in others)
    return items


@st.composite
def well_formed_conversations(draw: st.DrawFn, max_roles: int = 3) -> fsm.Conversation:
    """Conversations well-formed by construction: every choice tells every role."""
    roles = ROLES[: draw(st.integers(2, max_roles))]
    body = draw(_well_formed_body(roles, 2, _Labels(), 1))
    return fsm.Conversation("Random", roles, body)
