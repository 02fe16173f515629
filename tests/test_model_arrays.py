"""The bulk constructor: ``Machine.from_arrays`` builds the machine the ordinary path builds."""

from __future__ import annotations

import hashlib
import json
import pickle
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsm

from .strategies import machines, state_names

PLAIN = fsm.Transition("A", "e", "B")


def arrays_of(m: fsm.Machine) -> dict[str, object]:
    """The keyword arguments of ``from_arrays`` for ``m`` (positions of rich ones filled with 0)."""
    states = list(m.states)
    events = list(m.events)
    return {
        "states": states,
        "events": events,
        "source": [states.index(t.source) for t in m.transitions],
        "event": [events.index(t.event) for t in m.transitions],
        "target": [states.index(t.target) for t in m.transitions],
        "initial": m.initial,
        "final": m.final,
        "parents": dict(m.parents),
        "entries": dict(m.entries),
    }


def rich_of(m: fsm.Machine) -> dict[int, fsm.Transition]:
    return {
        n: t
        for n, t in enumerate(m.transitions)
        if t != fsm.Transition(t.source, t.event, t.target)
    }


def assert_same(built: fsm.Machine, m: fsm.Machine) -> None:
    assert built == m
    assert hash(built) == hash(m)
    assert built.events == m.events
    assert built.fingerprint == m.fingerprint
    assert built.to_dict() == m.to_dict()
    assert built.transitions == m.transitions
    assert built.compiled.dispatch == m.compiled.dispatch
    assert list(built.compiled.targets) == list(m.compiled.targets)


@given(machines())
def test_a_table_with_its_rich_transitions_builds_the_same_machine(m: fsm.Machine) -> None:
    built = fsm.Machine._from_table(m.name, **arrays_of(m), rich=rich_of(m))  # type: ignore[arg-type]
    assert_same(built, m)


@given(machines())
def test_from_arrays_builds_the_machine_of_the_plain_transitions(m: fsm.Machine) -> None:
    seen: set[tuple[str, str]] = set()
    plain: list[fsm.Transition] = []
    for t in m.transitions:  # one per (source, event): a plain duplicate is an error
        if (t.source, t.event) not in seen:
            seen.add((t.source, t.event))
            plain.append(fsm.Transition(t.source, t.event, t.target))
    ordinary = fsm.Machine(
        m.name, m.states, m.initial, m.final, plain, parents=m.parents, entries=m.entries
    )
    kwargs = arrays_of(ordinary)
    for kind in (list, tuple, lambda v: array("i", v)):
        for key in ("source", "event", "target"):
            kwargs[key] = kind(kwargs[key])  # type: ignore[operator]
        assert_same(fsm.Machine.from_arrays(m.name, **kwargs), ordinary)  # type: ignore[arg-type]


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, object]:
    """Arguments of ``from_arrays``, valid or not: duplicates, bad names, cycles, ..."""
    names = st.one_of(state_names, st.sampled_from(["", "1x", "a b", "state", "else"]))
    states = draw(st.lists(names, min_size=0, max_size=6))
    events = draw(st.lists(names, min_size=1, max_size=4))
    count = draw(st.integers(0, 8))
    size = max(len(states), 1)
    numbers = st.lists(st.integers(0, size - 1), min_size=count, max_size=count)
    others = st.one_of(st.sampled_from(states or ["A"]), state_names)
    return {
        "states": states,
        "events": events,
        "source": draw(numbers) if states else [],
        "event": draw(st.lists(st.integers(0, len(events) - 1), min_size=count, max_size=count))
        if states
        else [],
        "target": draw(numbers) if states else [],
        "initial": draw(others),
        "final": draw(st.sets(others, max_size=2)),
        "parents": draw(st.dictionaries(others, others, max_size=3)),
        "entries": draw(st.dictionaries(others, others, max_size=2)),
    }


def outcome(build: object) -> object:
    try:
        return build()  # type: ignore[operator]
    except fsm.DefinitionError as error:
        return error.problems


@given(definitions(), st.sampled_from(["M", "", "two\nlines"]))
def test_from_arrays_finds_the_problems_the_ordinary_path_finds(
    d: dict[str, object], name: str
) -> None:
    states: list[str] = d["states"]  # type: ignore[assignment]
    events: list[str] = d["events"]  # type: ignore[assignment]
    transitions = [
        fsm.Transition(states[s], events[e], states[t])
        for s, e, t in zip(d["source"], d["event"], d["target"], strict=True)  # type: ignore[call-overload]
    ]
    ordinary = outcome(
        lambda: fsm.Machine(
            name,
            states,
            d["initial"],  # type: ignore[arg-type]
            d["final"],  # type: ignore[arg-type]
            transitions,
            parents=d["parents"],  # type: ignore[arg-type]
            entries=d["entries"],  # type: ignore[arg-type]
        )
    )
    bulk = outcome(lambda: fsm.Machine.from_arrays(name, **d))  # type: ignore[arg-type]
    assert bulk == ordinary


