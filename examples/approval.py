"""An agent that needs a human's approval before a risky tool call, kept in SQLite.

The agent plans a task and proposes a tool call; the call is risky (it
deletes a branch), so the protocol puts a human in between: the call exists
only on the ``Approved`` state, so mypy and pyright reject it anywhere else.
The agent is kept in an ``fsm.SQLiteStore``: each command below is a new
process that loads the agent where the last one left it, typed as the union
of its states, and narrows it with ``match`` before it acts::

    python examples/approval.py start agents.db "clean up old releases"
    python examples/approval.py resume agents.db          # waiting: nothing runs
    python examples/approval.py approve agents.db alice   # a human approves
    python examples/approval.py resume agents.db          # the tool runs

The tool runs in ``call_tool``, before ``save`` commits ``Done``: two
``resume`` processes at once both run it, and the second one's save then
fails with ``fsm.Conflict``; a process killed between the call and the save
leaves the agent ``Approved``, and the next ``resume`` runs it again. So this
example runs the tool at least once, not exactly once. A tool that must run
at most once needs the outbox pattern of the store's consistency model:
commit the intention first (a state such as ``Calling``), then call the tool
with an idempotency key (the agent's id and version) that the tool uses to
refuse a repeat, then commit ``Done``.

``python examples/approval.py`` alone runs these four commands, each in a new
process, on a database in a temporary directory, and prints what each says.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import fsm
import typestate
from typestate import State, transition

AGENT_ID = "agent-1"


class Idle(State):
    @transition
    def assign(self, task: str) -> Planning:
        return Planning(task=task)


class Planning(State):
    task: str

    @transition
    def propose(self, tool: str, target: str) -> AwaitingApproval:
        return AwaitingApproval(task=self.task, tool=tool, target=target)


class AwaitingApproval(State):
    task: str
    tool: str
    target: str

    @transition
    def approve(self, by: str) -> Approved:
        return Approved(task=self.task, tool=self.tool, target=self.target, approved_by=by)

    @transition
    def reject(self, by: str) -> Rejected:
        return Rejected(task=self.task, rejected_by=by)


class Approved(State):
    task: str
    tool: str
    target: str
    approved_by: str

    @transition
    def call_tool(self) -> Done:
        # The risky call: only an Approved agent has this method.
        output = f"{self.tool}({self.target!r}) ran, approved by {self.approved_by}"
        return Done(task=self.task, output=output)


class Done(State, final=True):
    task: str
    output: str


class Rejected(State, final=True):
    task: str
    rejected_by: str


#: Every state the agent can be stored in: what a loaded agent is typed as.
Agent = Idle | Planning | AwaitingApproval | Approved | Done | Rejected
AGENT = typestate.protocol(Idle, name="ApprovalAgent")


def start(store: fsm.Store, task: str) -> str:
    agent = typestate.create(store, AGENT, AGENT_ID, Agent)
    assert isinstance(agent.state, Idle)
    planning = agent.state.assign(task)
    agent.save(planning)
    # A real agent asks its model here; this one always proposes the same call.
    waiting = planning.propose("delete_branch", "release-0.9")
    agent.save(waiting)
    return f"{AGENT_ID} asks to call {waiting.tool}({waiting.target!r}); waiting for approval"


def approve(store: fsm.Store, by: str) -> str:
    agent = typestate.load(store, AGENT, AGENT_ID, Agent)
    match agent.state:
        case AwaitingApproval() as waiting:
            agent.save(waiting.approve(by))
            return f"{AGENT_ID}: {waiting.tool}({waiting.target!r}) approved by {by}"
        case state:
            return f"{AGENT_ID} is {type(state).__name__}: nothing to approve"


def resume(store: fsm.Store) -> str:
    agent = typestate.load(store, AGENT, AGENT_ID, Agent)
    match agent.state:
        case Approved() as approved:
            # Runs the tool before the save commits: at least once (see above).
            done = approved.call_tool()
            agent.save(done)
            return f"{AGENT_ID} resumed in Approved: {done.output}"
        case AwaitingApproval() as waiting:
            return f"{AGENT_ID} is waiting for approval to call {waiting.tool}; nothing ran"
        case Done(output=output):
            return f"{AGENT_ID} is done: {output}"
        case state:
            return f"{AGENT_ID} is {type(state).__name__}"


def run(command: str, database: str, *args: str) -> str:
    with fsm.SQLiteStore(database) as store:
        if command == "start":
            return start(store, *args)
        if command == "approve":
            return approve(store, *args)
        if command == "resume":
            return resume(store, *args)
    raise SystemExit(f"unknown command {command!r}; use start, approve or resume")


def demo() -> None:
    """Run the four commands of the docstring, each in a new process."""
    with tempfile.TemporaryDirectory() as directory:
        database = str(Path(directory) / "agents.db")
        for args in (
            ["start", database, "clean up old releases"],
            ["resume", database],
            ["approve", database, "alice"],
            ["resume", database],
        ):
            shown = " ".join(["approval.py", args[0], "agents.db", *args[2:]])
            done = subprocess.run(
                [sys.executable, __file__, *args], capture_output=True, text=True, check=True
            )
            print(f"$ python {shown}\n{done.stdout}", end="")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(run(*sys.argv[1:]))
    else:
        demo()
