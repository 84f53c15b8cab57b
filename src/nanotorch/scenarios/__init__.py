"""``nanotorch.scenarios``: named training jobs shared by the CLI, the plots and the tests.

A scenario bundles a dataset, a model, a loss, an optimizer (and schedule), a budget and a
success criterion (``_base.Scenario``). Each public module of this package defines some and
registers them with ``@register_scenario``; adding one is adding one module (or, from
another package, an entry point in the ``nanotorch.scenarios`` group). Modules whose names
start with ``_`` are the machinery, not scenarios. Layer: the top (may import ``nn``,
``optim``, ``data``); nothing below imports it.
"""

from nanotorch.scenarios._base import Scenario
from nanotorch.scenarios._registry import (
    ENTRY_POINT_GROUP,
    UnknownScenarioError,
    discover,
    get_scenario,
    list_scenarios,
    register_scenario,
    scenario_names,
)
from nanotorch.train import Criterion

__all__ = [
    "ENTRY_POINT_GROUP",
    "Criterion",
    "Scenario",
    "UnknownScenarioError",
    "discover",
    "get_scenario",
    "list_scenarios",
    "register_scenario",
    "scenario_names",
]
