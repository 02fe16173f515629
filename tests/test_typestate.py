"""The typestate face at run time: State classes, linearity, protocol(), drive(), diff()."""

from __future__ import annotations

import asyncio
import inspect
import linecache
import re
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from typing_extensions import Self

import fsm
from typestate import (
    Driver,
    ProtocolViolation,
    State,
    StateConsumed,
    assert_matches,
    diff,
    drive,
    is_linear,
    protocol,
    transition,
)

AGENT_SPEC = Path(__file__).parent.parent / "examples" / "agent.mmd"


class Idle(State):
    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    task: str

    @transition
    def plan(self, steps: list[str]) -> Acting:
        return Acting(steps=tuple(steps))

    @transition
    def give_up(self) -> Failed:
        return Failed()


class Working(State, abstract=True):
    @transition
    def cancel(self) -> Failed:
        return Failed()


class Acting(Working):
    steps: tuple[str, ...] = ()

    @transition
    def call_tool(self, name: str, args: dict[str, object]) -> AwaitingTool:
        return AwaitingTool(steps=self.steps, tool=name)

    @transition
    def finish(self) -> Done:
        return Done()


class AwaitingTool(Working):
    steps: tuple[str, ...]
    tool: str

    @transition
    def result(self, output: str) -> Acting | Planning:
        if output:
            return Acting(steps=self.steps)
        return Planning(task="retry")


class Done(State, final=True): ...


class Failed(State, final=True): ...


# -- State classes ---------------------------------------------------------------


def test_state_data_are_frozen_keyword_only_attrs_fields() -> None:
    planning = Planning(task="t")
    assert attrs.fields(Planning)[0].name == "task"
    assert planning == Planning(task="t")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        planning.task = "u"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Planning("t")  # type: ignore[call-arg]


def test_abstract_state_cannot_be_instantiated() -> None:
    message = (
        "Working is an abstract state (declared with abstract=True) and cannot be "
        "instantiated; create one of its substates instead"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        Working()


def test_the_state_base_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match=r"^typestate.State is the base of state classes"):
        State()


def test_only_an_abstract_state_can_be_subclassed() -> None:
    with pytest.raises(
        fsm.DefinitionError,
        match=r"^class Sub\(Planning\): Planning is a concrete state, and only a state "
        r"declared with abstract=True can be subclassed",
    ):

        class Sub(Planning): ...


def test_a_final_state_has_no_transitions() -> None:
    with pytest.raises(
        fsm.DefinitionError,
        match=r"^final state End has transitions \(End.go\); a final state ends the protocol",
    ):

        class End(State, final=True):
            @transition
            def go(self) -> Done:
                return Done()


def test_final_and_abstract_together_are_refused() -> None:
    with pytest.raises(
        fsm.DefinitionError, match=r"^state Odd is declared both final=True and abstract=True"
    ):

        class Odd(State, final=True, abstract=True): ...


def test_transition_decorates_only_functions() -> None:
    with pytest.raises(
        TypeError, match=r"^@transition decorates a method written with def or async def"
    ):
        transition(staticmethod(len))


def test_transition_keeps_name_doc_and_signature() -> None:
    import inspect

    assert Planning.plan.__name__ == "plan"
    assert Planning.plan.__qualname__ == "Planning.plan"
    assert str(inspect.signature(Planning.plan)) == "(self, steps: 'list[str]') -> 'Acting'"


# -- linearity -------------------------------------------------------------------


def test_a_consumed_state_refuses_every_transition() -> None:
    planning = Planning(task="t")
    planning.give_up()
    message = (
        "Can't call Planning.plan(): this Planning was consumed by Planning.give_up() "
        "-> Failed; use the Failed that call returned."
    )
    with pytest.raises(StateConsumed, match=f"^{re.escape(message)}$") as info:
        planning.plan(["a"])
    assert (info.value.state, info.value.method) == ("Planning", "plan")
    assert (info.value.consumed_by, info.value.target) == ("give_up", "Failed")


def test_an_inherited_transition_consumes_the_substate() -> None:
    acting = Acting()
    acting.cancel()
    with pytest.raises(
        StateConsumed,
        match=r"^Can't call Acting.finish\(\): this Acting was consumed by "
        r"Acting.cancel\(\) -> Failed;",
    ):
        acting.finish()


