"""Benchmark conversations: projection and checking of a generated global protocol.

    python benchmarks/conversation.py                 # 10 roles, 200 messages
    python benchmarks/conversation.py --roles 20 --messages 1000 --seed 2

The conversation is generated (seeded) to be well-formed: a sequence of
segments, each a chain of messages along distinct roles (``R3->>R7``,
``R7->>R1``, ...). A *choice* segment has two branches whose chains have the
same roles but different labels, so each role in the chain learns the branch
from the message it receives; a *loop* segment repeats a chain and leaves by
a chain with other labels; a *plain* segment is a chain. Times are wall-clock,
the best of ``--repeat`` runs, in one process:

- parse: ``fsm.parse_conversation`` of the diagram's text;
- check: ``analysis.check_conversation`` (well-formedness, with witnesses);
- project: ``analysis.projections`` (every role's machine);
- deadlocks: ``analysis.deadlocks`` over the composed projections;
- log: ``typestate check-trace``'s check of a JSON Lines log of 1,000
  interleaved runs of the conversation (the command's own reader and checker,
  without starting a process).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analysis
import fsm
from analysis._conversations import check_log  # private: check-trace's checker


def _chain(path: list[str], label: str, indent: str) -> list[str]:
    """Messages along ``path``: ``path[0]->>path[1]``, ``path[1]->>path[2]``, ..."""
    return [f"{indent}{a}->>{b}: {label}_{k}" for k, (a, b) in enumerate(pairwise(path))]


def generate(roles: int, messages: int, seed: int) -> str:
    """A well-formed conversation of ``roles`` roles and about ``messages`` messages."""
    rng = random.Random(seed)
    names = [f"R{n}" for n in range(roles)]
    lines = ["sequenceDiagram", *(f"    participant {n}" for n in names)]
    count = 0
    segment = 0
    while count < messages:
        segment += 1
        kind = rng.choice(("plain", "choice", "loop"))
        length = rng.randint(2, min(5, roles - 1))
        path = rng.sample(names, length + 1)
        if kind == "plain":
            lines += _chain(path, f"s{segment}", "    ")
            count += length
        elif kind == "choice":
            # The same roles in both branches, told apart by the labels.
            lines += ["    alt", *_chain(path, f"yes{segment}", " " * 8)]
            lines += ["    else", *_chain(path, f"no{segment}", " " * 8), "    end"]
            count += 2 * length
        else:
            lines += ["    loop", *_chain(path, f"more{segment}", " " * 8), "    end"]
            lines += _chain(path, f"done{segment}", "    ")
            count += 2 * length
    return "\n".join(lines) + "\n"


def best(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def write_log(conversation: fsm.Conversation, path: Path, runs: int, seed: int) -> int:
    """A log of ``runs`` interleaved random runs of the conversation; its line count."""
    rng = random.Random(seed)
    machine = analysis.conversation_machine(conversation)
    events = conversation.events()
    outgoing: dict[str, list[fsm.Transition]] = {}
    for t in machine.transitions:
        outgoing.setdefault(t.source, []).append(t)
    walks: list[list[str]] = []
    for _ in range(runs):
        state, walk = machine.initial, []
        for _ in range(10_000):
            moves = outgoing.get(state, [])
            if not moves or (state in machine.final and rng.random() < 0.3):
                break
            move = rng.choice(moves)
            walk.append(move.event)
            state = move.target
        walks.append(walk)
    lines: list[str] = []
    cursors = [0] * runs
    live = [n for n in range(runs) if walks[n]]
    while live:
        n = rng.choice(live)
        message = events[walks[n][cursors[n]]]
        record = {"conversation": f"c{n}", "sender": message.sender,
                  "receiver": message.receiver, "message": message.label}  # fmt: skip
        lines.append(json.dumps(record))
        cursors[n] += 1
        if cursors[n] == len(walks[n]):
            live.remove(n)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--roles", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    text = generate(args.roles, args.messages, args.seed)
    parse_s, conversation = best(lambda: fsm.parse_conversation(text), args.repeat)
    count = sum(1 for _ in conversation.messages())
    print(f"conversation: {len(conversation.roles)} roles, {count} messages, "
          f"{len(text.splitlines())} lines")  # fmt: skip
    check_s, report = best(lambda: analysis.check_conversation(conversation), args.repeat)
    assert report.ok, report.to_text()
    project_s, machines = best(lambda: analysis.projections(conversation), args.repeat)
    states = sum(len(m.states) for m in machines.values())
    transitions = sum(len(m.transitions) for m in machines.values())
    deadlock_s, found = best(lambda: analysis.deadlocks(*machines.values()), args.repeat)
    assert not found.findings
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "log.jsonl"
        records = write_log(conversation, log, 1000, args.seed)
        log_s, verdict = best(lambda: check_log(conversation, str(log)), args.repeat)
        assert verdict.ok, verdict.lines
    rows = [
        ("parse", parse_s, f"{len(text.splitlines())} lines"),
        ("check_conversation", check_s, "well-formed"),
        ("projections", project_s, f"{states} states, {transitions} transitions in all"),
        ("deadlocks (composed)", deadlock_s, "none"),
        ("check-trace of a log", log_s, f"{records} messages, 1000 conversations"),
    ]
    print(f"{'step':<22}{'ms':>10}  result")
    for name, seconds, note in rows:
        print(f"{name:<22}{seconds * 1000:>10.1f}  {note}")


if __name__ == "__main__":
    main()
