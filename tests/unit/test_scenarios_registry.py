"""The scenario registry: built-ins present, validation, and plug-ins without edits."""

from __future__ import annotations

import sys
import textwrap

import pytest

import nanotorch.scenarios as scenarios
from nanotorch.scenarios import Scenario, _registry, get_scenario, register_scenario, scenario_names

BUILT_IN = (
    "linear",
    "sine",
    "xor",
    "moons",
    "circles",
    "spirals",
    "digits-mlp",
    "digits-cnn",
    "fashion-mlp",
    "fashion-cnn",
    "shakespeare-gpt",
    "shakespeare-gpt-tiny",
    "shakespeare-lstm",
)


@pytest.fixture
def fresh_registry(monkeypatch):
    """Registrations made by a test disappear after it."""
    scenarios.discover()
    monkeypatch.setattr(_registry, "_SCENARIOS", dict(_registry._SCENARIOS))
    return _registry._SCENARIOS


def _toy(name: str = "toy", cls_name: str = "Toy", **overrides):
    attrs = dict(
        name=name,
        description="a toy",
        epochs=1,
        batch_size=4,
        metric="accuracy",
        threshold=0.5,
        plot="boundary",
    )
    attrs.update(overrides)
    return type(cls_name, (Scenario,), attrs)


def test_registry_has_every_built_in_scenario():
    assert set(BUILT_IN) <= set(scenario_names())


def test_registry_every_scenario_is_complete():
    for name in scenario_names():
        s = get_scenario(name)
        assert s.name == name and s.description
        assert s.epochs > 0 and s.batch_size > 0
        assert s.criterion.metric in ("accuracy", "r2", "nll")
        assert s.plot in ("regression", "boundary", "images", "language")


def test_registry_unknown_name_lists_the_choices():
    with pytest.raises(scenarios.UnknownScenarioError) as info:
        get_scenario("nope")
    message = str(info.value)
    assert "'nope'" in message and all(n in message for n in BUILT_IN)


def test_register_scenario_decorator_returns_class_and_registers(fresh_registry):
    toy = _toy("toy-one")
    assert register_scenario(toy) is toy  # usable as a class decorator
    assert "toy-one" in scenario_names()
    assert type(get_scenario("toy-one")) is toy


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"plot": "pie"}, r"toy.*plot 'pie'.*boundary, images, language, regression"),
        ({"metric": "f1"}, r"toy.*metric 'f1'.*accuracy, nll, r2"),
        ({"epochs": 0}, r"toy.*epochs.*positive"),
        ({"name": ""}, r"name"),
    ],
)
def test_register_scenario_validates(fresh_registry, overrides, pattern):
    with pytest.raises(ValueError, match=pattern):
        register_scenario(_toy(**overrides))


def test_register_scenario_refuses_a_second_owner_of_a_name(fresh_registry):
    register_scenario(_toy("taken"))
    with pytest.raises(ValueError, match=r"'taken' is already registered by .*Toy.*Other"):
        register_scenario(_toy("taken", cls_name="Other"))


def test_criterion_direction_follows_the_metric():
    acc = scenarios.Criterion("accuracy", 0.9)
    assert acc.met(0.95) and not acc.met(0.85)
    assert "accuracy >= 0.9" in str(acc)


def _installed_dist(tmp_path, dist: str, entry_point: str) -> None:
    """A fake installed distribution whose only entry point is ``entry_point``."""
    info = tmp_path / f"{dist}-0.1.dist-info"
    info.mkdir()
    name = dist.replace("_", "-")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[nanotorch.scenarios]\n{entry_point}\n")


def test_new_module_in_the_package_is_discovered_without_edits(
    fresh_registry, tmp_path, monkeypatch
):
    (tmp_path / "my_new_scenario.py").write_text(
        textwrap.dedent("""
        from nanotorch.scenarios import Scenario, register_scenario

        @register_scenario
        class Dropped(Scenario):
            name = "dropped-in"
            description = "added as one new module"
            epochs, batch_size = 1, 8
            metric, threshold, plot = "accuracy", 0.5, "boundary"
    """)
    )
    monkeypatch.setattr(scenarios, "__path__", [*scenarios.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "nanotorch.scenarios.my_new_scenario", raising=False)
    scenarios.discover(force=True)
    assert get_scenario("dropped-in").description == "added as one new module"


def test_entry_point_group_registers_third_party_scenarios(fresh_registry, tmp_path, monkeypatch):
    (tmp_path / "thirdparty_scen.py").write_text(
        textwrap.dedent("""
        from nanotorch.scenarios import Scenario

        class ThirdParty(Scenario):
            name = "third-party"
            description = "from an installed package"
            epochs, batch_size = 1, 8
            metric, threshold, plot = "r2", 0.5, "regression"
    """)
    )
    _installed_dist(tmp_path, "thirdparty_scen", "third-party = thirdparty_scen:ThirdParty")
    monkeypatch.syspath_prepend(str(tmp_path))
    scenarios.discover(force=True)
    assert get_scenario("third-party").criterion.metric == "r2"


def test_broken_entry_point_warns_and_keeps_the_rest(fresh_registry, tmp_path, monkeypatch):
    _installed_dist(tmp_path, "broken_scen", "broken = no_such_module_here:Thing")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(RuntimeWarning, match=r"broken.*no_such_module_here"):
        scenarios.discover(force=True)
    assert "xor" in scenario_names()
