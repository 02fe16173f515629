# must pass: new state data through the constructor, checked field by field (the typed way instead of attrs.evolve)
from __future__ import annotations

from typing_extensions import Self

from typestate import State, transition


class Counting(State):
    count: int
    label: str = "counter"

    @transition
    def bump(self) -> Self:
        return type(self)(count=self.count + 1, label=self.label)

    @transition
    def stop(self) -> Stopped:
        return Stopped(count=self.count)


class Stopped(State, final=True):
    count: int
