"""The shape/creation breadth additions on every device: the creation functions of
nanotorch/creation_breadth.py land on the device asked for with the values of cpu, the
``*_copy`` ops own their memory (Note [Copies of views] in ops/shape_breadth.py), and the
Tensor properties that describe layout agree with ``as_strided``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt


@pytest.mark.parametrize(
    "make",
    [
        lambda d: nt.hann_window(5, device=d),
        lambda d: nt.hamming_window(4, False, device=d),
        lambda d: nt.blackman_window(6, dtype=nt.float64, device=d),
        lambda d: nt.bartlett_window(5, device=d),
        lambda d: nt.range(0, 1, 0.25, device=d),
        lambda d: nt.asarray([1.0, 2.0], device=d),
        lambda d: nt.scalar_tensor(2.5, device=d),
    ],
    ids=["hann", "hamming", "blackman", "bartlett", "range", "asarray", "scalar_tensor"],
)
def test_creation_breadth_lands_on_device_with_cpu_values(make, device):
    out = make(device)
    assert out.device == nt.device(device)
    np.testing.assert_allclose(out.cpu().numpy(), make("cpu").numpy())


def test_creation_breadth_window_values_follow_their_formulas():
    n = np.arange(5)
    np.testing.assert_allclose(
        nt.hann_window(5, False, dtype=nt.float64).numpy(), 0.5 - 0.5 * np.cos(2 * math.pi * n / 4)
    )
    np.testing.assert_allclose(nt.bartlett_window(4).numpy(), [0.0, 0.5, 1.0, 0.5])


def test_creation_breadth_asarray_copies_only_when_asked(device):
    x = nt.tensor([1.0, 2.0], device=device)
    assert nt.asarray(x) is x
    copy = nt.asarray(x, copy=True)
    assert copy is not x
    x.fill_(5.0)
    assert copy.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="asarray: copy=False.*conversion"):
        nt.asarray(x, dtype=nt.float64, copy=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: nt.narrow_copy(x, 0, 0, 2),
        lambda x: nt.view_copy(x, (-1,)),
        lambda x: nt.permute_copy(x, (1, 0)),
        lambda x: nt.select_copy(x, 0, 0),
        lambda x: nt.slice_copy(x, 1, 0, 2),
        lambda x: nt.diagonal_copy(x),
        lambda x: nt.expand_copy(x[:1], (2, 3)),
        lambda x: nt.alias_copy(x),
        lambda x: nt.unbind_copy(x)[1],
        lambda x: nt.conj_physical(x),
    ],
)
def test_copy_ops_own_their_memory(make, device):
    x = nt.zeros(2, 3, device=device)
    out = make(x)
    x.fill_(7.0)
    assert float(out.sum().item()) == 0.0


def test_tensor_stride_is_how_as_strided_reads(device):
    x = nt.arange(24, device=device).reshape(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.storage_offset() == 0
    same = x.as_strided(x.shape, x.stride(), x.storage_offset())
    assert same.tolist() == x.tolist()
    # A transposed tensor reads as its own row-major copy (Note [Strides of a contiguous
    # reading] in tensor.py).
    t = x[0].t()
    assert t.stride() == (3, 1)
    assert t.as_strided((4, 3), t.stride()).tolist() == t.tolist()


def test_mode_counts_each_nan_once_on_every_device(device):
    nan = float("nan")
    x = nt.tensor([[nan, 1.0, nan, 3.0], [nan, nan, nan, nan], [2.0, nan, 2.0, 1.0]], device=device)
    values, indices = x.mode(1)
    np.testing.assert_array_equal(values.cpu().numpy(), [1.0, nan, 2.0])
    assert indices.tolist() == [1, 0, 2]


def test_unique_consecutive_dim_on_every_device(device):
    x = nt.tensor([[1, 1, 2, 2, 1], [3, 3, 4, 5, 3]], device=device)
    out, inverse, counts = x.unique_consecutive(return_inverse=True, return_counts=True, dim=1)
    assert out.tolist() == [[1, 2, 2, 1], [3, 4, 5, 3]]
    assert inverse.tolist() == [0, 0, 1, 2, 3] and counts.tolist() == [2, 1, 1, 1]
    assert out.device == nt.device(device)
