"""Promela export of a synchronous product, for the SPIN model checker.

The model is one process with one variable per machine (its leaf state, as the
machine's state number) and a ``do`` loop with one ``d_step`` option per event
(more when a machine may take it to several states: one per choice), whose
targets are Promela conditional expressions ``(m0 == 1 -> 2 : 4)`` of the
source. So SPIN's reachable states are exactly the product
states of :mod:`analysis._compose`, one to one, and an *invalid end state* in
SPIN is exactly a deadlock of :func:`analysis.deadlocks`.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable

import fsm

from ._projection import projections

__all__ = ["to_promela"]

#: Event names printed as they are in the ``printf`` of each option; others are
#: printed by number (the header lists the numbers).
_PRINTABLE = re.compile(r"[A-Za-z0-9_.:/@-]+")

#: Per machine, for one event: the layers of moves, each a mapping from a
#: source leaf to one target (a source with several targets, through guards or
#: a branch, is in several layers).
_Layers = list[dict[int, int]]


def _variable_type(size: int) -> str:
    if size <= 256:
        return "byte"
    if size <= 32767:
        return "short"
    return "int"


def _comment(text: str) -> str:
    """``text`` made safe inside a ``/* */`` comment."""
    return text.replace("*/", "* /").replace("\n", " ")


def _layers(m: fsm.Machine) -> dict[str, _Layers]:
    """Event name -> the layers of ``m``'s moves on it, from its leaf states."""
    compiled = m.compiled
    found: dict[str, _Layers] = {}
    for s, dispatch in enumerate(compiled.dispatch):
        if not compiled.is_leaf[s]:
            continue  # only leaves are ever current (targets are resolved to leaves)
        for e, group in dispatch.items():
            layers = found.setdefault(compiled.events[e], [])
            targets = dict.fromkeys(compiled.targets[n] for n in group)
            for depth, target in enumerate(targets):
                if depth == len(layers):
                    layers.append({})
                layers[depth][s] = target
    return found


def _is_in(variable: str, values: Iterable[int]) -> str:
    return " || ".join(f"{variable} == {v}" for v in values)


def _guard(variable: str, layer: dict[int, int]) -> str:
    test = _is_in(variable, layer)
    return f"({test})" if len(layer) > 1 else test


def _assignment(variable: str, layer: dict[int, int]) -> str | None:
    """``variable = ...`` moving from each source of ``layer`` to its target."""
    by_target: dict[int, list[int]] = {}
    for source, target in layer.items():
        by_target.setdefault(target, []).append(source)
    if all(sources == [target] for target, sources in by_target.items()):
        return None  # every move is a self-loop
    *tested, (last, _) = by_target.items()
    value = str(last)
    for target, sources in reversed(tested):
        value = f"({_is_in(variable, sources)} -> {target} : {value})"
    return f"{variable} = {value}"


def _machines(items: tuple[object, ...]) -> list[fsm.Machine]:
    machines: list[fsm.Machine] = []
    for item in items:
        if isinstance(item, fsm.Machine):
            machines.append(item)
        elif isinstance(item, fsm.Conversation):
            machines.extend(projections(item).values())
        else:
            kind, shown = type(item).__name__, reprlib.repr(item)
            hint = (
                "pass the machines as separate arguments: to_promela(*machines)"
                if isinstance(item, (list, tuple))
                else "pass fsm.Machine or fsm.Conversation values, as separate arguments"
            )
            raise TypeError(f"to_promela() got a {kind} ({shown}); {hint}")
    if not machines:
        raise ValueError("no machine given; pass one or more fsm.Machine values")
    return machines


