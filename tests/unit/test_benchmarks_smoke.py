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


# W5 (gpt) has no NumPy floor: nanotorch is its reference, and PyTorch must follow it.


def _gpt_runs(workloads, device, dtype: str, steps: int):
    torch_impl = pytest.importorskip("workloads.torch_impl")
    from workloads import nanotorch_impl

    size = workloads.SPECS["gpt"].sizes["tiny"]
    data = workloads.make_data("gpt", "tiny", seed=0)
    ours = nanotorch_impl.build("gpt", "tiny", data, str(device), dtype=dtype)
    theirs = torch_impl.build("gpt", "tiny", data, "cpu", dtype=dtype)
    xs, ys = workloads.gpt_batches(steps, size["batch"], size["block"], seed=0)
    got, expected = [], []
    for x, y in zip(xs, ys):
        ours.load_batch(x, y)
        theirs.load_batch(x, y)
        got.append(ours.check_values(ours.step())[0])
        expected.append(theirs.check_values(theirs.step())[0])
    return np.array(got), np.array(expected), ours, theirs


def test_gpt_workload_float64_trajectory_equals_pytorch(device, workloads) -> None:
    got, expected, _, _ = _gpt_runs(workloads, device, "float64", steps=6)
    assert np.all(np.isfinite(expected))
    # Same weights, batches and step in float64: only summation orders differ.
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert got[-1] < got[0], "the loss should fall over the first AdamW steps"


def test_gpt_workload_ties_the_head_to_the_embedding_in_both(workloads) -> None:
    _, _, ours, theirs = _gpt_runs(workloads, "cpu", "float32", steps=1)
    assert ours.model.lm_head.weight is ours.model.wte.weight
    assert theirs.model.lm_head.weight is theirs.model.wte.weight
    names = {n for n, _ in ours.model.named_parameters()}
    assert names == {n for n, _ in theirs.model.named_parameters()}
    assert "lm_head.weight" not in names  # one Parameter, listed once


def test_gpt_workload_is_the_shakespeare_gpt_scenarios_step(workloads) -> None:
    from nanotorch.scenarios.shakespeare import ShakespeareGPT, shakespeare_tokenizer

    s = ShakespeareGPT
    full = workloads.SPECS["gpt"].sizes["full"]
    assert (full["n_layer"], full["n_head"], full["n_embd"]) == (s.n_layer, s.n_head, s.n_embd)
    assert (full["block"], full["batch"]) == (s.block_size, s.batch_size)
    assert workloads.GPT_LR == s.lr and workloads.GPT_BETAS == s.betas
    assert workloads.GPT_WEIGHT_DECAY == s.weight_decay
    assert workloads.GPT_MAX_GRAD_NORM == s.max_grad_norm
    data = workloads.make_data("gpt", "full", seed=0)
    assert data["param.wte.weight"].shape == (shakespeare_tokenizer().vocab_size, 128)
    assert data["x"].shape == data["y"].shape == (12, 64)
    np.testing.assert_array_equal(data["x"][:, 1:], data["y"][:, :-1])  # next characters


def test_run_compares_a_workload_without_floor_with_nanotorch(monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run

    def row(impl: str, loss: float, seconds: float) -> dict:
        return {"impl": impl, "median_s": seconds, "maxrss_mb": 100.0, "trajectory": [[loss]]}

    gpt = {"workload": "gpt", "rows": [row("nanotorch", 4.0, 0.2), row("torch", 4.5, 0.1)]}
    run.add_comparisons(gpt)
    ours, theirs = gpt["rows"]
    assert run.reference_impl("gpt") == "nanotorch"
    assert theirs["trajectory_ok"] is False  # 4.5 against nanotorch's 4.0
    assert ours["x_numpy"] is None and ours["mem_x_numpy"] is None
    assert ours["x_torch"] == pytest.approx(2.0)
    mlp = {"workload": "mlp", "rows": [row("numpy", 1.0, 0.1), row("nanotorch", 1.0, 0.2)]}
    run.add_comparisons(mlp)
    assert run.reference_impl("mlp") == "numpy"
    assert mlp["rows"][1]["trajectory_ok"] is True
    assert mlp["rows"][1]["x_numpy"] == pytest.approx(2.0)


def test_a_workloads_title_names_the_size_it_ran_at(workloads) -> None:
    spec = workloads.SPECS["mlp"]
    assert spec.title_for("full") == "W1 MLP 784-256-256-10, batch 128"
    tiny = spec.title_for("tiny")
    assert tiny.startswith("W1 MLP [tiny: ") and "(20, 16, 16, 10)" in tiny
    assert "784" not in tiny
    for spec in workloads.SPECS.values():  # every title is the full size's
        assert spec.title_for("full") == spec.title