def test_a_raising_body_leaves_the_state_unconsumed() -> None:
    class Flaky(State):
        tries: list[int] = attrs.field(factory=list)

        @transition
        def go(self) -> Done:
            self.tries.append(1)
            if len(self.tries) == 1:
                raise ConnectionError("try again")
            return Done()

    flaky = Flaky()
    with pytest.raises(ConnectionError, match=r"^try again$"):
        flaky.go()
    assert flaky.go() == Done()
    with pytest.raises(StateConsumed):
        flaky.go()


def test_returning_an_undeclared_target_is_a_protocol_violation() -> None:
    class Liar(State):
        @transition
        def go(self) -> Done:
            return Failed()  # type: ignore[return-value]

    liar = Liar()
    message = (
        "Liar.go() returned a Failed, which is not one of its declared targets (Done); "
        "return one of them, or add Failed to its return annotation."
    )
    with pytest.raises(ProtocolViolation, match=f"^{re.escape(message)}$") as info:
        liar.go()
    assert (info.value.returned, info.value.expected) == ("Failed", ("Done",))
    # The transition did not complete, so the state is not consumed.
    with pytest.raises(ProtocolViolation):
        liar.go()


def test_a_branch_accepts_each_declared_target() -> None:
    assert isinstance(AwaitingTool(steps=(), tool="t").result("ok"), Acting)
    assert isinstance(AwaitingTool(steps=(), tool="t").result(""), Planning)


def test_self_loop_returning_self_keeps_the_state_live() -> None:
    class Counter(State):
        @transition
        def same(self) -> Self:
            return self

        @transition
        def bump(self) -> Self:
            return type(self)()

    counter = Counter()
    assert counter.same() is counter
    fresh = counter.bump()
    assert fresh == counter
    with pytest.raises(
        StateConsumed,
        match=r"^Can't call Counter.same\(\): this Counter was consumed by "
        r"Counter.bump\(\) -> Counter;",
    ):
        counter.same()


def test_linearity_can_be_turned_off_for_a_protocol() -> None:
    class Free(State, abstract=True, linear=False): ...

    class Loose(Free):
        @transition
        def go(self) -> Loose:
            return Loose()

    loose = Loose()
    assert loose.go() == loose.go()
    assert protocol(Loose).states == ("Loose",)


def test_a_violating_async_transition_leaves_the_state_unconsumed() -> None:
    class Odd(State):
        @transition
        async def go(self) -> Done:
            return Failed()  # type: ignore[return-value]

    odd = Odd()
    with pytest.raises(ProtocolViolation):
        asyncio.run(odd.go())
    with pytest.raises(ProtocolViolation):
        asyncio.run(odd.go())


def test_async_transition_is_in_flight_until_it_finishes() -> None:
    class Fetching(State):
        @transition
        async def fetch(self, url: str) -> Done:
            await asyncio.sleep(0.01)
            return Done()

    async def race() -> tuple[object, object]:
        fetching = Fetching()
        return await asyncio.gather(
            fetching.fetch("a"), fetching.fetch("b"), return_exceptions=True
        )

    first, second = asyncio.run(race())
    assert first == Done()
    message = (
        "Can't call Fetching.fetch(): this Fetching is in flight in Fetching.fetch(), an "
        "async transition that has not finished; await that call and use the state it "
        "returns."
    )
    assert isinstance(second, StateConsumed)
    assert str(second) == message


def test_a_cancelled_async_transition_leaves_the_state_unconsumed() -> None:
    class Waiting(State):
        @transition
        async def go(self, delay: float) -> Done:
            await asyncio.sleep(delay)
            return Done()

    async def run() -> State:
        waiting = Waiting()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(waiting.go(10), 0.01)
        return await waiting.go(0)

    assert asyncio.run(run()) == Done()


def test_state_consumed_pickles() -> None:
    import pickle

    error = StateConsumed("A", "go", "stop", "B")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    violation = ProtocolViolation("A", "go", "C", ("B",))
    assert str(pickle.loads(pickle.dumps(violation))) == str(violation)


# -- protocol() ------------------------------------------------------------------


