"""The agent tool loop of ``examples/agent.mmd``, written as typestate classes.

Each state of the diagram is a class; each arrow is a method whose return
annotation is where it leads. ``tests/test_examples.py`` checks that these
classes match the diagram, and mypy and pyright check that the loop in
:func:`run_session` only makes the calls each state allows.

Run ``python examples/agent_typestate.py`` for one scripted session with a
fake model: the first search fails, the agent plans again, and then finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
from typing_extensions import assert_never

from typestate import State, transition

#: A tool takes the arguments the model chose and returns its output.
Tool = Callable[[Mapping[str, object]], str]


class Idle(State):
    """Waiting for a task."""

    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    """Deciding the steps for the task; ``retries`` counts failed attempts."""

    task: str
    retries: int = 0

    @transition
    def plan(self, steps: list[str]) -> Acting:
        return Acting(task=self.task, steps=tuple(steps), retries=self.retries)

    @transition
    def give_up(self) -> Failed:
        return Failed(reason=f"no plan for {self.task!r} after {self.retries} retries")


class Working(State, abstract=True):
    """Working through the plan (a superstate): it can be cancelled in every substate."""

    task: str
    steps: tuple[str, ...]
    retries: int
    transcript: tuple[str, ...] = ()

    @transition
    def cancel(self) -> Failed:
        return Failed(reason=f"cancelled while working on {self.task!r}")


class Acting(Working):
    """The model decides: call a tool, or finish."""

    @transition
    def call_tool(self, name: str, args: dict[str, object]) -> AwaitingTool:
        return AwaitingTool(
            task=self.task,
            steps=self.steps,
            retries=self.retries,
            transcript=self.transcript,
            tool=name,
        )

    @transition
    def finish(self) -> Done:
        answer = self.transcript[-1] if self.transcript else ""
        print(f"notify: {answer}")  # the diagram's `notify` action
        return Done(answer=answer)


class AwaitingTool(Working):
    """A tool call is running."""

    tool: str

    @transition
    def result(self, output: str) -> Acting | Planning:
        if output.startswith("error"):  # [else] / count_retry
            return Planning(task=self.task, retries=self.retries + 1)
        return Acting(  # [ok]
            task=self.task,
            steps=self.steps,
            retries=self.retries,
            transcript=(*self.transcript, output),
        )


class Done(State, final=True):
    answer: str


class Failed(State, final=True):
    reason: str


@attrs.frozen
class ToolCall:
    name: str
    args: dict[str, object]


class FakeModel:
    """A scripted stand-in for a language model."""

    def __init__(self, plans: list[list[str]], calls: list[ToolCall | None]) -> None:
        self._plans = plans
        self._calls = calls

    def plan(self, task: str) -> list[str]:
        return self._plans.pop(0) if self._plans else []

    def next_call(self, transcript: tuple[str, ...]) -> ToolCall | None:
        return self._calls.pop(0) if self._calls else None


def work(acting: Acting, model: FakeModel, tools: Mapping[str, Tool]) -> Done | Failed | Planning:
    """Call tools until the model finishes, a tool fails or the plan runs out of steps."""
    while True:
        call = model.next_call(acting.transcript)
        if call is None:
            return acting.finish()
        if call.name not in tools or len(acting.transcript) >= len(acting.steps):
            return acting.cancel()
        print(f"call_tool: {call.name} {call.args}")
        waiting = acting.call_tool(call.name, call.args)
        output = tools[call.name](call.args)
        print(f"result: {output}")
        after = waiting.result(output)
        if isinstance(after, Planning):
            return after
        acting = after


def run_session(model: FakeModel, tools: Mapping[str, Tool], task: str) -> Done | Failed:
    """Run the tool loop for one task, from Idle to a final state."""
    print(f"assign: {task}")
    planning = Idle().assign(task)
    while True:
        steps = model.plan(planning.task)
        if not steps:
            return planning.give_up()
        print(f"plan: {', '.join(steps)} (retries: {planning.retries})")
        outcome = work(planning.plan(steps), model, tools)
        match outcome:
            case Done() | Failed():
                return outcome
            case Planning():
                planning = outcome
            case _:
                assert_never(outcome)


def main() -> None:
    answers = iter(["error: rate limited", "Lyon has 522,250 inhabitants (2021)."])

    def search(args: Mapping[str, object]) -> str:
        return next(answers)

    model = FakeModel(
        plans=[["search the web", "answer"], ["search the web again", "answer"]],
        calls=[
            ToolCall("search", {"query": "population of Lyon"}),
            ToolCall("search", {"query": "Lyon population 2021"}),
            None,
        ],
    )
    end = run_session(model, {"search": search}, "How many people live in Lyon?")
    print(end)


if __name__ == "__main__":
    main()
