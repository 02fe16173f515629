"""Conversations: a global protocol between roles, as data.

A :class:`Conversation` says, from above, who sends which message to whom and
in which order: a sequence of :class:`Message`, :class:`Choice` and
:class:`Loop` interactions. It is written as a Mermaid ``sequenceDiagram``
(:func:`fsm.parse_conversation`, :func:`fsm.dumps_conversation`) or as JSON
(:meth:`Conversation.to_dict`, :meth:`Conversation.from_dict`); the analysis
projects it to one :class:`fsm.Machine` per role (``analysis.project``).

A message's **event**, the name its sender's and its receiver's machines share,
is ``<sender>_<label>_<receiver>`` (``Buyer_title_Seller``): readable, a valid
name, and different for each ``(sender, receiver, label)``. A conversation in
which two messages would get the same event (possible only when role names or
labels contain ``_``) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, TypeAlias, cast

import attrs

from ._annotation import AnnotationError, annotation_problem, canonical
from ._errors import SHOWN, DefinitionError, Problem, short_repr
from ._frozen import FrozenMap
from ._limits import MAX_DEPTH, check_document_depth
from ._names import is_name, title_problem

__all__ = [
    "KIND",
    "SCHEMA_VERSION",
    "SEQUENCE_KEYWORDS",
    "Choice",
    "Conversation",
    "Interaction",
    "Loop",
    "Message",
    "event_name",
    "text_problem",
]

#: The ``kind`` of a conversation's JSON document.
KIND: Final = "typestate.conversation"
#: The version of the JSON document written by :meth:`Conversation.to_dict`.
SCHEMA_VERSION: Final = 1

#: Words Mermaid's ``sequenceDiagram`` lexer reads as keywords where a
#: participant stands (any casing), so no role may be named so.
SEQUENCE_KEYWORDS: Final = frozenset(
    {
        "participant",
        "actor",
        "as",
        "loop",
        "alt",
        "else",
        "opt",
        "end",
        "par",
        "par_over",
        "and",
        "rect",
        "critical",
        "option",
        "break",
        "note",
        "over",
        "left",
        "right",
        "of",
        "title",
        "autonumber",
        "activate",
        "deactivate",
        "box",
        "create",
        "destroy",
        "link",
        "links",
        "properties",
        "details",
        "acctitle",
        "accdescr",
        "off",
        "sequencediagram",
    }
)


def event_name(sender: str, label: str, receiver: str) -> str:
    """The event of a message: ``<sender>_<label>_<receiver>``.

    The sender's and the receiver's projections share it, so that
    ``analysis.compose`` synchronises them on it.
    """
    return f"{sender}_{label}_{receiver}"


def text_problem(text: str, what: str) -> str | None:
    """Why ``text`` (an alias or a branch's description) cannot be written, or None.

    Mermaid reads such a text to the end of the line, but ends it at ``;``
    (a statement separator) and ``#`` (an entity code) and skips ``%%``.
    """
    for bad, why in (
        ("\n", "a line break"),
        ("\r", "a line break"),
        (";", "';', which Mermaid reads as the end of a statement"),
        ("#", "'#', which Mermaid reads as the start of an entity code"),
        ("%%", "'%%', which Mermaid reads as a comment"),
    ):
        if bad in text:
            return f"{what} {short_repr(text)} contains {why}; remove it"
    if text != text.strip():
        return f"{what} {short_repr(text)} starts or ends with spaces; remove them"
    problem = title_problem(text)
    if problem is not None:
        return problem.replace("machine name", what, 1)
    return None


def _params(value: Iterable[tuple[str, str | None]]) -> tuple[tuple[str, str | None], ...]:
    return tuple((name, annotation) for name, annotation in value)


@attrs.frozen
class Message:
    """One message: ``sender`` sends ``label`` (with its payload) to ``receiver``.

    Args:
        sender: the role that sends.
        receiver: the role that receives (another role).
        label: the message's name, an identifier.
        params: the payload as ``(name, annotation)`` pairs, as in
            :class:`fsm.Transition`; the annotation is a type or None.
    """

    sender: str
    receiver: str
    label: str
    params: tuple[tuple[str, str | None], ...] = attrs.field(default=(), converter=_params)

    @property
    def event(self) -> str:
        """The event both projections share: ``<sender>_<label>_<receiver>``."""
        return event_name(self.sender, self.label, self.receiver)


def _body(value: Iterable[Interaction]) -> tuple[Interaction, ...]:
    return tuple(value)


def _branches(value: Iterable[Iterable[Interaction]]) -> tuple[tuple[Interaction, ...], ...]:
    return tuple(tuple(branch) for branch in value)


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    texts = tuple(value)
    # Blank descriptions are no descriptions: the diagram cannot tell them apart.
    return () if all(text == "" for text in texts) else texts


@attrs.frozen
class Choice:
    """A choice: the role ``at`` decides which of the ``branches`` is taken.

    The first message of each branch is sent by ``at`` and tells the other
    roles which branch it is (:func:`analysis.check_conversation` checks it).
    An ``opt`` block is a choice with two branches, the second empty.
    ``at`` must be the sender of the choice's first message (in its first
    branch that holds one), as the diagram, which does not write it, reads it;
    a choice holds at least one message.

    Args:
        at: the deciding role.
        branches: one or more sequences of interactions.
        descriptions: the text after ``alt`` and each ``else`` (``opt``), one
            per branch, as written in the diagram; empty by default (all
            blank is the same as none).
    """

    at: str
    branches: tuple[tuple[Interaction, ...], ...] = attrs.field(converter=_branches)
    descriptions: tuple[str, ...] = attrs.field(default=(), converter=_texts)


@attrs.frozen
class Loop:
    """A loop: ``body`` is repeated zero or more times, then the conversation goes on.

    Whether to go round again or to leave is a choice: the sender of the
    body's first message decides, and the first message after the loop (by
    the same role, with another label) tells the others it left.

    Args:
        body: the interactions repeated, at least one message among them.
        description: the text after ``loop`` in the diagram; empty by default.
    """

    body: tuple[Interaction, ...] = attrs.field(converter=_body)
    description: str = ""


#: One step of a conversation.
Interaction: TypeAlias = "Message | Choice | Loop"


def _roles(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _aliases(value: Mapping[str, str]) -> FrozenMap[str, str]:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


def _actors(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset((value,))
    return frozenset(value)


@attrs.frozen
class Conversation:
    """A global protocol: the messages between ``roles``, in order (``fsm.Conversation``).

    Built from Python calls, from a Mermaid ``sequenceDiagram``
    (:func:`fsm.parse_conversation`) or from JSON (:meth:`from_dict`), and
    checked when built: every problem found is reported in one
    :class:`fsm.DefinitionError`.

    Args:
        name: the conversation's name.
        roles: every role, in order (the participants of the diagram).
        body: the interactions, in order.
        aliases: the display name of a role (``participant B as Buyer``).
        actors: the roles drawn as actors (``actor``) rather than boxes.

    Raises:
        DefinitionError: an unknown or invalid role, label or payload name,
            a message to oneself, a loop without a message, nesting deeper
            than :data:`fsm.MAX_DEPTH`, or two messages with the same event.

    Examples:
        >>> import fsm
        >>> c = fsm.Conversation(
        ...     "Ping", ("A", "B"), (fsm.Message("A", "B", "ping"), fsm.Message("B", "A", "pong"))
        ... )
        >>> [m.event for m in c.messages()]
        ['A_ping_B', 'B_pong_A']
    """

    name: str
    roles: tuple[str, ...] = attrs.field(converter=_roles)
    body: tuple[Interaction, ...] = attrs.field(converter=_body)
    aliases: Mapping[str, str] = attrs.field(default=FrozenMap[str, str](), converter=_aliases)
    actors: frozenset[str] = attrs.field(default=frozenset[str](), converter=_actors)

    def __attrs_post_init__(self) -> None:
        problems = _validate(self)
        if problems:
            raise DefinitionError(problems)

    def messages(self) -> Iterator[Message]:
        """Every message of the conversation, in the order written (depth first)."""
        stack: list[Iterator[Interaction]] = [iter(self.body)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, Message):
                yield item
            elif isinstance(item, Loop):
                stack.append(iter(item.body))
            else:
                stack.append(iter([i for branch in item.branches for i in branch]))

    def events(self) -> dict[str, Message]:
        """Each event of the conversation and its first message, in order."""
        found: dict[str, Message] = {}
        for message in self.messages():
            found.setdefault(message.event, message)
        return found

    def to_dict(self) -> dict[str, Any]:
        """This conversation as a JSON-safe dict (schema below; :meth:`from_dict` reads it).

        The document::

            {"kind": "typestate.conversation", "version": 1, "name": "Ping",
             "roles": ["A", "B"],
             "aliases": {"A": "Alice"},           # optional
             "actors": ["A"],                     # optional
             "body": [
               {"message": {"from": "A", "to": "B", "label": "ping",
                            "params": [["n", "int"]]}},   # params optional
               {"choice": {"at": "A", "branches": [[...], [...]],
                           "descriptions": ["ok", ""]}},  # optional
               {"loop": {"body": [...], "description": "again"}}  # optional
             ]}
        """
        return {
            "kind": KIND,
            "version": SCHEMA_VERSION,
            "name": self.name,
            "roles": list(self.roles),
            "aliases": dict(self.aliases),
            "actors": [r for r in self.roles if r in self.actors],
            "body": _write_body(self.body),
        }

    @classmethod
    def from_dict(cls, data: object) -> Conversation:
        """Read a conversation from the JSON document :meth:`to_dict` writes.

        Unknown keys are refused, as in :meth:`fsm.Machine.from_dict`.

        Raises:
            DefinitionError: every problem found, each with its JSON path.
        """
        check_document_depth(data)
        reader = _Reader()
        fields = reader.document(data)
        if reader.problems:
            raise DefinitionError(reader.problems)
        try:
            return cls(**fields)
        except DefinitionError as error:
            raise DefinitionError(
                [attrs.evolve(p, path=p.path or "$") for p in error.problems]
            ) from None


# -- validation ------------------------------------------------------------------------


def _validate(conversation: Conversation) -> list[Problem]:
    problems: list[str] = []
    name = cast("object", conversation.name)
    if not isinstance(name, str) or not name:
        problems.append(f"a conversation needs a name (a non-empty string), got {short_repr(name)}")
    elif (why := title_problem(name)) is not None:
        problems.append(why.replace("machine name", "conversation name", 1))
    roles = conversation.roles
    known: set[str] = set()
    for role in roles:
        if not is_name(role):
            problems.append(
                f"role {short_repr(role)} is not a name; a role is an identifier "
                f"([A-Za-z_][A-Za-z0-9_]*)"
            )
        elif role.lower() in SEQUENCE_KEYWORDS:
            problems.append(
                f"role {role!r} is a Mermaid sequenceDiagram keyword (any casing); rename it "
                f"(for example {role.capitalize() + 'Role'!r})"
            )
        elif role in known:
            problems.append(f"role {role!r} is listed twice; list each role once")
        known.add(role)
    aliases = cast("Mapping[str, object]", conversation.aliases)
    for role, alias in aliases.items():
        if role not in known:
            problems.append(f"alias given for {short_repr(role)}, which is not a role")
        elif not isinstance(alias, str) or not alias:
            problems.append(f"alias of role {role!r} must be a non-empty string")
        elif (why := text_problem(alias, f"alias of role {role!r}")) is not None:
            problems.append(why)
    for role in sorted(conversation.actors - known, key=str):
        problems.append(f"actor {short_repr(role)} is not a role")
    events: dict[str, Message] = {}
    # Depth first, without recursion: (interactions, depth).
    stack: list[tuple[tuple[Interaction, ...], int]] = [(conversation.body, 1)]
    while stack and len(problems) < 100:
        items, depth = stack.pop()
        for item in items:
            entry = cast("object", item)
            if not isinstance(entry, (Message, Choice, Loop)):
                problems.append(
                    f"expected fsm.Message, fsm.Choice or fsm.Loop in a conversation, got "
                    f"{short_repr(entry)}"
                )
                continue
            if isinstance(item, Message):
                _message_problems(item, known, events, problems)
                continue
            if depth >= MAX_DEPTH:
                problems.append(
                    f"alt, opt and loop blocks nest more than {MAX_DEPTH} deep (the limit, "
                    f"fsm.MAX_DEPTH); flatten the conversation"
                )
                stack.clear()
                break
            if isinstance(item, Loop):
                if not _has_message(item.body):
                    problems.append("a loop must hold at least one message; remove the empty loop")
                elif (why := _description_problem(item.description, "loop")) is not None:
                    problems.append(why)
                stack.append((item.body, depth + 1))
            else:
                if item.at not in known:
                    problems.append(
                        f"choice at {short_repr(item.at)}: the deciding role is not a role of "
                        f"the conversation; add it to the roles"
                    )
                if not item.branches:
                    problems.append("a choice needs at least one branch")
                first = _first_sender(item)
                if item.branches and first is None:
                    problems.append(
                        "a choice must hold a message in at least one branch; remove the "
                        "empty choice"
                    )
                elif first is not None and item.at != first and item.at in known:
                    # The text form does not write 'at': it is this role.
                    problems.append(
                        f"choice at {item.at!r}: the first message of the choice is sent by "
                        f"{first!r}, and the role that sends it decides; write "
                        f"Choice({first!r}, ...)"
                    )
                if item.descriptions and len(item.descriptions) != len(item.branches):
                    problems.append(
                        f"a choice of {len(item.branches)} branches has "
                        f"{len(item.descriptions)} descriptions; give one per branch or none"
                    )
                for text in item.descriptions:
                    if (why := _description_problem(text, "choice")) is not None:
                        problems.append(why)
                for branch in item.branches:
                    stack.append((branch, depth + 1))
    return [Problem(p) for p in problems]


def _first_sender(choice: Choice) -> str | None:
    """The sender of the first message of ``choice`` (its first branch that has one)."""
    # Depth first, left to right, without recursion (the depth is checked later).
    stack: list[Interaction] = []
    for branch in reversed(choice.branches):
        stack.extend(reversed(branch))
    while stack:
        item = stack.pop()
        if isinstance(item, Message):
            return item.sender
        if isinstance(item, Loop):
            stack.extend(reversed(item.body))
        elif isinstance(item, Choice):  # pyright: ignore[reportUnnecessaryIsInstance]
            for branch in reversed(item.branches):
                stack.extend(reversed(branch))
    return None


def _description_problem(text: object, what: str) -> str | None:
    if not isinstance(text, str):
        return f"a {what}'s description must be a string, got {short_repr(text)}"
    if not text:
        return None
    return text_problem(text, f"description of a {what}")


def _has_message(items: tuple[Interaction, ...]) -> bool:
    stack = [items]
    while stack:
        for item in stack.pop():
            if isinstance(item, Message):
                return True
            if isinstance(item, Loop):
                stack.append(item.body)
            elif isinstance(item, Choice):  # pyright: ignore[reportUnnecessaryIsInstance]
                stack.extend(item.branches)
    return False


def _message_problems(
    message: Message, roles: set[str], events: dict[str, Message], problems: list[str]
) -> None:
    # ``events`` also maps "label:" + label to the first message of that label.
    shown = f"message {short_repr(message.label)}"
    if not is_name(message.label):
        problems.append(f"{shown}: the label is not a name; a label is an identifier")
        return
    for what, role in (("sender", message.sender), ("receiver", message.receiver)):
        if role not in roles:
            problems.append(
                f"{shown}: {what} {short_repr(role)} is not a role of the conversation; "
                f"add it to the roles"
            )
            return
    if message.sender == message.receiver:
        problems.append(
            f"{shown}: {message.sender!r} sends it to itself; a message goes to another role"
        )
        return
    seen: set[str] = set()
    for param, annotation in message.params:
        if not is_name(param):
            problems.append(f"{shown}: payload name {short_repr(param)} is not an identifier")
        elif param in seen:
            problems.append(f"{shown}: payload {param!r} is given twice")
        seen.add(param)
        if annotation is not None and (why := annotation_problem(annotation)) is not None:
            problems.append(f"{shown}: {why}")
    event = message.event
    other = events.setdefault(event, message)
    if other is not message and (other.sender, other.label, other.receiver) != (
        message.sender,
        message.label,
        message.receiver,
    ):
        problems.append(
            f"{shown} from {message.sender!r} to {message.receiver!r} and message "
            f"{other.label!r} from {other.sender!r} to {other.receiver!r} would share the "
            f"event {event!r}; rename a role or a label"
        )
    first = events.setdefault("label:" + message.label, message)
    if first is not message and first.params != message.params:
        problems.append(
            f"{shown} is sent with two different payloads ({_payload(first)} and "
            f"{_payload(message)}); give every message of one label the same payload"
        )


def _payload(message: Message) -> str:
    return ", ".join(n if a is None else f"{n}: {a}" for n, a in message.params) or "none"


# -- JSON ------------------------------------------------------------------------------


def _write_body(items: tuple[Interaction, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Message):
            message: dict[str, Any] = {
                "from": item.sender,
                "to": item.receiver,
                "label": item.label,
            }
            if item.params:
                message["params"] = [[n, a] for n, a in item.params]
            out.append({"message": message})
        elif isinstance(item, Choice):
            choice: dict[str, Any] = {
                "at": item.at,
                "branches": [_write_body(b) for b in item.branches],
            }
            if any(item.descriptions):
                choice["descriptions"] = list(item.descriptions)
            out.append({"choice": choice})
        else:
            loop: dict[str, Any] = {"body": _write_body(item.body)}
            if item.description:
                loop["description"] = item.description
            out.append({"loop": loop})
    return out


def _type_name(value: object) -> str:
    names: dict[type, str] = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
    }
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return names.get(type(value), type(value).__name__)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(message[:400], path=path[:200]))

    def obj(
        self, path: str, value: object, keys: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"expected an object, got {_type_name(value)}")
            return None
        doc = cast("dict[str, Any]", value)
        for key in getattr(doc, "repeated", ()):
            self.fail(f"{path}.{key}", f"duplicate key {key!r}; a key may appear once")
        for key in doc:
            if key not in keys:
                self.fail(
                    f"{path}.{key}",
                    f"unknown key {short_repr(key)}; the keys allowed here are: " + ", ".join(keys),
                )
        for key in required:
            if key not in doc:
                self.fail(f"{path}.{key}", f"missing required key {key!r}")
        return doc

    def string(self, path: str, value: object) -> str:
        if isinstance(value, str):
            return value
        self.fail(path, f"expected a string, got {_type_name(value)} ({short_repr(value)})")
        return ""

    def array(self, path: str, value: object) -> list[object]:
        if isinstance(value, list):
            return cast("list[object]", value)
        self.fail(path, f"expected an array, got {_type_name(value)}")
        return []

    def document(self, data: object) -> dict[str, Any]:
        doc = self.obj(
            "$",
            data,
            ("kind", "version", "name", "roles", "aliases", "actors", "body"),
            ("kind", "version", "name", "roles", "body"),
        )
        if doc is None:
            return {}
        if "kind" in doc and doc["kind"] != KIND:
            self.fail("$.kind", f"expected {KIND!r}, got {short_repr(doc['kind'])}")
        version = doc.get("version", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            self.fail("$.version", f"expected a whole number, got {_type_name(version)}")
        elif not 1 <= version <= SCHEMA_VERSION:
            self.fail(
                "$.version",
                f"schema version {version} is not supported; this release reads version "
                f"{SCHEMA_VERSION} (upgrade typestate to read newer files)",
            )
        name = self.string("$.name", doc.get("name", ""))
        roles = [
            self.string(f"$.roles[{n}]", r)
            for n, r in enumerate(self.array("$.roles", doc.get("roles", [])))
        ]
        aliases: dict[str, str] = {}
        raw = doc.get("aliases", {})
        if isinstance(raw, dict):
            for key, value in cast("dict[str, object]", raw).items():
                aliases[key] = self.string(f"$.aliases.{key}", value)
        else:
            self.fail("$.aliases", f"expected an object of strings, got {_type_name(raw)}")
        actors = [
            self.string(f"$.actors[{n}]", r)
            for n, r in enumerate(self.array("$.actors", doc.get("actors", [])))
        ]
        body = self.body("$.body", doc.get("body", []))
        return {"name": name, "roles": roles, "body": body, "aliases": aliases, "actors": actors}

    def body(self, path: str, value: object) -> list[Interaction]:
        out: list[Interaction] = []
        for n, raw in enumerate(self.array(path, value)):
            where = f"{path}[{n}]"
            item = self.obj(where, raw, ("message", "choice", "loop"), ())
            if item is None:
                continue
            if len(item) != 1:
                self.fail(where, "expected an object with one key: message, choice or loop")
                continue
            [(key, inner)] = item.items()
            where = f"{where}.{key}"
            if key == "message":
                out.extend(self.message(where, inner))
            elif key == "choice":
                doc = self.obj(where, inner, ("at", "branches", "descriptions"), ("at", "branches"))
                if doc is None:
                    continue
                at = self.string(f"{where}.at", doc.get("at", ""))
                branches = [
                    self.body(f"{where}.branches[{k}]", b)
                    for k, b in enumerate(self.array(f"{where}.branches", doc.get("branches", [])))
                ]
                texts = [
                    self.string(f"{where}.descriptions[{k}]", t)
                    for k, t in enumerate(
                        self.array(f"{where}.descriptions", doc.get("descriptions", []))
                    )
                ]
                out.append(Choice(at, branches, texts))
            elif key == "loop":
                doc = self.obj(where, inner, ("body", "description"), ("body",))
                if doc is None:
                    continue
                inside = self.body(f"{where}.body", doc.get("body", []))
                text = self.string(f"{where}.description", doc.get("description", ""))
                out.append(Loop(inside, text))
        return out

    def message(self, path: str, value: object) -> list[Message]:
        doc = self.obj(path, value, ("from", "to", "label", "params"), ("from", "to", "label"))
        if doc is None:
            return []
        before = len(self.problems)
        sender = self.string(f"{path}.from", doc.get("from", ""))
        receiver = self.string(f"{path}.to", doc.get("to", ""))
        label = self.string(f"{path}.label", doc.get("label", ""))
        params: list[tuple[str, str | None]] = []
        for k, pair in enumerate(self.array(f"{path}.params", doc.get("params", []))):
            where = f"{path}.params[{k}]"
            items = cast("list[object]", pair) if isinstance(pair, list) else []
            if (
                len(items) != 2
                or not isinstance(items[0], str)
                or not (items[1] is None or isinstance(items[1], str))
            ):
                self.fail(
                    where,
                    f"expected a [name, annotation] pair of a string and a string or null, "
                    f"got {short_repr(pair)}",  # pyright: ignore[reportUnknownArgumentType]
                )
                continue
            annotation = items[1]
            if isinstance(annotation, str):
                try:
                    annotation = canonical(annotation)
                except AnnotationError as error:
                    self.fail(
                        f"{where}[1]",
                        f"annotation {annotation[:SHOWN]!r} of payload {items[0]!r} is not a "
                        f"type: {error.message} (at offset {error.offset})",
                    )
                    continue
            params.append((items[0], annotation))
        if len(self.problems) != before:
            return []
        return [Message(sender, receiver, label, params)]
