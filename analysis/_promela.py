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

import math
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

#: The most options in one ``do`` or ``if`` of the model: more are grouped in
#: nested ``if`` blocks.
_GROUP = 1000

#: The default bound on the options one event may need (``max_options``).
MAX_OPTIONS = 10_000


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


def _ranges(values: Iterable[int]) -> list[tuple[int, int]]:
    """``values`` as sorted runs of consecutive numbers ``(first, last)``."""
    runs: list[tuple[int, int]] = []
    for v in sorted(values):
        if runs and runs[-1][1] == v - 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _is_in(variable: str, values: Iterable[int]) -> str:
    tests = [
        f"{variable} == {a}" if a == b else f"({variable} >= {a} && {variable} <= {b})"
        for a, b in _ranges(values)
    ]
    return " || ".join(tests)


def _guard(variable: str, layer: dict[int, int]) -> str:
    test = _is_in(variable, layer)
    return f"({test})" if " || " in test else test


def _tree(variable: str, runs: list[tuple[int, int]], parts: list[str]) -> None:
    """Append to ``parts`` a conditional expression whose value is the target of
    ``variable``'s source, for the ``runs`` ``(first source, target)``, sorted,
    each run covering the sources up to the next run's first: a balanced tree
    of comparisons, so its nesting grows with the logarithm of the number of
    runs (SPIN's parser runs out of memory on conditionals a few thousand deep).
    """
    if len(runs) == 1:
        parts.append(str(runs[0][1]))
        return
    middle = len(runs) // 2
    parts.append(f"({variable} < {runs[middle][0]} -> ")
    _tree(variable, runs[:middle], parts)
    parts.append(" : ")
    _tree(variable, runs[middle:], parts)
    parts.append(")")


def _assignment(variable: str, layer: dict[int, int]) -> str | None:
    """``variable = ...`` moving from each source of ``layer`` to its target."""
    if all(source == target for source, target in layer.items()):
        return None  # every move is a self-loop
    # Only the sources of the layer are ever tested (the option's guard holds),
    # so a source's target may stand for the values up to the next source.
    runs: list[tuple[int, int]] = []
    for source in sorted(layer):
        if not runs or runs[-1][1] != layer[source]:
            runs.append((source, layer[source]))
    parts = [f"{variable} = "]
    _tree(variable, runs, parts)
    return "".join(parts)


def _grouped(options: list[list[str]]) -> list[list[str]]:
    """``options`` in nested ``if`` blocks of at most :data:`_GROUP` options each.

    SPIN's parser runs out of memory on a ``do`` or ``if`` with some 20,000
    options; an ``if`` of options is the same choice as the options themselves
    (an ``if`` adds no state: its options start where it starts).
    """
    while len(options) > _GROUP:
        options = [
            [
                ":: if",
                *("    " + line for option in options[at : at + _GROUP] for line in option),
                "   fi",
            ]
            for at in range(0, len(options), _GROUP)
        ]
    return options


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


def to_promela(*machines: fsm.Machine | fsm.Conversation, max_options: int = MAX_OPTIONS) -> str:
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
        max_options: the most options one event may need (the product of the
            numbers of targets its machines may choose among).

    Returns:
        The Promela text.

    Raises:
        TypeError: an argument is neither a Machine nor a Conversation.
        ValueError: no machine given, or an event needs more than
            ``max_options`` options.

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
    options: list[list[str]] = []  # each option's lines, its comments first
    comments: list[str] = []
    for number, event in enumerate(events):
        shown = event if _PRINTABLE.fullmatch(event) else f"#{number}"
        if shown != event:
            comments.append(f"/* #{number}: {_comment(repr(event))} */")
        owners = [(i, table[event]) for i, table in enumerate(tables) if event in table]
        count = math.prod(len(layers) for _, layers in owners)
        if count > max_options:
            raise ValueError(
                f"event {event!r} needs {count:,} options in the Promela model (one per"
                " combination of the targets its machines may choose"
                f" ({', '.join(f'{found[i].name!r}: {len(layers)}' for i, layers in owners)})),"
                f" more than max_options={max_options:,}; pass a larger max_options= (SPIN"
                " parses about 10,000 options per event; the model grows with the product)"
                " or check the composition with analysis.deadlocks()"
            )
        combos: list[list[tuple[int, dict[int, int]]]] = [[]]
        for i, layers in owners:
            combos = [[*combo, (i, layer)] for combo in combos for layer in layers]
        for combo in combos:
            guard = " && ".join(_guard(f"m{i}", layer) for i, layer in combo)
            steps = [_assignment(f"m{i}", layer) for i, layer in combo]
            body = "; ".join([s for s in steps if s is not None] + [f'printf("event: {shown}\\n")'])
            options.append([*comments, f":: d_step {{ {guard} -> {body} }}"])
            comments = []
    ends: list[str] = []
    for i, m in enumerate(found):
        leaves = [s for s, name in enumerate(m.states) if m.compiled.is_leaf[s] and name in m.final]
        if not leaves:
            break  # this machine is never final, so neither is the product
        ends.append(_guard(f"m{i}", dict.fromkeys(leaves, 0)))
    else:
        options.append(
            [
                "/* every machine is final: not a deadlock */",
                f":: d_step {{ {' && '.join(ends)} -> skip }}",
            ]
        )
    if not options:
        options.append([":: false  /* no machine has a transition */"])
    lines += ["    " + line for option in _grouped(options) for line in option]
    lines += ["    od", "}", ""]
    return "\n".join(lines)
