"""Hypothesis strategies shared by the tests: valid Machines of every shape."""

from __future__ import annotations

from hypothesis import strategies as st

import fsm

# Mermaid keywords in any casing (see docs/dsl.md) and the ids of its [*] points.
_RESERVED = {
    *("state", "note", "class", "classdef", "scale", "default", "statediagram"),
    *("acctitle", "accdescr", "style", "click", "href", "as", "direction"),
}

state_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: s.lower() not in _RESERVED and not s.endswith(("_start", "_end"))
)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda s: s not in {"else", "branch"}
)
# A spec may not name private code: guard and action names never start with "_".
# "and", "or" and "not" join guard names in a guard combination.
handler_names = names.filter(lambda s: not s.startswith("_") and s not in {"and", "or", "not"})
delays = st.one_of(
    st.sampled_from([0.5, 1.0, 30.0, 90.0, 3600.0, 86400.0]),
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False),
)
param_names = names.filter(
    lambda s: (
        s not in {"and", "as", "if", "in", "is", "or", "for", "def", "del", "not", "try"}
        and not __import__("keyword").iskeyword(s)
    )
)


def _quoted(text: str) -> str:
    return f"'{text}'" if '"' in text else f'"{text}"'


_type_names = st.sampled_from(
    ["int", "str", "bytes", "T", "Foo", "decimal.Decimal", "typing.Any", "Größe", "_Private"]
)
_literal_values = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["True", "False", "None", "Color.RED"]),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(
            lambda c: c.isprintable() and c not in '\\"%'
        ),
        max_size=8,
    )
    .filter(lambda t: not ('"' in t and "'" in t))
    .map(_quoted),
)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    args = st.lists(inner, min_size=1, max_size=3).map(", ".join)
    return st.one_of(
        st.tuples(_type_names, args).map(lambda p: f"{p[0]}[{p[1]}]"),
        st.lists(inner, min_size=2, max_size=3).map(" | ".join),
        st.tuples(st.lists(inner, max_size=2), inner).map(
            lambda p: f"Callable[[{', '.join(p[0])}], {p[1]}]"
        ),
        inner.map(lambda t: f"Callable[..., {t}]"),
        inner.map(lambda t: f"tuple[{t}, ...]"),
        inner.filter(lambda t: "'" not in t).map(_quoted),
    )


#: Payload types in canonical form, as the grammar of fsm._annotation writes them.
type_expressions = st.recursive(
    st.one_of(
        _type_names,
        st.just("None"),
        st.lists(_literal_values, min_size=1, max_size=3).map(lambda v: f"Literal[{', '.join(v)}]"),
    ),
    _compound,
    max_leaves=8,
)
annotations = st.sampled_from(
    [
        None,
        "str",
        "int",
        "list[str]",
        "dict[str, int]",
        "Callable[[int], str]",
        "tuple[int, ...]",
        'Literal["a, b"]',
        "str | None",
    ]
)
machine_names = st.one_of(
    st.from_regex(r"[A-Z][A-Za-z0-9_ ]{0,10}[A-Za-z0-9]", fullmatch=True),
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=12,
    ).filter(lambda s: s.strip() != ""),
)


