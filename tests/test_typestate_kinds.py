"""``@transition(internal=True)`` and ``@transition(after=...)``: internal transitions and timers.

The classes are extracted to the same Machine as the DSL text of the same
protocol, misuse is refused naming the method, the value and the fix, and
``codegen`` writes the decorators back (round trip).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typing_extensions import Self

import fsm
import typestate
from typestate import State, codegen, drive, protocol, transition

TEXT = """
stateDiagram-v2
    [*] --> Waiting
    Waiting --> Busy : work
    Waiting --> Escalated : timeout after 30s
    Busy --> Busy : internal ping
    Busy --> Busy : internal tick after 500ms
    Busy --> Escalated : done
    Escalated --> [*]
"""


class Waiting(State):
    @transition
    def work(self) -> Busy:
        return Busy()

    @transition(after=30)
    def timeout(self) -> Escalated:
        return Escalated()


class Busy(State):
    pings: int = 0

    @transition(internal=True)
    def ping(self) -> Busy:
        return Busy(pings=self.pings + 1)

    @transition(internal=True, after=0.5)
    def tick(self) -> Busy:
        return self

    @transition
    def done(self) -> Escalated:
        return Escalated()


class Escalated(State, final=True): ...


def test_the_classes_extract_to_the_machine_of_the_dsl_text() -> None:
    machine = protocol(Waiting)
    assert machine == fsm.parse(TEXT, name="Waiting")
    assert machine.transitions[1] == fsm.Transition("Waiting", "timeout", "Escalated", after=30.0)
    assert machine.transitions[2] == fsm.Transition("Busy", "ping", "Busy", internal=True)
    assert {s: dict(e) for s, e in machine.timers.items()} == {
        "Waiting": {"timeout": 30.0},
        "Busy": {"tick": 0.5},
    }


def test_the_methods_run_as_plain_transitions() -> None:
    busy = Waiting().work()
    again = busy.ping()
    assert again == Busy(pings=1)
    with pytest.raises(typestate.StateConsumed):
        busy.ping()  # an internal transition consumes its object like any other
    assert again.tick() is again  # returning the object itself keeps it live
    assert again.tick().done() == Escalated()


def test_a_driver_sends_a_timer_event_when_the_caller_says_it_is_due() -> None:
    driver = drive(Waiting())
    assert driver.machine.timers["Waiting"]["timeout"] == 30.0
    assert driver.send("timeout") == Escalated()
    assert [(s.source, s.event, s.target) for s in driver.history] == [
        ("Waiting", "timeout", "Escalated")
    ]


def test_the_fsm_runtime_fires_the_extracted_timer_with_a_manual_clock() -> None:
    clock = fsm.ManualClock()
    instance = protocol(Waiting).start(clock=clock)
    clock.advance(29.9)
    assert instance.fire_due() == ()
    clock.advance(0.1)
    assert instance.fire_due() == ("timeout",)
    assert instance.state == "Escalated"


class Working(State, abstract=True):
    @transition(internal=True)
    def heartbeat(self) -> Self:
        return self

    @transition(after=60)
    def give_up(self) -> Stopped:
        return Stopped()


class Reading(Working):
    @transition
    def write(self) -> Writing:
        return Writing()


class Writing(Working):
    @transition(internal=True)
    async def flush(self, size: int) -> Self:
        return self

    @transition(after=1.5)
    async def pause(self) -> Stopped:
        return Stopped()


class Stopped(State, final=True): ...


NESTED = """
stateDiagram-v2
    %% types: flush(size: int)
    Working
    Reading
    Stopped
    Writing
    [*] --> Reading
    state Working {
        Reading
        Writing
    }
    Working --> Stopped : give_up after 1m
    Reading --> Writing : write
    Reading --> Reading : internal heartbeat
    Writing --> Writing : internal flush(size)
    Writing --> Stopped : pause after 1500ms
    Writing --> Writing : internal heartbeat
    Stopped --> [*]
