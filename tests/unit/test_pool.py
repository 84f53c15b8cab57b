"""Pooling behaviour the op specs do not pin: PyTorch's tie rule, ceil_mode's last-window rule,
divisors, return_indices, NaN, double backward, and bad input. Expected values are worked out
by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.errors import ShapeError
from nanotorch.testing import gradcheck


def _t(a, device, requires_grad=False):
    return nt.tensor(
        np.asarray(a, dtype=np.float64),
        dtype=nt.float64,
        device=device,
        requires_grad=requires_grad,
    )


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum(device):
    # All equal: each 2x2 window (stride 1) sends its gradient to its top-left element, so
    # element (r, c) receives one unit from the window starting there, for r, c < 3.
    x = _t(np.ones((1, 1, 4, 4)), device, requires_grad=True)
    nt.max_pool2d(x, 2, stride=1).sum().backward()
    expected = np.zeros((4, 4))
    expected[:3, :3] = 1.0
    np.testing.assert_array_equal(x.grad.cpu().numpy()[0, 0], expected)


def test_max_pool2d_overlapping_windows_accumulate(device):
    # The centre is the maximum of all four 2x2 windows of a 3x3 input.
    x = _t([[[[0.0, 0.1, 0.2], [0.3, 9.0, 0.4], [0.5, 0.6, 0.7]]]], device, requires_grad=True)
    nt.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad.cpu().numpy()[0, 0, 1, 1] == 4.0
    assert x.grad.cpu().numpy().sum() == 4.0


@pytest.mark.parametrize(
    "size,kwargs,expected",
    [
        (5, dict(kernel_size=2), 2),  # floor(3 / 2) + 1
        (5, dict(kernel_size=2, ceil_mode=True), 3),  # ceil(3 / 2) + 1
        # ceil gives ceil(5 / 4) + 1 = 3, but the third window would start at 7, past the
        # input and its left padding (5 + 1), so PyTorch drops it.
        (5, dict(kernel_size=2, stride=4, padding=1, ceil_mode=True), 2),
        (7, dict(kernel_size=3, stride=2, padding=1, dilation=2), 3),  # floor((7+2-4-1)/2)+1
    ],
)
def test_max_pool2d_output_size(size, kwargs, expected, device):
    out = nt.max_pool2d(nt.zeros((1, 1, size, size), device=device), **kwargs)
    assert out.shape == (1, 1, expected, expected)


def test_max_pool2d_return_indices_are_flat_positions_in_the_input(device):
    # x = arange(25) on 5x5 with 3x3 windows, stride 2, padding 1: each window's maximum is
    # its bottom-right in-bounds pixel, and on arange the value equals its flat index.
    x = _t(np.arange(25.0).reshape(1, 1, 5, 5), device, requires_grad=True)
    out, idx = nt.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    expected = [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    assert idx.dtype == nt.int64 and not idx.requires_grad
    assert idx.tolist() == [[expected]]
    assert out.tolist() == [[[[float(v) for v in row] for row in expected]]]


def test_max_pool2d_return_indices_unbatched_with_ties(device):
    # Zeros everywhere: ties go to the first in-bounds element of each 2x2 window.
    x = nt.zeros((1, 3, 3), device=device)
    _, idx = nt.max_pool2d(x, 2, stride=1, return_indices=True)
    assert idx.tolist() == [[[0, 1], [3, 4]]]


def test_max_pool2d_propagates_nan(device):
    x = _t(np.zeros((1, 1, 4, 4)), device)
    x[0, 0, 0, 0] = float("nan")
    out = nt.max_pool2d(x, 2).cpu().numpy()
    assert math.isnan(out[0, 0, 0, 0])
    assert not np.isnan(out[0, 0, 1, 1])


def test_max_pool2d_output_does_not_alias_the_input(device):
    x = _t(np.ones((1, 1, 2, 2)), device)
    out = nt.max_pool2d(x, 1)
    out.fill_(5.0)
    assert x.tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]]


def test_avg_pool2d_count_include_pad(device):
    # Ones, 3x3 windows, padding 1: a corner window covers 4 pixels of 9 positions, an edge
    # window 6; count_include_pad=False divides by the real pixels, giving 1 everywhere.
    x = _t(np.ones((1, 1, 3, 3)), device)
    inc = nt.avg_pool2d(x, 3, stride=1, padding=1).cpu().numpy()[0, 0]
    exc = nt.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False).cpu().numpy()[0, 0]
    np.testing.assert_allclose(
        inc, [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9], [4 / 9, 6 / 9, 4 / 9]]
    )
    np.testing.assert_allclose(exc, np.ones((3, 3)))


def test_avg_pool2d_ceil_mode_overhang_is_not_counted(device):
    # 6x6 ones, k=3, s=2, p=1, ceil_mode: 4x4 output. The last window starts at row 5 and
    # would end at 8; it is clipped to the padded input (7), so it counts 2 rows (one real,
    # one padding): divisor 2 * 2 = 4 for one real pixel -> 0.25. The first covers 2x2 real
    # pixels of a 3x3 padded window -> 4/9.
    x = _t(np.ones((1, 1, 6, 6)), device)
    out = nt.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True).cpu().numpy()[0, 0]
    assert out.shape == (4, 4)
    assert out[3, 3] == pytest.approx(0.25)
    assert out[0, 0] == pytest.approx(4 / 9)
    exc = nt.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(exc.cpu().numpy(), np.ones((1, 1, 4, 4)))


def test_adaptive_avg_pool2d_uses_overlapping_bins(device):
    # 5 -> 3 bins: [floor(i*5/3), ceil((i+1)*5/3)) = [0, 2), [1, 4), [3, 5).
    x = _t(np.arange(5.0).reshape(1, 1, 1, 5), device)
    out = nt.adaptive_avg_pool2d(x, (1, 3))
    np.testing.assert_allclose(out.cpu().numpy()[0, 0, 0], [0.5, 2.0, 3.5])


@pytest.mark.parametrize(
    "pool",
    [
        lambda x: nt.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        lambda x: nt.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        lambda x: nt.adaptive_avg_pool2d(x, (2, 3)),
    ],
    ids=["max", "avg", "adaptive"],
)
def test_pool_backward_is_differentiable_in_the_upstream_gradient(pool, device):
    # grad_x = B(v) is linear in v; checking it with gradcheck exercises B's own backward
    # (GatherAtArgmax for max, WindowSum for avg), which double backward relies on.
    rng = np.random.default_rng(3)
    x = _t(rng.permutation(36).reshape(1, 1, 6, 6) / 36.0, device, requires_grad=True)
    v = _t(rng.standard_normal(pool(x).shape), device, requires_grad=True)

    def grad_x(v):
        (g,) = nt.autograd.grad(pool(x), x, v, create_graph=True)
        return g

    assert gradcheck(grad_x, [v])


POOL_ERRORS = [
    (
        nt.max_pool2d,
        (1, 1, 5, 5),
        dict(kernel_size=3, padding=2),
        ValueError,
        r"max_pool2d: padding \(2, 2\) must be at most half of kernel_size \(3, 3\).*"
        r"\(1, 1, 5, 5\)",
    ),
    (
        nt.max_pool2d,
        (1, 1, 5, 5),
        dict(kernel_size=2, stride=0),
        ValueError,
        r"max_pool2d: stride must be positive, got 0 \(input shape \(1, 1, 5, 5\)\)",
    ),
    (
        nt.max_pool2d,
        (1, 1, 5, 5),
        dict(kernel_size=0),
        ValueError,
        r"max_pool2d: kernel_size must be positive",
    ),
    (
        nt.max_pool2d,
        (1, 1, 3, 3),
        dict(kernel_size=4),
        ShapeError,
        r"max_pool2d: kernel \(4, 4\) is larger than the padded input \(3, 3\).*\(1, 1, 3, 3\)",
    ),
    (
        nt.max_pool2d,
        (1, 1, 4, 4),
        dict(kernel_size=2, dilation=4),
        ShapeError,
        r"max_pool2d: kernel \(2, 2\) with dilation \(4, 4\) spans \(5, 5\)",
    ),
    (
        nt.max_pool2d,
        (5, 5),
        dict(kernel_size=2),
        ShapeError,
        r"max_pool2d: input must be 3-D .* or 4-D .*\(5, 5\)",
    ),
    (
        nt.avg_pool2d,
        (1, 1, 5, 5),
        dict(kernel_size=2, padding=-1),
        ValueError,
        r"avg_pool2d: padding must be non-negative, got -1",
    ),
    (
        nt.avg_pool2d,
        (1, 1, 5, 5),
        dict(kernel_size=2, divisor_override=0),
        ValueError,
        r"avg_pool2d: divisor_override must be a positive int",
    ),
    (
        nt.avg_pool2d,
        (1, 1, 2, 5, 5),
        dict(kernel_size=2),
        ShapeError,
        r"avg_pool2d: input must be 3-D .* or 4-D .*\(1, 1, 2, 5, 5\)",
    ),
    (
        nt.adaptive_avg_pool2d,
        (1, 1, 5, 5),
        dict(output_size=0),
        ValueError,
        r"adaptive_avg_pool2d: output_size must be a positive int",
    ),
    (
        nt.adaptive_avg_pool2d,
        (1, 5),
        dict(output_size=2),
        ShapeError,
        r"adaptive_avg_pool2d: input must be 3-D .* or 4-D .*\(1, 5\)",
    ),
]


@pytest.mark.parametrize("fn,shape,kwargs,error,pattern", POOL_ERRORS)
def test_pool_rejects_bad_input(fn, shape, kwargs, error, pattern, device):
    with pytest.raises(error, match=pattern):
        fn(nt.zeros(shape, device=device), **kwargs)


# ---------------------------------------------------------------------------- tiled fast path
# Note [Tiled max pool] in ops/pool.py: on cpu under "auto", non-overlapping unpadded windows
# (stride = kernel, the common 2x2 pool) take NumpyBackend.max_pool_tiles. These pin that it
# agrees with the portable loop: values, gradients, ties, NaN, cropping, strides of the input.
def _pool_both_paths(x_np, device, make_view=None, **kwargs):
    from nanotorch.ops.conv import set_conv_impl

    results = []
    for impl in ("portable", "auto"):
        leaf = _t(x_np, device, requires_grad=True)
        x = make_view(leaf) if make_view else leaf
        with set_conv_impl(impl):
            out = nt.max_pool2d(x, **kwargs)
            g = np.random.default_rng(3).standard_normal(out.shape)
            out.backward(_t(g, device))
        results.append((out.detach().cpu().numpy(), leaf.grad.cpu().numpy()))
    return results


TILED_INPUTS = {
    "random": np.random.default_rng(0).standard_normal((2, 3, 6, 8)),
    # ReLU zeros: every all-zero window is a four-way tie; the first element must win.
    "relu-ties": np.maximum(np.random.default_rng(1).standard_normal((2, 2, 6, 6)), 0.0),
    "equal-positive": np.full((1, 2, 4, 4), 2.5),
    "odd-size-cropped": np.random.default_rng(2).standard_normal((1, 2, 7, 5)),
    "nan": np.where(np.arange(64).reshape(1, 1, 8, 8) % 7 == 0, np.nan, 1.0),
    # Every 2x2 window over the values {0, 1, 2} (81 of them, side by side): each pattern of
    # ties the 2x2 tournament (Note [2x2 pool as a tournament]) must settle as "first wins".
    "every-2x2-tie": np.stack(
        [np.array(w, dtype=float).reshape(2, 2) for w in np.ndindex(3, 3, 3, 3)], axis=1
    ).reshape(1, 1, 2, 162),
}


@pytest.mark.parametrize("name", list(TILED_INPUTS))
@pytest.mark.parametrize("kernel", [2, (2, 3), 1])
def test_max_pool2d_tiled_fast_path_agrees_with_portable(name, kernel, device):
    (out_p, grad_p), (out_f, grad_f) = _pool_both_paths(
        TILED_INPUTS[name], device, kernel_size=kernel
    )
    np.testing.assert_array_equal(out_p, out_f)
    np.testing.assert_array_equal(grad_p, grad_f)


def test_max_pool2d_tiled_fast_path_on_a_non_contiguous_input(device):
    x_np = np.random.default_rng(4).standard_normal((2, 3, 8, 6))
    (out_p, grad_p), (out_f, grad_f) = _pool_both_paths(
        x_np, device, make_view=lambda t: t.transpose(2, 3), kernel_size=2
    )
    np.testing.assert_array_equal(out_p, out_f)
    np.testing.assert_array_equal(grad_p, grad_f)


def test_max_pool2d_tiled_fast_path_passes_gradcheck_and_double_backward(device):
    # Distinct values (no ties at the kink), so finite differences are valid.
    x = _t(np.random.default_rng(5).permutation(96).reshape(2, 3, 4, 4) / 7.0, device, True)
    assert gradcheck(lambda t: nt.max_pool2d(t, 2), [x])
    out = nt.max_pool2d(x, 2)
    (gx,) = nt.autograd.grad((out * out).sum(), [x], create_graph=True)
    (ggx,) = nt.autograd.grad(gx.sum(), [x])
    # d/dx of 2 * x at each window's maximum, 0 elsewhere: the second derivative is 2 there.
    expected = 2.0 * (gx.detach().cpu().numpy() != 0)
    np.testing.assert_array_equal(ggx.cpu().numpy(), expected)


def test_max_pool2d_takes_the_tiled_hook_only_for_non_overlapping_windows(monkeypatch):
    from nanotorch.backend.numpy_backend import NumpyBackend
    from nanotorch.ops.conv import set_conv_impl

    calls = []
    original = NumpyBackend.max_pool_tiles

    def spy(self, x, kernel, grid):
        calls.append((kernel, grid))
        return original(self, x, kernel, grid)

    monkeypatch.setattr(NumpyBackend, "max_pool_tiles", spy)
    x = nt.ones((1, 1, 6, 6), requires_grad=True)  # the masks are for backward
    nt.max_pool2d(x, 2)
    nt.max_pool2d(x, 3, stride=2)  # overlapping
    nt.max_pool2d(x, 2, padding=1)  # padded
    nt.max_pool2d(x, 2, dilation=2, stride=4)  # dilated
    nt.max_pool2d(x, 2, ceil_mode=True)  # exact tiling: ceil mode changes nothing here
    with set_conv_impl("portable"):
        nt.max_pool2d(x, 2)
    assert calls == [((2, 2), (3, 3)), ((2, 2), (3, 3))]


@pytest.mark.parametrize("name", ["random", "relu-ties", "nan", "odd-size-cropped"])
@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool2d_without_a_backward_computes_no_index(name, kwargs, device, monkeypatch):
    # Where no graph is recorded (no_grad, or an input that needs no gradient) the pool
    # returns the maxima only: no first-maximum masks or indices (neither the tiled hook
    # nor the portable argmax runs), and the same values as with a backward.
    from nanotorch.backend.numpy_backend import NumpyBackend
    from nanotorch.ops import pool as pool_mod

    x_np = TILED_INPUTS[name]
    leaf = _t(x_np, device, requires_grad=True)
    expected = nt.max_pool2d(leaf, **kwargs).detach().cpu().numpy()
    calls = []
    monkeypatch.setattr(NumpyBackend, "max_pool_tiles", lambda *a: calls.append(a))
    monkeypatch.setattr(pool_mod, "_window_argmax", lambda *a: calls.append(a))
    with nt.no_grad():
        a = nt.max_pool2d(leaf, **kwargs)
    b = nt.max_pool2d(_t(x_np, device), **kwargs)
    assert calls == []
    for out in (a, b):
        assert not out.requires_grad and out.dtype == leaf.dtype
        np.testing.assert_array_equal(out.cpu().numpy(), expected)
