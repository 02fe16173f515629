"""Loading the TARGET of a command: a file, or ``module:attribute``."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import fsm

__all__ = ["TargetError", "load_target"]


class TargetError(Exception):
    """A TARGET named on the command line cannot be loaded."""


def load_target(target: str) -> fsm.Machine:
    """Load the machine named by ``target``.

    A TARGET is a DSL file (``.mmd``, ``.md``), a JSON file (``.json``), or
    ``module:attribute`` naming an :class:`fsm.Machine` or a typestate initial
    State class (the module is imported with the current directory on the path,
    which is put back as it was afterwards).

    Raises:
        fsm.DefinitionError: the file or the classes do not define a valid machine.
        TargetError: the target cannot be found or is of the wrong kind.
    """
    path = Path(target)
    if path.suffix.lower() in (".mmd", ".md", ".markdown", ".json", ".mermaid"):
        if not path.exists():
            raise TargetError(f"no such file: {target!r}")
        if path.is_dir():
            raise TargetError(f"{target!r} is a directory; name a machine file")
        try:
            return fsm.load(path)
        except OSError as exc:
            raise TargetError(f"cannot read {target!r}: {exc.strerror or exc}") from None
    if ":" in target and not path.exists():
        return _load_object(target)
    if path.exists():
        raise TargetError(
            f"cannot tell what kind of file {target!r} is; use a .mmd, .md or .json "
            f"file, or module:attribute"
        )
    raise TargetError(
        f"no such file: {target!r}; a TARGET is a .mmd, .md or .json file, or "
        f"module:attribute naming a Machine or a State class"
    )


def _import_from_cwd(module_name: str) -> types.ModuleType:
    """Import ``module_name`` with the current directory on the path for the import only."""
    entry = str(Path.cwd())
    added = "" not in sys.path and entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        return importlib.import_module(module_name)
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


def _load_object(target: str) -> fsm.Machine:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"{target!r} is not of the form module:attribute")
    if not all(part.isidentifier() for part in module_name.split(".")):
        raise TargetError(
            f"{module_name!r} is not a module name; write module:attribute with a dotted "
            f"module name such as 'mypackage.protocols' (relative names are not allowed)"
        )
    if not all(part.isidentifier() for part in attribute.split(".")):
        raise TargetError(
            f"{attribute!r} is not an attribute name; write module:attribute such as "
            f"'mypackage.protocols:AGENT'"
        )
    try:
        module = _import_from_cwd(module_name)
    except ImportError as exc:
        raise TargetError(f"cannot import module {module_name!r}: {exc}") from None
    except (Exception, SystemExit) as exc:  # the module's own code failed (or exited)
        raise TargetError(
            f"importing module {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    value: object = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise TargetError(f"module {module_name!r} has no attribute {attribute!r}") from None
        except (Exception, SystemExit) as exc:  # a module __getattr__ of the user's failed
            raise TargetError(
                f"reading {attribute!r} of module {module_name!r} raised "
                f"{type(exc).__name__}: {exc}"
            ) from None
    if isinstance(value, fsm.Machine):
        return value
    if isinstance(value, type):
        try:
            import typestate
        except ImportError:  # pragma: no cover - typestate ships with analysis
            raise TargetError("typestate is not importable") from None
        protocol = getattr(typestate, "protocol", None)
        state_base = getattr(typestate, "State", None)
        if protocol is not None and state_base is not None and issubclass(value, state_base):
            machine: fsm.Machine = protocol(value)
            return machine
    raise TargetError(
        f"{target!r} is a {type(value).__name__}, not an fsm.Machine or a typestate State class"
    )
