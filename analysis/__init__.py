"""analysis: checks, paths, composition, diagrams and property tests of machines.

Every function here reads an :class:`fsm.Machine`; none changes it.
"""

# -- checks, paths, composition, equivalence (analysis/_check.py and friends) --
# (end of checks section)

# -- diagrams (analysis/_render.py) --
# (end of diagrams section)

__all__: list[str] = []
