"""``codegen()``: the module of State classes that a Machine describes.

What the classes can express, and how:

- each state is a class; a superstate is an ``abstract=True`` base of its
  substates, with the superstate's transitions as its methods; a final state
  is declared ``final=True``;
- each transition group (one source, one event) is one method whose return
  annotation is the union of its targets: a guarded group (``[else]``
  included) and a ``[branch]`` both become a union, as classes express both
  with the return type; guards and actions are named in the body's
  ``NotImplementedError`` message, the only place left for them;
- an internal transition is ``@transition(internal=True)`` and a timer
  ``@transition(after=SECONDS)``; a timer whose outcomes differ (guards) is a
  definition error, as a union return is a branch and a timer cannot be one;
- a target superstate stands for its entry state (an abstract state is never
  a target), and so does an initial superstate;
- payload annotations come from the machine (the DSL's types directive),
  ``object`` where there is none. ``Optional``/``Union``/``List``... are
  written in the modern form; names from ``typing`` and ``collections.abc``
  are imported; any other type must be written with its module
  (``decimal.Decimal``) so that the module can be imported.

A superstate without any transition (its own or inherited) is a plain
abstract base to :func:`typestate.protocol`, which leaves it out: the spec and
the generated classes then differ in that state (``typestate.diff`` says so).

The text is formatted as ``ruff format`` (and Black) would format it for the
given line length, so a regenerated module is byte-for-byte stable.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import sys
from collections.abc import Collection, Mapping
from typing import cast

from fsm import AnnotationError, DefinitionError, Machine, Transition
from fsm import canonical_annotation as canonical

from ._kinds import delay_text

__all__ = ["codegen"]

# Names written in annotations that codegen imports, by module.
_IMPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "AsyncIterable",
            "AsyncIterator",
            "Awaitable",
            "Callable",
            "Collection",
            "Container",
            "Coroutine",
            "Generator",
            "Hashable",
            "Iterable",
            "Iterator",
            "Mapping",
            "MutableMapping",
            "MutableSequence",
            "MutableSet",
            "Sequence",
            "Sized",
        ),
        "collections.abc",
    ),
    **dict.fromkeys(("Annotated", "Any", "Literal", "LiteralString", "NoReturn"), "typing"),
    "Never": "typing_extensions",  # typing.Never needs Python 3.11
}
# Old spellings rewritten to the builtin generics (ruff's UP006).
_BUILTIN_GENERICS = {
    "List": "list",
    "Dict": "dict",
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Type": "type",
}
_BUILTINS = frozenset(dir(builtins))


def codegen(
    machine: Machine,
    *,
    line_length: int = 88,
    receives: Collection[str] = (),
    role: str | None = None,
) -> str:
    """The source of a module of State classes implementing ``machine``.

    Methods raise ``NotImplementedError`` naming what to implement. The
    module passes ``mypy --strict``, pyright strict, ``ruff check`` and
    ``ruff format --check`` (at ``line_length``), and
    ``typestate.protocol(<initial class>)`` matches ``machine`` (see the
    module's notes for what classes cannot express).

    Args:
        machine: the protocol, e.g. ``fsm.load("agent.mmd")``.
        line_length: the line length to format for (ruff's default is 88).
        receives: for one role of a conversation, the events that are
            messages the role receives (a mapping gives each one's class
            name; by default ``commit_x`` is ``CommitX``): a state waiting gets a
            ``receive()`` method returning the union of the messages that may
            arrive (see ``docs/explanation/conversations.md``).
        role: the role's name, for the module's docstring.

    Returns:
        The module's text.

    Raises:
        fsm.DefinitionError: every reason the machine cannot be written as
            classes (a final state with transitions, a payload type naming
            something codegen cannot import, a name that would shadow another).

    Examples:
        >>> import fsm
        >>> from typestate import codegen
        >>> door = fsm.parse('''
        ... stateDiagram-v2
        ...     %% types: open(key: str)
        ...     [*] --> Closed
        ...     Closed --> Opened : open(key)
        ...     Opened --> [*]
        ... ''', name="Door")
        >>> text = codegen(door)
        >>> print(text[text.index("from typestate"):], end="")
        from typestate import State, transition
        <BLANKLINE>
        <BLANKLINE>
        class Closed(State):
            @transition
            def open(self, key: str) -> Opened:
                raise NotImplementedError("Closed.open: return Opened")
        <BLANKLINE>
        <BLANKLINE>
        class Opened(State, final=True): ...
    """
    if receives:
        return _RoleGenerator(machine, line_length, receives, role).run()
    return _Generator(machine, line_length).run()


class _Generator:
    def __init__(self, machine: Machine, line_length: int) -> None:
        self.m = machine
        self.width = line_length
        self.problems: list[str] = []
        self.imports: dict[str, set[str]] = {}  # module -> names
        self.modules: set[str] = set()  # `import x`
        self.used: dict[str, str] = {  # names the module refers to -> what they are
            "State": "the base class imported from typestate",
            "transition": "the decorator imported from typestate",
            "annotations": "the __future__ import",
            "NotImplementedError": "the builtin the method bodies raise",
        }
        self.params: dict[str, str] = {}  # event -> "self, a: T, ..."
        # Read once, so that each class costs its own size, not the machine's.
        self.superstates = machine.superstates
        self.own: dict[str, dict[str, None]] = {}  # state -> its own events, in order
        for t in machine.transitions:
            self.own.setdefault(t.source, {}).setdefault(t.event)
        self.defines = {(t.source, t.event) for t in machine.transitions}

    def run(self) -> str:
        m = self.m
        for event in m.events:
            self.params[event] = self.signature(event)
        self.check_names()
        classes = [c for state in self.ordered() for c in self.classes(state)]
        if self.problems:
            raise DefinitionError(self.problems)
        head = [*self.docstring(), "", "from __future__ import annotations", ""]
        head += self.import_lines()
        return "\n".join(head) + "\n" + "".join("\n\n" + c for c in classes)

    # -- names --------------------------------------------------------------------

    def check_names(self) -> None:
        m = self.m
        states = set(m.states)
        for state in m.states:
            if keyword.iskeyword(state):
                self.problems.append(
                    f"state {state!r} is a Python keyword and cannot name a class; rename it"
                )
            elif state in self.used:
                self.problems.append(
                    f"state {state!r} would hide {self.used[state]} in the generated "
                    f"module; rename the state"
                )
        for event in m.events:
            if keyword.iskeyword(event):
                self.problems.append(
                    f"event {event!r} is a Python keyword and cannot name a method; rename it"
                )
            elif event.startswith("__"):
                self.problems.append(
                    f"event {event!r} starts with '__', so as a method name it would be "
                    f"mangled or special in a class body; rename it"
                )
            elif event in states:
                self.problems.append(
                    f"event {event!r} is also a state's name; in a class body the "
                    f"method would hide the class, so rename one of them"
                )
            elif event in self.used and self.is_method(event):
                self.problems.append(
                    f"{self.noun} {event!r} would be a method named {event!r}, which in a "
                    f"class body hides {self.used[event]}; rename the {self.noun}"
                )

    noun = "event"

    def is_method(self, event: str) -> bool:
        """Whether ``event`` is written as a method (a hook for subclasses)."""
        return True

    def signature(self, event: str) -> str:
        params = self.m.payload_types(event)
        parts = ["self"]
        for name, annotation in params:
            if name == "self" or name.startswith(("__", "_ts_")):
                self.problems.append(
                    f"event {event!r} has a payload named {name!r}, which a method "
                    f"parameter cannot be named (the first parameter is 'self', names "
                    f"starting with '__' are mangled, '_ts_' is typestate's); rename it"
                )
            text = "object" if annotation is None else self.annotation(event, annotation)
            if annotation is None:
                self.used.setdefault("object", "the builtin for untyped payloads")
            parts.append(f"{name}: {text}")
        return ", ".join(parts)

    def annotation(self, event: str, text: str) -> str:
        # Only what the type grammar accepts reaches the module: a Machine
        # holds canonical annotations, and this checks again rather than trust
        # that the Machine was built through its constructor.
        try:
            text = canonical(text)
        except AnnotationError as error:
            self.problems.append(
                f"event {event!r}: annotation {text!r} is not a type: {error.message} "
                f"(at offset {error.offset})"
            )
            return "object"
        tree = _Modernize().visit(ast.parse(text, mode="eval"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                root: ast.expr = node
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name):
                    root.ctx = ast.Del()  # marks a module name, not checked below
                    self.modules.add(root.id)
                    self.used.setdefault(root.id, f"the module {root.id} (in payload types)")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Del):
                self.name(event, text, node.id)
        # The modernized text is read by the grammar again, which also writes
        # its strings in double quotes, as ruff format does.
        try:
            return canonical(ast.unparse(tree))
        except AnnotationError as error:
            self.problems.append(
                f"the payload type {text!r} of event {event!r} cannot be written: {error.message}"
            )
            return "object"

    def name(self, event: str, text: str, name: str) -> None:
        if name in _IMPORTS:
            self.imports.setdefault(_IMPORTS[name], set()).add(name)
            self.used.setdefault(name, f"the name {name} imported for payload types")
        elif name in _BUILTINS:
            self.used.setdefault(name, f"the builtin {name} (in payload types)")
        else:
            self.problems.append(
                f"the payload type {text!r} of event {event!r} names {name!r}, which "
                f"is neither a builtin nor a name of typing or collections.abc; write "
                f"it with its module (such as 'decimal.Decimal') so the generated "
                f"module can import it"
            )

    def typestate_imports(self) -> list[str]:
        return ["State", "transition"]

    def import_lines(self) -> list[str]:
        # isort's order, as ruff's "I" rules want it: the standard library, then
        # the others; in each section `import x` before `from x import y`.
        stdlib = sys.stdlib_module_names
        sections: list[list[str]] = [[], []]
        for module in sorted(self.modules):
            sections[module not in stdlib].append(f"import {module}")
        froms = {**{k: sorted(v) for k, v in self.imports.items()}, "typestate": []}
        froms["typestate"] = self.typestate_imports()
        for module in sorted(froms):
            section = sections[module.partition(".")[0] not in stdlib]
            section.append(f"from {module} import {', '.join(froms[module])}")
        lines: list[str] = []
        for section in sections:
            if section:
                lines += [*sorted(section, key=_import_key), ""]
        return lines[:-1]

    # -- classes ------------------------------------------------------------------

    def ordered(self) -> list[str]:
        """The states in definition order, each superstate before its substates."""
        out: dict[str, None] = {}
        for state in self.m.states:
            if state in out:
                continue
            for s in (*reversed(self.m.ancestors(state)), state):
                out.setdefault(s)
        return list(out)

    def docstring(self) -> list[str]:
        m = self.m
        name = ascii(m.name).replace('"', '\\"')
        initial = m.resolve(m.initial)
        entry = f" (the entry of ``{m.initial}``)" if initial != m.initial else ""
        return [
            '"""State classes generated by ``typestate codegen``.',
            "",
            f"Protocol {name}; the initial state is ``{initial}``{entry}.",
            '"""',
        ]

    def classes(self, state: str) -> list[str]:
        """The classes written for ``state``: its State class (a hook for subclasses)."""
        return [self.state_class(state)]

    def state_class(self, state: str) -> str:
        m = self.m
        superstate = state in self.superstates
        final = state in m.final
        if final and superstate:
            self.problems.append(
                f"state {state!r} is final and a superstate; an abstract class is never "
                f"entered, so it cannot be final"
            )
        if final:
            self.check_final(state)
        bases = [m.parents.get(state, "State")]
        if superstate:
            bases.append("abstract=True")
        elif final:
            bases.append("final=True")
        header = f"class {state}({', '.join(bases)}):"
        methods = [self.method(state, event) for event in self.own_events(state)]
        methods += self.extra_methods(state)
        if not methods:
            return header + " ...\n"
        return header + "\n" + "\n".join(methods)

    def check_final(self, state: str) -> None:
        """Report a final ``state`` that has transitions (a hook for subclasses)."""
        if self.m.enabled_events(state):
            self.problems.append(
                f"final state {state!r} has transitions "
                f"({', '.join(self.m.enabled_events(state))}); a final State class has none, "
                f"so drop the transitions or make the state not final"
            )

    def extra_methods(self, state: str) -> list[str]:
        """Methods of ``state`` that are not transitions (a hook for subclasses)."""
        return []

    def own_events(self, state: str) -> list[str]:
        return list(self.own.get(state, ()))

    def targets(self, state: str, event: str) -> list[str]:
        found: list[str] = []
        for t in self.m.transitions_from(state, event):
            leaf = self.m.resolve(t.target)
            if leaf not in found:
                found.append(leaf)
        return found

    def method(self, state: str, event: str) -> str:
        m = self.m
        group = m.transitions_from(state, event)
        targets = self.targets(state, event)
        returns = " | ".join(targets)
        ignore = ""
        for ancestor in m.ancestors(state):
            if (ancestor, event) in self.defines:
                # An override may only narrow the return type; the spec may
                # send the event elsewhere in a substate, which is still right.
                if not set(targets) <= set(self.targets(ancestor, event)):
                    ignore = "  # type: ignore[override]"
                break
        lines = [f"    @transition{self.flags(state, event, group, targets)}"]
        lines += self.def_lines(event, self.params[event], returns, ignore)
        message = f"{state}.{event}: {_todo(group, m)}"
        call = f"raise NotImplementedError({_quote(message)})"
        if 8 + len(call) <= self.width:
            lines.append(f"        {call}")
        else:
            lines += [
                "        raise NotImplementedError(",
                *(f"            {_quote(part)}" for part in _chunks(message, self.width - 14)),
                "        )",
            ]
        return "\n".join(lines) + "\n"

    def flags(
        self, state: str, event: str, group: tuple[Transition, ...], targets: list[str]
    ) -> str:
        """The arguments of ``@transition`` for an internal transition or a timer, or ''."""
        internal = {t.internal for t in group}
        after = group[0].after  # the Machine checks that a group agrees on it
        if len(internal) > 1:
            self.problems.append(
                f"{state}.{event} is internal in some transitions of its group and not in "
                f"others; a method is one or the other, and the class face writes a group "
                f"as one method, so keep this machine on the fsm runtime and the DSL, or give "
                f"the internal and the external transitions different events"
            )
        if after is not None and len(targets) > 1:
            self.problems.append(
                f"the timer {event!r} of state {state!r} leads to {' or '.join(targets)}; the "
                f"class face writes different outcomes as a union return, which is a branch, "
                f"and a timer cannot be a branch (its guards choose the outcome when it "
                f"fires), so keep this machine on the fsm runtime and the DSL"
            )
        timers = self.m.timers
        for ancestor in self.m.ancestors(state):
            if event in timers.get(ancestor, {}):
                self.problems.append(
                    f"{state}.{event} overrides the timer {event!r} of its superstate "
                    f"{ancestor!r}; a superstate's timer keeps running in all its substates, "
                    f"and a class cannot replace it, so keep this machine on the fsm runtime "
                    f"and the DSL, or give {state}'s transition another event"
                )
                break
        parts = ["internal=True"] if True in internal else []
        if after is not None:
            parts.append(delay_text(after))
        return f"({', '.join(parts)})" if parts else ""

    def def_lines(self, event: str, params: str, returns: str, ignore: str) -> list[str]:
        # The checkers report an incompatible override on the line of the name.
        one = f"    def {event}({params}) -> {returns}:"
        if len(one) <= self.width:
            return [one + ignore]
        middle = f"        {params}"
        if len(middle) <= self.width:
            return [f"    def {event}({ignore}", middle, f"    ) -> {returns}:"]
        return [
            f"    def {event}({ignore}",
            *(f"        {p}," for p in _split_params(params)),
            f"    ) -> {returns}:",
        ]


def _todo(group: tuple[Transition, ...], m: Machine) -> str:
    """What the method must do, in words, for its NotImplementedError."""
    parts: list[str] = []
    for t in group:
        target = m.resolve(t.target)
        if t.guard == "else":
            text = f"else {target}"
        elif t.guard is not None:
            text = f"{target} if {t.guard}"
        else:
            text = target
        if t.actions:
            text += f" (after {', '.join(t.actions)})"
        parts.append(text)
    if group[0].branch:
        return "return one of " + ", ".join(parts)
    return "return " + ", ".join(parts)


def _chunks(text: str, width: int) -> list[str]:
    """Split ``text`` after spaces into parts of at most ``width`` (where possible).

    The parts become implicitly concatenated literals, one a line, which is
    how a message longer than a line is written (formatters do not split it).
    """
    parts: list[str] = []
    current = ""
    for word in text.split(" "):
        piece = word if not current else " " + word
        if current and len(current) + len(piece) > width:
            parts.append(current + " ")
            current = word
        else:
            current += piece
    parts.append(current)
    return parts


def _split_params(params: str) -> list[str]:
    """Split ``self, a: T, b: dict[str, int]`` at its top-level commas."""
    out: list[str] = []
    depth = 0
    current = ""
    quote = ""
    for char in params:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(current.strip())
            current = ""
            continue
        current += char
    out.append(current.strip())
    return out


def _import_key(line: str) -> tuple[bool, str]:
    return (line.startswith("from "), line.split()[1])


def _quote(text: str) -> str:
    """A string literal as ruff format writes it: double quotes unless that needs escapes."""
    shown = repr(text)
    if shown.startswith("'") and '"' not in text:
        return '"' + shown[1:-1].replace("\\'", "'") + '"'
    return shown


def _alternatives(node: ast.expr) -> list[ast.expr]:
    """The alternatives of a union written with ``|``, or ``[node]``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_alternatives(node.left), *_alternatives(node.right)]
    return [node]


class _Modernize(ast.NodeTransformer):
    """``Optional[X]`` -> ``X | None``, ``Union[A, B]`` -> ``A | B``, ``List`` -> ``list``."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        head = node.value
        if isinstance(head, ast.Name) and head.id in ("Optional", "Union"):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head.id == "Optional":
                items = [*items, ast.Constant(None)]
            # A nested union joins the flat list of alternatives: `A | B | C`,
            # not `A | (B | C)`, which no type grammar reads.
            alternatives = [leaf for item in items for leaf in _alternatives(item)]
            result = alternatives[0]
            for item in alternatives[1:]:
                result = ast.BinOp(result, ast.BitOr(), item)
            return result
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in _BUILTIN_GENERICS:
            return ast.Name(_BUILTIN_GENERICS[node.id], ast.Load())
        return node


# -- the classes of one role of a conversation --------------------------------------
#
# ``codegen(machine, receives=...)``: the State classes of one role of a conversation.
#
# A role's machine (a projection of a global protocol) has two kinds of events:
# the messages the role sends, and the messages it receives. The classes say
# which is which:
#
# - sending is a ``@transition`` method, as in any generated module: it takes
#   the message's payload and returns the next state, so a checker rejects a
#   message sent out of turn (the state has no such method);
# - a state that waits for a message has a ``receive()`` method that returns
#   the union of the messages that may arrive there. Each message is a frozen
#   class generic in the state it leads to (``Commit[Committed]``), with the
#   payload as fields and the next state in ``state``; a ``match`` over what
#   ``receive()`` returned, closed with ``assert_never``, is checked to handle
#   every message, so a role that forgets a branch is rejected.
#
# ``receive()`` is a plain method, not a ``@transition``: it does not consume
# the object it is called on (go on with the message's ``state``), and
# ``typestate.protocol`` reads only the ``@transition`` methods, so it sees a
# role module's sends. ``typestate codegen --role ... --check`` is the drift
# check for a role module.

_TYPEVAR = "NextState"


def _message_class(event: str) -> str:
    """The name of the class of a received message: ``commit_p1`` -> ``CommitP1``."""
    return "".join(part[:1].upper() + part[1:] for part in event.split("_") if part)


class _RoleGenerator(_Generator):
    """The generator of :func:`typestate.codegen` for a role (``receives`` not empty)."""

    def __init__(
        self, machine: Machine, line_length: int, receives: Collection[str], role: str | None
    ) -> None:
        super().__init__(machine, line_length)
        self.role = role
        self.receives = frozenset(receives)
        given: Mapping[str, str] = (
            cast("Mapping[str, str]", receives) if isinstance(receives, Mapping) else {}
        )
        self.names: dict[str, str] = {
            event: given.get(event) or _message_class(event) for event in self.receives
        }
        unknown = sorted(self.receives - set(machine.events))
        if unknown:
            raise DefinitionError(
                f"receives names {', '.join(map(repr, unknown))}, which "
                f"{'is not an event' if len(unknown) == 1 else 'are not events'} of "
                f"{machine.name!r}; name the events the role receives"
            )
        self.sends = any(t.event not in self.receives for t in machine.transitions)
        self.used.update(
            {
                "attrs": "the module attrs imported for the message classes",
                "Generic": "the name Generic imported for the message classes",
                "TypeVar": "the name TypeVar imported for the message classes",
                _TYPEVAR: "the type variable of the message classes",
                "receive": "the method that receives a message",
            }
        )
        self.modules.add("attrs")
        self.imports.setdefault("typing", set()).update(("Generic", "TypeVar"))
        self.messages: dict[str, None] = {}  # received events, in order of first use

    def check_names(self) -> None:
        super().check_names()
        states = set(self.m.states)
        seen: dict[str, str] = {}
        for event in sorted(self.receives):
            name = self.names[event]
            if not name.isidentifier() or keyword.iskeyword(name):
                self.problems.append(
                    f"the message class {name!r} of event {event!r} is not a class name"
                )
            elif name in states or name in self.used:
                what = f"the state {name!r}" if name in states else self.used[name]
                self.problems.append(
                    f"the message class {name!r} of event {event!r} would hide {what} in "
                    f"the generated module; rename the message or the state"
                )
            elif name in seen:
                self.problems.append(
                    f"events {seen[name]!r} and {event!r} would both be the message class "
                    f"{name!r}; rename one of them"
                )
            seen[name] = event
            for field in _split_params(self.params[event])[1:]:
                if field.partition(":")[0] == "state":
                    self.problems.append(
                        f"event {event!r} has a payload named 'state', which is the field "
                        f"of a message that holds the next state; rename it"
                    )

    noun = "message"

    def is_method(self, event: str) -> bool:
        return event not in self.receives

    def typestate_imports(self) -> list[str]:
        return ["State", "transition"] if self.sends else ["State"]

    def docstring(self) -> list[str]:
        lines = super().docstring()
        if self.role is not None:
            lines[0] = f'"""State classes generated by ``typestate codegen --role {self.role}``.'
        return [
            *lines[:-1],
            "",
            "A method sends a message and returns the next state; ``receive()`` returns",
            "one of the messages that may arrive, whose ``state`` is the next state.",
            '"""',
        ]

    def import_lines(self) -> list[str]:
        lines = super().import_lines()
        return [*lines, "", f'{_TYPEVAR} = TypeVar("{_TYPEVAR}", bound=State)']

    def own_events(self, state: str) -> list[str]:
        return [e for e in super().own_events(state) if e not in self.receives]

    def check_final(self, state: str) -> None:
        # A final state may still receive (``receive()`` is no transition): the
        # role may end there, or go on when a message arrives. It may not send.
        sends = [e for e in self.m.enabled_events(state) if e not in self.receives]
        if sends:
            self.problems.append(
                f"the role may end in state {state!r} or send "
                f"{', '.join(map(repr, sends))} there (the conversation ends in an opt or a "
                f"loop that the role starts); a final State class cannot send, so end the "
                f"conversation with a message after it"
            )

    def extra_methods(self, state: str) -> list[str]:
        incoming = [e for e in self.own.get(state, ()) if e in self.receives]
        if not incoming:
            return []
        options: list[str] = []
        for event in incoming:
            self.messages.setdefault(event)
            options.append(f"{self.names[event]}[{' | '.join(self.targets(state, event))}]")
        returns = " | ".join(options)
        one = f"    def receive(self) -> {returns}:"
        if len(one) <= self.width:
            lines = [one]
        elif len(f"    ) -> {returns}:") <= self.width:
            lines = ["    def receive(", "        self,", f"    ) -> {returns}:"]
        else:  # one alternative a line, as ruff format writes a long union
            alternatives = [f"        {options[0]}", *(f"        | {o}" for o in options[1:])]
            lines = ["    def receive(", "        self,", "    ) -> (", *alternatives, "    ):"]
        message = f"{state}.receive: return {' or '.join(options)}"
        call = f"raise NotImplementedError({_quote(message)})"
        if 8 + len(call) <= self.width:
            lines.append(f"        {call}")
        else:
            lines += [
                "        raise NotImplementedError(",
                *(f"            {_quote(part)}" for part in _chunks(message, self.width - 14)),
                "        )",
            ]
        return ["\n".join(lines) + "\n"]

    def run(self) -> str:
        text = super().run()
        return text + "".join("\n\n" + self.message(event) for event in self.messages)

    def message(self, event: str) -> str:
        fields = _split_params(self.params[event])[1:]
        header = [f"class {self.names[event]}(Generic[{_TYPEVAR}]):"]
        if len(header[0]) > self.width:  # as ruff format wraps it
            header = [f"class {self.names[event]}(", f"    Generic[{_TYPEVAR}]", "):"]
        return "\n".join(
            [
                "@attrs.frozen",
                *header,
                f'    """The message ``{event}``.',
                "",
                "    ``state`` is the state that receiving it leads to.",
                '    """',
                "",
                f"    state: {_TYPEVAR}",
                *(f"    {field}" for field in fields),
                "",
            ]
        )
