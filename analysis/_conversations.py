"""The command line's side of conversations (global protocols).

A TARGET that is a sequence diagram (or a conversation's JSON) is a
conversation: ``codegen --role`` writes one role's classes, ``render`` draws
the conversation as the sequence diagram it is (or, with ``--role``, the
role's projection as a state diagram), and ``check-trace`` reads a JSON Lines
log of messages, one conversation or many interleaved, and names the first
message that breaks the protocol.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import cast

import attrs

import fsm

from ._target import TargetError

__all__ = [
    "LogVerdict",
    "check_log",
    "is_conversation",
    "load_conversation_target",
    "role_machine",
    "role_module",
]

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*mermaid[ \t]*\n(.*?)^ {0,3}\1", re.DOTALL | re.M)


def _first_word(text: str) -> str:
    """The diagram type a Mermaid text declares: its first line that is not a comment."""
    text = _FRONT_MATTER.sub("", text.replace("\r\n", "\n").lstrip("\ufeff"), count=1)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("%%"):
            return line.split()[0]
    return ""


def is_conversation(target: str) -> bool:
    """Whether the file ``target`` holds a conversation rather than a machine.

    A ``.mmd`` file whose diagram is a ``sequenceDiagram``, a Markdown file
    whose first fenced ``mermaid`` block is one, or a JSON document of kind
    ``typestate.conversation``. Anything else (a missing file included) is
    left to the machine loader, which says what is wrong.
    """
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix not in (".mmd", ".mermaid", ".md", ".markdown", ".json") or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if suffix == ".json":
        return re.search(r'"kind"\s*:\s*"typestate\.conversation"', text) is not None
    if suffix in (".md", ".markdown"):
        block = _FENCE.search(text)
        return block is not None and _first_word(block.group(2)) == "sequenceDiagram"
    return _first_word(text) == "sequenceDiagram"


def load_conversation_target(target: str) -> fsm.Conversation:
    """The conversation in the file ``target`` (errors as ``TargetError``)."""
    try:
        return fsm.load_conversation(target)
    except OSError as exc:
        raise TargetError(f"cannot read {target!r}: {exc.strerror or exc}") from None


def _role(conversation: fsm.Conversation, role: str | None, what: str) -> str:
    if role is None:
        raise TargetError(
            f"{conversation.name} is a conversation; {what} one role's machine, so name it "
            f"with --role ({', '.join(conversation.roles)})"
        )
    if role not in conversation.roles:
        raise TargetError(
            f"--role {role!r} is not a role of {conversation.name}; its roles are "
            f"{', '.join(conversation.roles)}"
        )
    return role


def role_machine(conversation: fsm.Conversation, role: str | None, what: str) -> fsm.Machine:
    """The projection of ``conversation`` on ``role`` (``--role``, required).

    Refused unless the conversation is well-formed: only then does the
    projection carry out the role's part.
    """
    from ._projection import check_conversation, project

    chosen = _role(conversation, role, what)
    report = check_conversation(conversation)
    if not report.ok:
        found = [f for f in report.findings if f.severity != "info"]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise TargetError(
            f"{conversation.name} cannot be carried out by roles that see only their own "
            f"messages, so it has no projection to use: {found[0].message}{more}; `typestate "
            f"check` on it shows each problem with its trace"
        )
    return project(conversation, chosen)


def _camel(label: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in label.split("_") if part)


def role_names(conversation: fsm.Conversation, role: str) -> tuple[dict[str, str], dict[str, str]]:
    """How a role's module names its messages: ``(sends, receives)``, event -> name.

    A send is a method named by the message's label (``commit``), or
    ``<label>_to_<receiver>`` when the role sends that label to several roles;
    a received message is a class named by the label in CamelCase
    (``Commit``), or ``<Label>From<Sender>`` when several roles send it.
    """
    sent: dict[str, fsm.Message] = {}
    got: dict[str, fsm.Message] = {}
    for message in conversation.messages():
        if message.sender == role:
            sent.setdefault(message.event, message)
        elif message.receiver == role:
            got.setdefault(message.event, message)

    def counts(messages: Iterable[fsm.Message]) -> dict[str, int]:
        found: dict[str, int] = {}
        for m in messages:
            found[m.label] = found.get(m.label, 0) + 1
        return found

    sent_labels, got_labels = counts(sent.values()), counts(got.values())
    sends = {
        event: m.label if sent_labels[m.label] == 1 else f"{m.label}_to_{m.receiver}"
        for event, m in sent.items()
    }
    receives = {
        event: _camel(m.label) if got_labels[m.label] == 1 else f"{_camel(m.label)}From{m.sender}"
        for event, m in got.items()
    }
    for names, messages, what in ((sends, sent, "method"), (receives, got, "message class")):
        taken: dict[str, str] = {}
        for event, made in names.items():
            if made in taken:
                first, then = _show(messages[taken[made]]), _show(messages[event])
                raise TargetError(
                    f"role {role} would have one {what} {made!r} for both {first!r} and "
                    f"{then!r} (a label sent to or from several roles is named with the "
                    f"role); rename one of the labels"
                )
            taken[made] = event
    return sends, receives


def role_module(conversation: fsm.Conversation, role: str | None, *, line_length: int = 88) -> str:
    """The module ``typestate codegen PROTOCOL --role ROLE`` writes."""
    import typestate

    machine = role_machine(conversation, role, "codegen writes")
    assert role is not None
    events = conversation.events()
    ending = sorted(
        {
            _show(events[t.event])
            for t in machine.transitions
            if t.source in machine.final and events[t.event].sender == role
        }
    )
    if ending:
        raise TargetError(
            f"codegen cannot write role {role} of {conversation.name}: {role} may end its "
            f"part where it may also send {', '.join(map(repr, ending))} (the conversation "
            f"ends in an opt or a loop that {role} starts); a final State class cannot "
            f"send, so end the conversation with a message after the opt or loop"
        )
    sends, receives = role_names(conversation, role)
    renamed = fsm.Machine(
        machine.name,
        machine.states,
        machine.initial,
        machine.final,
        tuple(attrs.evolve(t, event=sends.get(t.event, t.event)) for t in machine.transitions),
        machine.parents,
    )
    return typestate.codegen(
        renamed,
        line_length=line_length,
        receives={e: receives[e] for e in machine.events if e in receives},
        role=role,
    )


# -- logs ------------------------------------------------------------------------------


@attrs.frozen
class LogVerdict:
    """What ``check-trace`` found in a log of messages."""

    ok: bool
    lines: tuple[str, ...]


def _show(message: fsm.Message) -> str:
    return f"{message.sender}->>{message.receiver}: {message.label}"


def _records(name: str) -> list[tuple[int, dict[str, object]]]:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot read {name!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TargetError(f"{name!r} is not UTF-8 text") from None
    found: list[tuple[int, dict[str, object]]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            record: object = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TargetError(f"{name}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise TargetError(f"{name}:{number}: a log line is a JSON object, not {line[:40]!r}")
        fields = cast("dict[str, object]", record)
        for key in ("sender", "receiver", "message"):
            if not isinstance(fields.get(key), str):
                raise TargetError(
                    f"{name}:{number}: a message needs the fields 'sender', 'receiver' and "
                    f"'message' (strings), as in "
                    f'{{"sender": "Buyer", "receiver": "Seller", "message": "title"}}; '
                    f"{key!r} is missing or not a string"
                )
        found.append((number, fields))
    return found


class _Run:
    """One conversation of a log, run by the roles' projections asynchronously.

    A logged message steps its sender's projection at once, then waits in the
    channel from its sender to its receiver (first in, first out) until the
    receiver's projection takes it.
    """

    def __init__(self, machines: Mapping[str, fsm.Machine]) -> None:
        self.machines = machines
        self.states = {role: machine.initial for role, machine in machines.items()}
        self.channels: dict[tuple[str, str], deque[str]] = {}

    def step(self, role: str, event: str) -> bool:
        moves = self.machines[role].transitions_from(self.states[role], event)
        if not moves:
            return False
        self.states[role] = moves[0].target
        return True

    def send(self, sender: str, receiver: str, event: str) -> bool:
        if not self.step(sender, event):
            return False
        self.channels.setdefault((sender, receiver), deque()).append(event)
        moved = True
        while moved:
            moved = False
            for (_, to), waiting in self.channels.items():
                if waiting and self.step(to, waiting[0]):
                    waiting.popleft()
                    moved = True
        return True

    def finished(self) -> bool:
        return not any(self.channels.values()) and all(
            self.states[role] in machine.final for role, machine in self.machines.items()
        )


def check_log(conversation: fsm.Conversation, name: str) -> LogVerdict:
    """Check a JSON Lines log of messages against ``conversation``.

    Each line is ``{"sender", "receiver", "message", "payload"?,
    "conversation"?}``, logged when it is sent; lines with the same
    ``conversation`` id (none: one conversation) form one run of the
    protocol. The roles run asynchronously, so a run is checked per role: a
    message steps its sender's projection (:func:`analysis.project`) where it
    is logged, and its receiver's once the receiver's projection takes it
    (messages from one sender to one receiver are taken in the order they
    were sent). Any order of independent messages that every role's
    projection allows conforms. A message with parameters needs a payload of
    exactly them, of the right JSON types for simple annotations. Ids differ
    when their JSON values differ; lines with no id are one conversation.
    The verdict names the first violation of each conversation (a message
    its sender's projection does not allow, with what that role allowed
    instead, or a wrong payload), or says how many conversations conform and
    how many of them are complete (every message taken and every role's
    projection in a final state).
    """
    from ._projection import check_conversation, projections

    if not check_conversation(conversation).ok:
        raise TargetError(
            f"{conversation.name} is not well-formed, so its roles' projections do not "
            f"run it; see `typestate check` on it"
        )
    machines = projections(conversation)
    events = conversation.events()
    by_key = {(m.sender, m.receiver, m.label): e for e, m in events.items()}
    runs: dict[str | None, _Run] = {}
    shown_as: dict[str | None, str] = {}
    found: list[str] = []  # the first violation of each conversation
    broken: set[str | None] = set()
    for number, record in _records(name):
        run = None if "conversation" not in record else json.dumps(record["conversation"])
        if run in broken:
            continue
        state = runs.setdefault(run, _Run(machines))
        label = shown_as.setdefault(run, _run_name(record))
        problem = _message_problem(conversation, machines, events, by_key, state, record)
        if problem is not None:
            where = f" in conversation {label}" if run is not None else ""
            found.append(f"{name}:{number}: {problem.replace(_WHERE, where)}")
            broken.add(run)
    if found:
        return LogVerdict(False, tuple(found))
    complete = sum(1 for state in runs.values() if state.finished())
    count = len(runs)
    lines = [
        f"{name}: conforms to {conversation.name} ({count} conversation"
        f"{'s' if count != 1 else ''}, {complete} complete)"
    ]
    unfinished = [shown_as[r] for r, state in runs.items() if not state.finished()]
    if unfinished:
        more = " ..." if len(unfinished) > 10 else ""
        lines.append(f"  not finished: {', '.join(unfinished[:10])}{more}")
    return LogVerdict(True, tuple(lines))


def _run_name(record: Mapping[str, object]) -> str:
    """How a conversation id is shown: a plain string as it is, any other value as JSON."""
    if "conversation" not in record:
        return "(no id)"
    value = record["conversation"]
    if isinstance(value, str) and value:
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value)


_WHERE = "\0where\0"  # where the conversation id goes in a message


def _message_problem(
    conversation: fsm.Conversation,
    machines: Mapping[str, fsm.Machine],
    events: Mapping[str, fsm.Message],
    by_key: Mapping[tuple[str, str, str], str],
    state: _Run,
    record: Mapping[str, object],
) -> str | None:
    """What is wrong with one logged message, with ``_WHERE`` for its conversation."""
    sender, receiver, label = (str(record[k]) for k in ("sender", "receiver", "message"))
    shown = f"{sender}->>{receiver}: {label}"
    event = by_key.get((sender, receiver, label))
    if event is not None:
        problem = _payload_problem(events[event], record)
        if problem is not None:
            return problem + _WHERE
        if state.send(sender, receiver, event):
            return None
    why = "is not allowed here" if event else f"is not a message of {conversation.name}"
    if sender not in machines:
        return f"{shown!r} {why}{_WHERE} (its roles are {', '.join(conversation.roles)})"
    machine, now = machines[sender], state.states[sender]
    allowed = [_show(events[e]) for e in machine.enabled_events(now)]
    instead = "; ".join(allowed) or f"nothing ({sender}'s part has ended)"
    if allowed and now in machine.final:
        instead += f" (or nothing: {sender}'s part may end here)"
    return f"{shown!r} {why}{_WHERE}; {sender} allowed instead: {instead}"


def _value_problem(annotation: str | None, value: object) -> str | None:
    """Why a JSON ``value`` cannot be of the simple type ``annotation`` (others pass)."""
    if annotation is None:
        return None
    text = annotation.replace(" ", "")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional[") : -1] + "|None"
    options: list[str] = []
    depth = 0
    part = ""
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "|" and depth == 0:
            options.append(part)
            part = ""
        else:
            part += char
    options.append(part)
    kinds: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
        "None": (type(None),),
        "list": (list,),
        "dict": (dict,),
    }
    for option in options:
        head = option.split("[", 1)[0]
        if head not in kinds:
            return None  # a type this check does not read: any value passes
        wanted = kinds[head]
        if isinstance(value, wanted) and not (isinstance(value, bool) and bool not in wanted):
            return None
    return f"is {json.dumps(value)[:40]}, not {annotation}"


def _payload_problem(message: fsm.Message, record: Mapping[str, object]) -> str | None:
    if "payload" not in record:
        if not message.params:
            return None
        carries = ", ".join(name for name, _ in message.params)
        return f"{_show(message)} is logged with no payload (it carries {carries})"
    payload = record["payload"]
    if not isinstance(payload, dict):
        return f"the payload of {_show(message)} is not a JSON object"
    values = cast("dict[str, object]", payload)
    given = set(values)
    wanted = {name for name, _ in message.params}
    if given == wanted:
        for field, annotation in message.params:
            wrong = _value_problem(annotation, values[field])
            if wrong is not None:
                return f"the payload of {_show(message)}: {field} {wrong}"
        return None
    missing, extra = sorted(wanted - given), sorted(given - wanted)
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"unexpected {', '.join(extra)}"] if extra else []
    carries = ", ".join(sorted(wanted)) or "nothing"
    return f"the payload of {_show(message)} has {'; '.join(parts)} (it carries {carries})"
