"""Extra shape ops (ops/shape_extra.py) beyond their generated spec tests: ``Tensor.unfold``
(a method only, so it has no spec), in-place triangles, flatten/unflatten ranges and bad
input."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close, gradcheck


@pytest.mark.parametrize(
    "shape,dim,size,step",
    [((7,), 0, 3, 2), ((2, 6, 3), 1, 2, 1), ((4, 5), -1, 5, 3), ((3, 4), 0, 1, 2)],
)
def test_tensor_unfold_matches_numpy_windows_and_gradcheck(device, shape, dim, size, step):
    x = np.random.default_rng(0).standard_normal(shape)
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    d = dim % len(shape)  # the windows' own dim is appended last
    expected = np.take(windows, np.arange(0, windows.shape[d], step), axis=d)
    t = nt.tensor(x, device=device)
    assert_close(t.unfold(dim, size, step), expected)
    leaf = nt.tensor(x, device=device, requires_grad=True)
    assert gradcheck(lambda a: a.unfold(dim, size, step), [leaf])


def test_tensor_unfold_overlapping_windows_accumulate_gradients(device):
    x = nt.ones(5, device=device, requires_grad=True)
    x.unfold(0, 3, 1).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_tensor_unfold_bad_size_and_step(device):
    x = nt.ones(4, device=device)
    with pytest.raises(RuntimeError, match=r"unfold: size 5 is larger than dim 0 of size 4"):
        x.unfold(0, 5, 1)
    with pytest.raises(ValueError, match="unfold: step must be positive"):
        x.unfold(0, 2, 0)


def test_repeat_interleave_of_counts_alone_and_output_size(device):
    counts = nt.tensor([2, 0, 3], device=device)
    assert nt.repeat_interleave(counts).tolist() == [0, 0, 2, 2, 2]
    x = nt.tensor([1.0, 2.0, 3.0], device=device)
    assert x.repeat_interleave(counts, dim=0, output_size=5).tolist() == [1.0] * 2 + [3.0] * 3


def test_triangles_in_place_and_moveaxis_alias(device):
    x = nt.ones(3, 3, device=device)
    assert x.tril_(-1) is x
    assert x.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    assert nt.moveaxis is nt.movedim
    assert nt.zeros(2, 3, 4, device=device).moveaxis(-1, 0).shape == (4, 2, 3)
    leaf = nt.ones(2, 2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="triu_: a leaf Variable that requires grad"):
        leaf.triu_()


def test_flatten_and_unflatten_ranges(device):
    x = nt.arange(24, device=device).reshape(2, 3, 4)
    ref = np.arange(24).reshape(2, 3, 4)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).tolist() == ref.reshape(6, 4).tolist()
    assert x.flatten(-2, -1).shape == (2, 12)
    assert nt.tensor(5, device=device).flatten().shape == (1,)
    assert x.unflatten(-1, (2, -1)).shape == (2, 3, 2, 2)
    assert x.unflatten(0, (1, 2)).tolist() == ref.reshape(1, 2, 3, 4).tolist()


def test_shape_extra_bad_input_names_the_op(device):
    x = nt.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"repeat: got 1 repeat sizes \(2,\) for a tensor"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="repeat_interleave: repeats has 2 counts but dim 1"):
        x.repeat_interleave(nt.tensor([1, 2], device=device), dim=1)
    with pytest.raises(ValueError, match="roll: shifts .* and dims .* same number"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="tril: input must be at least 2-D"):
        nt.ones(3, device=device).tril()
    with pytest.raises(ValueError, match="diagonal: dim1 and dim2 must differ"):
        x.diagonal(0, 1, -1)
    with pytest.raises(RuntimeError, match="diag: input must be 1-D or 2-D"):
        nt.ones(2, 2, 2, device=device).diag()
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy'"):
        nt.meshgrid(nt.ones(2, device=device), indexing="ji")
    with pytest.raises(ValueError, match=r"movedim: repeated dim"):
        x.movedim((0, 0), (0, 1))
    with pytest.raises(IndexError, match=r"narrow: start 2 and length 2 do not fit in dim 1"):
        x.narrow(1, 2, 2)
    with pytest.raises(ValueError, match="tril_indices: row and col must be non-negative"):
        nt.tril_indices(-1, 2)


def test_roll_without_dims_takes_one_shift(device):
    x = nt.arange(6, device=device).reshape(2, 3)
    assert x.roll((2,)).tolist() == [[4, 5, 0], [1, 2, 3]]
    with pytest.raises(ValueError, match=r"roll: 2 shifts \(1, 2\) need as many dims"):
        x.roll((1, 2))


def test_fold_modules_round_trip_and_count_overlaps(device):
    from nanotorch import nn

    x = nt.ones(1, 2, 4, 4, device=device)
    cols = nn.Unfold(kernel_size=2, stride=1)(x)
    assert cols.shape == (1, 8, 9)
    back = nn.Fold(output_size=(4, 4), kernel_size=2)(cols)
    # Each pixel comes back once per block that covers it: 1 in corners, 4 inside.
    assert back[0, 0].tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    assert "kernel_size=2" in repr(nn.Unfold(2))


def test_fold_bad_input_names_the_sizes(device):
    import nanotorch.nn.functional as F

    with pytest.raises(RuntimeError, match=r"fold: input of shape \(1, 5, 9\) does not fit"):
        F.fold(nt.ones(1, 5, 9, device=device), output_size=4, kernel_size=2)
    with pytest.raises(RuntimeError, match="unfold: input must be 3-D"):
        F.unfold(nt.ones(4, 4, device=device), kernel_size=2)
