"""Generic states: ``class Answered(State, Generic[T])`` as a target written ``Answered[int]``."""

from typing import Generic, TypeVar

import fsm
import typestate
from typestate import State, transition

T = TypeVar("T")


class Asking(State):
    @transition
    def answer(self, value: int) -> "Answered[int]":
        return Answered(value=value)


class Answered(State, Generic[T]):
    value: T

    @transition
    def confirm(self, correction: T | None, notes: list[T]) -> "Done[T] | Asking":
        return Done(value=self.value if correction is None else correction)


class Done(State, Generic[T], final=True):
    value: T


def test_the_machine_sees_the_generic_class_and_payload_types_keep_the_parameter() -> None:
    machine = typestate.protocol(Asking)
    assert machine.states == ("Asking", "Answered", "Done")
    assert machine.transitions == (
        fsm.Transition("Asking", "answer", "Answered", params=(("value", "int"),)),
        fsm.Transition(
            "Answered", "confirm", "Done",
            params=(("correction", "T | None"), ("notes", "list[T]")), branch=True,
        ),
        fsm.Transition(
            "Answered", "confirm", "Asking",
            params=(("correction", "T | None"), ("notes", "list[T]")), branch=True,
        ),
    )  # fmt: skip


def test_a_generic_target_is_checked_at_run_time() -> None:
    answered = Asking().answer(3)
    assert answered == Answered(value=3)
    assert answered.confirm(None, []) == Done(value=3)


def test_driving_a_protocol_with_generic_states() -> None:
    driver = typestate.drive(Asking())
    driver.send("answer", value=4)
    driver.send("confirm", correction=5, notes=[])
    assert driver.state == Done(value=5)
