"""``nn.Embedding`` / ``F.embedding``: rows picked by integer indices, gradients summed over
repeated indices (the scatter-add backward of integer indexing), no gradient for
``padding_idx``."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close


def _host(t):
    return t.detach()._to_host_uncounted()


def test_embedding_module_shapes_init_and_repr(device):
    emb = nn.Embedding(10, 3, device=device)
    assert emb.weight.shape == (10, 3) and str(emb.weight.device) == str(device)
    assert repr(emb) == "Embedding(10, 3)"
    out = emb(nt.tensor([[1, 2, 3, 1], [0, 9, 9, 4]], device=device))
    assert out.shape == (2, 4, 3)
    assert_close(out[1, 1], emb.weight[9])
    big = nn.Embedding(2000, 8)
    w = _host(big.weight)
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1) < 0.03  # N(0, 1) like PyTorch


def test_embedding_gradient_sums_repeated_indices(device):
    weight = nt.randn(5, 2, dtype=nt.float64, device=device, requires_grad=True)
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    g = np.random.default_rng(0).standard_normal((2, 3, 2))
    F.embedding(nt.tensor(idx, device=device), weight).backward(nt.tensor(g, device=device))
    expected = np.zeros((5, 2))
    np.add.at(expected, idx.reshape(-1), g.reshape(-1, 2))
    assert_close(weight.grad, expected)


def test_embedding_padding_idx_row_is_zero_and_gets_no_gradient(device):
    emb = nn.Embedding(6, 3, padding_idx=0, device=device, dtype=nt.float64)
    assert repr(emb) == "Embedding(6, 3, padding_idx=0)"
    assert_close(emb.weight[0], np.zeros(3))
    idx = nt.tensor([0, 1, 0, 5], device=device)
    with nt.no_grad():
        emb.weight[0] = 7.0  # even a non-zero padding row is returned, but never trained
    out = emb(idx)
    assert_close(out[0], np.full(3, 7.0))
    out.sum().backward()
    grad = _host(emb.weight.grad)
    assert np.all(grad[0] == 0) and np.all(grad[1] == 1) and np.all(grad[5] == 1)


def test_embedding_negative_padding_idx_counts_from_the_end(device):
    emb = nn.Embedding(4, 2, padding_idx=-1, device=device)
    assert emb.padding_idx == 3
    with pytest.raises(
        ValueError,
        match=r"Embedding: padding_idx must be within num_embeddings "
        r"\(-4 to 3\), got 4",
    ):
        nn.Embedding(4, 2, padding_idx=4)


def test_embedding_bad_indices_are_named(device):
    w = nt.randn(5, 2, device=device)
    with pytest.raises(IndexError, match=r"embedding: index out of range.*size 5.*from 0 to 7"):
        F.embedding(nt.tensor([0, 7], device=device), w)
    with pytest.raises(
        TypeError, match="embedding: indices must be an integer tensor, got.*float32"
    ):
        F.embedding(nt.tensor([0.0, 1.0], device=device), w)
    with pytest.raises(nt.ShapeError, match=r"embedding: weight must be 2-D.*got shape \(5,\)"):
        F.embedding(nt.tensor([0], device=device), nt.randn(5, device=device))


def test_embedding_from_pretrained(device):
    table = nt.randn(4, 3, device=device)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and emb.num_embeddings == 4 and emb.embedding_dim == 3
    assert_close(emb(nt.tensor([2], device=device))[0], table[2])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_embedding_empty_indices_backward(device):
    weight = nt.randn(5, 3, device=device, requires_grad=True)
    out = F.embedding(nt.zeros(0, dtype=nt.int64, device=device), weight)
    assert out.shape == (0, 3)
    out.sum().backward()
    assert_close(weight.grad, np.zeros((5, 3), np.float32))


def test_embedding_max_norm_renormalizes_looked_up_rows_in_place(device):
    # Row 0 has norm 5 > 2: scaled by 2 / (5 + 1e-7). Row 1 (norm 0.5) is within; row 2 has
    # norm 10 but is not looked up, so it stays as it is (PyTorch renormalizes only the rows
    # it reads).
    table = nt.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], dtype=nt.float64, device=device)
    emb = nn.Embedding.from_pretrained(table, freeze=False, max_norm=2.0)
    version = emb.weight._version
    out = emb(nt.tensor([0, 1, 0], device=device))
    scale = 2.0 / (5.0 + 1e-7)
    expected = np.array([[3.0 * scale, 4.0 * scale], [0.3, 0.4], [6.0, 8.0]])
    np.testing.assert_allclose(_host(emb.weight), expected, rtol=1e-12)
    np.testing.assert_allclose(_host(out), expected[[0, 1, 0]], rtol=1e-12)
    assert emb.weight._version > version
    assert repr(nn.Embedding(4, 2, max_norm=1.0)) == "Embedding(4, 2, max_norm=1.0)"


def test_embedding_max_norm_uses_norm_type_and_keeps_gradients(device):
    # L1 norm of row 1 is 3 > 1.5: scaled by 1.5 / 3; the gradient still reaches the table.
    w = nt.tensor([[0.5, 0.5], [1.0, -2.0]], dtype=nt.float64, device=device, requires_grad=True)
    out = F.embedding(nt.tensor([1, 1], device=device), w, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(_host(out), [[0.5, -1.0]] * 2, rtol=1e-6)
    out.sum().backward()
    assert w.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]


def test_embedding_max_norm_must_be_positive(device):
    with pytest.raises(ValueError, match=r"embedding: max_norm must be positive, got -1.0"):
        F.embedding(nt.tensor([0], device=device), nt.ones((2, 2), device=device), max_norm=-1.0)


def test_embedding_scale_grad_by_freq_divides_by_the_count_in_the_batch(device):
    # Row 1 appears 3 times, row 0 once: with an upstream gradient of ones, row 1 gets
    # 3 / 3 = 1 per column and row 0 gets 1 / 1; without scaling row 1 would get 3.
    w = nt.ones((3, 2), dtype=nt.float64, device=device, requires_grad=True)
    out = F.embedding(nt.tensor([1, 0, 1, 1], device=device), w, scale_grad_by_freq=True)
    assert out.tolist() == [[1.0, 1.0]] * 4
    out.sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    emb = nn.Embedding(3, 2, scale_grad_by_freq=True)
    assert repr(emb) == "Embedding(3, 2, scale_grad_by_freq=True)"
    with pytest.raises(NotImplementedError, match=r"embedding: sparse=True"):
        F.embedding(nt.tensor([0], device=device), w, sparse=True)
