"""Agents that talk over asyncio queues, each driven by its role's projected machine.

The conversation is ``tool_approval_conversation.mmd``: an agent asks a human
approver before each tool call, and only approved calls reach the tool.
:func:`analysis.project` gives each role its own machine; an
:class:`Endpoint` holds the role's :class:`fsm.Instance` and the queues to the
other roles. A message is sent only when the role's machine allows it, and a
message that arrives is taken by the machine (which refuses one out of
order): the agents' code decides *what* to say at each choice, the projection
decides *when* they may say it.

Between each pair of roles there is one queue per direction, first in, first
out, as in the communicating machines the theory speaks of. Every message is
also written to a JSON Lines log, which ``typestate check-trace`` reads::

    python examples/conversation_agents.py messages.jsonl
    typestate check-trace examples/tool_approval_conversation.mmd messages.jsonl

Several conversations run at once (``--conversations N``), interleaved in the
one log, each line carrying its conversation's id.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import analysis
import fsm

HERE = Path(__file__).resolve().parent
CONVERSATION = fsm.load_conversation(HERE / "tool_approval_conversation.mmd")

#: What an agent decides at a choice: the event to send, and its payload.
Decision = tuple[str, dict[str, object]]
#: An agent: given its endpoint and the events it may send now, a decision.
Policy = Callable[["Endpoint", list[str]], Decision]


class Network:
    """The queues between the roles of one conversation, and the log they write to."""

    def __init__(
        self, conversation: fsm.Conversation, key: str, log: IO[str] | None = None
    ) -> None:
        self.conversation = conversation
        self.key = key
        self.log = log
        roles = conversation.roles
        self.queues: dict[tuple[str, str], asyncio.Queue[tuple[str, dict[str, object]]]] = {
            (a, b): asyncio.Queue() for a in roles for b in roles if a != b
        }
        self.arrived = {role: asyncio.Event() for role in roles}

    def post(self, message: fsm.Message, payload: dict[str, object]) -> None:
        """Put ``message`` on its queue and wake its receiver."""
        self.queues[message.sender, message.receiver].put_nowait((message.event, payload))
        self.arrived[message.receiver].set()
        if self.log is not None:
            record = {
                "conversation": self.key,
                "sender": message.sender,
                "receiver": message.receiver,
                "message": message.label,
                "payload": payload,
            }
            self.log.write(json.dumps(record) + "\n")


class Endpoint:
    """One role's end of a conversation: its projected machine and its queues."""

    def __init__(self, network: Network, role: str, machine: fsm.Machine) -> None:
        self.network = network
        self.role = role
        self.instance = machine.start(history=True)
        self.messages = network.conversation.events()  # event -> fsm.Message
        self.received: dict[str, object] = {}  # the payload of the last message taken

    @property
    def state(self) -> str:
        """The role's state in its projection."""
        return self.instance.state

    @property
    def done(self) -> bool:
        """Whether the role has reached the end of its part."""
        return self.state in self.instance.machine.final and not self.instance.allowed

    def sends(self) -> list[str]:
        """The events this role may send now."""
        return [e for e in self.instance.allowed if self.messages[e].sender == self.role]

    def send(self, event: str, /, **payload: object) -> None:
        """Send a message the machine allows now (``fsm.InvalidTransition`` if not)."""
        if self.messages[event].sender != self.role:
            raise ValueError(f"{self.role} does not send {event!r}; it receives it")
        self.instance.send(event, **payload)
        self.network.post(self.messages[event], dict(payload))

    def deliver(self, event: str, payload: Mapping[str, object]) -> None:
        """Take a message that arrived (``fsm.InvalidTransition`` if out of order)."""
        if self.messages[event].receiver != self.role:
            raise ValueError(f"{self.role} does not receive {event!r}")
        self.instance.send(event, **payload)
        self.received = dict(payload)

    async def receive(self) -> tuple[str, dict[str, object]]:
        """Wait for a message from a role this one may hear from now, and take it."""
        senders = {
            self.messages[e].sender
            for e in self.instance.allowed
            if self.messages[e].receiver == self.role
        }
        arrived = self.network.arrived[self.role]
        while True:
            for sender in sorted(senders):
                queue = self.network.queues[sender, self.role]
                if not queue.empty():
                    event, payload = queue.get_nowait()
                    self.deliver(event, payload)
                    return event, payload
            arrived.clear()
            await arrived.wait()


async def run_role(endpoint: Endpoint, policy: Policy) -> list[str]:
    """Drive one role to its end: decide at its choices, wait otherwise."""
    while not endpoint.done:
        options = endpoint.sends()
        if options:
            event, payload = policy(endpoint, options)
            endpoint.send(event, **payload)
        else:
            await endpoint.receive()
    return [step.event for step in endpoint.instance.history]


# -- the three agents ------------------------------------------------------------------


def agent_policy(actions: list[str]) -> Policy:
    """The agent: asks for each of ``actions`` in turn, calls the tool when approved."""
    todo = list(actions)
    asked: list[str] = []

    def decide(endpoint: Endpoint, options: list[str]) -> Decision:
        labels = {endpoint.messages[e].label: e for e in options}
        if "call" in labels:
            return labels["call"], {"action": asked[-1]}
        if "close" in labels:
            return labels["close"], {}
        if todo and "ask" in labels:
            asked.append(todo.pop(0))
            return labels["ask"], {"action": asked[-1]}
        return labels["finish"], {"summary": f"{len(asked)} actions asked"}

    return decide


def approver_policy(endpoint: Endpoint, options: list[str]) -> Decision:
    """The human: approves anything but deleting."""
    labels = {endpoint.messages[e].label: e for e in options}
    if str(endpoint.received.get("action", "")).startswith("delete"):
        return labels["deny"], {"reason": "deleting needs a ticket"}
    return labels["approve"], {}


def tool_policy(endpoint: Endpoint, options: list[str]) -> Decision:
    """The tool: answers each call."""
    return options[0], {"output": f"done: {endpoint.received.get('action')}"}


def policies(actions: list[str]) -> dict[str, Policy]:
    """What each role of the tool-approval conversation does."""
    return {"Agent": agent_policy(actions), "Approver": approver_policy, "Tool": tool_policy}


async def converse(
    key: str, actions: list[str], log: IO[str] | None = None
) -> dict[str, list[str]]:
    """Run one conversation to its end; each role's history of events."""
    network = Network(CONVERSATION, key, log)
    machines = analysis.projections(CONVERSATION)
    endpoints = {role: Endpoint(network, role, machines[role]) for role in CONVERSATION.roles}
    chosen = policies(actions)
    histories = await asyncio.gather(
        *(run_role(endpoints[role], chosen[role]) for role in CONVERSATION.roles)
    )
    return dict(zip(CONVERSATION.roles, histories, strict=True))


async def main(log: IO[str], count: int) -> None:
    plans = [["search flights", "delete old bookings", "book flight"], ["search hotels"]]
    done = await asyncio.gather(
        *(converse(f"c{n}", plans[n % len(plans)], log) for n in range(count))
    )
    for n, histories in enumerate(done):
        print(f"c{n}: " + "; ".join(f"{r} took {len(h)} steps" for r, h in histories.items()))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    count = 3
    if "--conversations" in arguments:
        at = arguments.index("--conversations")
        count = int(arguments[at + 1])
        del arguments[at : at + 2]
    target = Path(arguments[0]) if arguments else Path("messages.jsonl")
    with target.open("w", encoding="utf-8") as out:
        asyncio.run(main(out, count))
    print(f"log: {target}")