@st.composite
def machines(draw: st.DrawFn, max_states: int = 8) -> fsm.Machine:
    """Valid machines with superstates, guards, [else], branches, actions, payloads."""
    states = draw(st.lists(state_names, min_size=1, max_size=max_states, unique=True))
    # Build a forest: a state's parent is an earlier state, so there is no cycle;
    # the final order of `states` is then shuffled to exercise every layout.
    parents: dict[str, str] = {}
    for i, state in enumerate(states[1:], start=1):
        if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            parents[state] = states[draw(st.integers(0, i - 1))]
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    entries: dict[str, str] = {}
    for parent, kids in children.items():
        if draw(st.booleans()):
            entries[parent] = draw(st.sampled_from(kids))
    # An entry must lead to a leaf: drop entries that stop at a superstate with none.
    while dangling := [p for p, e in entries.items() if e in children and e not in entries]:
        for parent in dangling:
            del entries[parent]
    enterable = [s for s in states if s not in children or s in entries]
    leaves = [s for s in states if s not in children]
    order = draw(st.permutations(states))
    initial = draw(st.sampled_from(enterable))
    final = draw(st.sets(st.sampled_from(leaves)))

    events = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    payloads = {
        event: tuple(
            (p, draw(annotations)) for p in draw(st.lists(param_names, max_size=3, unique=True))
        )
        for event in events
    }
    transitions: list[fsm.Transition] = []
    used: set[tuple[str, str]] = set()
    for _ in range(draw(st.integers(0, 10))):
        source = draw(st.sampled_from(states))
        event = draw(st.sampled_from(events))
        if (source, event) in used:
            continue
        used.add((source, event))
        params = payloads[event]
        kind = draw(st.sampled_from(["plain", "plain", "guarded", "branch", "timer", "internal"]))
        actions = draw(st.lists(handler_names, max_size=2))
        if kind == "timer" and not params:
            target = draw(st.sampled_from(enterable))
            transitions.append(
                fsm.Transition(source, event, target, actions=actions, after=draw(delays))
            )
        elif kind == "internal" and source not in children:
            after = draw(st.none() | delays) if not params else None
            transitions.append(
                fsm.Transition(
                    source,
                    event,
                    source,
                    actions=actions,
                    params=params,
                    internal=True,
                    after=after,
                )
            )
        elif kind in ("plain", "timer", "internal"):
            target = draw(st.sampled_from(enterable))
            transitions.append(
                fsm.Transition(source, event, target, actions=actions, params=params)
            )
        elif kind == "guarded":
            guards = draw(st.lists(handler_names, min_size=1, max_size=3, unique=True))
            with_else = draw(st.booleans())
            if draw(st.booleans()):
                # A combination: "g and not h", or "(g or h) and k", each unique by g.
                other = draw(handler_names)
                guards = [
                    draw(st.sampled_from([f"{g} and not {other}", f"({g} or {other}) and {g}"]))
                    for g in guards
                ]
            for guard in [*guards, *(["else"] if with_else else [])]:
                target = draw(st.sampled_from(enterable))
                transitions.append(
                    fsm.Transition(
                        source, event, target, guard=guard, actions=actions, params=params
                    )
                )
        elif len(enterable) >= 2:
            targets = draw(
                st.lists(st.sampled_from(enterable), min_size=2, max_size=3, unique=True)
            )
            for target in targets:
                transitions.append(
                    fsm.Transition(source, event, target, branch=True, params=params)
                )
    # Interleave the groups: definition order need not keep a group together.
    transitions = draw(st.permutations(transitions))
    name = draw(machine_names)
    return fsm.Machine(
        name,
        states=tuple(order),
        initial=initial,
        final=frozenset(final),
        transitions=tuple(transitions),
        parents=parents,
        entries=entries,
    )


def bulk(m: fsm.Machine) -> fsm.Machine:
    """``m`` built again through the bulk path: its arrays, and its rich transitions whole."""
    states = list(m.states)
    events = list(m.events)
    rich = {
        n: t
        for n, t in enumerate(m.transitions)
        if t != fsm.Transition(t.source, t.event, t.target)
    }
    return fsm.Machine._from_table(
        m.name,
        states=states,
        events=events,
        source=[states.index(t.source) for t in m.transitions],
        event=[events.index(t.event) for t in m.transitions],
        target=[states.index(t.target) for t in m.transitions],
        initial=m.initial,
        final=m.final,
        parents=m.parents,
        entries=m.entries,
        rich=rich,
    )


@st.composite
def array_machines(draw: st.DrawFn, max_states: int = 12) -> fsm.Machine:
    """Valid plain machines built by ``from_arrays``: sorted or not, with or without a hierarchy."""
    size = draw(st.integers(1, max_states))
    states = [f"S{n}" for n in range(size)]
    events = draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c", "d"]]))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, len(events) - 1)),
            unique=True,
            max_size=3 * size,
        )
    )
    if draw(st.booleans()):
        pairs.sort()
    parents: dict[str, str] = {}
    if size > 2 and draw(st.booleans()):
        # One superstate (the last state) over a few others, entered at the first of them.
        parents = dict.fromkeys(states[1 : draw(st.integers(2, size - 1))], states[-1])
    targets = [s for s in range(size) if states[s] not in parents.values()]
    return fsm.Machine.from_arrays(
        "Arrays",
        states=states,
        events=events,
        source=[s for s, _ in pairs],
        event=[e for _, e in pairs],
        target=[draw(st.sampled_from(targets)) for _ in pairs],
        initial=states[0],
        final=draw(st.sets(st.sampled_from([states[t] for t in targets]), max_size=2)),
        parents=parents,
        entries={states[-1]: states[1]} if parents else None,
    )


#: Machines built by the bulk constructor, of every shape ``machines()`` has.
bulk_machines = st.one_of(machines().map(bulk), array_machines())
