# must pass: the protocol every case imports
from __future__ import annotations

from typing_extensions import Self

from typestate import State, transition


class Idle(State):
    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    task: str

    @transition
    def plan(self, steps: list[str]) -> Acting | Failed:
        return Acting(steps=tuple(steps)) if steps else Failed()


class Working(State, abstract=True):
    @transition
    def cancel(self) -> Failed:
        return Failed()


class Acting(Working):
    steps: tuple[str, ...]

    @transition
    def think(self) -> Self:
        return self

    @transition
    async def finish(self) -> Done:
        return Done()


class Done(State, final=True): ...


class Failed(State, final=True): ...
