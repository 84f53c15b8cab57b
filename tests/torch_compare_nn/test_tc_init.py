"""nn.init against PyTorch's where the result does not depend on the random stream: gains,
fans (through the bounds and standard deviations of the scaled schemes), the deterministic
fills, and the moments of the random ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nanotorch as nt


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Fixed draws in both libraries, so the moment checks cannot flake."""
    torch.manual_seed(0)
    nt.manual_seed(0)


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv_transpose3d", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert math.isclose(
        nt.nn.init.calculate_gain(nonlinearity, param),
        torch.nn.init.calculate_gain(nonlinearity, param),
        rel_tol=1e-12,
    )


SHAPES = [(30, 40), (8, 3, 5, 5), (6, 4, 3), (5, 2, 2, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("xavier_uniform_", {"gain": 1.5}),
        ("kaiming_uniform_", {"a": math.sqrt(5)}),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ],
)
def test_uniform_schemes_use_torchs_bound(name, kw, shape):
    n_w = getattr(nt.nn.init, name)(nt.empty(shape, dtype=nt.float64), **kw).numpy()
    t_w = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kw).numpy()
    bound = max(np.abs(t_w).max(), np.abs(n_w).max())
    # Both fill [-b, b] with the same b: their extremes are within a few percent of it.
    assert np.abs(n_w).max() <= bound and np.abs(n_w).max() > 0.9 * bound
    assert np.abs(t_w).max() > 0.9 * bound


@pytest.mark.parametrize("shape", [(200, 300), (64, 16, 5, 5)], ids=str)
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("xavier_normal_", {}),
        ("kaiming_normal_", {"nonlinearity": "relu"}),
        ("kaiming_normal_", {"mode": "fan_out", "a": 0.1}),
        ("normal_", {"mean": 1.0, "std": 0.3}),
    ],
)
def test_normal_schemes_match_torchs_moments(name, kw, shape):
    n_w = getattr(nt.nn.init, name)(nt.empty(shape, dtype=nt.float64), **kw).numpy()
    t_w = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kw).numpy()
    assert abs(n_w.std() / t_w.std() - 1) < 0.03
    assert abs(n_w.mean() - t_w.mean()) < 0.05 * t_w.std() + 1e-3


def test_trunc_normal_matches_torchs_bounds_and_moments():
    n_w = nt.nn.init.trunc_normal_(nt.empty(200_000, dtype=nt.float64), 0.5, 2.0, -1.0, 3.0)
    t_w = torch.nn.init.trunc_normal_(
        torch.empty(200_000, dtype=torch.float64), 0.5, 2.0, -1.0, 3.0
    )
    n, t = n_w.numpy(), t_w.numpy()
    assert n.min() >= -1.0 and n.max() <= 3.0
    assert abs(n.mean() - t.mean()) < 0.02 and abs(n.std() - t.std()) < 0.02


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)], ids=str)
def test_eye_matches_torch(shape):
    n_w = nt.nn.init.eye_(nt.empty(shape))
    t_w = torch.nn.init.eye_(torch.empty(shape))
    np.testing.assert_array_equal(n_w.numpy(), t_w.numpy())


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((2, 4, 3, 3, 3), 1), ((4, 2, 2, 4), 2)],
)
def test_dirac_matches_torch(shape, groups):
    n_w = nt.nn.init.dirac_(nt.empty(shape), groups)
    t_w = torch.nn.init.dirac_(torch.empty(shape), groups)
    np.testing.assert_array_equal(n_w.numpy(), t_w.numpy())