def test_protocol_extracts_states_events_params_and_hierarchy() -> None:
    m = protocol(Idle, name="Agent")
    assert m.states == (
        "Idle", "Planning", "Working", "Acting", "Failed", "AwaitingTool", "Done"
    )  # fmt: skip
    assert (m.initial, m.final) == ("Idle", frozenset({"Done", "Failed"}))
    assert dict(m.parents) == {"Acting": "Working", "AwaitingTool": "Working"}
    assert dict(m.entries) == {}
    assert fsm.Transition("Working", "cancel", "Failed") in m.transitions
    call_tool = next(t for t in m.transitions if t.event == "call_tool")
    assert call_tool.params == (("name", "str"), ("args", "dict[str, object]"))


def test_a_union_return_is_a_branch() -> None:
    result = [t for t in protocol(Idle).transitions if t.event == "result"]
    assert result == [
        fsm.Transition(
            "AwaitingTool", "result", "Acting", params=(("output", "str"),), branch=True
        ),
        fsm.Transition(
            "AwaitingTool", "result", "Planning", params=(("output", "str"),), branch=True
        ),
    ]


def test_the_name_defaults_to_the_initial_class() -> None:
    assert protocol(Idle).name == "Idle"


def test_protocol_of_a_non_state_is_a_definition_error() -> None:
    with pytest.raises(
        fsm.DefinitionError, match=r"^typestate.protocol\(\) needs the initial state class"
    ):
        protocol(int)  # type: ignore[arg-type]
    with pytest.raises(fsm.DefinitionError, match=r"^initial state Working is abstract"):
        protocol(Working)


def test_a_superstate_self_loop_loops_on_each_substate() -> None:
    class Base(State, abstract=True):
        @transition
        def ping(self) -> Self:
            return self

    class One(Base):
        @transition
        def next(self) -> Two:
            return Two()

    class Two(Base, final=False): ...

    m = protocol(One, namespace={"Two": Two})
    assert [(t.source, t.event, t.target) for t in m.transitions] == [
        ("One", "next", "Two"),
        ("One", "ping", "One"),
        ("Two", "ping", "Two"),
    ]
    assert dict(m.parents) == {"One": "Base", "Two": "Base"}


def test_an_abstract_base_without_transitions_is_left_out() -> None:
    class Shared(State, abstract=True):
        owner: str

    class Only(Shared, final=True): ...

    m = protocol(Only)
    assert (m.states, dict(m.parents)) == (("Only",), {})
    assert Only(owner="me").owner == "me"


def test_same_event_with_different_params_is_a_definition_error() -> None:
    class A(State):
        @transition
        def go(self, n: int) -> B:
            return B()

    class B(State):
        @transition
        def go(self, m: int) -> A:
            return A()

    message = (
        "B.go takes (m: int) but A.go takes (n: int); an event carries the same payload "
        "in every state, so give both methods the same parameters (names and "
        "annotations) or rename one"
    )
    with pytest.raises(fsm.DefinitionError, match=f"^{re.escape(message)}$"):
        protocol(A, namespace=locals())


def test_a_generated_wrapper_has_a_readable_file_registered_in_linecache() -> None:
    code = Planning.plan.__code__
    assert (code.co_name, code.co_filename) == ("plan", "<typestate generated Planning.plan>")
    lines = linecache.getlines(code.co_filename)
    assert lines[0].startswith("def _ts_factory(")
    assert lines[code.co_firstlineno - 1].strip() == "def _ts_method(self, steps):"


def test_an_async_wrapper_is_generated_too() -> None:
    class Slow(State):
        @transition
        async def go(self, delay: float) -> Done:
            await asyncio.sleep(delay)
            return Done()

    code = Slow.go.__code__
    assert code.co_name == "go"
    assert code.co_filename.startswith("<typestate generated ")
    assert code.co_filename.endswith(".<locals>.Slow.go>")
    assert linecache.getlines(code.co_filename)[code.co_firstlineno - 1].strip() == (
        "async def _ts_method(self, delay):"
    )
    assert asyncio.run(Slow().go(0)) == Done()


def test_one_file_name_per_generated_source() -> None:
    def make(linear: bool) -> Any:
        class Twice(State, linear=linear):
            @transition
            def go(self, n: int) -> Self:
                return self

        return Twice

    names = [make(linear).go.__code__.co_filename for linear in (True, False, True)]
    prefix = "<typestate generated test_one_file_name_per_generated_source.<locals>.make"
    assert names == [f"{prefix}.<locals>.Twice.go>", f"{prefix}.<locals>.Twice.go-2>", names[0]]


