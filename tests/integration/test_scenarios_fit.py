"""Every scenario reaches its success criterion with a fixed seed, on every device.

The fast scenarios run on cpu, strict:0 and strict:1 (cuda when present) with early stop, so
each case stops as soon as the held-out metric meets the criterion. Scenarios marked
``slow`` (Fashion-MNIST, minutes per run) run on cpu and cuda with ``--runslow``, and skip
with the loader's explanation when their data is absent.
"""

from __future__ import annotations

import pytest

from nanotorch.runner import run_scenario
from nanotorch.scenarios import get_scenario, list_scenarios


def _cases():
    for s in list_scenarios():
        marks = [pytest.mark.slow] if s.slow else []
        yield pytest.param(s.name, marks=marks, id=s.name)


@pytest.mark.parametrize("name", list(_cases()))
def test_scenario_fit_meets_its_criterion(name, device):
    scenario = get_scenario(name)
    ok, reason = scenario.available()
    if not ok:
        pytest.skip(reason)
    if scenario.slow and device.type == "strict":
        pytest.skip("slow scenario: run on cpu and cuda only")
    result = run_scenario(scenario, device, seed=0, early_stop=True, quiet=True)
    assert result.success, (
        f"{name} on {device}: {scenario.criterion} not met after {result.state.epoch} epochs; "
        f"history {result.history.test_metric}"
    )
