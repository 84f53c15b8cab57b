"""Indexing semantics and the scatter-add hook behind integer-array indexing."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.backend import ArrayBackend, get_backend
from nanotorch.testing import assert_close


def _index_add_case(device):
    backend = get_backend(device)
    xp = backend.xp
    target = backend.from_host(np.zeros((4, 2)))
    index = backend.from_host(np.array([1, 3, 1, 1]))
    source = backend.from_host(np.arange(8.0).reshape(4, 2))
    expected = np.zeros((4, 2))
    np.add.at(expected, [1, 3, 1, 1], np.arange(8.0).reshape(4, 2))
    return backend, xp, target, index, source, expected


def test_index_add_hook_accumulates_duplicates(device):
    backend, _, target, index, source, expected = _index_add_case(device)
    out = backend.index_add(target, index, source)
    assert np.array_equal(backend.to_host(out), expected)


def test_index_add_portable_fallback_accumulates_duplicates(device):
    backend, _, target, index, source, expected = _index_add_case(device)
    out = ArrayBackend.index_add(backend, target, index, source)
    assert np.array_equal(backend.to_host(out), expected)


def test_indexing_gather_backward_accumulates_duplicate_rows(device):
    x = nt.ones(3, 2, device=device, requires_grad=True)
    idx = nt.tensor([0, 2, 0, 0], device=device)
    x[idx].sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [0.0, 0.0], [1.0, 1.0]]


def test_indexing_basic_keys(device):
    x = nt.arange(24, device=device).reshape(2, 3, 4)
    ref = np.arange(24).reshape(2, 3, 4)
    for key in [
        (0,),
        (1, 2),
        (slice(None), 1),
        (Ellipsis, -1),
        (None, 0, slice(1, 3)),
        (slice(None, None, -1), slice(None), slice(None, None, 2)),
    ]:
        assert x[key].tolist() == ref[key].tolist(), key


def test_indexing_column_with_an_index_tensor(device):
    x = nt.arange(12, device=device).reshape(3, 4)
    assert x[:, nt.tensor([3, 0], device=device)].tolist() == [[3, 0], [7, 4], [11, 8]]


def test_indexing_boolean_mask(device):
    x = nt.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    picked = x[x > 0]
    assert picked.tolist() == [1.0, 3.0]
    picked.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_indexing_out_of_range_raises_index_error(device):
    x = nt.ones(3, 2, device=device)
    with pytest.raises(IndexError, match="out of range"):
        x[3]
    with pytest.raises(IndexError, match="out of range"):
        x[nt.tensor([0, 5], device=device)]
    with pytest.raises(IndexError, match="too many"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="out of range"):
        nt.gather(x, 1, nt.tensor([[0], [2], [1]], device=device))


def test_indexing_max_with_dim_returns_values_and_indices(device):
    x = nt.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], device=device, requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_indexing_one_hot_and_range_errors(device):
    idx = nt.tensor([0, 2], device=device)
    assert nt.one_hot(idx, 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(ValueError, match="class values"):
        nt.one_hot(idx, 2)


def test_indexing_split_chunk_cat_round_trip(device):
    x = nt.randn(7, 3, device=device)
    assert_close(nt.cat(x.split(3), 0), x)
    assert [c.shape[0] for c in x.chunk(3)] == [3, 3, 1]