def test_run_time_checks_resolve_without_a_namespace_and_protocol_asks_for_one() -> None:
    def make() -> Any:
        class Start(State):
            @transition
            def go(self) -> Stop:
                return Stop()

        class Stop(State, final=True): ...

        return Start

    start = make()
    assert type(start().go()).__name__ == "Stop"
    with pytest.raises(fsm.DefinitionError, match=r"pass namespace=locals\(\) to typestate"):
        protocol(start)


def test_protocol_leaves_the_classes_as_they_were() -> None:
    class Shared(State):
        @transition
        def go(self) -> Next:
            return Next()

    class Next(State, final=True): ...

    class Other(State, final=True): ...

    before = {cls: dict(vars(cls)) for cls in (Shared, Next, Other)}
    # Two protocols read the annotation "Next" differently; neither changes Shared.
    assert protocol(Shared, namespace={"Next": Other}).states == ("Shared", "Other")
    assert protocol(Shared, namespace={"Next": Next}).states == ("Shared", "Next")
    assert protocol(Shared, namespace={"Next": Other}).states == ("Shared", "Other")
    assert {cls: dict(vars(cls)) for cls in (Shared, Next, Other)} == before
    assert Shared().go() == Next()


def test_a_union_of_classes_defined_in_a_function_is_checked_at_run_time() -> None:
    class Split(State):
        @transition
        def go(self, n: int) -> Left | Right:
            return Left() if n == 0 else Right() if n == 1 else Split()

    class Left(State, final=True): ...

    class Right(State, final=True): ...

    assert (Split().go(0), Split().go(1)) == (Left(), Right())
    with pytest.raises(ProtocolViolation) as info:
        Split().go(2)
    assert info.value.expected == ("Left", "Right")


# -- drive() ---------------------------------------------------------------------


def test_drive_dispatches_event_names() -> None:
    driver = drive(Idle())
    driver.send("assign", task="t")
    assert driver.state == Planning(task="t")
    assert driver.allowed == ("plan", "give_up")
    driver.send("plan", steps=["a"])
    driver.send("finish")
    assert driver.history == (
        fsm.Step("Idle", "assign", "Planning"),
        fsm.Step("Planning", "plan", "Acting"),
        fsm.Step("Acting", "finish", "Done"),
    )
    assert not driver.allowed


def test_drive_history_is_the_steps_an_instance_records() -> None:
    driver = drive(Idle())
    decide = {"decide_result": lambda _context, output: "Acting"}
    inst = driver.machine.start(handlers=decide, history=True)
    run: list[tuple[str, dict[str, Any]]] = [
        ("assign", {"task": "t"}),
        ("plan", {"steps": []}),
        ("call_tool", {"name": "n", "args": {}}),
        ("result", {"output": "o"}),
        ("cancel", {}),
    ]
    for event, payload in run:
        driver.send(event, **payload)
        inst.send(event, **payload)
    assert driver.history == inst.history
    assert all(type(step) is fsm.Step for step in driver.history)


def test_drive_can_takes_what_instance_can_takes() -> None:
    assert inspect.signature(Driver.can) == inspect.signature(fsm.Instance.can)
    driver = drive(Idle())
    assert driver.can("assign", task="t")
    assert driver.can("assign", event="a payload named event")
    assert not driver.can("plan", steps=[])
    assert not driver.can("nope")


def test_drive_refuses_an_event_not_allowed_now() -> None:
    driver = drive(Idle())
    message = "Can't send 'plan' in state 'Idle'; allowed here: assign."
    with pytest.raises(fsm.InvalidTransition, match=f"^{re.escape(message)}$") as info:
        driver.send("plan", steps=[])
    assert (info.value.state, info.value.event, info.value.allowed) == ("Idle", "plan", ("assign",))
    assert not driver.can("plan")
    assert driver.history == ()


def test_drive_takes_superstate_transitions() -> None:
    driver = drive(Planning(task="t"))
    driver.send("plan", steps=["a"])
    driver.send("cancel")
    assert driver.history[-1] == fsm.Step("Acting", "cancel", "Failed")
    assert isinstance(driver.state, Failed)


