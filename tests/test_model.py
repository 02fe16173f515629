"""The Machine model: values, validation rules and their messages, compiled tables."""

from __future__ import annotations

import re

import attrs
import pytest
from hypothesis import given, settings

import fsm
from fsm import DefinitionError, Machine, Transition

from .strategies import machines


def door(**changes: object) -> Machine:
    fields: dict[str, object] = {
        "name": "Door",
        "states": ("Closed", "Open", "Locked"),
        "initial": "Closed",
        "final": frozenset({"Locked"}),
        "transitions": (
            Transition("Closed", "open", "Open"),
            Transition("Open", "close", "Closed"),
            Transition("Closed", "lock", "Locked", params=(("key", "str"),)),
        ),
    }
    fields.update(changes)
    return Machine(**fields)  # type: ignore[arg-type]


def problems(**changes: object) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as info:
        door(**changes)
    return info.value.messages


# -- values --


def test_machine_is_a_hashable_value() -> None:
    assert door() == door()
    assert hash(door()) == hash(door())
    assert door() != door(name="Gate")
    assert len({door(), door()}) == 1


def test_machine_is_immutable() -> None:
    machine = door()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        machine.name = "Gate"  # type: ignore[misc]


def test_fields_are_converted_to_immutable_types() -> None:
    machine = door(
        states=["Closed", "Open", "Locked"],
        final=["Locked"],
        transitions=[Transition("Closed", "open", "Open", actions=["log"])],
        parents={},
    )
    assert machine.states == ("Closed", "Open", "Locked")
    assert machine.final == frozenset({"Locked"})
    assert isinstance(machine.transitions, tuple)
    assert machine.transitions[0].actions == ("log",)
    assert hash(machine.parents) == hash(fsm.Machine("M", ("A",), "A").parents)


def test_repr_is_short_and_public() -> None:
    assert repr(door()) == "<fsm.Machine 'Door': 3 states, 3 transitions>"
    assert type(door()).__module__ == "fsm"
    assert repr(Transition("A", "go", "B", guard="ok")) == "Transition('A', 'go', 'B', guard='ok')"


def test_events_in_order_of_first_use() -> None:
    assert door().events == ("open", "close", "lock")


def test_transition_label_and_describe() -> None:
    t = Transition("A", "go", "B", guard="ok", actions=("log", "count"), params=(("x", "int"),))
    assert t.label == "go(x) [ok] / log, count"
    assert t.describe() == "A --go [ok]--> B"
    assert Transition("A", "go", "B", branch=True).label == "go [branch]"


def test_fingerprint_is_stable_and_tracks_content() -> None:
    assert door().fingerprint == door().fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", door().fingerprint)
    assert door().fingerprint != door(name="Gate").fingerprint


# -- validation: each rule, each message --


def test_unknown_source_and_target() -> None:
    assert problems(transitions=(Transition("Ajar", "close", "Shut"),)) == (
        "unknown source state 'Ajar' in Ajar --close--> Shut",
        "unknown target state 'Shut' in Ajar --close--> Shut",
    )


def test_unknown_initial_and_final() -> None:
    assert problems(initial="Ajar", final={"Gone"}) == (
        "initial state 'Ajar' is not a declared state",
        "final state 'Gone' is not a declared state",
    )


def test_duplicate_state() -> None:
    assert problems(states=("Closed", "Open", "Locked", "Open")) == (
        "duplicate state 'Open'; each state is declared once",
    )


def test_empty_and_non_identifier_names() -> None:
    assert problems(states=("Closed", "Open", "Locked", "", "my-state")) == (
        "state name is empty; give it a name",
        "state name 'my-state' is not an identifier; use letters, digits and underscores, "
        "not starting with a digit",
    )


def test_machine_name() -> None:
    assert problems(name="") == ("machine name must be a non-empty string (got '')",)
    assert problems(name="a\nb") == ("machine name 'a\\nb' contains a line break; use one line",)


def test_mermaid_keyword_as_state() -> None:
    assert problems(states=("Closed", "Open", "Locked", "note")) == (
        "state name 'note' is a Mermaid keyword (any casing), so Mermaid would not read it "
        "as a state; rename it (for example 'NoteState')",
    )


def test_no_states() -> None:
    assert problems(states=(), initial="A", final=(), transitions=()) == (
        "a machine needs at least one state",
        "initial state 'A' is not a declared state",
    )


def test_unguarded_duplicate() -> None:
    assert problems(
        transitions=(Transition("Closed", "open", "Open"), Transition("Closed", "open", "Locked"))
    ) == (
        "duplicate transition Closed --open--> Locked: state 'Closed' already has an "
        "unguarded transition on 'open' (Closed --open--> Open); give them guards, or mark "
        "a branch",
    )


def test_guards_tell_transitions_apart() -> None:
    machine = door(
        transitions=(
            Transition("Closed", "open", "Locked", guard="else"),
            Transition("Closed", "open", "Open", guard="ok"),
        )
    )
    assert [t.guard for t in machine.transitions_from("Closed", "open")] == ["ok", "else"]