def to_promela(*machines: fsm.Machine | fsm.Conversation) -> str:
    """The synchronous product of ``machines`` as a Promela model for SPIN.

    The semantics are those of :func:`compose` and :func:`deadlocks`: an event
    in several machines' alphabets fires only when every one of them can take
    it, and they all move together; an event of one machine alone fires on
    its own; guards are not evaluated (a guarded transition or branch outcome
    may always be taken); a leaf state has its superstates' transitions.

    The model is one process, ``product``, with one variable per machine,
    ``m0``, ``m1``, ..., holding the number of its current state (the header
    comment names them), and a ``do`` loop whose options are ``d_step`` blocks,
    one per event (several when a machine may take the event to more than
    one state). So SPIN's reachable states are exactly the product states of
    :func:`compose` (its ``states, stored`` with ``-DNOREDUCE``), and an
    *invalid end state* is exactly a deadlock: where every machine is final,
    an extra option loops in place, so that a finished product is not stuck.
    Each option prints ``event: NAME``, so replaying a trail
    (``spin -t model.pml``) prints the events in our names.

    A :class:`fsm.Conversation` argument stands for the machines of its roles
    (:func:`projections`).

    Args:
        machines: one or more machines or conversations, as separate arguments.

    Returns:
        The Promela text.

    Raises:
        TypeError: an argument is neither a Machine nor a Conversation.
        ValueError: no machine given.

    Examples:
        >>> import fsm, analysis
        >>> a = fsm.parse("stateDiagram-v2\\n[*] --> A0\\nA0 --> A1 : x\\nA1 --> [*]")
        >>> b = fsm.parse("stateDiagram-v2\\n[*] --> B0\\nB0 --> B1 : x\\nB1 --> B0 : y")
        >>> print(analysis.to_promela(a, b).split("active proctype")[1])
         product() {
            do
            :: d_step { m0 == 0 && m1 == 0 -> m0 = 1; m1 = 1; printf("event: x\\n") }
            :: d_step { m1 == 1 -> m1 = 0; printf("event: y\\n") }
            od
        }
        <BLANKLINE>
    """
    found = _machines(machines)
    tables = [_layers(m) for m in found]
    events: dict[str, None] = {}
    for m in found:
        events.update(dict.fromkeys(m.events))
    lines = [
        "/* The synchronous product of "
        + ", ".join(_comment(repr(m.name)) for m in found)
        + ", made by analysis.to_promela.",
        "   An invalid end state is a deadlock: no event is enabled and not every",
        "   machine is in a final state. Each option prints the event it takes. */",
        "",
    ]
    for i, m in enumerate(found):
        shown = ", ".join(f"{n} {_comment(s)}" for n, s in enumerate(m.states))
        lines.append(f"/* m{i}: {_comment(repr(m.name))}: {shown} */")
    for i, m in enumerate(found):
        lines.append(f"{_variable_type(len(m.states))} m{i} = {m.compiled.initial};")
    lines += ["", "active proctype product() {", "    do"]
    for number, event in enumerate(events):
        shown = event if _PRINTABLE.fullmatch(event) else f"#{number}"
        if shown != event:
            lines.append(f"    /* #{number}: {_comment(repr(event))} */")
        owners = [(i, table[event]) for i, table in enumerate(tables) if event in table]
        combos: list[list[tuple[int, dict[int, int]]]] = [[]]
        for i, layers in owners:
            combos = [[*combo, (i, layer)] for combo in combos for layer in layers]
        for combo in combos:
            guard = " && ".join(_guard(f"m{i}", layer) for i, layer in combo)
            steps = [_assignment(f"m{i}", layer) for i, layer in combo]
            body = "; ".join([s for s in steps if s is not None] + [f'printf("event: {shown}\\n")'])
            lines.append(f"    :: d_step {{ {guard} -> {body} }}")
    ends: list[str] = []
    for i, m in enumerate(found):
        leaves = [s for s, name in enumerate(m.states) if m.compiled.is_leaf[s] and name in m.final]
        if not leaves:
            break  # this machine is never final, so neither is the product
        ends.append(_guard(f"m{i}", dict.fromkeys(leaves, 0)))
    else:
        lines.append("    /* every machine is final: not a deadlock */")
        lines.append(f"    :: d_step {{ {' && '.join(ends)} -> skip }}")
    if lines[-1] == "    do":
        lines.append("    :: false  /* no machine has a transition */")
    lines += ["    od", "}", ""]
    return "\n".join(lines)
