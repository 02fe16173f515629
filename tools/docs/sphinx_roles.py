"""A griffe extension for the docs build: Sphinx roles in docstrings as code.

The library's docstrings name other objects the Sphinx way
(``:class:`~fsm.Machine```, ``:meth:`send```), which mkdocstrings would show
as they are. This extension rewrites each role to a code span (`fsm.Machine`,
`send`) when mkdocstrings loads the packages; the docstrings themselves are
not changed. Enabled in ``mkdocs.yml`` (``extensions:`` of the python handler).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|exc|data|obj|const):`~?([^`]+)`")


def plain(text: str) -> str:
    """``text`` with every Sphinx cross-reference role turned into a code span."""
    return ROLE.sub(lambda m: f"`{m.group(1).strip()}`", text)


class SphinxRoles(griffe.Extension):
    """Turn ``:role:`target``` into ```target``` in every docstring."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        # Package docstrings are not always seen by on_object; either hook is enough.
        self.on_object(obj=obj)
