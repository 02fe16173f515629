"""FIPA Contract Net: a manager and three contractors, composed and checked for deadlock.

The manager and each contractor are diagrams next to this file
(``contract_net_manager.mmd``, ``contract_net_contractor_1.mmd`` ...). A
message is an event shared by the machines it concerns: ``cfp`` (the call for
proposals), ``award_N`` and ``cancel`` go to all four; ``propose_N``,
``refuse_N``, ``inform_done_N`` and ``failure_N`` to the manager and
contractor N. :func:`analysis.compose` runs the four together, an event firing
only when every machine that knows it can take it.

The manager's diagram does not remember who proposed: it may award any
contractor. The contractors make that safe: one that refused takes no part in
its own award, so the product never awards it. The script checks each
machine, then the product: no deadlock, every way a contract ends is reachable,
and no award goes to a contractor that refused.

Run ``python examples/contract_net.py``; from the command line::

    typestate compose --deadlocks examples/contract_net_*.mmd
"""

from __future__ import annotations

from pathlib import Path

import analysis
import fsm

HERE = Path(__file__).resolve().parent
SEPARATOR = "__"  # how compose() joins component states into a product state's name


def machines() -> tuple[fsm.Machine, ...]:
    """The manager, then contractors 1, 2 and 3."""
    names = ["manager"] + [f"contractor_{n}" for n in (1, 2, 3)]
    return tuple(fsm.load(HERE / f"contract_net_{name}.mmd") for name in names)


def awards_to_refusers(product: fsm.Machine) -> list[fsm.Transition]:
    """Product transitions that award contractor N while it is in ``Refused``."""
    bad: list[fsm.Transition] = []
    for t in product.transitions:
        if t.event.startswith("award_"):
            n = int(t.event.removeprefix("award_"))
            if t.source.split(SEPARATOR)[n] == "Refused":
                bad.append(t)
    return bad


def main() -> None:
    parts = machines()
    for machine in parts:
        print(analysis.check(machine))
    product = analysis.compose(*parts)
    print(
        f"product: {len(product.states)} states, {len(product.transitions)} transitions, "
        f"{len(product.final)} final"
    )
    found = analysis.deadlocks(*parts)
    print(f"deadlocks: {len(found)}")
    for outcome in ("Completed", "Failed", "Cancelled"):
        runs = [
            trace
            for state in product.states
            if state.split(SEPARATOR)[0] == outcome
            and (trace := analysis.shortest_path(product, state)) is not None
        ]
        shortest = min(runs, key=len)
        print(f"shortest run to {outcome}: {' '.join(shortest)}")
    print(f"awards to a contractor that refused: {len(awards_to_refusers(product))}")


if __name__ == "__main__":
    main()