def test_unguarded_beside_guarded() -> None:
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", guard="ok"),
            Transition("Closed", "open", "Locked"),
        )
    ) == (
        "Closed --open--> Locked has no guard but other transitions on 'open' from "
        "'Closed' do; mark it [else] or give it a guard",
    )


def test_else_rules() -> None:
    assert problems(transitions=(Transition("Closed", "open", "Open", guard="else"),)) == (
        "Closed --open [else]--> Open is marked [else] but has no guarded sibling; drop "
        "[else] or add a guarded transition on 'open'",
    )
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", guard="ok"),
            Transition("Closed", "open", "Open", guard="else"),
            Transition("Closed", "open", "Locked", guard="else"),
        )
    ) == (
        "Closed --open [else]--> Locked: state 'Closed' has more than one [else] transition "
        "on 'open'; keep one",
    )


def test_same_guard_twice() -> None:
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", guard="ok"),
            Transition("Closed", "open", "Locked", guard="ok"),
        )
    ) == (
        "guard 'ok' is used twice on 'open' from 'Closed' (Closed --open [ok]--> Open and "
        "Closed --open [ok]--> Locked); the second could never fire",
    )


def test_branch_rules() -> None:
    assert problems(transitions=(Transition("Closed", "open", "Open", branch=True),)) == (
        "Closed --open--> Open is the only outcome of a branch; a branch needs two or more "
        "targets, so drop [branch]",
    )
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", branch=True),
            Transition("Closed", "open", "Locked"),
        )
    ) == (
        "Closed --open--> Locked shares state 'Closed' and event 'open' with a branch; mark "
        "every outcome [branch] or use guards",
    )
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", branch=True),
            Transition("Closed", "open", "Open", branch=True),
        )
    ) == ("branch 'Closed' --open--> 'Open' is listed twice",)
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", branch=True, guard="ok"),
            Transition("Closed", "open", "Locked", branch=True),
        )
    ) == (
        "Closed --open [ok]--> Open is a branch outcome and has a guard; a branch is "
        "decided by the implementation, so drop one of the two",
    )


def test_branch_is_allowed() -> None:
    machine = door(
        transitions=(
            Transition("Closed", "open", "Open", branch=True),
            Transition("Closed", "open", "Locked", branch=True),
        )
    )
    assert [t.target for t in machine.transitions_from("Closed", "open")] == ["Open", "Locked"]


def test_names_of_events_guards_actions_and_payloads() -> None:
    assert problems(
        transitions=(
            Transition(
                "Closed",
                "op en",
                "Open",
                guard="is-ok",
                actions=("log!",),
                params=(("class", None), ("x", "int"), ("x", "")),
            ),
        )
    ) == (
        "event name 'op en' is not an identifier; use letters, digits and underscores, not "
        "starting with a digit (in Closed --op en [is-ok]--> Open)",
        "guard name 'is-ok' is not an identifier; use letters, digits and underscores, not "
        "starting with a digit (in Closed --op en [is-ok]--> Open)",
        "action name 'log!' is not an identifier; use letters, digits and underscores, not "
        "starting with a digit (in Closed --op en [is-ok]--> Open)",
        "payload name 'class' is a Python keyword (in Closed --op en [is-ok]--> Open)",
        "payload name 'x' appears twice in Closed --op en [is-ok]--> Open",
        "annotation of payload 'x' must be a one-line string or None (got '') in "
        "Closed --op en [is-ok]--> Open",
    )


def test_an_event_carries_one_payload() -> None:
    assert problems(
        transitions=(
            Transition("Closed", "open", "Open", params=(("force", "bool"),)),
            Transition("Open", "open", "Open", params=(("force", "int"),)),
        )
    ) == (
        "event 'open' has payload (force: int) in Open --open--> Open but (force: bool) in "
        "Closed --open--> Open; an event carries the same payload everywhere",
    )


def test_not_a_transition() -> None:
    assert problems(transitions=(("Closed", "open", "Open"),)) == (
        "transitions[0] is not a Transition (got ('Closed', 'open', 'Open'))",
    )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(DefinitionError) as info:
        door(
            states=("Closed", "Closed", "Open", "Locked"),
            initial="Nowhere",
            transitions=(Transition("Closed", "open", "Ajar"),),
        )
    assert len(info.value.problems) == 3
    assert str(info.value).startswith("3 problems in this definition:\n- duplicate state")
    assert [p.transition for p in info.value.problems] == [None, None, 0]
    assert isinstance(info.value, ValueError)


# -- hierarchy --


