"""What the real Mermaid 10 and 11 parsers read from a diagram, for comparison.

``tests/mermaid_parser.py`` says whether Mermaid accepts a text; this helper
(``tools/mermaid/read.mjs``) also says what it read: the states with their
superstates and the arrows with their labels, so a text that Mermaid accepts but
reads wrongly (a line swallowed by its ``direction`` rule, a state merged with a
``[*]`` point) fails a test too.
"""

from __future__ import annotations

import atexit
import json
from collections.abc import Sequence

import fsm

from .mermaid_parser import MERMAID_DIR, MERMAID_VERSIONS, NodeServer, ensure_mermaid_installed

#: The read.mjs server, started on the first batch and stopped at exit.
_READ_SERVER = NodeServer(MERMAID_DIR / "read.mjs")
atexit.register(_READ_SERVER.stop)

Reading = tuple[frozenset[tuple[str, str]], tuple[tuple[str, str, str], ...]]


def mermaid_readings(texts: Sequence[str]) -> list[dict[str, Reading | str]]:
    """Per text and Mermaid version: the reading, or Mermaid's error message."""
    return [readings for readings, _ in mermaid_readings_and_titles(texts)]


def mermaid_readings_and_titles(
    texts: Sequence[str],
) -> list[tuple[dict[str, Reading | str], str | None]]:
    """Per text: the readings, and the front matter's title as Mermaid 11 reads it."""
    ensure_mermaid_installed()
    answer = _READ_SERVER.ask(texts, timeout=120 + 0.1 * len(texts))
    found: list[tuple[dict[str, Reading | str], str | None]] = []
    for item in json.loads(answer):
        entry: dict[str, Reading | str] = {}
        for version in MERMAID_VERSIONS:
            value = item[version]
            if isinstance(value, str):
                entry[version] = value
            else:
                entry[version] = (
                    frozenset((s, p) for s, p in value["states"]),
                    tuple(sorted((a, b, label) for a, b, label in value["relations"])),
                )
        found.append((entry, item["title"]))
    return found


def expected_reading(machine: fsm.Machine) -> Reading:
    """What Mermaid should read from ``fsm.dumps(machine)``."""
    states = frozenset((s, machine.parents.get(s, "")) for s in machine.states)
    arrows = [("root_start", machine.initial, "")]
    arrows += [(t.source, t.target, t.label) for t in machine.transitions]
    arrows += [(s, "root_end", "") for s in machine.states if s in machine.final]
    arrows += [(f"{parent}_start", entry, "") for parent, entry in machine.entries.items()]
    return states, tuple(sorted(arrows))