@pytest.mark.parametrize("name", ["ones_", "zeros_"])
def test_constant_fills_match_torch(name):
    n_w = getattr(nt.nn.init, name)(nt.empty(2, 3))
    t_w = getattr(torch.nn.init, name)(torch.empty(2, 3))
    np.testing.assert_array_equal(n_w.numpy(), t_w.numpy())
    assert nt.nn.init.constant_(nt.empty(3), 0.25).tolist() == [0.25] * 3


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.Linear(30, 20),
        lambda nn: nn.Conv2d(6, 8, 3),
        lambda nn: nn.Conv1d(4, 6, 5),
        lambda nn: nn.ConvTranspose2d(6, 4, 3),
        lambda nn: nn.Bilinear(10, 12, 5),
        lambda nn: nn.Embedding(100, 40),
        lambda nn: nn.LSTM(10, 20),
        lambda nn: nn.GRUCell(6, 8),
        lambda nn: nn.MultiheadAttention(16, 4),
        lambda nn: nn.PReLU(3),
        lambda nn: nn.BatchNorm1d(5),
        lambda nn: nn.LayerNorm(5),
        lambda nn: nn.RMSNorm(5),
    ],
    ids=[
        "Linear",
        "Conv2d",
        "Conv1d",
        "ConvTranspose2d",
        "Bilinear",
        "Embedding",
        "LSTM",
        "GRUCell",
        "MHA",
        "PReLU",
        "BatchNorm1d",
        "LayerNorm",
        "RMSNorm",
    ],
)
def test_default_initialisation_has_torchs_ranges(make):
    """Each parameter's default init spans the same range as PyTorch's (deterministic
    parameters equal), so models start from comparable points."""
    n_mod, t_mod = make(nt.nn), make(torch.nn)
    t_params = dict(t_mod.named_parameters())
    for name, p in n_mod.named_parameters():
        a, b = p.detach().numpy(), t_params[name].detach().numpy()
        assert a.shape == b.shape, name
        if np.all(b == b.flat[0]):  # a constant fill (norm weights, biases, PReLU)
            np.testing.assert_array_equal(a, b, err_msg=name)
        elif a.size >= 50:  # enough draws that both maxima sit near the bound
            ratio = np.abs(a).max() / np.abs(b).max()
            assert 0.8 < ratio < 1.25, (name, ratio)


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3), (6, 1, 2, 2)], ids=str)
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_matches_torchs_construction(shape, gain):
    """orthogonal_ maps a standard normal draw A (rows = shape[0], the rest flattened,
    transposed when wider than tall) to the Q of its QR decomposition with R's diagonal made
    positive, times gain. The same A through torch's QR gives the same weight, and torch's
    own orthogonal_ has the same orthogonality (W W^T or W^T W = gain^2 I) and shape."""
    rows = shape[0]
    cols = int(np.prod(shape[1:]))
    n_w = nt.nn.init.orthogonal_(
        nt.empty(shape, dtype=nt.float64), gain, generator=nt.Generator().manual_seed(5)
    )
    a = nt.empty(rows, cols, dtype=nt.float64).normal_(
        0.0, 1.0, generator=nt.Generator().manual_seed(5)
    )
    flat = torch.tensor(a.numpy().copy())
    if rows < cols:
        flat = flat.T
    q, r = torch.linalg.qr(flat)
    q = q * torch.sign(torch.diagonal(r))
    if rows < cols:
        q = q.T
    np.testing.assert_allclose(n_w.numpy(), (gain * q).reshape(shape).numpy(), atol=1e-12)
    t_w = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain)
    for w in (n_w.numpy().reshape(rows, cols), t_w.numpy().reshape(rows, cols)):
        gram = w @ w.T if rows <= cols else w.T @ w
        np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_rejects_1d_like_torch():
    with pytest.raises(ValueError):
        torch.nn.init.orthogonal_(torch.empty(4))
    with pytest.raises(ValueError, match="orthogonal_.*2 or more dimensions.*1-D"):
        nt.nn.init.orthogonal_(nt.empty(4))


@pytest.mark.parametrize(("shape", "sparsity"), [((10, 6), 0.3), ((7, 4), 0.5), ((5, 3), 0.0)])
def test_sparse_matches_torchs_zero_pattern_counts(shape, sparsity):
    """Every column gets exactly ceil(sparsity * rows) zeros, as in torch's sparse_, and the
    rest are N(0, std^2) draws."""
    n_w = nt.nn.init.sparse_(nt.empty(shape, dtype=nt.float64), sparsity, std=0.5).numpy()
    t_w = torch.nn.init.sparse_(torch.empty(shape, dtype=torch.float64), sparsity, 0.5).numpy()
    np.testing.assert_array_equal((n_w == 0).sum(axis=0), (t_w == 0).sum(axis=0))
    assert ((n_w == 0).sum(axis=0) == math.ceil(sparsity * shape[0])).all()
    big = nt.nn.init.sparse_(nt.empty(400, 300, dtype=nt.float64), 0.25, std=0.5).numpy()
    kept = big[big != 0]
    assert abs(kept.std() / 0.5 - 1) < 0.03 and kept.size == 300 * 300


def test_sparse_rejects_non_2d_like_torch():
    with pytest.raises(ValueError):
        torch.nn.init.sparse_(torch.empty(2, 3, 4), 0.5)
    with pytest.raises(ValueError, match="sparse_.*2-D.*3-D"):
        nt.nn.init.sparse_(nt.empty(2, 3, 4), 0.5)