def connection(**changes: object) -> Machine:
    fields: dict[str, object] = {
        "name": "Connection",
        "states": ("Idle", "Connected", "Busy", "Waiting", "Closed"),
        "initial": "Idle",
        "final": {"Closed"},
        "parents": {"Busy": "Connected", "Waiting": "Connected"},
        "entries": {"Connected": "Waiting"},
        "transitions": (
            Transition("Idle", "connect", "Connected"),
            Transition("Waiting", "work", "Busy"),
            Transition("Busy", "done", "Waiting"),
            Transition("Connected", "drop", "Closed"),
            Transition("Busy", "drop", "Waiting"),
        ),
    }
    fields.update(changes)
    return Machine(**fields)  # type: ignore[arg-type]


def test_substates_inherit_unless_they_define_the_event() -> None:
    machine = connection()
    assert machine.transitions_from("Waiting", "drop") == (
        Transition("Connected", "drop", "Closed"),
    )
    assert machine.transitions_from("Busy", "drop") == (Transition("Busy", "drop", "Waiting"),)
    assert machine.transitions_from("Idle", "drop") == ()
    assert machine.enabled_events("Waiting") == ("work", "drop")
    assert machine.ancestors("Busy") == ("Connected",)
    assert machine.superstates == frozenset({"Connected"})


def test_entering_a_superstate_enters_its_entry() -> None:
    machine = connection()
    compiled = machine.compiled
    assert machine.resolve("Connected") == "Waiting"
    assert compiled.targets[0] == compiled.state_index["Waiting"]
    assert compiled.is_leaf == (True, False, True, True, True)
    assert compiled.children[compiled.state_index["Connected"]] == (2, 3)
    assert compiled.initial == 0


def test_initial_superstate_resolves_to_its_entry() -> None:
    machine = connection(initial="Connected")
    assert machine.compiled.initial == machine.compiled.state_index["Waiting"]


def test_superstate_cycle() -> None:
    assert "superstates form a cycle: Busy -> Waiting -> Busy; a state cannot contain itself" in (
        _messages(lambda: connection(parents={"Busy": "Waiting", "Waiting": "Busy"}, entries={}))
    )


def test_hierarchy_problems() -> None:
    assert _messages(
        lambda: connection(
            parents={
                "Busy": "Connected",
                "Waiting": "Connected",
                "Ghost": "Connected",
                "Idle": "Nope",
            },
            entries={"Connected": "Idle", "Nope": "Idle"},
            final={"Connected"},
        )
    ) == (
        "state 'Ghost' has a superstate but is not a declared state",
        "superstate 'Nope' of 'Idle' is not a declared state",
        "entry state 'Idle' of superstate 'Connected' is not one of its substates",
        "entry given for 'Nope', which is not a declared state",
        "superstate 'Connected' cannot be final; mark the substates where a run may end as "
        "final instead",
    )


def test_entry_chain_must_end_in_a_leaf() -> None:
    assert _messages(
        lambda: connection(
            states=("Idle", "Connected", "Busy", "Waiting", "Closed", "Inner"),
            parents={"Busy": "Connected", "Waiting": "Connected", "Inner": "Busy"},
            entries={"Connected": "Busy"},
        )
    ) == (
        "entry state 'Busy' of superstate 'Connected' is itself a superstate with no entry "
        "state; add '[*] --> <substate>' inside its block",
        "Waiting --work--> Busy enters superstate 'Busy', which has no entry state; add "
        "'[*] --> <substate>' inside its block or target a substate",
    )


def test_superstate_without_entry() -> None:
    assert _messages(lambda: connection(entries={}, initial="Connected")) == (
        "initial state 'Connected' is a superstate with no entry state; add '[*] --> "
        "<substate>' inside its block",
        "Idle --connect--> Connected enters superstate 'Connected', which has no entry state; "
        "add '[*] --> <substate>' inside its block or target a substate",
    )


def _messages(build: object) -> tuple[str, ...]:
    assert callable(build)
    with pytest.raises(DefinitionError) as info:
        build()
    return info.value.messages


def test_payload_types_of_an_event() -> None:
    m = Machine(
        "Agent",
        states=("Idle", "Busy"),
        initial="Idle",
        transitions=(
            Transition("Idle", "assign", "Busy", params=(("task", "str"), ("n", None))),
            Transition("Busy", "assign", "Busy", params=(("task", "str"), ("n", None))),
            Transition("Busy", "done", "Idle"),
        ),
    )
    assert m.payload_types("assign") == (("task", "str"), ("n", None))
    assert m.payload_types("done") == ()
    with pytest.raises(KeyError, match=r"^'nope'$"):
        m.payload_types("nope")


@settings(max_examples=50)
@given(machines())
def test_payload_types_are_those_of_every_transition_on_the_event(m: Machine) -> None:
    for t in m.transitions:
        assert m.payload_types(t.event) == t.params


def test_else_is_the_public_name_of_the_fallback_guard() -> None:
    m = Machine(
        "Gate",
        states=("A", "B", "C"),
        initial="A",
        transitions=(
            Transition("A", "go", "B", guard="ok"),
            Transition("A", "go", "C", guard=fsm.ELSE),
        ),
    )
    assert fsm.ELSE == "else"
    assert "A --> C : go [else]" in fsm.dumps(m)
