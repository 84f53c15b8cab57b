"""The scenario registry: ``@register_scenario``, lookup, and discovery of scenario modules.

Discovery imports every public module of this package (pkgutil: drop a file in, it is
found) and loads the ``nanotorch.scenarios`` entry-point group, so an installed third-party
package adds scenarios without touching nanotorch. It runs once, on the first lookup.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from importlib import metadata
from typing import Any, TypeVar

from nanotorch.scenarios._base import PLOT_KINDS, Scenario
from nanotorch.train import METRICS

ENTRY_POINT_GROUP = "nanotorch.scenarios"

_SCENARIOS: dict[str, Scenario] = {}
_discovered = [False]

S = TypeVar("S", bound=type[Scenario])


class UnknownScenarioError(KeyError):
    """No scenario has this name; the message lists the names that exist."""

    def __str__(self) -> str:
        return str(self.args[0])


def _validate(s: Scenario) -> None:
    name = getattr(s, "name", "")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{type(s).__qualname__}: a scenario needs a non-empty name")
    if getattr(s, "plot", None) not in PLOT_KINDS:
        raise ValueError(
            f"scenario {name!r}: plot {getattr(s, 'plot', None)!r} is not one of "
            f"{', '.join(PLOT_KINDS)}"
        )
    if getattr(s, "metric", None) not in METRICS:
        raise ValueError(
            f"scenario {name!r}: metric {getattr(s, 'metric', None)!r} is not one of "
            f"{', '.join(sorted(METRICS))}"
        )
    for field in ("epochs", "batch_size"):
        value = getattr(s, field, None)
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"scenario {name!r}: {field} must be a positive int, got {value!r}")


def _owner(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_scenario(cls: S) -> S:
    """Class decorator: validate the scenario, register one instance under its name.

    >>> from nanotorch.scenarios import Scenario, register_scenario
    >>> @register_scenario
    ... class Tiny(Scenario):
    ...     name, description = "doc-tiny", "a doctest example"
    ...     epochs, batch_size, metric, threshold, plot = 1, 4, "accuracy", 0.5, "boundary"
    >>> get_scenario("doc-tiny").description
    'a doctest example'
    >>> _ = _SCENARIOS.pop("doc-tiny")
    """
    instance = cls()
    _validate(instance)
    existing = _SCENARIOS.get(cls.name)
    # Re-importing the same module (a reload) replaces; another class may not take the name.
    if existing is not None and _owner(type(existing)) != _owner(cls):
        raise ValueError(
            f"scenario {cls.name!r} is already registered by {_owner(type(existing))}; "
            f"{_owner(cls)} must pick another name"
        )
    _SCENARIOS[cls.name] = instance
    return cls


def _import_package_modules() -> None:
    package = importlib.import_module("nanotorch.scenarios")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"nanotorch.scenarios.{info.name}")


def _load_entry_points() -> None:
    importlib.invalidate_caches()
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj: Any = entry.load()
        except Exception as exc:  # a broken plug-in must not break `nanotorch list`
            warnings.warn(
                f"scenario entry point {entry.name!r} ({entry.value}) failed to load: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        # An entry point may name a module (registered by its decorators) or a class.
        if isinstance(obj, type) and issubclass(obj, Scenario):
            registered = _SCENARIOS.get(obj.name)
            if registered is None or type(registered) is not obj:
                register_scenario(obj)


def discover(force: bool = False) -> None:
    """Import the package's scenario modules and the entry-point plug-ins (once)."""
    if _discovered[0] and not force:
        return
    _discovered[0] = True
    _import_package_modules()
    _load_entry_points()


def scenario_names() -> list[str]:
    discover()
    return list(_SCENARIOS)


def list_scenarios() -> list[Scenario]:
    discover()
    return list(_SCENARIOS.values())


def get_scenario(name: str) -> Scenario:
    discover()
    try:
        return _SCENARIOS[name]
    except KeyError:
        choices = ", ".join(_SCENARIOS)
        raise UnknownScenarioError(f"unknown scenario {name!r}; choose one of: {choices}") from None
