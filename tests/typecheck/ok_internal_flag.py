# must pass: internal= given a bool that is not a literal (a flag) is a transition as well
from __future__ import annotations

from typing_extensions import assert_type

from typestate import State, transition

FLAG: bool = bool(len(__name__) % 2)


class Busy(State):
    @transition(internal=FLAG)
    def ping(self) -> Busy:
        return self

    @transition(internal=FLAG, after=5)
    def tick(self) -> Busy:
        return self


def use(busy: Busy) -> Busy:
    assert_type(busy.ping(), Busy)
    return assert_type(busy.tick(), Busy)
