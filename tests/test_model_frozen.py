"""A built Machine cannot be changed, and attrs sees its public fields."""

from __future__ import annotations

import attrs
import pytest

import fsm

PLAIN = (
    fsm.Transition("A", "go", "B"),
    fsm.Transition("B", "back", "A"),
)


def ordinary() -> fsm.Machine:
    return fsm.Machine("M", states=("A", "B"), initial="A", transitions=PLAIN)


def bulk() -> fsm.Machine:
    return fsm.Machine.from_arrays(
        "M",
        states=["A", "B"],
        events=["go", "back"],
        source=[0, 1],
        event=[0, 1],
        target=[1, 0],
        initial="A",
    )


def nested() -> fsm.Machine:
    return fsm.Machine(
        "N",
        states=("A", "S", "S1"),
        initial="A",
        transitions=(fsm.Transition("A", "go", "S"), fsm.Transition("S1", "back", "A")),
        parents={"S1": "S"},
        entries={"S": "S1"},
    )


MAKERS = [ordinary, bulk, nested]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("field", ["targets", "source", "event", "target", "offsets", "edges"])
def test_the_compiled_arrays_cannot_be_changed(make: object, field: str) -> None:
    m = make()  # type: ignore[operator]
    values = getattr(m.compiled, field)
    before = list(values)
    with pytest.raises(TypeError):
        values[0] = 0
    assert list(getattr(m.compiled, field)) == before


@pytest.mark.parametrize("make", MAKERS)
def test_the_machine_keeps_its_transitions_when_compiled_is_changed(make: object) -> None:
    m = make()  # type: ignore[operator]
    twin = make()  # type: ignore[operator]
    for field in ("source", "event", "target", "targets"):
        with pytest.raises(TypeError):
            getattr(m.compiled, field)[0] = 1
    assert m == twin
    assert hash(m) == hash(twin)


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("read_first", [False, True])
def test_evolve_works_on_every_machine(make: object, read_first: bool) -> None:
    m = make()  # type: ignore[operator]
    if read_first:
        assert len(m.transitions) == 2
    renamed = attrs.evolve(m, name="X")
    assert renamed.name == "X"
    assert renamed.transitions == m.transitions
    assert renamed == fsm.Machine(
        "X", m.states, m.initial, m.final, m.transitions, m.parents, m.entries
    )
    assert attrs.evolve(m) == m


@pytest.mark.parametrize("make", MAKERS)
def test_attrs_sees_the_transitions_field(make: object) -> None:
    m = make()  # type: ignore[operator]
    assert attrs.fields(fsm.Machine).transitions.name == "transitions"
    assert fsm.Machine.__match_args__ == (
        "name",
        "states",
        "initial",
        "final",
        "transitions",
        "parents",
        "entries",
    )
    as_dict = attrs.asdict(m, recurse=False)
    assert as_dict["transitions"] == m.transitions
    assert isinstance(as_dict["transitions"], tuple)
    assert "_transitions" not in as_dict
    match m:
        case fsm.Machine(name, _, _, _, transitions):
            assert name == "M" or name == "N"
            assert transitions == m.transitions
        case _:
            pytest.fail("no match")


@pytest.mark.parametrize("make", MAKERS)
def test_a_pickled_machine_keeps_its_compiled_arrays_read_only(make: object) -> None:
    import pickle

    m = make()  # type: ignore[operator]
    copy = pickle.loads(pickle.dumps(m))
    assert copy == m
    assert list(copy.compiled.targets) == list(m.compiled.targets)
    with pytest.raises(TypeError):
        copy.compiled.targets[0] = 0


def test_pickling_a_bulk_machine_makes_no_transitions_and_no_stale_hash() -> None:
    import pickle

    from fsm._model import _stored

    m = bulk()
    hash(m)
    copy = pickle.loads(pickle.dumps(m))
    assert _stored(m) is None
    assert _stored(copy) is None
    assert copy._hash is None  # str hashes differ between processes: made again
    assert copy == m
    assert hash(copy) == hash(m)
    assert copy.transitions == m.transitions
