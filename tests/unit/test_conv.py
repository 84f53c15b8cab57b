"""Convolution behaviour the op specs do not pin: output sizes, "same" padding's placement,
bad input, the portable vs fast im2col paths, and backward-of-backward chains."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.errors import ShapeError
from nanotorch.ops import conv as conv_mod
from nanotorch.testing import assert_close, gradcheck


def _t(a, device, requires_grad=False, dtype=nt.float64):
    return nt.tensor(
        np.asarray(a, dtype=np.float64), dtype=dtype, device=device, requires_grad=requires_grad
    )


# ---------------------------------------------------------------------------- shapes
@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs,expected",
    [
        # out = floor((in + 2p - d(k-1) - 1) / s) + 1, per dim
        (
            (1, 1, 7, 9),
            (1, 1, 3, 2),
            dict(stride=(2, 3), padding=(1, 2), dilation=(2, 1)),
            (1, 1, 3, 4),
        ),
        ((2, 3, 28, 28), (6, 3, 5, 5), {}, (2, 6, 24, 24)),
        ((1, 2, 5, 6), (4, 2, 4, 4), dict(padding="same"), (1, 4, 5, 6)),
        ((1, 2, 5, 6), (4, 2, 3, 3), dict(padding="same", dilation=2), (1, 4, 5, 6)),
        ((1, 2, 5, 6), (4, 2, 3, 3), dict(padding="valid"), (1, 4, 3, 4)),
        ((1, 1, 1, 1), (1, 1, 1, 1), dict(stride=3), (1, 1, 1, 1)),
    ],
)
def test_conv2d_output_shape_follows_the_formula(x_shape, w_shape, kwargs, expected, device):
    x = nt.zeros(x_shape, device=device)
    w = nt.zeros(w_shape, device=device)
    assert nt.conv2d(x, w, **kwargs).shape == expected


def test_conv2d_same_padding_puts_the_extra_pixel_after(device):
    # A 2x2 kernel of ones needs one pixel of padding in total per dim; PyTorch puts it on
    # the bottom/right, so output[0, 0] sums the top-left 2x2 block.
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    out = nt.conv2d(_t(x, device), _t(np.ones((1, 1, 2, 2)), device), padding="same")
    got = out.cpu().numpy()
    assert got.shape == (1, 1, 3, 4)
    assert got[0, 0, 0, 0] == x[0, 0, :2, :2].sum()
    assert got[0, 0, 2, 3] == x[0, 0, 2, 3]  # the last pixel only meets padding after it


def test_conv_transpose2d_output_shape_follows_the_formula(device):
    # out = (in - 1) s - 2p + d(k - 1) + output_padding + 1
    x = nt.zeros((2, 4, 5, 3), device=device)
    w = nt.zeros((4, 3, 3, 2), device=device)
    out = nt.conv_transpose2d(
        x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2)
    )
    assert out.shape == (2, 6, (5 - 1) * 2 - 2 + 2 + 1 + 1, (3 - 1) * 3 + 2 + 2 + 1)


def test_conv_transpose2d_is_the_adjoint_of_conv2d(device):
    # <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for every x, y: the two ops are each
    # other's input gradient.
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((2, 4, 7, 6)), device)
    w = _t(rng.standard_normal((6, 2, 3, 2)), device)
    geo = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    y_shape = nt.conv2d(x, w, **geo).shape
    y = _t(rng.standard_normal(y_shape), device)
    # y is (4, 3); output_padding recovers the column the stride skipped:
    # H: (4 - 1) * 2 - 2 + 1 * 2 + 0 + 1 = 7,  W: (3 - 1) * 2 - 2 + 2 * 1 + 1 + 1 = 6
    xt = nt.conv_transpose2d(y, w, output_padding=(0, 1), **geo)
    assert xt.shape == x.shape
    lhs = (nt.conv2d(x, w, **geo) * y).sum().item()
    rhs = (x * xt).sum().item()
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_conv1d_matches_conv2d_on_a_height_one_image(device):
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((2, 4, 9)), device)
    w = _t(rng.standard_normal((6, 2, 3)), device)
    b = _t(rng.standard_normal(6), device)
    out1 = nt.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2)
    out2 = nt.conv2d(
        x.unsqueeze(2), w.unsqueeze(2), b, stride=(1, 2), padding=(0, 1), dilation=(1, 2), groups=2
    )
    assert_close(out1, out2.squeeze(2))


# ---------------------------------------------------------------------------- bad input
CONV2D_ERRORS = [
    # (x shape, w shape, kwargs, error, pattern)
    (
        (1, 3, 5, 5),
        (4, 2, 3, 3),
        {},
        ShapeError,
        r"conv2d: input has 3 channels.*\(1, 3, 5, 5\).*\(4, 2, 3, 3\).*expects 2",
    ),
    (
        (1, 3, 5, 5),
        (4, 1, 3, 3),
        dict(groups=2),
        ValueError,
        r"conv2d: groups=2 does not divide.*3 input channels.*\(1, 3, 5, 5\)",
    ),
    (
        (1, 4, 5, 5),
        (3, 2, 3, 3),
        dict(groups=2),
        ValueError,
        r"conv2d: groups=2 does not divide.*3 output channels.*\(3, 2, 3, 3\)",
    ),
    (
        (1, 1, 3, 3),
        (1, 1, 5, 5),
        {},
        ShapeError,
        r"conv2d: kernel \(5, 5\).*larger than the padded input \(3, 3\).*\(1, 1, 3, 3\)",
    ),
    (
        (1, 1, 4, 4),
        (1, 1, 3, 3),
        dict(dilation=2),
        ShapeError,
        r"conv2d: kernel \(3, 3\) with dilation \(2, 2\) spans \(5, 5\).*padded input \(4, 4\)",
    ),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(stride=0),
        ValueError,
        r"conv2d: stride must be positive, got 0 \(input shape \(1, 1, 5, 5\)\)",
    ),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(dilation=(1, -1)),
        ValueError,
        r"conv2d: dilation must be positive.*-1",
    ),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(padding=-1),
        ValueError,
        r"conv2d: padding must be non-negative.*-1",
    ),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(padding="full"),
        ValueError,
        r"conv2d: padding='full'.*'same' or 'valid'",
    ),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(padding="same", stride=2),
        ValueError,
        r"conv2d: padding='same' needs stride 1.*\(2, 2\).*\(1, 1, 5, 5\)",
    ),
    ((3, 5), (1, 1, 3, 3), {}, ShapeError, r"conv2d: input must be 3-D .* or 4-D .*\(3, 5\)"),
    ((1, 1, 5, 5), (1, 3, 3), {}, ShapeError, r"conv2d: weight must be 4-D.*\(1, 3, 3\)"),
    ((1, 1, 5, 5), (1, 1, 3, 3), dict(groups=0), ValueError, r"conv2d: groups must be"),
    (
        (1, 1, 5, 5),
        (1, 1, 3, 3),
        dict(stride=(1, 2, 3)),
        ValueError,
        r"conv2d: stride must be an int or a pair",
    ),
]


def test_conv2d_rejects_a_bias_of_the_wrong_shape(device):
    x, w = nt.zeros((1, 2, 5, 5), device=device), nt.zeros((3, 2, 3, 3), device=device)
    with pytest.raises(ShapeError, match=r"conv2d: bias of shape \(2,\).*\(3,\)"):
        nt.conv2d(x, w, nt.zeros(2, device=device))


def test_conv2d_rejects_non_tensors():
    with pytest.raises(TypeError, match="conv2d: input must be a Tensor"):
        nt.conv2d(np.zeros((1, 1, 3, 3)), nt.zeros((1, 1, 1, 1)))


CONV_T_ERRORS = [
    (
        (1, 3, 4, 4),
        (2, 2, 3, 3),
        {},
        ShapeError,
        r"conv_transpose2d: input has 3 channels.*\(1, 3, 4, 4\).*\(2, 2, 3, 3\)",
    ),
    (
        (1, 2, 4, 4),
        (2, 2, 3, 3),
        dict(stride=2, output_padding=2),
        ValueError,
        r"conv_transpose2d: output_padding \(2, 2\) must be smaller than stride \(2, 2\) or "
        r"dilation \(1, 1\)",
    ),
    (
        (1, 1, 1, 1),
        (1, 1, 1, 1),
        dict(padding=1),
        ShapeError,
        r"conv_transpose2d: output size \(-1, -1\) is not positive.*\(1, 1, 1, 1\)",
    ),
    (
        (1, 4, 4, 4),
        (4, 1, 3, 3),
        dict(groups=3),
        ValueError,
        r"conv_transpose2d: groups=3 does not divide.*4 input channels",
    ),
    (
        (1, 2, 4, 4),
        (2, 2, 3, 3),
        dict(padding="same"),
        ValueError,
        r"conv_transpose2d: padding must be an int or a pair",
    ),
]


# conv1d's errors name conv1d, not the conv2d it delegates to.
CONV1D_ERRORS = [
    (
        (1, 1, 5, 5),
        (1, 1, 3),
        {},
        ShapeError,
        r"conv1d: input must be 2-D .* or 3-D .*\(1, 1, 5, 5\)",
    ),
    ((1, 3, 5), (1, 2, 3), {}, ShapeError, r"conv1d: input has 3 channels"),
    (
        (1, 1, 5),
        (1, 1, 3),
        dict(padding="same", stride=2),
        ValueError,
        r"conv1d: padding='same' needs stride 1",
    ),
]

CONV_ERRORS = [
    pytest.param(op, *case, id=f"{op.__name__}-{i}")
    for op, cases in (
        (nt.conv2d, CONV2D_ERRORS),
        (nt.conv_transpose2d, CONV_T_ERRORS),
        (nt.conv1d, CONV1D_ERRORS),
    )
    for i, case in enumerate(cases)
]


@pytest.mark.parametrize("op,x_shape,w_shape,kwargs,error,pattern", CONV_ERRORS)
def test_conv_ops_reject_bad_input(op, x_shape, w_shape, kwargs, error, pattern, device):
    x = nt.zeros(x_shape, device=device)
    w = nt.zeros(w_shape, device=device)
    with pytest.raises(error, match=pattern):
        op(x, w, **kwargs)


# ---------------------------------------------------------------------------- backward chains
def test_conv2d_weight_gradient_is_twice_differentiable(device):
    # Differentiate dL/dw (computed with create_graph) with respect to the input: this runs
    # through Im2Col's backward (Col2Im), which the conv2d gradgrad spec reaches only in part.
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((1, 2, 4, 5)), device, requires_grad=True)
    w = _t(rng.standard_normal((2, 2, 2, 3)), device, requires_grad=True)
    v = _t(rng.standard_normal((1, 2, 3, 2)), device)  # the output shape

    def grad_w(x, w):
        (gw,) = nt.autograd.grad(
            nt.conv2d(x, w, stride=2, padding=1, dilation=(1, 2)), w, v, create_graph=True
        )
        return gw

    assert gradcheck(grad_w, [x, w])


# ---------------------------------------------------------------------------- im2col paths
def test_set_conv_impl_switches_and_restores():
    assert conv_mod.get_conv_impl() == "auto"
    with conv_mod.set_conv_impl("portable"):
        assert conv_mod.get_conv_impl() == "portable"
    assert conv_mod.get_conv_impl() == "auto"
    with pytest.raises(ValueError, match=r"set_conv_impl: unknown impl 'fast'.*'auto'.*'portable'"):
        conv_mod.set_conv_impl("fast")


PATH_CASES = [
    dict(x=(2, 4, 7, 6), w=(6, 2, 3, 2), stride=2, padding=1, dilation=(1, 2), groups=2),
    dict(x=(1, 3, 5, 5), w=(2, 3, 1, 1)),
    dict(x=(1, 2, 5, 6), w=(3, 2, 1, 4), padding="same"),
    dict(x=(2, 1, 9, 8), w=(2, 1, 5, 5), stride=(3, 2), padding=(2, 0)),
    dict(x=(0, 2, 4, 4), w=(3, 2, 3, 3)),
]


@pytest.mark.parametrize("case", PATH_CASES, ids=lambda c: "-".join(map(str, c["w"])))
def test_conv2d_portable_and_fast_paths_agree(case, device):
    # On cpu "auto" takes NumpyBackend.im2col; elsewhere both are the portable path. The
    # columns are identical (next test), so results and gradients agree to rounding.
    rng = np.random.default_rng(4)
    x_np, w_np = rng.standard_normal(case["x"]), rng.standard_normal(case["w"])
    kwargs = {k: v for k, v in case.items() if k not in ("x", "w")}
    results = []
    for impl in ("portable", "auto"):
        x = _t(x_np, device, requires_grad=True)
        w = _t(w_np, device, requires_grad=True)
        with conv_mod.set_conv_impl(impl):
            out = nt.conv2d(x, w, **kwargs)
            out.backward(nt.ones_like(out))
        results.append((out, x.grad, w.grad))
    for a, b in zip(*results):
        assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", PATH_CASES, ids=lambda c: "-".join(map(str, c["w"])))
def test_im2col_columns_are_identical_on_both_paths(case, device):
    from nanotorch.backend import get_backend

    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal(case["x"]), device)
    kwargs = {k: case.get(k, d) for k, d in (("stride", 1), ("padding", 0), ("dilation", 1))}
    geom = conv_mod.conv_geometry("conv2d", x.shape, case["w"][2:], nd=2, **kwargs)
    backend = get_backend(device)
    cols = []
    for impl in ("portable", "auto"):
        with conv_mod.set_conv_impl(impl):
            cols.append(backend.to_host(conv_mod.im2col_array(backend, backend.xp, x._data, geom)))
    assert cols[0].shape == tuple(case["x"][:2]) + (geom.kernel[0] * geom.kernel[1],) + geom.grid
    np.testing.assert_array_equal(cols[0], cols[1])


def test_auto_uses_the_numpy_hooks_and_portable_does_not(monkeypatch):
    # conv2d's forward asks conv_columns (Note [Conv columns from the pool]); Im2Col, whose
    # output the graph may keep, asks im2col (a fresh array). "portable" asks neither.
    from nanotorch.backend.numpy_backend import NumpyBackend

    calls = []
    for name in ("im2col", "conv_columns"):
        original = getattr(NumpyBackend, name)

        def spy(self, *args, _name=name, _original=original):
            calls.append((_name, args[-4:]))
            return _original(self, *args)

        monkeypatch.setattr(NumpyBackend, name, spy)
    x, w = nt.ones((1, 2, 5, 5)), nt.ones((3, 2, 3, 3))
    geom = conv_mod.conv_geometry("conv2d", x.shape, (3, 3), 2, 0, 1, nd=2)
    with conv_mod.set_conv_impl("portable"):
        nt.conv2d(x, w)
        conv_mod.Im2Col.apply(x, geom=geom)
    assert calls == []
    nt.conv2d(x, w, stride=2, dilation=1)
    assert calls == [("conv_columns", ((3, 3), (2, 2), (1, 1), (2, 2)))]
    conv_mod.Im2Col.apply(x, geom=geom)
    assert calls[1:] == [("im2col", ((3, 3), (2, 2), (1, 1), (2, 2)))]


def test_numpy_im2col_hook_returns_fresh_contiguous_columns():
    # The windows overlap in memory; the hook must copy them out, also when a 1 x k kernel
    # would let a reshape return a view of the input.
    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    cols = backend.im2col(x, (1, 2), (1, 1), (1, 1), (4, 4))
    assert cols.shape == (2, 3, 2, 4, 4) and cols.flags.c_contiguous
    assert not np.shares_memory(cols, x)
    np.testing.assert_array_equal(cols[:, :, 1], x[:, :, :, 1:5])


def test_backends_without_a_fast_path_answer_none(device):
    # The base hooks say "no fast path"; ops then use the portable code.
    from nanotorch.backend import get_backend
    from nanotorch.backend.base import ArrayBackend

    backend = get_backend(device)
    x = nt.zeros((1, 1, 3, 3), device=device)._data
    assert ArrayBackend.im2col(backend, x, (2, 2), (1, 1), (1, 1), (2, 2)) is None


# ---------------------------------------------------------------------------- W4 fast paths
# Note [Conv columns from the pool] in ops/conv.py: on cpu under "auto" the columns come
# from the buffer pool, the bias is added in place, and a plain backward computes dW in one
# non-differentiable op. These tests pin that the fast path agrees with the portable one.
FAST_CASES = PATH_CASES + [
    # O <= C at stride 1: the input gradient as a full correlation (Note [Choosing a conv
    # formulation])
    dict(x=(2, 5, 6, 7), w=(3, 5, 3, 2), padding="same", bias=True),
    dict(x=(2, 4, 7, 7), w=(2, 4, 3, 3), dilation=(1, 2), padding=(1, 0)),
    dict(x=(0, 4, 5, 5), w=(2, 4, 3, 3), padding=1),  # an empty batch on that path
    dict(x=(3, 1, 8, 8), w=(4, 1, 3, 3), padding=1, bias=True),
    dict(x=(2, 3, 6, 7), w=(4, 3, 3, 3), padding=(2, 1), stride=(2, 1), bias=True),
    dict(x=(2, 4, 9, 9), w=(4, 1, 3, 3), padding=2, dilation=2, groups=4, bias=True),
    dict(x=(2, 3, 6, 6), w=(5, 3, 3, 3), padding=1, bias=True, transposed=True),
]


def _case_inputs(case, device, rng):
    x_np = rng.standard_normal(case["x"])
    if case.get("transposed"):  # a non-contiguous input: the transpose of an (H, W) array
        x_np = np.ascontiguousarray(np.swapaxes(x_np, 2, 3))
    leaf = _t(x_np, device, requires_grad=True)
    x = leaf.transpose(2, 3) if case.get("transposed") else leaf
    w = _t(rng.standard_normal(case["w"]), device, requires_grad=True)
    b = None
    if case.get("bias"):
        b = _t(rng.standard_normal(case["w"][0]), device, requires_grad=True)
    kwargs = {k: v for k, v in case.items() if k not in ("x", "w", "bias", "transposed")}
    return leaf, x, w, b, kwargs


@pytest.mark.parametrize("case", FAST_CASES, ids=lambda c: "-".join(map(str, c["w"])))
def test_conv2d_fast_path_with_bias_agrees_with_portable(case, device):
    results = []
    for impl in ("portable", "auto"):
        leaf, x, w, b, kwargs = _case_inputs(case, device, np.random.default_rng(6))
        with conv_mod.set_conv_impl(impl):
            out = nt.conv2d(x, w, b, **kwargs)
            g = nt.tensor(np.random.default_rng(7).standard_normal(out.shape), device=device)
            out.backward(g.to(out.dtype))
        results.append([out, leaf.grad, w.grad] + ([b.grad] if b is not None else []))
    for a, c in zip(*results):
        assert_close(a, c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", FAST_CASES[-3:], ids=lambda c: "-".join(map(str, c["w"])))
def test_conv2d_fast_path_passes_gradcheck(case, device):
    leaf, _, w, b, kwargs = _case_inputs(case, device, np.random.default_rng(8))
    transposed = case.get("transposed", False)

    def fn(x, *rest):
        return nt.conv2d(x.transpose(2, 3) if transposed else x, *rest, **kwargs)

    inputs = [leaf, w] + ([b] if b is not None else [])
    assert gradcheck(fn, inputs)


def test_conv_transpose2d_fast_path_agrees_with_portable(device):
    rng = np.random.default_rng(9)
    x_np, w_np, b_np = (rng.standard_normal(s) for s in ((2, 4, 5, 4), (4, 3, 3, 2), (6,)))
    results = []
    for impl in ("portable", "auto"):
        x, w, b = (_t(a, device, requires_grad=True) for a in (x_np, w_np, b_np))
        with conv_mod.set_conv_impl(impl):
            out = nt.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)
            out.backward(nt.ones_like(out))
        results.append((out, x.grad, w.grad, b.grad))
    for a, c in zip(*results):
        assert_close(a, c, rtol=1e-12, atol=1e-12)


def test_conv2d_plain_backward_takes_the_fused_weight_gradient(monkeypatch):
    # A plain backward computes dW with ConvWeightGrad (one op on reused columns); under
    # create_graph it stays the differentiable composite, so double backward still works.
    calls = []
    original = conv_mod.ConvWeightGrad.forward

    def spy(ctx, xp, *args, **kwargs):
        calls.append(1)
        return original(ctx, xp, *args, **kwargs)

    monkeypatch.setattr(conv_mod.ConvWeightGrad, "forward", staticmethod(spy))
    x = nt.ones((1, 2, 5, 5), requires_grad=True)
    w = nt.ones((3, 2, 3, 3), requires_grad=True)
    nt.conv2d(x, w, padding=1).sum().backward()
    assert calls == [1]
    (gw,) = nt.autograd.grad(nt.conv2d(x, w, padding=1).sum(), [w], create_graph=True)
    assert calls == [1] and gw.requires_grad


def test_conv2d_fast_path_takes_its_columns_from_the_pool_only_when_idle():
    # Note [Conv columns from the pool]: once the first columns are dropped, the next
    # request of that size gets the same memory (no fresh pages every step); while they are
    # held, the next request gets other memory and the held ones stay intact. Columns of
    # one element count share an entry, whatever their shape.
    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    x = np.random.default_rng(0).standard_normal((64, 3, 8, 8)).astype(np.float32)
    pads = ((1, 1), (1, 1))
    a = backend.conv_columns(x, pads, (3, 3), (1, 1), (1, 1), (8, 8))
    first = a.copy()
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    np.testing.assert_array_equal(first, backend.im2col(xpad, (3, 3), (1, 1), (1, 1), (8, 8)))
    b = backend.conv_columns(x[::-1], pads, (3, 3), (1, 1), (1, 1), (8, 8))
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, first)
    address = a.__array_interface__["data"][0]
    del a
    c = backend.conv_columns(x, pads, (3, 3), (1, 1), (1, 1), (8, 8))
    assert c.__array_interface__["data"][0] == address
    del c
    g = backend.conv_columns(x.reshape(32, 6, 8, 8), pads, (3, 3), (1, 1), (1, 1), (8, 8))
    assert g.__array_interface__["data"][0] == address


def test_conv_columns_held_in_one_thread_are_not_handed_to_another():
    import threading

    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    x = np.ones((64, 3, 8, 8), np.float32)
    pads = ((1, 1), (1, 1))
    here = backend.conv_columns(x, pads, (3, 3), (1, 1), (1, 1), (8, 8))
    there = []
    t = threading.Thread(
        target=lambda: there.append(
            backend.conv_columns(2 * x, pads, (3, 3), (1, 1), (1, 1), (8, 8))
        )
    )
    t.start()
    t.join()
    assert not np.shares_memory(here, there[0])
    assert float(here.max()) == 1.0 and float(there[0].max()) == 2.0


def test_backends_without_conv_fast_paths_answer_none(device):
    from nanotorch.backend import get_backend
    from nanotorch.backend.base import ArrayBackend

    backend = get_backend(device)
    x = nt.zeros((1, 1, 3, 3), device=device)._data
    pads = ((0, 0), (0, 0))
    assert ArrayBackend.conv_columns(backend, x, pads, (2, 2), (1, 1), (1, 1), (2, 2)) is None
    assert ArrayBackend.claim(backend, x) is None and ArrayBackend.recall(backend, None) is None


def test_claimed_columns_come_back_only_if_untouched():
    # Note [Claims on idle buffers]: recall gives the very columns back while the pool has
    # not handed their buffer out again; after that, and after a first recall, None.
    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    x = np.random.default_rng(1).standard_normal((64, 3, 8, 8)).astype(np.float32)
    pads = ((1, 1), (1, 1))
    cols = backend.conv_columns(x, pads, (3, 3), (1, 1), (1, 1), (8, 8))
    snapshot = cols.copy()
    claim = backend.claim(cols)
    del cols
    back = backend.recall(claim)
    np.testing.assert_array_equal(back, snapshot)
    assert backend.recall(claim) is None  # one use
    claim = backend.claim(back)
    del back
    other = backend.conv_columns(-x, pads, (3, 3), (1, 1), (1, 1), (8, 8))  # takes it
    assert backend.recall(claim) is None
    claim = backend.claim(other)
    del other
    nt.backend.empty_cache()  # evicted
    assert backend.recall(claim) is None
    assert backend.claim(np.ones((64, 3, 9, 8, 8), np.float32)) is None  # not pooled


@pytest.mark.parametrize(
    "kernel,padding,dilation,stride",
    [
        ((3, 3), ((1, 1), (1, 1)), (1, 1), (1, 1)),  # the "same" shifted-rows case
        ((2, 4), ((0, 1), (1, 2)), (1, 1), (1, 1)),  # asymmetric "same" padding
        ((3, 3), ((2, 2), (2, 2)), (2, 2), (1, 1)),  # dilated "same"
        ((5, 1), ((2, 2), (0, 0)), (1, 1), (1, 1)),
        ((3, 3), ((1, 1), (1, 1)), (1, 1), (2, 1)),  # strided: the window view
        ((3, 2), ((0, 0), (0, 0)), (1, 1), (1, 1)),  # valid: the window view
    ],
)
def test_numpy_conv_column_hooks_match_the_portable_kernels(kernel, padding, dilation, stride):
    # conv_columns and conv_col2im (Note [Shifted rows] in backend/numpy_backend.py) give
    # exactly the portable im2col / col2im, also on a non-contiguous input.
    from nanotorch.backend import get_backend

    backend = get_backend(nt.device("cpu"))
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6)).transpose(0, 1, 3, 2)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    image = x.shape[2:]
    grid = tuple(
        (n + lo + hi - sp) // s + 1 for n, (lo, hi), sp, s in zip(image, padding, span, stride)
    )
    geom = conv_mod.ConvGeometry(kernel, stride, padding, dilation, image, grid)
    with conv_mod.set_conv_impl("portable"):
        expected = conv_mod.im2col_array(backend, backend.xp, x, geom)
    got = backend.conv_columns(x, padding, kernel, stride, dilation, grid)
    np.testing.assert_array_equal(got, expected)
    cols = np.random.default_rng(2).standard_normal(expected.shape)
    want = conv_mod.col2im_array(backend.xp, cols, geom)
    back = backend.conv_col2im(cols.copy(), padding, kernel, stride, dilation, image)
    if back is not None:  # the hook answers for the stride-1 same-size case only
        assert grid == image and stride == (1, 1)
        np.testing.assert_allclose(back, want, rtol=1e-14, atol=1e-14)
    else:
        assert grid != image or stride != (1, 1)


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs,expected",
    [
        ((1, 4, 6, 6), (2, 4, 3, 3), dict(padding=1), True),  # O <= C, stride 1
        ((1, 4, 6, 6), (4, 4, 3, 3), dict(padding=1), True),
        ((1, 2, 6, 6), (4, 2, 3, 3), dict(padding=1), False),  # O > C: col2im
        ((1, 4, 6, 6), (2, 4, 3, 3), dict(padding=1, stride=2), False),  # strided
    ],
)
def test_conv2d_input_gradient_formulation_follows_the_rule(
    monkeypatch, x_shape, w_shape, kwargs, expected
):
    calls = []
    original = conv_mod.ConvInputGradAsConv.forward

    def spy(ctx, xp, *args, **kw):
        calls.append(1)
        return original(ctx, xp, *args, **kw)

    monkeypatch.setattr(conv_mod.ConvInputGradAsConv, "forward", staticmethod(spy))
    x = nt.ones(x_shape, requires_grad=True)
    nt.conv2d(x, nt.ones(w_shape), **kwargs).sum().backward()
    assert calls == ([1] if expected else [])
    with conv_mod.set_conv_impl("portable"):
        nt.conv2d(x, nt.ones(w_shape), **kwargs).sum().backward()
    assert calls == ([1] if expected else [])
