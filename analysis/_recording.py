"""Read a recorded run back and check it against a machine, instance by instance.

A recording is a text file with one event per line: an event name, or a JSON
object with an ``event`` field. The lines ``fsm.JsonLinesRecorder`` writes
carry more (``machine``, ``instance``, ``source``, ``target``, ``outcome``),
and each is used when present:

- ``instance``: the events of each instance are checked on their own;
- ``source`` of an instance's first line: where its check starts (a recording
  may begin after a restart, with the instance restored mid-run); later
  ``source`` and ``target`` fields must agree with the machine (a lost or
  reordered line shows up there);
- ``outcome``: ``"rejected"`` and ``"failed"`` events did not change the
  state. A rejected event the protocol does not allow in that state is a
  finding (the code tried it; the runtime refused it); one the protocol
  allows was refused by its guards, which is the protocol working. A failed
  transition is skipped. An ``"undone"`` line follows the ``"taken"`` line of
  a transition a later listener undid: the run goes back to its ``source``;
- ``machine``: lines of another machine are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal, cast

import attrs

import fsm

from ._walk import Walker

__all__ = ["Recorded", "RecordingCheck", "RecordingFinding", "check_recording", "read_recording"]

Problem = Literal["not-allowed", "rejected", "source", "target"]


@attrs.frozen
class Recorded:
    """One line of a recording.

    Attributes:
        line: its line number (from 1).
        event: the event's name.
        instance_id: the id of the instance it was sent to, or None.
        name: the machine's name, or None.
        source: the state recorded before it, or None.
        target: the state recorded after it, or None.
        outcome: ``"taken"`` (the default), ``"rejected"``, ``"failed"`` or
            ``"undone"``.
    """

    line: int
    event: str
    instance_id: str | None = None
    name: str | None = None
    source: str | None = None
    target: str | None = None
    outcome: str = "taken"


@attrs.frozen
class RecordingFinding:
    """A line of a recording the machine disagrees with.

    Attributes:
        line: the line's number.
        instance: the instance, or None in a recording without instances.
        event: the event.
        problem: ``"not-allowed"`` (the protocol does not allow the event
            there), ``"rejected"`` (the runtime refused an event the protocol
            does not allow there), ``"source"`` or ``"target"`` (the recorded
            state differs from the machine's).
        states: the states the run may be in before the event.
        allowed: the events allowed in those states.
        message: what went wrong, in one line.
    """

    line: int
    instance: str | None
    event: str
    problem: Problem
    states: tuple[str, ...]
    allowed: tuple[str, ...]
    message: str


@attrs.frozen
class RecordingCheck:
    """The result of :func:`check_recording`.

    Attributes:
        findings: in line order; empty when the recording conforms.
        events: the number of events checked (those taken).
        instances: the instances, in order of first appearance (``(None,)``
            for a recording without instance ids).
        ends: for each instance, the states its run may be in at its end (or
            at its first finding).
        rejected_by_guards: rejected events the protocol allows (refused by
            their guards, not findings).
        failed: transitions that failed or were undone (skipped).
    """

    findings: tuple[RecordingFinding, ...]
    events: int
    instances: tuple[str | None, ...]
    ends: dict[str | None, tuple[str, ...]]
    rejected_by_guards: int = 0
    failed: int = 0

    @property
    def ok(self) -> bool:
        """True when there is no finding."""
        return not self.findings

    def __bool__(self) -> bool:
        return self.ok


def read_recording(lines: Iterable[str], name: str = "<recording>") -> list[Recorded]:
    """Read the lines of a recording (blank lines and ``#`` comments skipped).

    Raises:
        ValueError: a line is neither an event name nor a JSON object with a
            string ``event`` field, or its JSON cannot be read (nested too
            deeply, an integer too long); the message starts with ``name:line:``.
    """
    found: list[Recorded] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("{"):
            if not fsm.is_name(line):
                raise ValueError(
                    f"{name}:{number}: {line!r} is not an event name; write one event per "
                    f"line, or JSON lines with an 'event' field"
                )
            found.append(Recorded(number, line))
            continue
        try:
            record: object = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{number}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise ValueError(f"{name}:{number}: the JSON is nested too deeply to read") from None
        except ValueError as exc:  # such as an integer of more digits than Python reads
            raise ValueError(f"{name}:{number}: cannot read the JSON ({exc})") from None
        fields = cast("dict[str, object]", record) if isinstance(record, dict) else {}
        event = fields.get("event")
        if not isinstance(event, str):
            raise ValueError(
                f"{name}:{number}: a JSON line needs an 'event' field holding the "
                f'event\'s name, as in {{"event": "assign"}}'
            )
        outcome = fields.get("outcome", "taken")
        if outcome not in ("taken", "rejected", "failed", "undone"):
            raise ValueError(
                f"{name}:{number}: 'outcome' is {outcome!r}; it is 'taken', 'rejected', "
                f"'failed' or 'undone' (fsm.JsonLinesRecorder writes it)"
            )
        instance = fields.get("instance")
        found.append(
            Recorded(
                number,
                event,
                None if instance is None else str(instance),
                _text(fields, "machine"),
                _text(fields, "source"),
                _text(fields, "target"),
                str(outcome),
            )
        )
    return found


def _text(fields: dict[str, object], key: str) -> str | None:
    value = fields.get(key)
    return value if isinstance(value, str) else None


def check_recording(machine: fsm.Machine, recording: Iterable[str | Recorded]) -> RecordingCheck:
    """Check a recording, each instance on its own (see the module's doc).

    Guards are not evaluated: after a guarded group or a branch the run may
    be in any of its targets, unless the line recorded which it entered.

    Args:
        machine: the protocol.
        recording: the lines of a recording (as ``fsm.JsonLinesRecorder``
            writes them, or one event name per line), or what
            :func:`read_recording` made of them.

    Raises:
        ValueError: a line cannot be read, or every line names another machine.

    Examples:
        >>> import fsm
        >>> from analysis.testing import check_recording
        >>> agent = fsm.load("examples/agent.mmd")
        >>> result = check_recording(agent, [
        ...     '{"instance": "a", "event": "assign", "outcome": "taken"}',
        ...     '{"instance": "b", "event": "assign", "outcome": "taken"}',
        ...     '{"instance": "a", "event": "finish", "outcome": "rejected"}',
        ... ])
        >>> [finding.message for finding in result.findings]
        ["instance 'a': 'finish' was rejected in state 'Planning'; allowed here: plan, give_up"]
    """
    items = list(recording)
    if all(isinstance(item, Recorded) for item in items):
        chosen = cast("list[Recorded]", items)
    else:
        chosen = read_recording(str(item) for item in items)
    named = {r.name for r in chosen if r.name is not None}
    if named and machine.name not in named:
        others = ", ".join(repr(n) for n in sorted(named))
        raise ValueError(
            f"the recording is of machine {others}, not {machine.name!r}; check it "
            f"against that machine"
        )
    chosen = [r for r in chosen if r.name in (None, machine.name)]
    walker = Walker(machine)
    runs: dict[str | None, tuple[str, ...]] = {}
    before: dict[str | None, tuple[str, ...]] = {}
    counts: dict[str | None, int] = {}
    stopped: set[str | None] = set()
    findings: list[RecordingFinding] = []
    events = guarded = failed = 0
    leaves = set(walker.leaves)
    for record in chosen:
        key = record.instance_id
        if key not in runs:
            start = record.source if record.source in leaves else walker.initial
            runs[key], counts[key] = (start,), 0
        if key in stopped:
            continue
        states = runs[key]
        allowed = _allowed(walker, states)
        who = "" if key is None else f"instance {key!r}: "
        where = " or ".join(repr(s) for s in states)
        following = walker.after(states, record.event)
        problem: Problem | None = None
        message = ""
        if record.outcome == "undone":
            # The taken line before it was undone: back to where it was sent.
            if record.target is not None and record.target not in states:
                problem, message = (
                    "source",
                    f"{who}{record.event!r} was recorded undone leaving {record.target!r}, "
                    f"but the run is in {where}",
                )
            else:
                runs[key] = (
                    (record.source,)
                    if record.source in leaves
                    else before.get(key, (walker.initial,))
                )
                counts[key] -= 1
                events -= 1
                failed += 1
        elif record.source is not None and record.source not in states:
            problem, message = (
                "source",
                f"{who}{record.event!r} was recorded in state {record.source!r}, but the "
                f"run is in {where}",
            )
        elif record.outcome == "failed":
            failed += 1
        elif record.outcome == "rejected":
            if following:
                guarded += 1
            else:
                problem, message = (
                    "rejected",
                    f"{who}{record.event!r} was rejected in state {where}; allowed here: "
                    f"{', '.join(allowed) or 'nothing'}",
                )
        elif not following:
            problem, message = (
                "not-allowed",
                f"{who}can't send {record.event!r} in state {where} (event "
                f"{counts[key] + 1}{'' if key is None else ' of the instance'}); allowed "
                f"here: {', '.join(allowed) or 'nothing'}",
            )
        elif record.target is not None and record.target not in following:
            leads = " or ".join(repr(s) for s in following)
            problem, message = (
                "target",
                f"{who}{record.event!r} was recorded entering {record.target!r}, but from "
                f"{where} it leads to {leads}",
            )
        else:
            before[key] = states
            runs[key] = (record.target,) if record.target is not None else following
            counts[key] += 1
            events += 1
        if problem is not None:
            findings.append(
                RecordingFinding(record.line, key, record.event, problem, states, allowed, message)
            )
            if problem != "rejected":
                stopped.add(key)
    ends = runs or {None: (walker.initial,)}
    return RecordingCheck(tuple(findings), events, tuple(ends), ends, guarded, failed)


def _allowed(walker: Walker, states: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for leaf in states:
        for event in walker.enabled[leaf]:
            if event not in found:
                found.append(event)
    return tuple(found)
