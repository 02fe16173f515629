"""The JSON form of a Machine: writing it, reading it with errors that name the JSON path.

This module holds all of the format; :meth:`fsm.Machine.to_dict`,
:meth:`fsm.Machine.from_dict`, :attr:`fsm.Machine.fingerprint` and
:func:`fsm.load` (for ``.json`` files) call it. It sits below the Machine: it
builds the keyword arguments of a Machine, and the Machine builds itself.

The document (schema version 1) is::

    {
      "kind": "typestate.machine",        # required, this exact string
      "version": 1,                       # required; newer versions are refused
      "name": "Agent",
      "states": ["Idle", "Busy"],
      "initial": "Idle",
      "final": ["Busy"],                  # optional, default []
      "parents": {"Busy": "Connected"},   # optional, default {}
      "entries": {"Connected": "Busy"},   # optional, default {}
      "transitions": [                    # optional, default []
        {"source": "Idle", "event": "go", "target": "Busy",
         "guard": "ok",                   # optional
         "actions": ["log"],              # optional
         "params": [["task", "str"]],     # optional; annotation may be null
         "branch": true,                  # optional, default false
         "internal": true,                # optional, default false
         "after": 30.0}                   # optional: a timer's delay in seconds
      ]
    }

Unknown keys are refused, so that a typo never silently drops information.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from ._annotation import AnnotationError, canonical
from ._duration import delay_problem
from ._errors import SHOWN, SHOWN_TYPE, DefinitionError, Problem, short_repr
from ._limits import check_document_depth, check_json_text_depth
from ._transition import Transition

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._model import Machine

__all__ = [
    "KIND",
    "SCHEMA_VERSION",
    "document",
    "fingerprint",
    "located",
    "machine_fields",
    "object_pairs",
    "read_text",
]

#: The version of the JSON document written by :meth:`Machine.to_dict`.
SCHEMA_VERSION: Final = 1
KIND: Final = "typestate.machine"

_TOP_KEYS = (
    "kind",
    "version",
    "name",
    "states",
    "initial",
    "final",
    "parents",
    "entries",
    "transitions",
)
_TRANSITION_KEYS = (
    "source",
    "event",
    "target",
    "guard",
    "actions",
    "params",
    "branch",
    "internal",
    "after",
)


# -- writing ---------------------------------------------------------------------------


def document(machine: Machine) -> dict[str, Any]:
    """``machine`` as a JSON-safe dict: the body of :meth:`fsm.Machine.to_dict`."""
    # Read from the compiled arrays: a machine built from arrays makes no
    # Transition object for its plain transitions.
    compiled = machine.compiled
    states = machine.states
    events = compiled.events
    transitions: list[dict[str, Any]] = [
        {"source": states[s], "event": events[e], "target": states[t]}
        for s, e, t in zip(compiled.source, compiled.event, compiled.target, strict=True)
    ]
    for n, rich in compiled.rich.items():
        transitions[n] = _item(rich)
    return _top(machine, transitions)


def _top(machine: Machine, transitions: object) -> dict[str, Any]:
    order = machine.compiled.state_index
    parents = machine.parents
    entries = machine.entries
    return {
        "kind": KIND,
        "version": SCHEMA_VERSION,
        "name": machine.name,
        "states": list(machine.states),
        "initial": machine.initial,
        "final": sorted(machine.final, key=order.__getitem__),
        "parents": {s: parents[s] for s in machine.states if s in parents},
        "entries": {s: entries[s] for s in machine.states if s in entries},
        "transitions": transitions,
    }


def _item(t: Transition) -> dict[str, Any]:
    """One transition of the document."""
    item: dict[str, Any] = {
        "source": t.source,
        "event": t.event,
        "target": t.target,
    }
    if t.guard is not None:
        item["guard"] = t.guard
    if t.actions:
        item["actions"] = list(t.actions)
    if t.params:
        item["params"] = [[name, ann] for name, ann in t.params]
    if t.branch:
        item["branch"] = True
    if t.internal:
        item["internal"] = True
    if t.after is not None:
        # Always a float, so that after=30 and after=30.0 (equal machines)
        # have one fingerprint.
        item["after"] = float(t.after)
    return item


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_EMPTY: Final = '"transitions":[]'
#: A plain transition in canonical JSON; the names of a valid machine are
#: identifiers, which JSON writes as they are, between quotes.
_PLAIN_ITEM: Final = '{{"event":"{}","source":"{}","target":"{}"}}'.format
_CHUNK: Final = 1 << 16


def fingerprint(machine: Machine) -> str:
    """The sha256 (hex) of ``machine``'s canonical JSON: sorted keys, no spaces.

    The text is hashed as it is written, a slice of transitions at a time,
    from the compiled arrays: neither the whole text nor a Transition object
    per plain transition is made.
    """
    compiled = machine.compiled
    states = machine.states
    events = compiled.events
    source = compiled.source
    event = compiled.event
    target = compiled.target
    rich = compiled.rich
    rich_numbers = sorted(rich)
    head, _, tail = _canonical(_top(machine, [])).rpartition(_EMPTY)
    digest = hashlib.sha256(head.encode("utf-8") + _EMPTY[:-1].encode("utf-8"))
    next_rich = 0
    for start in range(0, len(source), _CHUNK):
        end = min(start + _CHUNK, len(source))
        items = list(
            map(
                _PLAIN_ITEM,
                map(events.__getitem__, event[start:end]),
                map(states.__getitem__, source[start:end]),
                map(states.__getitem__, target[start:end]),
            )
        )
        while next_rich < len(rich_numbers) and rich_numbers[next_rich] < end:
            n = rich_numbers[next_rich]
            items[n - start] = _canonical(_item(rich[n]))
            next_rich += 1
        digest.update((("," if start else "") + ",".join(items)).encode("utf-8"))
    digest.update(("]" + tail).encode("utf-8"))
    return digest.hexdigest()


# -- reading ---------------------------------------------------------------------------


def read_text(text: str, filename: str) -> object:
    """Parse the text of a JSON file into a document for :meth:`fsm.Machine.from_dict`.

    Raises:
        DefinitionError: the text is too deeply nested or not valid JSON (the
            problem gives the line and column).
    """
    check_json_text_depth(text, filename)
    try:
        return json.loads(text, object_pairs_hook=object_pairs)
    except ValueError as exc:
        line: int | None = getattr(exc, "lineno", None)
        column: int | None = getattr(exc, "colno", None)
        message = getattr(exc, "msg", str(exc))
        rows = text.splitlines()
        source = rows[line - 1] if line and line <= len(rows) else None
        raise DefinitionError(
            Problem(
                f"not valid JSON: {message}",
                line=line,
                column=column,
                source_line=source,
                filename=filename,
            )
        ) from None


def located(error: DefinitionError) -> DefinitionError:
    """``error`` (from building a Machine out of a document) with JSON paths.

    A problem about a transition points at ``$.transitions[n]``; any other at ``$``.
    """
    return DefinitionError(
        [
            attrs.evolve(
                p, path=f"$.transitions[{p.transition}]" if p.transition is not None else "$"
            )
            for p in error.problems
        ]
    )


class _Repeated(dict[str, Any]):
    """A JSON object in which some keys appeared more than once (the last one kept)."""

    repeated: tuple[str, ...] = ()


def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The ``object_pairs_hook`` of our JSON reading: remembers repeated keys.

    ``json.loads`` keeps the last of repeated keys silently; the reader
    refuses them, naming the key and its JSON path.
    """
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    marked = _Repeated(result)
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    marked.repeated = tuple(key for key, n in counts.items() if n > 1)
    return marked


