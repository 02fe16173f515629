"""Benchmark: a typestate transition against the same hand-written attrs one.

Both sides move from one frozen attrs state to the next, carrying one field,
in the same process, interleaved over several rounds; the best round of each
is kept. The typestate side runs with linearity and the return check on.

Run: ``python benchmarks/typestate_bench.py`` (target: ratio at most 1.5).
"""

from __future__ import annotations

import timeit

import attrs

from typestate import State, transition

# -- hand-written: frozen attrs classes, a plain method --------------------------


@attrs.frozen
class PlainIdle:
    def assign(self, task: str) -> PlainBusy:
        return PlainBusy(task=task)


@attrs.frozen
class PlainBusy:
    task: str


# -- typestate: the same protocol ----------------------------------------------


class Idle(State):
    @transition
    def assign(self, task: str) -> Busy:
        return Busy(task=task)


class Busy(State):
    task: str


def main(number: int = 50_000, rounds: int = 25) -> float:
    """Time both transitions, interleaved, and print the ratio of the best rounds."""
    plain_states: list[PlainIdle] = []
    typed_states: list[Idle] = []

    def fresh() -> None:
        # New objects every round for both sides: a consumed state can't be reused.
        plain_states[:] = [PlainIdle() for _ in range(number)]
        typed_states[:] = [Idle() for _ in range(number)]

    def plain() -> None:
        for s in plain_states:
            s.assign("t")

    def typed() -> None:
        for s in typed_states:
            s.assign("t")

    best_plain = best_typed = float("inf")
    for _ in range(rounds):
        fresh()
        best_plain = min(best_plain, timeit.timeit(plain, number=1))
        best_typed = min(best_typed, timeit.timeit(typed, number=1))
    ratio = best_typed / best_plain
    print(f"hand-written attrs transition: {best_plain / number * 1e9:8.1f} ns")
    print(f"typestate transition:          {best_typed / number * 1e9:8.1f} ns")
    print(f"ratio: {ratio:.2f}x (target: at most 1.5x)")
    return ratio


if __name__ == "__main__":
    main()
