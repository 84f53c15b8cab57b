"""The op library: one module per family, each op a ``Function`` subclass plus a lowercase
wrapper. ``nanotorch.<op>`` and the Tensor methods both call these wrappers.

Note [Op registry]
~~~~~~~~~~~~~~~~~~
An op is registered in one place: the family file that defines it. Each family module
(``ops/elementwise.py``, ``ops/shape.py``, ... and the layer families of ``nanotorch.nn`` that
define functional ops) declares at its top

    OPS = ("add", "sub", ...)          # the wrappers it exports, by PyTorch's names
    ALIASES = {"subtract": "sub", ...}  # other names for the same wrappers (optional)

and everything else is derived from those two declarations: this package's namespace (and so
``nanotorch.<name>``, through ``from nanotorch.ops import *``), ``nanotorch.nn.functional``,
and the list the op-spec tests use (``nanotorch.testing.public_ops``). The meta-test
``test_every_public_op_has_a_spec`` therefore sees every exported op, and
``test_every_spec_names_a_public_op`` fails once, with the fix, when a spec names an op that
does not exist yet. An alias shares its op's spec. Helpers a family uses internally (the
engine's ``sum_to``, ``take_along``) are simply not listed. Adding a family is adding a
module: ``families()`` finds every module of this package that declares ``OPS``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any


def families(package: ModuleType | None = None) -> list[ModuleType]:
    """The modules of ``package`` (default: this one) that declare ``OPS``, by file name."""
    package = package or importlib.import_module(__name__)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "OPS"):
            found.append(module)
    return found


def collect(
    modules: Iterable[ModuleType],
) -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]:
    """The ops and the aliases ``modules`` declare, each name mapped to its wrapper."""
    ops: dict[str, Callable[..., Any]] = {}
    aliases: dict[str, Callable[..., Any]] = {}
    for module in modules:
        for name in module.OPS:
            ops[name] = getattr(module, name)
        for alias, name in getattr(module, "ALIASES", {}).items():
            aliases[alias] = getattr(module, name)
    return ops, aliases


def public_ops() -> dict[str, Callable[..., Any]]:
    """Every op the families export, by name (aliases excluded), read afresh each call."""
    return collect(families())[0]


_OPS, _ALIASES = collect(families())
globals().update(_OPS)
globals().update(_ALIASES)

# Every public op, by the name users call it (aliases excluded). See Note [Op registry].
PUBLIC_OPS: tuple[str, ...] = tuple(sorted(_OPS))

# ``from nanotorch.ops import *`` (used by nanotorch/__init__.py) exports the ops and their
# aliases, not the family modules or the registry functions.
__all__ = sorted([*_OPS, *_ALIASES])
