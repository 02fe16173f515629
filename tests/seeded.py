"""Implementations of protocols for the conformance tests: correct ones and seeded bugs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import fsm
from typestate import State, transition

AGENT = fsm.load(Path(__file__).resolve().parent.parent / "examples" / "agent.mmd")

#: C0 -next-> C1 -next-> ... -next-> C60 -finish-> Done; `back` returns to C0.
CHAIN = fsm.Machine(
    "Chain",
    states=(*(f"C{n}" for n in range(61)), "Done"),
    initial="C0",
    final=("Done",),
    transitions=(
        *(fsm.Transition(f"C{n}", "next", f"C{n + 1}") for n in range(60)),
        *(fsm.Transition(f"C{n}", "back", "C0") for n in range(1, 61)),
        fsm.Transition("C60", "finish", "Done"),
    ),
)


class AgentImpl:
    """The agent of examples/agent.mmd by hand, behind the adapter protocol.

    An empty tool output is an error: the agent plans again.
    """

    def __init__(
        self, *, accept_finish_while_waiting: bool = False, wrong_state_on_error: bool = False
    ) -> None:
        self.accept_finish_while_waiting = accept_finish_while_waiting
        self.wrong_state_on_error = wrong_state_on_error
        self.reset()

    def reset(self) -> None:
        self.state = "Idle"
        self.retries = 0

    def send(self, event: str, payload: Mapping[str, object]) -> None:
        moves = {
            ("Idle", "assign"): "Planning",
            ("Planning", "plan"): "Acting",
            ("Planning", "give_up"): "Failed",
            ("Acting", "call_tool"): "AwaitingTool",
            ("Acting", "finish"): "Done",
            ("Acting", "cancel"): "Failed",
            ("AwaitingTool", "cancel"): "Failed",
        }
        if self.accept_finish_while_waiting:  # seeded bug: an event it should refuse
            moves["AwaitingTool", "finish"] = "Done"
        if (self.state, event) == ("AwaitingTool", "result"):
            if payload["output"]:
                self.state = "Acting"
                return
            self.retries += 1
            # Seeded bug: the rare error branch (an empty output) goes to the wrong state.
            self.state = "Failed" if self.wrong_state_on_error else "Planning"
            return
        if (self.state, event) not in moves:
            raise ValueError(f"{event!r} is not allowed in {self.state!r}")
        self.state = moves[self.state, event]


class ChainImpl:
    """The chain by hand; with ``broken_at=n`` the n-th ``next`` goes back to C0."""

    def __init__(self, broken_at: int | None = None) -> None:
        self.broken_at = broken_at
        self.reset()

    def reset(self) -> None:
        self.position = 0
        self.done = False

    @property
    def state(self) -> str:
        return "Done" if self.done else f"C{self.position}"

    def send(self, event: str, payload: Mapping[str, object]) -> None:
        if self.done:
            raise ValueError("the chain is done")
        if event == "next" and self.position < 60:
            self.position += 1
            if self.position == self.broken_at:
                self.position = 0
        elif event == "back" and self.position > 0:
            self.position = 0
        elif event == "finish" and self.position == 60:
            self.done = True
        else:
            raise ValueError(f"{event!r} is not allowed in C{self.position}")


class _Context:
    def __init__(self) -> None:
        self.retries = 0

    def ok(self, output: str) -> bool:
        return output != ""

    def count_retry(self, output: str) -> None:
        self.retries += 1

    def notify(self) -> None:
        pass


_BOUND = AGENT.bind(_Context)


def agent_instance() -> fsm.Instance:
    """A fresh fsm.Instance of the agent with a fresh context."""
    return _BOUND.start(_Context())


# -- a typestate agent whose AwaitingTool.result hands back a consumed Planning -------


class Idle(State):
    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    task: str

    @transition
    def plan(self, steps: list[str]) -> Acting:
        return Acting(origin=self)

    @transition
    def give_up(self) -> Failed:
        return Failed()


class Working(State, abstract=True):
    origin: Planning

    @transition
    def cancel(self) -> Failed:
        return Failed()


class Acting(Working):
    @transition
    def call_tool(self, name: str, args: dict[str, object]) -> AwaitingTool:
        return AwaitingTool(origin=self.origin)

    @transition
    def finish(self) -> Done:
        return Done()


class AwaitingTool(Working):
    @transition
    def result(self, output: str) -> Acting | Planning:
        if output:
            return Acting(origin=self.origin)
        return self.origin  # seeded bug: this Planning was consumed by plan()


class Done(State, final=True): ...


class Failed(State, final=True): ...


def buggy_typestate_idle() -> type[Idle]:
    return Idle
