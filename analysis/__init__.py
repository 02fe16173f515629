"""analysis: checks, paths, composition, diagrams and property tests of machines.

This release ships the command line (``typestate``); the checks and renderers
described in the design arrive in later releases.
"""

__all__: list[str] = []