def _cut(text: str, limit: int) -> str:
    # A key may hold a lone surrogate, which no writer can carry: escape it.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and value != value:
        return "NaN, which JSON does not allow"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        sign = "-" if value < 0 else ""
        return f"{sign}Infinity, which JSON does not allow"
    names: dict[type, str] = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        # A document may hold megabytes in one key or value: the problem
        # names it, but keeps only its start.
        self.problems.append(Problem(_cut(message, 400), path=_cut(path, 200)))

    def expect(self, path: str, value: object, kind: type, what: str) -> bool:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            shown = _type_name(value)
            if not shown.endswith("does not allow"):
                shown += f" ({short_repr(value)})"
            self.fail(path, f"expected {what}, got {shown}")
        return ok

    def repeated(self, path: str, value: dict[str, Any]) -> None:
        for key in getattr(value, "repeated", ()):
            self.fail(f"{path}.{key}", f"duplicate key {key!r}; a key may appear once in an object")

    def string(self, path: str, value: object) -> str | None:
        return value if self.expect(path, value, str, "a string") else None  # type: ignore[return-value]

    def strings(self, path: str, value: object) -> list[str] | None:
        if not isinstance(value, list):
            self.expect(path, value, list, "an array of strings")
            return None
        items: list[str] = []
        for n, item in enumerate(cast("list[object]", value)):
            text = self.string(f"{path}[{n}]", item)
            if text is not None:
                items.append(text)
        return items

    def mapping(self, path: str, value: object) -> dict[str, str] | None:
        if not isinstance(value, dict):
            self.expect(path, value, dict, "an object of strings")
            return None
        self.repeated(path, cast("dict[str, Any]", value))
        items: dict[str, str] = {}
        for key, item in cast("dict[str, object]", value).items():
            text = self.string(f"{path}.{key}", item)
            if text is not None:
                items[key] = text
        return items

    def keys(self, path: str, value: dict[str, Any], allowed: tuple[str, ...]) -> None:
        self.repeated(path, value)
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}",
                    f"unknown key {key!r}; the keys allowed here are: " + ", ".join(allowed),
                )


def _optional(
    doc: dict[str, Any],
    key: str,
    read: Callable[[str, object], Any],
    path: str,
    default: Any,
) -> Any:
    if key not in doc:
        return default
    value = read(f"{path}.{key}", doc[key])
    return default if value is None else value


