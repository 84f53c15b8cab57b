"""Random sampling beyond rand/randn: randint's forms, multinomial, bernoulli, normal, the
``*_like`` makers and the in-place fills init code uses. Every draw comes from a
``nanotorch.Generator``, so a seeded generator repeats a run on every device."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt

N = 20000  # large enough that moments land within a few standard errors


def _gen(device, seed=0):
    return nt.Generator(device).manual_seed(seed)


def _host(t):
    return np.asarray(t.cpu().tolist(), dtype=np.float64)


def test_randint_forms_dtypes_and_requires_grad(device):
    assert nt.randint(10, (3,), device=device).shape == (3,)
    assert int(nt.randint(high=2, size=(50,), device=device).max()) <= 1
    r = nt.randint(3, 7, (4, 5), device=device)
    assert r.dtype is nt.int64 and 3 <= int(r.min()) and int(r.max()) < 7
    f = nt.randint(0, 5, (6,), dtype=nt.float64, requires_grad=True, device=device)
    assert (
        f.requires_grad
        and f.dtype is nt.float64
        and _host(f).tolist() == np.floor(_host(f)).tolist()
    )
    # PyTorch refuses gradients on an integer result, with this error class.
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        nt.randint(0, 5, (2,), requires_grad=True, device=device)
    with pytest.raises(ValueError, match="randint: need low < high, got low=5, high=5"):
        nt.randint(5, 5, (2,), device=device)


def test_like_makers_keep_shape_dtype_and_device(device):
    x = nt.zeros(2, 3, dtype=nt.float64, device=device)
    for t in (nt.rand_like(x), nt.randn_like(x), nt.randint_like(x, 4), nt.randint_like(x, 2, 4)):
        assert t.shape == (2, 3) and t.dtype is nt.float64 and t.device == x.device
    assert 2 <= nt.randint_like(x, 2, 4).min().item() < 4
    assert nt.rand_like(x, requires_grad=True).requires_grad


def test_random_draws_repeat_with_a_seeded_generator(device):
    def draws(g):
        p = nt.tensor([0.1, 0.5, 0.4], device=device)
        return [
            nt.multinomial(p, 5, replacement=True, generator=g).tolist(),
            nt.multinomial(p, 2, generator=g).tolist(),
            nt.bernoulli(nt.full((4,), 0.5, device=device), generator=g).tolist(),
            nt.normal(0.0, 1.0, (3,), generator=g, device=device).tolist(),
            nt.randint_like(p, 10, generator=g).tolist(),
            nt.zeros(3, device=device).exponential_(generator=g).tolist(),
            nt.zeros(3, device=device).random_(0, 100, generator=g).tolist(),
            nt.zeros(3, device=device).bernoulli_(0.3, generator=g).tolist(),
        ]

    assert draws(_gen(device, 7)) == draws(_gen(device, 7))
    assert draws(_gen(device, 7)) != draws(_gen(device, 8))


def test_multinomial_with_replacement_matches_the_probabilities(device):
    p = nt.tensor([1.0, 0.0, 3.0, 4.0], device=device)  # unnormalized weights
    s = nt.multinomial(p, N, replacement=True, generator=_gen(device))
    assert s.shape == (N,) and s.dtype is nt.int64
    freq = np.bincount(_host(s).astype(int), minlength=4) / N
    assert freq[1] == 0
    np.testing.assert_allclose(freq, [0.125, 0.0, 0.375, 0.5], atol=0.015)


def test_multinomial_without_replacement_draws_distinct_categories(device):
    p = nt.tensor([[1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 5.0, 1.0, 1.0, 1.0]], device=device)
    s = nt.multinomial(p, 4, generator=_gen(device))
    assert s.shape == (2, 4)
    for row, weights in zip(s.tolist(), p.tolist()):
        assert len(set(row)) == 4 and all(weights[c] > 0 for c in row)
    # First draws follow the weights: category 1 holds 5/8 of the second row's mass.
    many = nt.multinomial(p[1].expand(N, 5), 1, generator=_gen(device))
    assert abs(float((many == 1).double().mean()) - 5 / 8) < 0.015


def test_multinomial_bad_arguments(device):
    p = nt.tensor([0.5, 0.5, 0.0], device=device)
    with pytest.raises(RuntimeError, match="cannot draw 4 samples without replacement from 3"):
        nt.multinomial(p, 4)
    with pytest.raises(RuntimeError, match="only 2 categories have non-zero probability"):
        nt.multinomial(p, 3)
    with pytest.raises(RuntimeError, match="probabilities must be finite and non-negative"):
        nt.multinomial(nt.tensor([0.5, -0.1], device=device), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities is 0"):
        nt.multinomial(nt.zeros(3, device=device), 1, replacement=True)
    with pytest.raises(RuntimeError, match=r"1-D or 2-D.*got shape \(1, 1, 2\)"):
        nt.multinomial(nt.ones(1, 1, 2, device=device), 1)
    with pytest.raises(RuntimeError, match="num_samples must be positive, got 0"):
        nt.multinomial(p, 0)


def test_bernoulli_moments_and_forms(device):
    p = nt.full((N,), 0.3, dtype=nt.float64, device=device)
    b = nt.bernoulli(p, generator=_gen(device))
    assert b.dtype is nt.float64 and set(_host(b).tolist()) <= {0.0, 1.0}
    assert abs(_host(b).mean() - 0.3) < 0.015
    b2 = nt.bernoulli(nt.zeros(N, device=device), 0.8, generator=_gen(device))
    assert abs(_host(b2).mean() - 0.8) < 0.015
    assert p.bernoulli(generator=_gen(device)).shape == (N,)
    with pytest.raises(RuntimeError, match=r"bernoulli: p must be in \[0, 1\]"):
        nt.bernoulli(nt.tensor([0.5, 1.5], device=device))


def test_normal_forms_and_moments(device):
    g = _gen(device)
    a = nt.normal(2.0, 3.0, (N,), generator=g, device=device)
    assert a.dtype is nt.float32 and abs(_host(a).mean() - 2.0) < 0.1
    assert abs(_host(a).std() - 3.0) < 0.1
    mean = nt.tensor([[-5.0], [5.0]], dtype=nt.float64, device=device).expand(2, N)
    b = nt.normal(mean, 0.5, generator=g)
    assert b.shape == (2, N) and b.dtype is nt.float64
    np.testing.assert_allclose(_host(b).mean(axis=1), [-5.0, 5.0], atol=0.05)
    c = nt.normal(1.0, nt.full((N,), 2.0, device=device), generator=g)
    assert abs(_host(c).std() - 2.0) < 0.1
    d = nt.normal(nt.zeros(N, device=device), nt.full((N,), 0.1, device=device), generator=g)
    assert abs(_host(d).std() - 0.1) < 0.01
    with pytest.raises(RuntimeError, match="normal: std must be >= 0, got -1.0"):
        nt.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="normal: give size= when mean and std are numbers"):
        nt.normal(0.0, 1.0)


def test_inplace_fills_for_init(device):
    with nt.no_grad():
        w = nt.empty(N, dtype=nt.float64, device=device)
        w.uniform_(-2.0, 2.0, generator=_gen(device))
        assert -2.0 <= float(w.min()) and float(w.max()) < 2.0 and abs(float(w.mean())) < 0.05
        w.normal_(1.0, 2.0, generator=_gen(device))
        assert abs(float(w.mean()) - 1.0) < 0.1 and abs(float(w.std()) - 2.0) < 0.1
        w.exponential_(4.0, generator=_gen(device))
        assert float(w.min()) >= 0 and abs(float(w.mean()) - 0.25) < 0.01
        w.random_(0, 10, generator=_gen(device))
        values = set(_host(w).tolist())
        assert values == set(map(float, range(10)))
        w.random_(5, generator=_gen(device))
        assert set(_host(w).tolist()) == set(map(float, range(5)))
        w.bernoulli_(0.25, generator=_gen(device))
        assert abs(float(w.mean()) - 0.25) < 0.015
        w.fill_(3.5)
        assert set(_host(w).tolist()) == {3.5}
        i = nt.zeros(100, dtype=nt.int64, device=device).random_(generator=_gen(device))
        assert i.dtype is nt.int64 and int(i.min()) >= 0


def test_inplace_fill_bad_arguments(device):
    w = nt.zeros(3, device=device)
    with pytest.raises(RuntimeError, match="random_: need from < to, got from=5, to=5"):
        w.random_(5, 5)
    with pytest.raises(RuntimeError, match="exponential_: lambd must be > 0, got -1"):
        w.exponential_(-1)
    with pytest.raises(RuntimeError, match=r"bernoulli_: p must be in \[0, 1\], got 2"):
        w.bernoulli_(2)
    with pytest.raises(TypeError, match="exponential_: needs a floating tensor"):
        nt.zeros(3, dtype=nt.int64, device=device).exponential_()
    assert math.isfinite(float(w.sum()))


def test_more_inplace_distributions(device):
    g = _gen(device, 3)
    with nt.no_grad():
        w = nt.empty(N, dtype=nt.float64, device=device)
        w.log_normal_(0.5, 0.25, generator=g)
        logs = np.log(_host(w))
        assert abs(logs.mean() - 0.5) < 0.01 and abs(logs.std() - 0.25) < 0.01
        w.geometric_(0.25, generator=g)
        h = _host(w)
        assert h.min() >= 1 and (h == np.floor(h)).all() and abs(h.mean() - 4.0) < 0.15
        w.cauchy_(2.0, 0.5, generator=g)
        q1, med, q3 = np.quantile(_host(w), [0.25, 0.5, 0.75])
        assert abs(med - 2.0) < 0.03 and abs((q3 - q1) / 2 - 0.5) < 0.03
    with pytest.raises(RuntimeError, match=r"geometric_: p must be in \(0, 1\], got 0"):
        w.geometric_(0)
    with pytest.raises(RuntimeError, match="log_normal_: std must be > 0, got 0"):
        w.log_normal_(0.0, 0.0)
    with pytest.raises(RuntimeError, match="cauchy_: sigma must be > 0, got -1"):
        w.cauchy_(0.0, -1)