def test_drive_async_transitions_need_asend() -> None:
    class Fetching(State):
        @transition
        async def fetch(self) -> Done:
            return Done()

    driver = drive(Fetching())
    with pytest.raises(
        TypeError,
        match=r"^Fetching.fetch is an async transition; use 'await driver.asend\('fetch', ...\)'$",
    ):
        driver.send("fetch")
    assert asyncio.run(driver.asend("fetch")) == Done()
    assert repr(driver) == "<typestate.Driver 'Fetching' in Done>"


# -- diff() and assert_matches() -------------------------------------------------


def test_the_agent_classes_match_the_agent_diagram() -> None:
    spec = fsm.load(AGENT_SPEC)
    assert diff(Idle, spec) == []
    assert_matches(Idle, spec)


def test_diff_lists_every_difference_in_words() -> None:
    spec = fsm.parse(
        """
        stateDiagram-v2
            [*] --> Idle
            Idle --> Planning : assign(job)
            Planning --> Done : plan(steps)
            Planning --> Failed : give_up
            state Working {
                Acting
            }
            Acting --> Done : finish
            Done --> [*]
        """,
        name="Spec",
    )
    assert diff(spec, protocol(Idle, name="Classes")) == [
        "state 'AwaitingTool' is in 'Classes' but not in 'Spec'",
        "event 'cancel' is in 'Classes' but not in 'Spec'",
        "event 'call_tool' is in 'Classes' but not in 'Spec'",
        "event 'result' is in 'Classes' but not in 'Spec'",
        "transition Planning --plan--> Done is in 'Spec' but not in 'Classes'",
        "transition Planning --plan--> Acting is in 'Classes' but not in 'Spec'",
        "transition Acting --call_tool--> AwaitingTool is in 'Classes' but not in 'Spec'",
        "transition Acting --cancel--> Failed is in 'Classes' but not in 'Spec'",
        "transition AwaitingTool --cancel--> Failed is in 'Classes' but not in 'Spec'",
        "transition AwaitingTool --result--> Planning is in 'Classes' but not in 'Spec'",
        "transition AwaitingTool --result--> Acting is in 'Classes' but not in 'Spec'",
        "state 'Failed' is final in 'Classes' but not in 'Spec'",
        "event 'assign' carries (job) in 'Spec' but (task) in 'Classes'",
    ]


def test_diff_of_identical_machines_is_empty() -> None:
    m = protocol(Idle)
    assert diff(m, fsm.parse(fsm.dumps(m))) == []


def test_assert_matches_raises_with_the_differences() -> None:
    spec = fsm.parse(
        "stateDiagram-v2\n [*] --> Idle\n Idle --> Planning : assign(task)\n", name="Idle"
    )
    with pytest.raises(AssertionError) as info:
        assert_matches(Idle, spec)
    lines = str(info.value).splitlines()
    assert lines[0] == "'Idle' does not match 'Idle' (19 differences):"
    assert lines[1] == "- state 'Working' is in the classes but not in the reference machine"


# -- is_linear() -------------------------------------------------------------------


def test_is_linear_follows_the_class_keyword_and_its_inheritance() -> None:
    class Loose(State, abstract=True, linear=False): ...

    class Inherits(Loose, final=True): ...

    class Again(Loose, final=True, linear=True): ...

    assert [is_linear(c) for c in (Loose, Inherits, Again, Done)] == [False, False, True, True]
    assert (is_linear(Inherits()), is_linear(Done())) == (False, True)


def test_is_linear_refuses_what_is_not_a_state() -> None:
    with pytest.raises(
        TypeError,
        match=r"^typestate.is_linear\(\) takes a State subclass or a state object \(got 3\)$",
    ):
        is_linear(3)  # type: ignore[arg-type]


# -- run-time resolution of return annotations -----------------------------------


def test_a_local_state_named_like_a_module_level_one_is_the_local_one() -> None:
    def shadow() -> Any:
        class Done(State):
            @transition
            def again(self) -> Begin:
                return Begin()

        class Begin(State):
            @transition
            def finish(self) -> Done:
                return Done()

        return Begin, Done

    begin, local_done = shadow()
    assert type(begin().finish()) is local_done
    assert [t.event for t in protocol(begin, namespace={"Done": local_done}).transitions] == [
        "finish",
        "again",
    ]

    # Elsewhere the name is the module-level class: another function's Done is refused.
    class Elsewhere(State):
        @transition
        def finish(self) -> Done:
            return local_done()  # type: ignore[no-any-return]

    with pytest.raises(ProtocolViolation, match=r"^Elsewhere.finish\(\) returned a Done, which is"):
        Elsewhere().finish()


