"""The scatter/gather family (ops/scatter.py): the ``index_reduce`` backend hook, semantics the
generated spec tests cannot express (ties, duplicates, in-place forms) and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.backend import ArrayBackend, get_backend


def _reduce_case(device, reduce):
    backend = get_backend(device)
    target = backend.from_host(np.array([[2.0, -1.0], [3.0, 4.0], [0.5, 0.5], [1.0, 1.0]]))
    index = backend.from_host(np.array([1, 3, 1, 1]))
    source = backend.from_host(np.array([[5.0, -2.0], [0.0, 7.0], [-1.0, 3.0], [2.0, 2.0]]))
    expected = backend.to_host(target).copy()
    ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(expected, [1, 3, 1, 1], backend.to_host(source))
    return backend, target, index, source, expected


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_index_reduce_hook_folds_duplicates(device, reduce):
    backend, target, index, source, expected = _reduce_case(device, reduce)
    out = backend.index_reduce(target, index, source, reduce)
    assert np.array_equal(backend.to_host(out), expected)


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_index_reduce_portable_fallback_folds_duplicates(device, reduce):
    backend, target, index, source, expected = _reduce_case(device, reduce)
    out = ArrayBackend.index_reduce(backend, target, index, source, reduce)
    assert np.array_equal(backend.to_host(out), expected)


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
def test_index_reduce_portable_fallback_on_integers_and_empty_index(device, reduce):
    backend = get_backend(device)
    target = backend.from_host(np.array([3, -4, 5]))
    empty = backend.from_host(np.zeros((0,), dtype=np.int64))
    out = ArrayBackend.index_reduce(backend, target, empty, empty, reduce)
    assert backend.to_host(out).tolist() == [3, -4, 5]
    index = backend.from_host(np.array([0, 0, 2]))
    source = backend.from_host(np.array([2, 7, -9]))
    expected = np.array([3, -4, 5])
    {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce].at(
        expected, [0, 0, 2], np.array([2, 7, -9])
    )
    out = ArrayBackend.index_reduce(backend, target, index, source, reduce)
    assert backend.to_host(out).tolist() == expected.tolist()


# ---------------------------------------------------------------------------- semantics
def test_scatter_reduce_amax_gradient_splits_evenly_among_ties(device):
    x = nt.tensor([1.0, 5.0, 0.0], device=device, requires_grad=True)
    src = nt.tensor([5.0, 2.0, 5.0, -1.0], device=device, requires_grad=True)
    index = nt.tensor([1, 1, 1, 2], device=device)
    out = nt.scatter_reduce(x, 0, index, src, "amax")
    assert out.tolist() == [1.0, 5.0, 0.0]
    out.backward(nt.tensor([1.0, 3.0, 2.0], device=device))
    # Place 1: the input and two sources tie at 5 and share g = 3; place 2 keeps the input.
    assert x.grad.tolist() == [1.0, 1.0, 2.0]
    assert src.grad.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_scatter_reduce_amin_without_self_ignores_the_input(device):
    x = nt.tensor([-9.0, 0.0], device=device, requires_grad=True)
    src = nt.tensor([3.0, 3.0], device=device, requires_grad=True)
    out = nt.scatter_reduce(x, 0, nt.tensor([0, 0], device=device), src, "amin", include_self=False)
    assert out.tolist() == [3.0, 0.0]
    out.backward(nt.tensor([4.0, 1.0], device=device))
    assert x.grad.tolist() == [0.0, 1.0] and src.grad.tolist() == [2.0, 2.0]


def test_scatter_reduce_prod_gradient_with_one_and_two_zeros(device):
    x = nt.tensor([2.0, 3.0], device=device, requires_grad=True)
    src = nt.tensor([0.0, 4.0, 0.0, 0.0], device=device, requires_grad=True)
    out = nt.scatter_reduce(x, 0, nt.tensor([0, 0, 1, 1], device=device), src, "prod")
    assert out.tolist() == [0.0, 0.0]
    out.backward(nt.ones(2, device=device))
    # Place 0 has one zero: it gets the product of the others (2 * 4); place 1 has two.
    assert src.grad.tolist() == [8.0, 0.0, 0.0, 0.0]
    assert x.grad.tolist() == [0.0, 0.0]


def test_scatter_duplicate_positions_last_writer_wins(device):
    x = nt.zeros(3, device=device)
    src = nt.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    out = nt.scatter(x, 0, nt.tensor([2, 0, 2], device=device), src)
    assert out.tolist() == [2.0, 0.0, 3.0]
    out.backward(nt.tensor([10.0, 20.0, 30.0], device=device))
    # Every source gets the gradient at the position it names, as PyTorch's g.gather(0, idx).
    assert src.grad.tolist() == [30.0, 10.0, 30.0]


def test_where_with_two_scalars_makes_pytorch_dtypes(device):
    cond = nt.tensor([True, False], device=device)
    out = nt.where(cond, 1.5, -1.0)
    assert out.dtype is nt.float32 and out.tolist() == [1.5, -1.0]
    assert str(out.device) == str(nt.device(device))
    assert nt.where(cond, 1, 0).dtype is nt.int64


# ---------------------------------------------------------------------------- in place
_INPLACE = [
    ("scatter_", lambda x, d: (0, nt.tensor([[1, 0]], device=d), nt.ones(1, 2, device=d))),
    ("scatter_add_", lambda x, d: (0, nt.tensor([[1, 1]], device=d), nt.ones(1, 2, device=d))),
    (
        "scatter_reduce_",
        lambda x, d: (1, nt.tensor([[0], [0]], device=d), nt.ones(2, 1, device=d), "prod"),
    ),
    ("index_add_", lambda x, d: (0, nt.tensor([1, 1], device=d), nt.ones(2, 2, device=d))),
    ("index_copy_", lambda x, d: (1, nt.tensor([0], device=d), nt.ones(2, 1, device=d))),
    ("index_fill_", lambda x, d: (1, nt.tensor([1], device=d), -1.0)),
    ("index_put_", lambda x, d: ((nt.tensor([0, 1], device=d),), nt.tensor(7.0, device=d))),
    ("masked_fill_", lambda x, d: (x > 2, 0.0)),
    ("masked_scatter_", lambda x, d: (x > 2, nt.zeros(4, device=d))),
]


@pytest.mark.parametrize("name,args", _INPLACE, ids=[n for n, _ in _INPLACE])
def test_scatter_inplace_forms_match_functional_and_bump_version(device, name, args):
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    alias = x.detach()  # shares the data: an in-place update must show through it
    expected = getattr(x, name[:-1])(*args(x, device))
    version = x._version
    assert getattr(x, name)(*args(x, device)) is x
    assert x.tolist() == expected.tolist() and alias.tolist() == expected.tolist()
    assert x._version == version + 1


@pytest.mark.parametrize("name,args", _INPLACE, ids=[n for n, _ in _INPLACE])
def test_scatter_inplace_forms_refuse_leaves_that_require_grad(device, name, args):
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf Variable that requires grad"):
        getattr(x, name)(*args(x.detach(), device))


def test_scatter_inplace_after_save_for_backward_is_detected(device):
    x = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 1.0
    z = y.detach()
    w = (x * z).sum()  # saves z
    z.masked_fill_(z > 1, 0.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        w.backward()
    del y


# ---------------------------------------------------------------------------- bad input
def test_scatter_bad_input_names_the_op_and_the_fix(device):
    x = nt.zeros(3, 4, device=device)
    src = nt.ones(3, 4, device=device)
    with pytest.raises(IndexError, match=r"scatter: index 4 is out of bounds for dimension 1"):
        x.scatter(1, nt.tensor([[4]], device=device), src)
    with pytest.raises(RuntimeError, match="scatter_add: index 9 is out of bounds"):
        x.scatter_add(0, nt.tensor([[9]], device=device), src)
    with pytest.raises(TypeError, match=r"scatter: index must be an int64 tensor.*\.long\(\)"):
        x.scatter(0, nt.zeros(1, 1, device=device), src)
    with pytest.raises(RuntimeError, match="scatter: index must have as many dims as input"):
        x.scatter(0, nt.tensor([0], device=device), src)
    with pytest.raises(RuntimeError, match=r"larger than src of shape \(1, 1\)"):
        x.scatter(0, nt.tensor([[0, 1]], device=device), nt.ones(1, 1, device=device))
    with pytest.raises(TypeError, match="src dtype nanotorch.float64 differs"):
        x.scatter(
            0, nt.tensor([[0]], device=device), nt.ones(1, 1, dtype=nt.float64, device=device)
        )
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be one of"):
        x.scatter_reduce(0, nt.tensor([[0]], device=device), src, "max")
    with pytest.raises(RuntimeError, match=r"index_add: source of shape \(2, 4\) does not fit"):
        x.index_add(0, nt.tensor([0], device=device), nt.ones(2, 4, device=device))
    with pytest.raises(RuntimeError, match="index_copy: index must be 0-d or 1-D"):
        x.index_copy(0, nt.tensor([[0]], device=device), src)
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill(nt.zeros(3, 4, device=device), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill: mask of shape"):
        x.masked_fill(nt.zeros(2, 3, 4, device=device) > 0, 1.0)
    with pytest.raises(RuntimeError, match="masked_scatter: mask has 12 true elements but"):
        x.masked_scatter(x == 0, nt.ones(5, device=device))
    with pytest.raises(IndexError, match="take: index 12 is out of bounds"):
        x.take(nt.tensor([12], device=device))
    with pytest.raises(RuntimeError, match="index_put: values of shape"):
        x.index_put((nt.tensor([0, 1], device=device),), nt.ones(3, device=device))
