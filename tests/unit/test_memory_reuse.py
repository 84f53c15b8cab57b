"""Memory kept between training steps (Note [Buffer pool] in nanotorch/backend/pool.py).

Two kinds of test: the fast paths give the same numbers as the portable ones (pool on and
off on the cpu, and the cpu against strict:1), and nothing a user still holds is ever
overwritten when the pool hands out memory again: outputs and gradients kept across steps,
views, ``.numpy()``, hooks that stash gradients, ``retain_graph``, ``create_graph``,
checkpoints and threads.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from _memory_helpers import (
    Held,
    assert_arrays_close,
    assert_arrays_equal,
    assert_second_backward_matches_first,
    pool_enabled,
    train_in_threads,
    train_record,
    train_step,
    warm_pool_counts,
)

import nanotorch as nt
from nanotorch import nn
from nanotorch.backend import get_backend
from nanotorch.nn import functional as F
from nanotorch.optim import SGD, Optimizer

# W1's shape at a quarter of the width: arrays of 64-200 KiB, so they go through the pool.
SIZES = (196, 128, 128, 10)
BATCH = 128


def _mlp(device: str, seed: int = 0) -> nn.Module:
    # Weights from a local NumPy generator, not the global seed: threads build models too.
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    with nt.no_grad():
        for p in model.parameters():
            p.copy_(nt.tensor(rng.uniform(-0.1, 0.1, p.shape).astype(np.float32)))
    return model.to(device)


def _data(device: str, seed: int = 1) -> tuple[nt.Tensor, nt.Tensor]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return nt.tensor(x, device=device), nt.tensor(y, device=device)


def _train(device: str, steps: int, momentum: float = 0.0) -> list[np.ndarray]:
    model = _mlp(device)
    x, y = _data(device)
    opt = SGD(model.parameters(), lr=0.1, momentum=momentum)
    return train_record(model, opt, lambda: F.cross_entropy(model(x), y), steps)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_memory_reuse_pool_on_and_off_train_identically(momentum: float) -> None:
    with pool_enabled(False):
        plain = _train("cpu", 4, momentum)
    with pool_enabled(True):
        pooled = _train("cpu", 4, momentum)
    assert_arrays_equal(plain, pooled)


@pytest.mark.not_on("cpu")
def test_memory_reuse_cpu_fast_path_matches_portable(device: str) -> None:
    assert_arrays_close(_train("cpu", 3), _train(device, 3), rtol=1e-4, atol=1e-5)


def test_memory_reuse_steady_state_allocates_no_new_buffers() -> None:
    # After the first steps every large array of a step comes from the pool: no misses.
    model = _mlp("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.1)
    hits, misses = warm_pool_counts(
        lambda: train_step(opt, lambda: F.cross_entropy(model(x), y)), warm=3, measured=5
    )
    assert misses == 0
    assert hits >= 5 * 8  # 3 forward, 2 relu, ~4 backward per step


def test_memory_reuse_results_held_across_steps_are_never_overwritten() -> None:
    model = _mlp("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.1)
    held = Held()
    grads_seen: list[nt.Tensor] = []
    model[0].weight.register_hook(lambda g: grads_seen.append(g) or None)
    for _ in range(4):
        opt.zero_grad()
        h = model[1](model[0](x))  # a ReLU output, saved for backward and held here
        out = model[4](model[3](model[2](h)))
        held.keep(h)
        held.keep(out)
        held.keep(out[:, :3])  # a view of a pooled array
        held.keep_numpy_of(h)
        loss = F.cross_entropy(out, y)
        loss.backward()
        for p in model.parameters():
            held.keep(p.grad)
        opt.step()
    for g in grads_seen:
        held.keep(g)
    held.assert_unchanged()


def test_memory_reuse_grads_kept_after_zero_grad_are_untouched() -> None:
    # zero_grad drops .grad; a user who kept the tensor still owns its values.
    model = _mlp("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.1)
    F.cross_entropy(model(x), y).backward()
    kept = [p.grad for p in model.parameters()]
    snapshots = [g.numpy().copy() for g in kept]
    opt.step()
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for g, s in zip(kept, snapshots, strict=True):
        np.testing.assert_array_equal(g.numpy(), s)


def test_memory_reuse_retain_graph_and_create_graph() -> None:
    with pool_enabled(False):
        model = _mlp("cpu")
        x, y = _data("cpu")
        loss = F.cross_entropy(model(x), y)
        (gw,) = nt.autograd.grad(loss, [model[0].weight], create_graph=True)
        second = (gw * gw).sum()
        second.backward()
        expected = model[2].weight.grad.numpy().copy()
    model = _mlp("cpu")
    x, y = _data("cpu")
    assert_second_backward_matches_first(model, F.cross_entropy(model(x), y))
    for p in model.parameters():
        p.grad = None
    (gw,) = nt.autograd.grad(F.cross_entropy(model(x), y), [model[0].weight], create_graph=True)
    (gw * gw).sum().backward()
    np.testing.assert_array_equal(model[2].weight.grad.numpy(), expected)


def test_memory_reuse_checkpoint_copies_stay_put() -> None:
    model = _mlp("cpu")
    x, y = _data("cpu")
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    saved_model = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    live_model = model.state_dict()  # live tensors: they must follow the parameters
    saved_opt = opt.state_dict()
    buffers = {i: s["momentum_buffer"].numpy().copy() for i, s in saved_opt["state"].items()}
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    for k, v in live_model.items():
        assert not np.array_equal(v.numpy(), saved_model[k])  # updated in place
    fresh = _mlp("cpu")
    fresh.load_state_dict({k: nt.tensor(v) for k, v in saved_model.items()})
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), saved_model[k])
    for i, b in buffers.items():
        assert b.shape == saved_opt["state"][i]["momentum_buffer"].shape


def test_memory_reuse_threads_training_separate_models() -> None:
    # Two threads share the cpu backend's pool; each must train as if alone.
    with pool_enabled(False):
        expected = _train("cpu", 3)
    for got in train_in_threads(lambda: _train("cpu", 3), 3):
        assert_arrays_equal(expected, got)


def _second_step_peak(opt: Optimizer) -> int:
    """Peak bytes traced during ``opt``'s second step: the first creates the state and the
    pooled buffers, so the second shows what every later step allocates."""
    opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_memory_reuse_sgd_step_makes_no_weight_sized_temporary() -> None:
    w = nt.zeros(512, 512, requires_grad=True)
    w.grad = nt.ones(512, 512)
    opt = SGD([w], lr=0.5)
    peak = _second_step_peak(opt)  # the first step may create the pooled scratch
    assert peak < w.numel() * 4 // 4, f"SGD step allocated {peak} bytes"
    np.testing.assert_array_equal(w.detach().numpy(), np.full((512, 512), -1.0, np.float32))


def test_memory_reuse_sgd_update_is_bit_identical_to_add_() -> None:
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((300, 301)).astype(np.float32)
    g0 = rng.standard_normal((300, 301)).astype(np.float32)
    w = nt.tensor(p0.copy(), requires_grad=True)
    w.grad = nt.tensor(g0)
    SGD([w], lr=0.037).step()
    np.testing.assert_array_equal(w.detach().numpy(), p0 + g0 * np.float32(-0.037))


OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.05),
    "sgd-momentum-dampening": lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.3),
    "sgd-nesterov-wd": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
    "adam": lambda ps: nt.optim.Adam(ps, lr=0.01),
    "adam-amsgrad-wd": lambda ps: nt.optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.1),
    "adamw": lambda ps: nt.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: nt.optim.RMSprop(ps, lr=0.01),
    "rmsprop-centered-momentum": lambda ps: nt.optim.RMSprop(
        ps, lr=0.01, centered=True, momentum=0.5
    ),
    "adagrad": lambda ps: nt.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
}


def _optimize(name: str, device: str, maximize: bool = False) -> list[np.ndarray]:
    # (300, 301) float32 is 353 KiB: one pass through a pooled scratch; (1025, 1031) is
    # just over 4 MiB: slices of the update plus a remainder; (7, 5) and (301,) are small
    # and keep the whole-array expressions.
    rng = np.random.default_rng(5)
    shapes = [(300, 301), (1025, 1031), (7, 5), (301,)]
    params = [
        nt.tensor(rng.standard_normal(s).astype(np.float32), device=device, requires_grad=True)
        for s in shapes
    ]
    opt = OPTIMIZERS[name](params)
    if maximize:
        for group in opt.param_groups:
            group["maximize"] = True
    for _ in range(3):
        for p in params:
            g = rng.standard_normal(p.shape).astype(np.float32)
            p.grad = nt.tensor(g, device=device)
        opt.step()
    state = [
        v.cpu().numpy()
        for s in opt.state_dict()["state"].values()
        for v in s.values()
        if isinstance(v, nt.Tensor)
    ]
    return [p.detach().cpu().numpy() for p in params] + state


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_memory_reuse_optimizer_updates_match_the_tensor_methods_to_the_bit(name: str) -> None:
    # strict:0 runs the Tensor methods' whole-array expressions on NumPy's arithmetic: the
    # cpu's sliced in-place updates must give exactly the same numbers.
    fast = _optimize(name, "cpu", maximize=name == "adam")
    portable = _optimize(name, "strict:0", maximize=name == "adam")
    assert len(fast) == len(portable)
    for a, b in zip(fast, portable, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad", "sgd-momentum-dampening"])
def test_memory_reuse_optimizer_step_makes_no_weight_sized_temporary(name: str) -> None:
    w = nt.zeros(512, 512, requires_grad=True)
    w.grad = nt.ones(512, 512)
    peak = _second_step_peak(OPTIMIZERS[name]([w]))
    assert peak < w.numel() * 4 // 4, f"{name} step allocated {peak} bytes"


def test_memory_reuse_dataloader_batches_and_in_place_edits_survive() -> None:
    # Batches and outputs kept from every step of an epoch, one output edited in place after
    # its step: later steps' pooled results must land elsewhere.
    from nanotorch.data import DataLoader, TensorDataset

    rng = np.random.default_rng(2)
    xs = rng.standard_normal((4 * BATCH, SIZES[0])).astype(np.float32)
    ys = rng.integers(0, SIZES[-1], 4 * BATCH)
    loader = DataLoader(TensorDataset(xs, ys), batch_size=BATCH)
    model = _mlp("cpu")
    opt = SGD(model.parameters(), lr=0.1)
    kept: list[tuple[nt.Tensor, np.ndarray]] = []
    for x, y in loader:
        opt.zero_grad()
        h = model[1](model[0](x))
        loss = F.cross_entropy(model[4](model[3](model[2](h))), y)
        loss.backward()
        opt.step()
        with nt.no_grad():
            edited = h.detach()
            edited.mul_(2.0)  # in place on the pooled ReLU output, after its backward
        kept.append((edited, edited.numpy().copy()))
        kept.append((x, x.numpy().copy()))
    for t, snapshot in kept:
        np.testing.assert_array_equal(t.numpy(), snapshot)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("ignore", [False, True], ids=["all-targets", "some-ignored"])
def test_memory_reuse_cross_entropy_rows_fast_path_matches_portable_to_the_bit(
    reduction: str, ignore: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cpu backend's cross_entropy_rows hook (2-D logits, no weight, no smoothing) gives
    # the portable expressions' numbers exactly: strict:0 runs those on NumPy's arithmetic.
    rng = np.random.default_rng(4)
    z = (rng.standard_normal((64, 10)) * 4).astype(np.float32)
    t = rng.integers(0, 10, 64)
    if ignore:
        t[::5] = -100
    backend = get_backend(nt.device("cpu"))
    calls: list[str] = []
    for name in ("cross_entropy_rows", "cross_entropy_rows_grad"):
        original = getattr(backend, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(backend, name, spy)
    results = []
    for device in ("cpu", "strict:0"):
        x = nt.tensor(z, device=device, requires_grad=True)
        loss = F.cross_entropy(x, nt.tensor(t, device=device), reduction=reduction)
        loss.backward()
        results.append((loss.detach().cpu().numpy(), x.grad.cpu().numpy()))
    assert calls == ["cross_entropy_rows", "cross_entropy_rows_grad"]
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize(
    "values",
    [[3, 0, 9, 4], [3, -100, 9, -100], [-100, -100], [-5, 2, 11]],
    ids=["all-valid", "some-ignored", "all-ignored", "out-of-range"],
)
def test_memory_reuse_target_range_fast_path_matches_portable(values: list[int]) -> None:
    from nanotorch.nn.loss import ValidTargetRange

    got = [
        ValidTargetRange.apply(nt.tensor(values, device=d), ignore_index=-100).cpu().tolist()
        for d in ("cpu", "strict:0")
    ]
    assert got[0] == got[1]