def test_a_generic_local_state_in_a_union_resolves_at_run_time() -> None:
    from typing import Generic, TypeVar

    T = TypeVar("T")

    def gen() -> Any:
        class Answered(State, Generic[T], final=True):
            value: T

        class Failed(State, final=True): ...

        class Asking(State):
            @transition
            def answer(self, ok: bool) -> Answered[int] | Failed:
                return Answered(value=1) if ok else Failed()

        return Asking

    asking = gen()
    assert type(asking().answer(False)).__name__ == "Failed"
    assert type(asking().answer(True)).__name__ == "Answered"


class Fin(State, final=True): ...


class Misspelled(State):
    @transition
    def go(self) -> Fin | Fni:  # type: ignore[name-defined]  # noqa: F821
        return Fin()


class MisspelledOnly(State):
    @transition
    def go(self) -> Fni:  # type: ignore[name-defined]  # noqa: F821
        return Fin()  # type: ignore[return-value]


@pytest.mark.parametrize("owner", [Misspelled, MisspelledOnly])
def test_a_misspelled_target_of_a_module_level_state_fails_at_the_first_call(
    owner: type[State],
) -> None:
    message = (
        f"{owner.__name__}.go: return annotation "
        f"'{'Fin | Fni' if owner is Misspelled else 'Fni'}' cannot be resolved "
        f"(name 'Fni' is not defined); define that state class, or, for classes "
        f"defined inside a function, pass namespace=locals() to typestate.protocol()"
    )
    with pytest.raises(fsm.DefinitionError, match=f"^{re.escape(message)}$"):
        owner().go()  # type: ignore[attr-defined]


def test_a_target_imported_only_for_type_checking_is_checked_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ts_cyc_a.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from typestate import State, transition\n"
        "if TYPE_CHECKING:\n"
        "    from ts_cyc_b import Done\n"
        "class Start(State):\n"
        "    @transition\n"
        "    def finish(self) -> Done:\n"
        "        from ts_cyc_b import Done\n"
        "        return Done()\n"
        "class Wrong(State):\n"
        "    @transition\n"
        "    def finish(self) -> Done:\n"
        "        from ts_cyc_b import Other\n"
        "        return Other()\n"
    )
    (tmp_path / "ts_cyc_b.py").write_text(
        "from typestate import State\n"
        "class Done(State, final=True): ...\n"
        "class Other(State, final=True): ...\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("ts_cyc_a", "ts_cyc_b"):  # imported by this test only: gone after it
        monkeypatch.delitem(sys.modules, name, raising=False)
    import ts_cyc_a  # type: ignore[import-not-found]
    import ts_cyc_b  # type: ignore[import-not-found]

    assert protocol(ts_cyc_a.Start, namespace={"Done": ts_cyc_b.Done}).states == ("Start", "Done")
    assert type(ts_cyc_a.Start().finish()) is ts_cyc_b.Done
    message = "Wrong.finish: return annotation 'Done' cannot be resolved (name 'Done' is not"
    with pytest.raises(fsm.DefinitionError, match=f"^{re.escape(message)}"):
        ts_cyc_a.Wrong().finish()


def test_the_wrapper_publishes_the_first_mark_before_the_first_class() -> None:
    import dis

    class Once(State):
        @transition
        def go(self) -> Fin:
            return Fin()

    code = Once.go.__code__
    stores = [
        i.argval
        for i in dis.get_instructions(code)
        if i.opname == "STORE_DEREF" and i.argval in ("_ts_first", "_ts_first_mark")
    ]
    # Another thread that sees _ts_first must find its mark already set.
    assert stores == ["_ts_first_mark", "_ts_first"]


def test_var_positional_parameters_pass_the_first_call_but_not_protocol() -> None:
    class Star(State):
        @transition
        def go(self, *args: int) -> Fin:
            return Fin()

    assert Star().go(1, 2) == Fin()
    message = "Star.go takes *args; a transition's payload is named parameters, so list them"
    with pytest.raises(fsm.DefinitionError, match=f"^{re.escape(message)}$"):
        protocol(Star)
