"""PlantUML draws names as they are: no creole markup read from a name or title.

PlantUML reads ``__x__`` as underlined ``x`` (and ``**``, ``//``, ``""``,
``--``, ``~~``, ``^^`` as other markup). A product state from
``analysis.compose`` is named ``A__B__C``; it must be drawn as that text.
"""

from __future__ import annotations

import re

import analysis
import fsm

from .render_support import plantuml_errors, svg_texts

MARKUP = ("**", "//", '""', "--", "~~", "^^", "__")


def drawn(svg: str) -> list[str]:
    """Each piece of text in the SVG, with ``+decorated`` when PlantUML styled it."""
    found: list[str] = []
    for match in re.finditer(r"<text([^>]*)>([^<]*)</text>", svg):
        attributes, text = match.groups()
        styled = "text-decoration" in attributes or "font-weight" in attributes
        found.append(svg_texts(f"<text>{text}</text>") + ("+decorated" if styled else ""))
    return found


def test_names_with_double_underscores_are_drawn_as_they_are() -> None:
    machine = fsm.Machine(
        "M",
        states=("A__B__C", "P__Q", "X__Y__Z", "Plain"),
        initial="A__B__C",
        final={"Plain"},
        parents={"X__Y__Z": "P__Q"},
        entries={"P__Q": "X__Y__Z"},
        transitions=(
            fsm.Transition("A__B__C", "go__now__x", "P__Q", guard="is__ok__y"),
            fsm.Transition("A__B__C", "go__now__x", "Plain", guard="else", actions=("a__b__c",)),
            fsm.Transition("X__Y__Z", "done", "Plain"),
        ),
    )
    text = analysis.to_plantuml(machine)
    assert 'state "A~_~_B~_~_C" as A__B__C\n' in text
    assert 'state "P~_~_Q" as P__Q {\n' in text
    assert "state Plain\n" in text
    [(error, svg)] = plantuml_errors([text])
    assert error is None, error
    pieces = drawn(svg)
    assert not [p for p in pieces if p.endswith("+decorated")], pieces
    for name in ("A__B__C", "P__Q", "X__Y__Z", "Plain", "go__now__x [is__ok__y]"):
        assert name in pieces, (name, pieces)
    assert "go__now__x [else] / a__b__c" in pieces


def test_a_composed_product_state_is_drawn_as_its_name() -> None:
    parts = [
        fsm.parse(f"stateDiagram-v2\n[*] --> {a}\n{a} --> {b} : go\n{b} --> [*]\n", name=a)
        for a, b in (("A", "B"), ("X", "Y"), ("P", "Q"))
    ]
    product = analysis.compose(*parts)
    assert product.states == ("A__X__P", "B__Y__Q")
    [(error, svg)] = plantuml_errors([analysis.to_plantuml(product)])
    assert error is None, error
    assert {"A__X__P", "B__Y__Q"} <= set(drawn(svg))


def test_creole_markup_in_a_title_is_drawn_as_text() -> None:
    titles = [f"a {m}b{m} c" for m in MARKUP] + ['**bold** //it// ""mono"" --s-- ~~w~~ ^^x^^']
    machines = [fsm.Machine(t, states=("A",), initial="A") for t in titles]
    results = plantuml_errors([analysis.to_plantuml(m) for m in machines])
    for title, (error, svg) in zip(titles, results, strict=True):
        assert error is None, (title, error)
        pieces = drawn(svg)
        assert title in " ".join(p for p in pieces if p != "A"), (title, pieces)
        assert not [p for p in pieces if p.endswith("+decorated")], (title, pieces)


def test_highlighted_diagrams_are_drawn_by_plantuml() -> None:
    agent = fsm.load("examples/agent.mmd")
    flawed = fsm.parse(
        "stateDiagram-v2\n[*] --> A\nA --> B : go\nA --> A : stay\nC --> A : back\n"
        "state S {\n[*] --> D\n}\nA --> S : in\nD --> [*]\n"
    )
    texts = [
        analysis.to_plantuml(agent, highlight=["assign", "plan", "call_tool", "result"]),
        analysis.to_plantuml(agent, highlight=[]),
        analysis.to_plantuml(flawed, highlight=analysis.check(flawed), direction="TB"),
        analysis.to_plantuml(flawed, highlight=["in"]),
    ]
    assert "' highlight: findings unreachable, dead-end" in texts[2]
    results = plantuml_errors(texts)
    for text, (error, _) in zip(texts, results, strict=True):
        assert error is None, (error, text)
    svgs = [svg.upper() for _, svg in results]
    assert all("#0969DA" in svgs[n] for n in (0, 1, 3))  # the trace's arrows and borders
    assert "#FFEBE9" in svgs[2]  # the dead end's fill