"""


def test_a_superstate_internal_self_loop_is_internal_in_each_substate() -> None:
    machine = protocol(Reading, name="Nested")
    assert machine == fsm.parse(NESTED, name="Nested")
    assert machine.timers["Working"]["give_up"] == 60.0


def test_the_docs_recipe_finds_the_timers_of_a_state_and_its_superstates() -> None:
    machine = protocol(Reading, name="Nested")
    driver = drive(Reading(), machine=machine)
    assert "Reading" not in machine.timers  # the state's own name is not enough
    # docs/typestate.md: the timers of the state's class and of its superstates.
    timers: dict[str, float] = {}
    for cls in reversed(type(driver.state).__mro__):
        timers.update(machine.timers.get(cls.__name__, {}))
    assert timers == {"give_up": 60.0}
    assert driver.send("give_up") == Stopped()


def _problem(initial: type[State], namespace: dict[str, object]) -> str:
    with pytest.raises(fsm.DefinitionError) as caught:
        protocol(initial, namespace=namespace)
    return str(caught.value)


def test_an_internal_transition_to_another_state_is_refused_at_extraction() -> None:
    class Idle(State):
        @transition(internal=True)  # type: ignore[misc]
        def poke(self) -> Gone:
            return Gone()

    class Gone(State, final=True): ...

    assert _problem(Idle, locals()) == (
        "Idle.poke is an internal transition (@transition(internal=True)) but returns "
        "Gone; an internal transition stays in its state, so return Self (or Idle), or "
        "drop internal=True"
    )
    with pytest.raises(fsm.DefinitionError, match=r"^Idle\.poke is an internal transition"):
        Idle().poke()  # the first call resolves the annotation, and refuses it too


def test_an_internal_transition_of_a_superstate_must_return_self() -> None:
    class Base(State, abstract=True):
        @transition(internal=True)
        def poke(self) -> Leaf | Other:  # type: ignore[misc]
            return Leaf()

    class Leaf(Base): ...

    class Other(Base): ...

    assert _problem(Leaf, locals()) == (
        "Base.poke is an internal transition (@transition(internal=True)) but returns "
        "Leaf | Other; an internal transition stays in its state, so return Self, or "
        "drop internal=True"
    )


def test_an_internal_transition_of_a_superstate_returning_its_class_is_told_self() -> None:
    class Base(State, abstract=True):
        @transition(internal=True)
        def poke(self) -> Base:
            return self

    class Leaf(Base): ...

    assert _problem(Leaf, locals()) == (
        "Base.poke returns Base, an abstract state, which is never instantiated; an "
        "internal transition stays in its state, so return Self"
    )


def test_a_timer_with_two_outcomes_is_refused_at_extraction() -> None:
    class Asking(State):
        @transition(after=86400)
        def expire(self) -> Yes | No:
            return No()

    class Yes(State, final=True): ...

    class No(State, final=True): ...

    assert _problem(Asking, locals()) == (
        "Asking.expire is a timer (@transition(after=86400)) but returns Yes | No; the "
        "runtime fires a timer with no one to choose the outcome, so return one state"
    )


def _decorating(**flags: object) -> str:
    def late(self: State) -> State:
        raise NotImplementedError

    with pytest.raises(fsm.DefinitionError) as caught:
        transition(**flags)(late)  # type: ignore[call-overload]
    return str(caught.value)


HELD = "give the seconds the state must be held, such as after=30"


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (0, f"after=0): a timer's delay must be more than 0 seconds (got 0); {HELD}"),
        (-1.5, f"after=-1.5): a timer's delay must be more than 0 seconds (got -1.5); {HELD}"),
        (math.nan, "after=nan): a timer's delay must be a finite number of seconds (got nan); "
                   + HELD),
        (math.inf, "after=inf): a timer's delay must be a finite number of seconds (got inf); "
                   + HELD),
        (10**400, "after=an integer of 1329 bits): a timer's delay must be a finite number of "
                  f"seconds (got an integer of 1329 bits, too large); {HELD}"),
        (True, "after=True): a timer's delay must be a number of seconds (got True of type "
               f"bool); {HELD}"),
        ("30s", "after='30s'): a timer's delay must be a number of seconds (got '30s' of type "
                "str); write after=30 (the delay is in seconds)"),
        ("2h", "after='2h'): a timer's delay must be a number of seconds (got '2h' of type "
               "str); write after=7200 (the delay is in seconds)"),
        ("250ms", "after='250ms'): a timer's delay must be a number of seconds (got '250ms' "
                  "of type str); write after=0.25 (the delay is in seconds)"),
    ],
    ids=["0", "negative", "nan", "inf", "huge", "bool", "30s", "2h", "250ms"],
)  # fmt: skip
def test_a_bad_delay_is_refused_when_the_method_is_decorated(after: object, message: str) -> None:
    assert _decorating(after=after) == f"_decorating.<locals>.late: @transition({message}"


def test_a_timer_that_takes_a_payload_is_refused() -> None:
    with pytest.raises(fsm.DefinitionError) as caught:

        class Waiting(State):
            @transition(after=30)  # type: ignore[type-var]
            def timeout(self, reason: str, code: int = 0) -> Waiting:
                return Waiting()

    assert str(caught.value) == (
        "test_a_timer_that_takes_a_payload_is_refused.<locals>.Waiting.timeout is a timer "
        "(@transition(after=30)) but takes (reason, code); the runtime sends a timer's "
        "event with no payload, so take only self or drop after="
    )


def test_internal_must_be_a_bool() -> None:
    assert _decorating(internal="yes") == (
        "_decorating.<locals>.late: @transition(internal='yes'): internal must be True or False"
    )


def test_a_delay_given_as_the_method_names_the_keyword() -> None:
    with pytest.raises(TypeError, match=r"write @transition\(after=30\) for a timer$"):
        transition(30)  # type: ignore[call-overload]


def test_transition_with_no_arguments_is_a_plain_transition() -> None:
    class Here(State):
        @transition()
        def go(self) -> There:
            return There()

    class There(State, final=True): ...

    assert protocol(Here, namespace=locals()).transitions == (
        fsm.Transition("Here", "go", "There"),
    )


# -- codegen writes the decorators; the module extracts to the same Machine ----------

MODULE_BODY = """\
class Waiting(State):
    @transition
    def work(self) -> Busy:
        raise NotImplementedError("Waiting.work: return Busy")

    @transition(after=30)
    def timeout(self) -> Escalated:
        raise NotImplementedError("Waiting.timeout: return Escalated")