def machine_fields(data: object) -> dict[str, Any]:
    """Check a JSON document and return the keyword arguments of a Machine.

    Raises:
        DefinitionError: listing every problem with its JSON path.
    """
    check_document_depth(data)
    reader = _Reader()
    if not isinstance(data, dict):
        raise DefinitionError(
            Problem(
                f"expected a JSON object for a machine, got {_type_name(data)}",
                path="$",
            )
        )
    doc: dict[str, Any] = data  # pyright: ignore[reportUnknownVariableType]
    reader.keys("$", doc, _TOP_KEYS)
    for key in ("kind", "version", "name", "states", "initial"):
        if key not in doc:
            reader.fail(f"$.{key}", f"missing required key {key!r}")
    if "kind" in doc and doc["kind"] != KIND:
        reader.fail(
            "$.kind",
            f"expected {KIND!r}, got {doc['kind']!r}; is this a machine file?",
        )
    if (
        "version" in doc
        and reader.expect("$.version", doc["version"], int, "a whole number")
        and not 1 <= doc["version"] <= SCHEMA_VERSION
    ):
        reader.fail(
            "$.version",
            f"schema version {doc['version']} is not supported; this release reads "
            f"version {SCHEMA_VERSION} (upgrade typestate to read newer files)",
        )
    name = reader.string("$.name", doc["name"]) if "name" in doc else None
    states = reader.strings("$.states", doc["states"]) if "states" in doc else None
    initial = reader.string("$.initial", doc["initial"]) if "initial" in doc else None
    final = _optional(doc, "final", reader.strings, "$", [])
    parents = _optional(doc, "parents", reader.mapping, "$", {})
    entries = _optional(doc, "entries", reader.mapping, "$", {})
    transitions: list[Transition] = []
    raw = doc.get("transitions", [])
    if reader.expect("$.transitions", raw, list, "an array of transitions"):
        for n, item in enumerate(raw):
            transition = _transition(reader, f"$.transitions[{n}]", item)
            if transition is not None:
                transitions.append(transition)
    if reader.problems:
        raise DefinitionError(reader.problems)
    return {
        "name": name,
        "states": tuple(states or ()),
        "initial": initial,
        "final": frozenset(final),
        "parents": parents,
        "entries": entries,
        "transitions": tuple(transitions),
    }


def _transition(reader: _Reader, path: str, item: object) -> Transition | None:
    if not reader.expect(path, item, dict, "an object"):
        return None
    doc: dict[str, Any] = item  # type: ignore[assignment]
    before = len(reader.problems)
    reader.keys(path, doc, _TRANSITION_KEYS)
    values: dict[str, str] = {}
    for key in ("source", "event", "target"):
        if key not in doc:
            reader.fail(f"{path}.{key}", f"missing required key {key!r}")
            continue
        text = reader.string(f"{path}.{key}", doc[key])
        if text is not None:
            values[key] = text
    guard = None
    if doc.get("guard") is not None:
        guard = reader.string(f"{path}.guard", doc["guard"])
    actions = _optional(doc, "actions", reader.strings, path, [])
    params: list[tuple[str, str | None]] = []
    raw = doc.get("params", [])
    if reader.expect(f"{path}.params", raw, list, "an array of [name, annotation] pairs"):
        for k, pair in enumerate(raw):
            where = f"{path}.params[{k}]"
            if (
                not isinstance(pair, list)
                or len(pair) != 2  # pyright: ignore[reportUnknownArgumentType]
                or not isinstance(pair[0], str)
                or not (pair[1] is None or isinstance(pair[1], str))
            ):
                reader.fail(
                    where,
                    f"expected a [name, annotation] pair of a string and a string or "
                    f"null, got {pair!r:.{SHOWN}}",
                )
                continue
            annotation: str | None = pair[1]  # pyright: ignore[reportUnknownVariableType]
            if annotation is not None:
                try:
                    annotation = canonical(annotation)
                except AnnotationError as error:
                    reader.fail(
                        f"{where}[1]",
                        f"annotation {annotation!r:.{SHOWN_TYPE}} of payload {pair[0]!r} is not "
                        f"a type: {error.message} (at offset {error.offset})",
                    )
                    continue
            params.append((pair[0], annotation))  # pyright: ignore[reportUnknownArgumentType]
    branch = doc.get("branch", False)
    reader.expect(f"{path}.branch", branch, bool, "true or false")
    internal = doc.get("internal", False)
    reader.expect(f"{path}.internal", internal, bool, "true or false")
    after = doc.get("after")
    if after is not None and (problem := delay_problem(after)) is not None:
        reader.fail(
            f"{path}.after",
            f"a timer's delay {problem}; write a positive number of seconds, such as 30.0",
        )
    if len(reader.problems) != before:
        return None
    return Transition(
        values["source"],
        values["event"],
        values["target"],
        guard=guard,
        actions=tuple(actions),
        params=tuple(params),
        branch=bool(branch),
        internal=bool(internal),
        after=None if after is None else float(after),
    )
