"""Advanced indexing, read and write (Note [Advanced indexing] in ops/indexing.py): the
key table of tests/specs/advanced_indexing_ops.py written to, random keys from Hypothesis
against NumPy, PyTorch's rule for ints, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nanotorch as nt
from nanotorch.testing import assert_close
from specs.advanced_indexing_ops import KEYS, to_nt_key

_x = np.random.default_rng(5).standard_normal((4, 5, 6))


@pytest.mark.parametrize("key", [k for _, k in KEYS], ids=[n for n, _ in KEYS])
def test_advanced_setitem_matches_numpy(device, key):
    expected = _x.copy()
    values = np.random.default_rng(1).standard_normal(expected[key].shape)
    # Repeated positions: NumPy keeps the last write, and so does nanotorch.
    expected[key] = values
    x = nt.tensor(_x, device=device)
    version = x._version
    x[to_nt_key(key, x.device)] = nt.tensor(values, device=device)
    assert_close(x, expected)
    assert x._version == version + 1


@pytest.mark.parametrize(
    "key",
    [(slice(None), [0, 2]), ([0, 0, 1],), (np.array([[True] * 5] * 4),), ([-1], Ellipsis)],
    ids=["list", "dup", "mask", "ellipsis"],
)
def test_advanced_setitem_scalar_and_broadcast_values(device, key):
    expected = _x.copy()
    expected[key] = 2.5
    x = nt.tensor(_x, device=device)
    x[to_nt_key(key, x.device)] = 2.5
    assert_close(x, expected)
    row = np.arange(6.0)
    expected[key] = row
    x[to_nt_key(key, x.device)] = nt.tensor(row, device=device)
    assert_close(x, expected)


def test_advanced_setitem_is_refused_on_leaves_that_require_grad(device):
    x = nt.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__: a leaf Variable that requires grad"):
        x[[0, 1]] = 1.0
    with nt.no_grad():
        x[[0, 2]] = nt.tensor([1.0, 2.0], device=device)
    assert x.tolist() == [1.0, 0.0, 2.0]


def test_advanced_setitem_shows_through_aliases_and_casts_values(device):
    x = nt.zeros(2, 3, device=device)
    alias = x.detach()
    x[:, [2]] = nt.tensor([[1], [2]], device=device)  # int64 values, converted like PyTorch
    assert alias.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]]


def test_advanced_getitem_ints_select_first_like_pytorch(device):
    # NumPy counts the int as an advanced index separated from [0] by a slice and moves the
    # result dims first: (1, 5, 7). PyTorch selects with the int first: (5, 1, 7).
    x = nt.zeros(5, 6, 7, 8, device=device)
    assert x[:, [0], :, 0].shape == (5, 1, 7)
    assert x[:, [0], :, [0]].shape == (1, 5, 7)  # two advanced indices apart: front


def test_advanced_getitem_gradient_accumulates_duplicates(device):
    x = nt.zeros(3, 4, device=device, requires_grad=True)
    y = x[[0, 2, 0], 1:3] * 1.0
    y.backward(nt.ones(3, 2, device=device))
    assert x.grad.tolist() == [[0, 2, 2, 0], [0, 0, 0, 0], [0, 1, 1, 0]]


def test_advanced_indexing_errors_name_the_problem(device):
    x = nt.zeros(3, 4, device=device)
    with pytest.raises(IndexError, match=r"index 4 is out of range for dim 1 with size 4"):
        x[:, [0, 4]]
    with pytest.raises(IndexError, match=r"index -5 is out of range for dim 1"):
        x[:, nt.tensor([-5], device=device)]
    with pytest.raises(IndexError, match="could not be broadcast together"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match=r"mask of shape \(2,\) does not match"):
        x[nt.tensor([True, False], device=device)]
    with pytest.raises(IndexError, match="tensors used as indices must be integer or bool"):
        x[nt.zeros(2, device=device)]
    with pytest.raises(IndexError, match="too many indices"):
        x[[0], [0], [0]]
    with pytest.raises(RuntimeError, match=r"__setitem__: values of shape \(3,\) cannot"):
        x[[0, 1]] = nt.ones(3, device=device)


# ---------------------------------------------------------------------------- random keys
_SHAPE = (3, 4, 5)


@st.composite
def _keys(draw):
    """Keys of up to three items over _SHAPE: slices, integer arrays (negative values and
    repeats included), bool masks, None and Ellipsis; ints only where NumPy and PyTorch
    agree (not separated from an advanced index by a slice)."""
    items = []
    dim = 0
    used_ellipsis = False
    while dim < len(_SHAPE) and len(items) < 4:
        size = _SHAPE[dim]
        kind = draw(st.sampled_from(["slice", "array", "mask", "none", "ellipsis", "list"]))
        if kind == "slice":
            start = draw(st.integers(-size, size))
            step = draw(st.sampled_from([None, 1, 2, -1]))
            items.append(slice(start, None, step))
        elif kind == "array":
            shape = draw(st.sampled_from([(2,), (1, 2), (3,), ()]))
            items.append(
                np.asarray(
                    draw(
                        st.lists(
                            st.integers(-size, size - 1),
                            min_size=int(np.prod(shape)),
                            max_size=int(np.prod(shape)),
                        )
                    ),
                    dtype=np.int64,
                ).reshape(shape)
            )
        elif kind == "list":
            items.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3)))
        elif kind == "mask":
            items.append(np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        elif kind == "none":
            items.append(None)
            continue
        else:
            if used_ellipsis:
                continue
            used_ellipsis = True
            items.append(Ellipsis)
            break
        dim += 1
    return tuple(items)


def _broadcastable(key):
    shapes = []
    for k in key:
        if isinstance(k, np.ndarray) and k.dtype == bool:
            shapes.append((int(k.sum()),))
        elif isinstance(k, (np.ndarray, list)):
            shapes.append(np.shape(k))
    try:
        np.broadcast_shapes(*shapes)
        return True
    except ValueError:
        return False


@settings(max_examples=60, deadline=None)
@given(key=_keys())
def test_advanced_indexing_random_keys_read_and_write_like_numpy(key):
    if not _broadcastable(key):
        return
    for device in ("cpu", "strict:1"):
        ref = np.arange(60.0).reshape(_SHAPE)
        x = nt.tensor(ref, device=device)
        assert_close(x[to_nt_key(key, x.device)], ref[key])
        values = np.random.default_rng(0).standard_normal(ref[key].shape)
        ref[key] = values
        x[to_nt_key(key, x.device)] = nt.tensor(values, device=device)
        assert_close(x, ref)


def test_advanced_indexing_accepts_host_arrays_as_keys_and_values(device):
    # PyTorch code indexes with NumPy arrays and assigns them; both reach the device.
    x = nt.tensor(_x, device=device)
    rows = np.array([3, 0, -1])
    assert_close(x[rows], _x[rows])
    assert_close(x[:, np.array([True, False, True, False, True])], _x[:, [0, 2, 4]])
    assert_close(x[np.int64(2), 1], _x[2, 1])
    expected = _x.copy()
    expected[rows, 1] = np.arange(18.0).reshape(3, 6)
    x[rows, 1] = np.arange(18.0).reshape(3, 6)
    assert_close(x, expected)
    expected[0, 0] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    x[0, 0] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert_close(x, expected)


def test_nonzero_as_tuple_and_where_with_condition_only_index_like_numpy(device):
    ref = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    x = nt.tensor(ref, device=device)
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    picked = x[nt.where(x != 0)]
    assert picked.tolist() == ref[np.where(ref != 0)].tolist()
    with pytest.raises(TypeError, match="where: pass both a and b, or neither"):
        nt.where(x > 0, x)