def door(**changes: object) -> fsm.Machine:
    kwargs: dict[str, object] = {
        "states": ["Closed", "Open"],
        "events": ["open", "close"],
        "source": [0, 1],
        "event": [0, 1],
        "target": [1, 0],
        "initial": "Closed",
    }
    kwargs.update(changes)
    return fsm.Machine.from_arrays("Door", **kwargs)  # type: ignore[arg-type]


def test_from_arrays_refuses_an_index_out_of_range_naming_its_position() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(target=[1, 2])
    assert str(caught.value) == (
        "target[1] is 2, not the number of one of the 2 states; "
        "use a number from 0 to 1 (a position in states)"
    )


def test_from_arrays_refuses_a_negative_index() -> None:
    with pytest.raises(fsm.DefinitionError, match=r"^source\[0\] is -1, not the number"):
        door(source=[-1, 1])


def test_from_arrays_refuses_an_event_number_past_the_events() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(event=[0, 2])
    assert str(caught.value) == (
        "event[1] is 2, not the number of one of the 2 events; "
        "use a number from 0 to 1 (a position in events)"
    )


def test_from_arrays_refuses_an_entry_that_is_not_an_integer() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(event=[0, "close"])
    assert str(caught.value) == (
        "event[1] must be an integer (a position in events), got 'close' (a str)"
    )


def test_from_arrays_refuses_an_entry_too_large_for_an_index() -> None:
    with pytest.raises(fsm.DefinitionError, match=r"^source\[1\] is 4294967296, not the number"):
        door(source=[0, 2**32])


def test_from_arrays_refuses_arrays_of_different_lengths() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(target=[1])
    assert str(caught.value) == (
        "source, event and target must have one entry per transition, so the same "
        "length; got 2, 2 and 1 entries"
    )


def test_from_arrays_refuses_a_number_where_a_sequence_belongs() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(source=3)
    assert str(caught.value) == "source must be a sequence of integers, got 3 (an int)"


def test_from_arrays_reads_an_iterator_once() -> None:
    assert door(source=iter([0, 1])) == door()


def test_from_arrays_lists_only_the_events_used_in_order_of_first_use() -> None:
    m = door(events=["unused", "close", "open"], event=[2, 1])
    assert m.events == ("open", "close")
    assert m == door()


def test_from_arrays_reports_a_plain_duplicate_as_the_ordinary_path_does() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:
        door(source=[0, 0], event=[0, 0])
    assert str(caught.value) == (
        "duplicate transition Closed --open--> Closed: state 'Closed' already has an "
        "unguarded transition on 'open' (Closed --open--> Open); give them guards, or "
        "mark a branch"
    )


def test_a_bulk_machine_pickles() -> None:
    m = door()
    assert pickle.loads(pickle.dumps(m)) == m


def test_a_table_refuses_a_rich_position_past_the_transitions() -> None:
    with pytest.raises(fsm.DefinitionError, match=r"^rich has position 2, but there are 2"):
        fsm.Machine._from_table(
            "Door",
            states=["Closed", "Open"],
            events=["open", "close"],
            source=[0, 1],
            event=[0, 1],
            target=[1, 0],
            initial="Closed",
            rich={2: PLAIN},
        )


@given(machines())
def test_the_fingerprint_is_the_sha256_of_the_canonical_json(m: fsm.Machine) -> None:
    text = json.dumps(m.to_dict(), sort_keys=True, separators=(",", ":"))
    assert m.fingerprint == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_fingerprint_of_a_machine_of_many_transitions_is_written_in_slices() -> None:
    size = 70_000  # more transitions than one slice of the streamed text
    m = door(
        states=[f"S{n}" for n in range(size)],
        source=list(range(size)),
        event=[n % 2 for n in range(size)],
        target=[(n + 1) % size for n in range(size)],
        initial="S0",
    )
    twin = fsm.Machine("Door", m.states, "S0", transitions=m.transitions)
    text = json.dumps(twin.to_dict(), sort_keys=True, separators=(",", ":"))
    assert m.fingerprint == twin.fingerprint == hashlib.sha256(text.encode()).hexdigest()
