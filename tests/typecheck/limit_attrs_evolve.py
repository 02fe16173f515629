# must fail: attrs.evolve on a state: mypy's attrs support does not know State subclasses, and pyright accepts any field
from __future__ import annotations

import attrs
from typing_extensions import Self

from typestate import State, transition


class Counting(State):
    count: int

    @transition
    def bump(self) -> Self:
        return attrs.evolve(self, count=self.count + 1)


moved = attrs.evolve(Counting(count=0), count="not checked by pyright")

# expect mypy:
#   15: error: Argument 1 to "evolve" has a variable type "Self" not bound to an attrs class  [misc]
#   18: error: Argument 1 to "evolve" has incompatible type "Counting"; expected an attrs class  [misc]
# expect pyright:
