"""Behaviours of the sorting family the op specs do not cover: Tensor methods, NaN order,
gradients through the indices, int32 outputs, scalars and errors."""

from __future__ import annotations

import math

import pytest

import nanotorch as nt


def test_sort_methods_and_named_results(device):
    x = nt.tensor([[3.0, 1.0, 2.0]], device=device)
    out = x.sort(descending=True)
    assert out.values.tolist() == [[3.0, 2.0, 1.0]] and out.indices.tolist() == [[0, 2, 1]]
    assert x.argsort(dim=1).tolist() == [[1, 2, 0]]
    assert x.sort(axis=1).indices.tolist() == [[1, 2, 0]]
    top = x.topk(2, largest=False)
    assert top.values.tolist() == [[1.0, 2.0]] and top.indices.tolist() == [[1, 2]]
    kth = x.kthvalue(3)
    assert kth.values.tolist() == [3.0] and kth.indices.tolist() == [0]
    assert nt.tensor([2, 2, 1], device=device).unique().tolist() == [1, 2]
    rows = nt.tensor([[1, 2], [0, 3], [1, 2]], device=device)
    assert rows.unique(axis=0).tolist() == [[0, 3], [1, 2]]


def test_sort_puts_nan_last_ascending_and_first_descending(device):
    x = nt.tensor([1.0, math.nan, -1.0], device=device)
    assert x.argsort().tolist() == [2, 0, 1]
    assert x.argsort(descending=True).tolist() == [1, 0, 2]


def test_sort_gradient_returns_to_the_source_positions(device):
    x = nt.tensor([0.5, -1.0, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    values, _ = x.sort()
    (values * nt.tensor([1.0, 10.0, 100.0], dtype=nt.float64, device=device)).sum().backward()
    assert x.grad.tolist() == [10.0, 1.0, 100.0]


def test_topk_and_kthvalue_gradients_touch_only_the_chosen(device):
    x = nt.tensor([[4.0, 1.0, 3.0, 2.0]], dtype=nt.float64, device=device, requires_grad=True)
    x.topk(2).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0, 0.0]]
    x.grad = None
    x.kthvalue(2).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0, 1.0]]


def test_searchsorted_int32_scalar_and_bucketize(device):
    seq = nt.tensor([1.0, 2.0, 2.0, 3.0], device=device)
    assert nt.searchsorted(seq, 2.0).tolist() == 1
    assert nt.searchsorted(seq, 2.0, side="right").tolist() == 3
    out = nt.searchsorted(seq, nt.tensor([0.0, 9.0], device=device), out_int32=True)
    assert out.dtype is nt.int32 and out.tolist() == [0, 4]
    ints = nt.searchsorted(nt.tensor([1, 3, 5], device=device), nt.tensor([2.5], device=device))
    assert ints.tolist() == [1]
    b = nt.bucketize(nt.tensor([2.0, 2.5], device=device), seq, right=True)
    assert b.tolist() == [3, 3]


def test_unique_of_floats_with_inverse_rebuilds_the_input(device):
    x = nt.tensor([[0.5, -1.0], [0.5, 2.0]], device=device)
    values, inverse = x.unique(return_inverse=True)
    assert values.tolist() == [-1.0, 0.5, 2.0]
    assert values[inverse].tolist() == x.tolist()


def test_sorting_bad_arguments(device):
    x = nt.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"topk: k=4 is out of range for dim -1 of size 3"):
        x.topk(4)
    with pytest.raises(RuntimeError, match=r"kthvalue: k=0 is out of range.*1 <= k <= 3"):
        x.kthvalue(0)
    with pytest.raises(IndexError, match="sort: dim 2 is out of range"):
        x.sort(dim=2)
    with pytest.raises(IndexError, match="unique: dim 2 is out of range"):
        x.unique(dim=2)
    with pytest.raises(IndexError, match="unique: dim=0 needs a tensor with at least 1 dim"):
        nt.tensor(1.0, device=device).unique(dim=0)
    seq = nt.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="side='left' and right=True contradict"):
        nt.searchsorted(seq, x, side="left", right=True)
    with pytest.raises(RuntimeError, match="side must be 'left' or 'right', got 'middle'"):
        nt.searchsorted(seq, x, side="middle")
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) and input of shape \(3, 1\)"):
        nt.searchsorted(x, nt.ones(3, 1, device=device))
    with pytest.raises(RuntimeError, match=r"bucketize: boundaries must be 1-D, got shape"):
        nt.bucketize(seq, x)


def test_ordering_ops_take_bool_tensors(device):
    # The standard orders numbers only; bools are compared as 0/1 (False < True).
    b = nt.tensor([True, False, True], device=device)
    assert b.sort().values.tolist() == [False, True, True]
    assert b.sort().indices.tolist() == [1, 0, 2]
    assert b.unique().tolist() == [False, True]
    assert b.unique(return_counts=True)[1].tolist() == [1, 2]
    assert b.cummax(0).indices.tolist() == [0, 0, 2]
    assert b.mode().values.item() is True
    # PyTorch has no median of bools ("not implemented for 'Bool'"): neither has nanotorch.
    with pytest.raises(RuntimeError, match="median: not defined for bool tensors"):
        b.median()
    assert nt.count_nonzero(b).item() == 2
