"""The device-parameterised harness shared by every test.

One ``device`` fixture runs a test on every device in the list (``cpu``, ``strict:0``,
``strict:1``, ``cuda``): unavailable devices appear as skipped with their reason, so the ids
always show. ``--device LIST`` narrows the run (``--device cuda``, ``--device cpu,strict:1``).
``slow`` tests run only with ``--runslow`` or ``-m slow``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nanotorch
from nanotorch.autograd.function import Function
from nanotorch.backend import availability
from nanotorch.backend import device as parse_device
from nanotorch.backend.strict_backend import API_VERSION

DEFAULT_DEVICES = ("cpu", "strict:0", "strict:1", "cuda")

# tests/specs holds the op specs; make it importable as ``specs`` from every test module.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device",
        action="store",
        default=",".join(DEFAULT_DEVICES),
        help="comma-separated devices for the `device` fixture (default: %(default)s)",
    )
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_configure(config: pytest.Config) -> None:
    # Pin the standard revision the strict backend checks (its default can move).
    import array_api_strict

    array_api_strict.set_array_api_strict_flags(api_version=API_VERSION)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    markexpr = config.getoption("-m") or ""
    if config.getoption("--runslow") or "slow" in markexpr:
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow or -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def selected_devices(config: pytest.Config) -> list[str]:
    names = [d.strip() for d in config.getoption("--device").split(",") if d.strip()]
    return [str(parse_device(n)) for n in names]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames:
        # @pytest.mark.not_on("cpu"): a test about crossing devices has no cpu case at all,
        # rather than one skipped id per test.
        excluded = {d for m in metafunc.definition.iter_markers("not_on") for d in m.args}
        params = []
        for name in selected_devices(metafunc.config):
            if name in excluded:
                continue
            marks = [pytest.mark.cuda] if name.startswith("cuda") else []
            params.append(pytest.param(name, id=name, marks=marks))
        metafunc.parametrize("device", params, indirect=True)


@pytest.fixture
def device(request: pytest.FixtureRequest) -> nanotorch.Device:
    dev = parse_device(request.param)
    ok, reason = availability(dev)
    if not ok:
        pytest.skip(f"{dev} unavailable: {reason}")
    return dev


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    """Each test starts from the same seed and an empty transfer counter."""
    nanotorch.manual_seed(0)
    nanotorch.reset_transfer_stats()


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the ops that go through Function.apply while the test runs (clear it
    after the set-up to count only the step under test)."""
    names: list[str] = []
    apply = Function.apply.__func__

    def counting(cls, *inputs, **params):
        names.append(cls.__name__)
        return apply(cls, *inputs, **params)

    monkeypatch.setattr(Function, "apply", classmethod(counting))
    return names


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One line per skip reason (e.g. why cuda did not run), instead of one per test."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped, by reason")
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{count:6d}  {reason}")
