"""The benchmark workloads (benchmarks/workloads), once each at tiny size.

Not a timing test (speed goals live in benchmarks/, never in tests): it checks that the
nanotorch version of each workload computes what the hand-written NumPy floor computes, step
by step, so a benchmark never times a wrong computation. The floor runs with NumPy on the
host; nanotorch runs on each device.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
WORKLOADS = ("mlp", "mlp-large", "overhead", "cnn")
STEPS = 3


@pytest.fixture
def workloads(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import workloads

    return workloads


@pytest.mark.parametrize("name", WORKLOADS)
def test_benchmark_workload_follows_the_numpy_floor(name, device, workloads) -> None:
    from workloads import nanotorch_impl, numpy_floor

    data = workloads.make_data(name, "tiny", seed=0)
    floor = numpy_floor.build(name, "tiny", data, "cpu")
    ours = nanotorch_impl.build(name, "tiny", data, str(device))

    expected = [floor.check_values(floor.step()) for _ in range(STEPS)]
    got = [ours.check_values(ours.step()) for _ in range(STEPS)]

    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    if workloads.SPECS[name].kind != "chain":
        assert got[-1][0] < got[0][0], "the loss should fall over the first SGD steps"


def test_benchmark_data_is_the_same_for_the_same_seed(workloads) -> None:
    first = workloads.make_data("cnn", "tiny", seed=3)
    again = workloads.make_data("cnn", "tiny", seed=3)
    other = workloads.make_data("cnn", "tiny", seed=4)
    assert first.keys() == again.keys()
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["x"], other["x"])
