"""Benchmark: a bug 60 steps deep, found by conformance() and by a hand-written state machine.

The implementation is ``ChainImpl(broken_at=60)`` from ``tests/seeded.py``: the
protocol is a chain ``C0 -next-> C1 -next-> ... -next-> C60 -finish-> Done``
(``back`` returns to C0 from any link), and the 60th ``next`` goes back to C0
instead of C60. The shortest failing trace is 60 ``next`` events.

Two tests of the same implementation run in one process:

- ``conformance(CHAIN, ...)``, the generated test, with Hypothesis' default
  settings (100 examples, 50 steps per example, every phase);
- a ``RuleBasedStateMachine`` written by hand the way a user would: one rule
  per event, a precondition that keeps to the events the protocol allows, an
  invariant that compares the implementation's state with the model's. It
  runs with the default settings too, and then again with fresh seeds until
  the time limit, to see whether more runs find what one run does not.

Both run with ``database=None`` (a saved failure would be replayed, not found)
and ``deadline=None`` (as ``.TestCase`` runs them). Time to first failure is
the time from the start of the run to the first step that triggers the bug;
the shrunk trace is the one in the reported failure.

Run: ``python benchmarks/deep_bug.py`` (``--rounds N`` for the generated test,
``--limit S`` seconds for the hand-written one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from hypothesis import Phase, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.testing import ConformanceFailure, Coverage, conformance
from tests.seeded import CHAIN, ChainImpl

DEPTH = 60
LONG_RUNS = 200
DEFAULTS = settings(deadline=None, database=None)
NO_EXPLAIN = settings(
    DEFAULTS,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


class Clock:
    """When the current run started, when the bug first fired, how deep it went."""

    def __init__(self, cases: Callable[[], int]) -> None:
        self.start = time.perf_counter()
        self.first_failure: float | None = None
        self.cases = cases
        self.cases_to_failure: int | None = None
        self.deepest = 0

    def fired(self) -> None:
        if self.first_failure is None:
            self.first_failure = time.perf_counter() - self.start
            self.cases_to_failure = self.cases()


CLOCK = Clock(lambda: 0)


class TimedChain(ChainImpl):
    """The seeded chain; notes on the clock when its 60th ``next`` goes wrong."""

    def __init__(self) -> None:
        super().__init__(broken_at=DEPTH)

    def send(self, event: str, payload: Mapping[str, object]) -> None:
        before = self.position
        super().send(event, payload)
        CLOCK.deepest = max(CLOCK.deepest, self.position)
        if event == "next" and before == DEPTH - 1:
            CLOCK.fired()


class HandWritten(RuleBasedStateMachine):
    """The test a user writes by hand: random valid events, the model's state compared."""

    cases = 0

    def __init__(self) -> None:
        super().__init__()
        HandWritten.cases += 1
        self.impl = TimedChain()
        self.position = 0
        self.done = False
        self.sent: list[str] = []

    def expected(self) -> str:
        return "Done" if self.done else f"C{self.position}"

    def send(self, event: str) -> None:
        self.sent.append(event)
        self.impl.send(event, {})

    @precondition(lambda self: not self.done and self.position < DEPTH)
    @rule()
    def next(self) -> None:
        self.send("next")
        self.position += 1

    @precondition(lambda self: not self.done and self.position > 0)
    @rule()
    def back(self) -> None:
        self.send("back")
        self.position = 0

    @precondition(lambda self: not self.done and self.position == DEPTH)
    @rule()
    def finish(self) -> None:
        self.send("finish")
        self.done = True

    @invariant()
    def same_state(self) -> None:
        global last_hand_written_trace
        if self.impl.state != self.expected():
            last_hand_written_trace = len(self.sent)
            raise AssertionError(f"implementation in {self.impl.state}, model in {self.expected()}")


last_hand_written_trace = 0


def run_conformance(phases: settings) -> tuple[float | None, int | None, float, int | None]:
    """First failure (s), cases to it, time to the reported failure (s), shrunk trace length."""
    global CLOCK
    machine = conformance(CHAIN, TimedChain)
    coverage: Coverage = getattr(machine, "coverage")  # noqa: B009 - added by conformance()
    CLOCK = Clock(lambda: coverage.cases)
    try:
        run_state_machine_as_test(machine, settings=phases)
    except ConformanceFailure as failure:
        return (
            CLOCK.first_failure,
            CLOCK.cases_to_failure,
            time.perf_counter() - CLOCK.start,
            len(failure.trace),
        )
    return None, None, time.perf_counter() - CLOCK.start, None


def run_hand_written(limit: float, options: settings) -> None:
    """One run, then runs with fresh seeds until found or ``limit`` seconds have passed."""
    global CLOCK
    HandWritten.cases = 0
    CLOCK = Clock(lambda: HandWritten.cases)
    runs = 0
    found = False
    first_run: float | None = None
    while True:
        runs += 1
        try:
            run_state_machine_as_test(HandWritten, settings=options)
        except AssertionError:
            found = True
        elapsed = time.perf_counter() - CLOCK.start
        if first_run is None:
            first_run = elapsed
            print(
                f"  one run ({options.max_examples} examples): "
                f"{'found' if found else 'not found'} in {elapsed:.2f} s, "
                f"{HandWritten.cases} test cases, deepest state reached C{CLOCK.deepest}"
            )
        if found or elapsed >= limit:
            break
    elapsed = time.perf_counter() - CLOCK.start
    if found:
        assert CLOCK.first_failure is not None
        print(
            f"  found in run {runs}: first failure at {CLOCK.first_failure:.2f} s "
            f"(test case {CLOCK.cases_to_failure}), "
            f"reported at {elapsed:.2f} s, shrunk trace {last_hand_written_trace} events"
        )
    else:
        print(
            f"  not found in {elapsed:.0f} s: {runs} runs, {HandWritten.cases} test "
            f"cases, deepest state reached C{CLOCK.deepest}"
        )


def report_conformance(title: str, phases: settings, rounds: int) -> None:
    print(title)
    firsts: list[float] = []
    totals: list[float] = []
    for n in range(rounds):
        first, cases, total, length = run_conformance(phases)
        if first is None:
            print(f"  round {n + 1}: not found ({total:.2f} s)")
            continue
        firsts.append(first)
        totals.append(total)
        print(
            f"  round {n + 1}: first failure {first:.2f} s (test case {cases}), "
            f"reported {total:.2f} s, shrunk trace {length} events"
        )
    if firsts:
        print(
            f"  median of {len(firsts)}: first failure {statistics.median(firsts):.2f} s, "
            f"reported {statistics.median(totals):.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of the generated test")
    parser.add_argument(
        "--limit", type=float, default=60.0, help="seconds for the hand-written test"
    )
    args = parser.parse_args()
    print(f"bug {DEPTH} steps deep; the shortest failing trace is {DEPTH} events")
    report_conformance("conformance(), default settings:", DEFAULTS, args.rounds)
    report_conformance("conformance(), explain phase off:", NO_EXPLAIN, args.rounds)
    print(f"hand-written RuleBasedStateMachine, default settings, limit {args.limit:.0f} s:")
    run_hand_written(args.limit, DEFAULTS)
    # Not a default: a step limit above the bug's depth, to see whether the limit
    # alone is what keeps the hand-written test from the bug.
    print(f"hand-written, stateful_step_count={LONG_RUNS}, limit {args.limit:.0f} s:")
    run_hand_written(args.limit, settings(DEFAULTS, stateful_step_count=LONG_RUNS))


if __name__ == "__main__":
    main()
