"""``codegen(machine, receives=...)``: the State classes of one role of a conversation.

A role's machine (a projection of a global protocol) has two kinds of events:
the messages the role sends, and the messages it receives. The classes say
which is which:

- sending is a ``@transition`` method, as in any generated module: it takes
  the message's payload and returns the next state, so a checker rejects a
  message sent out of turn (the state has no such method);
- a state that waits for a message has a ``receive()`` method that returns
  the union of the messages that may arrive there. Each message is a frozen
  class generic in the state it leads to (``Commit[Committed]``), with the
  payload as fields and the next state in ``state``; a ``match`` over what
  ``receive()`` returned, closed with ``assert_never``, is checked to handle
  every message, so a role that forgets a branch is rejected.

``receive()`` is a plain method, not a ``@transition``: it does not consume
the object it is called on (go on with the message's ``state``), and
``typestate.protocol`` reads only the ``@transition`` methods, so it sees a
role module's sends. ``typestate codegen --role ... --check`` is the drift
check for a role module.
"""

from __future__ import annotations

import keyword
from collections.abc import Collection, Mapping
from typing import cast

from fsm import DefinitionError, Machine

# The shared helpers of the module generator, which this one extends.
# pyright: reportPrivateUsage=false
from ._codegen import _chunks, _Generator, _quote, _split_params

__all__ = ["RoleGenerator", "message_class"]

_TYPEVAR = "NextState"


def message_class(event: str) -> str:
    """The name of the class of a received message: ``commit_p1`` -> ``CommitP1``."""
    return "".join(part[:1].upper() + part[1:] for part in event.split("_") if part)


class RoleGenerator(_Generator):
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
            event: given.get(event) or message_class(event) for event in self.receives
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
        return "\n".join(
            [
                "@attrs.frozen",
                f"class {self.names[event]}(Generic[{_TYPEVAR}]):",
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