class Busy(State):
    @transition(internal=True)
    def ping(self) -> Busy:
        raise NotImplementedError("Busy.ping: return Busy")

    @transition(internal=True, after=0.5)
    def tick(self) -> Busy:
        raise NotImplementedError("Busy.tick: return Busy")

    @transition
    def done(self) -> Escalated:
        raise NotImplementedError("Busy.done: return Escalated")


class Escalated(State, final=True): ...
"""


def _import(text: str, directory: Path, name: str) -> ModuleType:
    path = directory / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(directory))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop(name, None)


def test_codegen_writes_the_decorators() -> None:
    text = codegen(fsm.parse(TEXT, name="Waiting"))
    assert text.endswith("\n\n\n" + MODULE_BODY)


@pytest.mark.parametrize(
    ("text", "name", "initial"), [(TEXT, "Waiting", "Waiting"), (NESTED, "Nested", "Reading")]
)
def test_codegen_round_trips_to_the_same_machine(
    tmp_path: Path, text: str, name: str, initial: str
) -> None:
    machine = fsm.parse(text, name=name)
    module = _import(codegen(machine), tmp_path, f"kinds_{name.lower()}")
    assert protocol(getattr(module, initial), name=name) == machine


def test_codegen_refuses_what_a_method_cannot_say() -> None:
    spec = """
    stateDiagram-v2
        [*] --> A
        A --> A : internal poke [ready]
        A --> B : poke [else]
        A --> B : expire after 1h [late]
        A --> C : expire after 1h [else]
        B --> [*]
        C --> [*]
    """
    with pytest.raises(fsm.DefinitionError) as caught:
        codegen(fsm.parse(spec, name="Bad"))
    assert [p.message for p in caught.value.problems] == [
        "A.poke is internal in some transitions of its group and not in others; a method "
        "is one or the other, and the class face writes a group as one method, so keep "
        "this machine on the fsm runtime and the DSL, or give the internal and the "
        "external transitions different events",
        "the timer 'expire' of state 'A' leads to B or C; the class face writes different "
        "outcomes as a union return, which is a branch, and a timer cannot be a branch "
        "(its guards choose the outcome when it fires), so keep this machine on the fsm "
        "runtime and the DSL",
    ]


def test_codegen_refuses_a_substate_transition_on_its_superstate_s_timer() -> None:
    # The classes it wrote were refused when imported (a substate's method
    # cannot replace a superstate's timer): found by the codegen round trip.
    spec = """
    stateDiagram-v2
        [*] --> A
        A --> W : go
        state W {
            [*] --> R
            R --> S : next
            R --> A : tmo
        }
        W --> A : tmo after 5s
    """
    with pytest.raises(fsm.DefinitionError) as caught:
        codegen(fsm.parse(spec, name="Bad"))
    assert [p.message for p in caught.value.problems] == [
        "R.tmo overrides the timer 'tmo' of its superstate 'W'; a superstate's timer keeps "
        "running in all its substates, and a class cannot replace it, so keep this machine "
        "on the fsm runtime and the DSL, or give R's transition another event",
    ]


def test_diff_tells_an_internal_transition_and_a_timer_apart() -> None:
    plain = fsm.parse(TEXT.replace("internal ping", "ping").replace(" after 30s", ""))
    assert typestate.diff(Waiting, plain) == [
        "transition Waiting --timeout--> Escalated is external and a timer after 30s in "
        "'Waiting' but external and not a timer in 'Machine'",
        "transition Busy --ping--> Busy is internal and not a timer in 'Waiting' but "
        "external and not a timer in 'Machine'",
    ]


def _subclassing(override: str) -> str:
    class Base(State, abstract=True):
        @transition(after=5)
        def tmo(self) -> Halted:
            return Halted()

    class Halted(State, final=True): ...

    body = {
        "timer": "    @transition(after=10)\n    def tmo(self) -> Base: ...\n",
        "plain": "    def tmo(self) -> None: ...\n",
    }[override]
    with pytest.raises(fsm.DefinitionError) as caught:
        exec(f"class Leaf(Base):\n{body}", {"Base": Base, "transition": transition})
    return str(caught.value)


@pytest.mark.parametrize("override", ["timer", "plain"])
def test_a_substate_cannot_override_a_superstate_timer(override: str) -> None:
    assert _subclassing(override) == (
        "Leaf.tmo overrides the timer Base.tmo (@transition(after=5)); a superstate's "
        "timer runs in all its substates and keeps running across their changes, so a "
        "substate cannot replace it: move the timer from Base to each substate that "
        "keeps it, or give Leaf's method another name"
    )


def _machine(body: str) -> fsm.Machine:
    return fsm.parse("stateDiagram-v2\n    [*] --> R\n" + body, name="M")


def test_diff_says_where_a_timer_lives() -> None:
    nested = "    state W {\n        R --> S : go\n    }\n    W --> X : tmo after 5s\n"
    flat = nested.replace("W --> X", "R --> X") + "    S --> X : tmo after 5s\n"
    assert typestate.diff(_machine(nested), _machine(flat)) == [
        "transition R --tmo--> X is external and a timer after 5s of superstate 'W' in the "
        "first machine but external and a timer after 5s in the second machine",
        "transition S --tmo--> X is external and a timer after 5s of superstate 'W' in the "
        "first machine but external and a timer after 5s in the second machine",
    ]


def test_diff_tells_close_delays_apart() -> None:
    assert typestate.diff(
        _machine("    R --> X : tmo after 1000s\n"), _machine("    R --> X : tmo after 1000.001s\n")
    ) == [
        "transition R --tmo--> X is external and a timer after 1000s in the first machine "
        "but external and a timer after 1000.001s in the second machine"
    ]


def test_diff_sees_every_transition_of_a_group() -> None:
    group = "    R --> R : internal ping [ok]\n    R --> R : ping [else]\n"
    assert typestate.diff(_machine(group), _machine("    R --> R : internal ping\n")) == [
        "transition R --ping--> R is internal and not a timer, or external and not a timer "
        "in the first machine but internal and not a timer in the second machine"
    ]


def _stacked(outer_first: bool) -> str:
    def wait(self: State) -> State:
        return self

    inner, outer = (
        (transition(after=3), transition) if outer_first else (transition, transition(after=3))
    )
    with pytest.raises(fsm.DefinitionError) as caught:
        outer(inner(wait))
    return str(caught.value)


@pytest.mark.parametrize("outer_first", [True, False])
def test_two_stacked_transition_decorators_are_refused(outer_first: bool) -> None:
    assert _stacked(outer_first) == (
        "_stacked.<locals>.wait is already a transition; write one @transition(...) with "
        "all keywords, such as @transition(internal=True, after=5)"
    )


@pytest.mark.parametrize(
    ("parameters", "names"), [("x: int = 1", "x"), ("*args: int", "args"), ("**kw: int", "kw")]
)
def test_a_timer_parameter_the_checkers_accept_is_refused_at_definition(
    parameters: str, names: str
) -> None:
    # mypy and pyright accept these (they can be called with self alone).
    source = f"@transition(after=30)\ndef t(self, {parameters}) -> None: ..."
    with pytest.raises(fsm.DefinitionError) as caught:
        exec(source, {"transition": transition})
    assert str(caught.value) == (
        f"t is a timer (@transition(after=30)) but takes ({names}); the runtime sends a "
        f"timer's event with no payload, so take only self or drop after="
    )
