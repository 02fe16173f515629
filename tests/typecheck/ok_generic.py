# must pass: generic states as targets (Answered[int]); their payload types keep the parameter
from __future__ import annotations

from typing import Generic, TypeVar

from typing_extensions import Self, assert_type

from typestate import State, protocol, transition

T = TypeVar("T")


class Asking(State):
    @transition
    def answer(self, value: int) -> Answered[int]:
        return Answered(value=value)

    @transition
    def name(self, value: str) -> Answered[str] | Self:
        return Answered(value=value) if value else self


class Answered(State, Generic[T]):
    value: T

    @transition
    def confirm(self, correction: T | None) -> Done[T]:
        return Done(value=self.value if correction is None else correction)

    @transition
    async def retract(self) -> Asking:
        return Asking()


class Done(State, Generic[T], final=True):
    value: T


def run() -> int:
    done = Asking().answer(3).confirm(None)
    assert_type(done, Done[int])
    return done.value


machine = protocol(Asking)
