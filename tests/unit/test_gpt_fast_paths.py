"""The fused ops of the GPT step (W5, discovery/performance.md): each computes what the
composite of Tensor ops it replaces computes, values and gradients, on every device, and
keeps its second derivatives by falling back to that composite under ``create_graph``.

The op specs (tests/specs) check the public ops against NumPy with gradcheck; these tests
pin the fused structure (how many ops a plain backward dispatches) and the agreement with
the spelled-out formula, so a refactor that undoes a fusion shows up here.
"""

from __future__ import annotations

import math

import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch.testing import assert_close, gradcheck, gradgradcheck


def _f64(device, *shape, requires_grad=True):
    return nt.randn(*shape, device=device, dtype=nt.float64, requires_grad=requires_grad)


def _grads(out, inputs, g):
    return nt.autograd.grad(out, inputs, g)


# ------------------------------------------------------------------------------ GELU (tanh)
def _gelu_tanh_composite(x):
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1 + nt.tanh(c * (x + 0.044715 * x * x * x)))


def test_gelu_tanh_fused_equals_the_composite(device) -> None:
    x = _f64(device, 3, 5, 7) * 3
    x = x.detach().requires_grad_()
    g = _f64(device, 3, 5, 7, requires_grad=False)

    fused = F.gelu(x, approximate="tanh")
    composite = _gelu_tanh_composite(x)

    assert_close(fused, composite, rtol=1e-12, atol=1e-14)
    assert_close(_grads(fused, [x], g)[0], _grads(composite, [x], g)[0], rtol=1e-12, atol=1e-14)


def test_gelu_tanh_plain_backward_is_one_op(device, dispatched) -> None:
    x = nt.randn(4, 6, device=device, requires_grad=True)
    out = F.gelu(x, approximate="tanh")
    dispatched.clear()

    out.backward(nt.ones(4, 6, device=device))

    assert dispatched == ["GeluTanhGrad"]


def test_gelu_tanh_gradients_check_twice(device) -> None:
    x = _f64(device, 2, 3)
    assert gradcheck(lambda t: F.gelu(t, approximate="tanh"), (x,))
    assert gradgradcheck(lambda t: F.gelu(t, approximate="tanh"), (x,))


# ---------------------------------------------------------------------------------- layer norm
def _layer_norm_composite(x, w, b, eps, dims):
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered / (var + eps).sqrt()
    if w is not None:
        out = out * w
    return out + b if b is not None else out


@pytest.mark.parametrize("affine", ["both", "none", "bias"])
@pytest.mark.parametrize("shape", [((3, 4, 8), (8,)), ((2, 3, 4), (3, 4))], ids=["1d", "2d"])
def test_layer_norm_fused_equals_the_composite(device, shape, affine) -> None:
    x_shape, norm = shape
    x = _f64(device, *x_shape)
    w = _f64(device, *norm) if affine == "both" else None
    b = _f64(device, *norm) if affine != "none" else None
    g = _f64(device, *x_shape, requires_grad=False)
    dims = tuple(range(len(x_shape) - len(norm), len(x_shape)))

    fused = F.layer_norm(x, norm, w, b, eps=1e-5)
    composite = _layer_norm_composite(x, w, b, 1e-5, dims)
    inputs = [t for t in (x, w, b) if t is not None]

    assert_close(fused, composite, rtol=1e-12, atol=1e-12)
    for got, expected in zip(_grads(fused, inputs, g), _grads(composite, inputs, g)):
        assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_layer_norm_forward_and_plain_backward_are_one_op_each(device, dispatched) -> None:
    x = nt.randn(4, 6, device=device, requires_grad=True)
    w = nt.randn(6, device=device, requires_grad=True)
    b = nt.randn(6, device=device, requires_grad=True)
    dispatched.clear()

    out = F.layer_norm(x, (6,), w, b)
    assert dispatched == ["LayerNormFn"]
    dispatched.clear()
    out.backward(nt.ones(4, 6, device=device))

    assert dispatched == ["LayerNormGrad"]


def test_layer_norm_gradients_check_twice(device) -> None:
    x, w, b = _f64(device, 2, 5), _f64(device, 5), _f64(device, 5)
    fn = lambda x, w, b: F.layer_norm(x, (5,), w, b)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


# --------------------------------------------------------------------- causal attention (SDPA)
def _sdpa_composite(q, k, v, scale):
    n, s = q.shape[-2], k.shape[-2]
    allowed = nt.ones(n, s, dtype=nt.bool, device=q.device).tril()
    scores = (q @ k.transpose(-2, -1)) * scale
    return nt.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1) @ v


@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 6)),
        ((5, 4), (7, 4), (7, 3)),
        ((2, 3, 5, 4), (3, 6, 4), (1, 6, 2)),
    ],
    ids=["heads", "more-keys", "broadcast"],
)
@pytest.mark.parametrize("scale", [None, 0.3])
def test_causal_attention_fused_equals_the_composite(device, shapes, scale) -> None:
    q, k, v = (_f64(device, *s) for s in shapes)
    g = _f64(device, *shapes[0][:-1], shapes[2][-1], requires_grad=False)

    fused = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    composite = _sdpa_composite(q, k, v, 1 / math.sqrt(q.shape[-1]) if scale is None else scale)

    assert_close(fused, composite, rtol=1e-12, atol=1e-12)
    for got, expected in zip(_grads(fused, [q, k, v], g), _grads(composite, [q, k, v], g)):
        assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_causal_attention_forward_and_plain_backward_are_one_op_each(device, dispatched) -> None:
    q, k, v = (nt.randn(2, 2, 5, 4, device=device, requires_grad=True) for _ in range(3))
    dispatched.clear()

    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert dispatched == ["CausalAttention"]
    dispatched.clear()
    out.backward(nt.ones(2, 2, 5, 4, device=device))

    assert dispatched == ["CausalAttentionGrad"]


def test_causal_attention_gradients_check_twice(device) -> None:
    q, k, v = _f64(device, 2, 3, 4), _f64(device, 2, 3, 4), _f64(device, 2, 3, 2)
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)  # noqa: E731
    assert gradcheck(fn, (q, k, v))
    assert gradgradcheck(fn, (q, k, v))


# ---------------------------------------------------------------------------------- embedding
@pytest.mark.parametrize("rows", [7, 3000], ids=["one-hot", "scatter"])
def test_embedding_plain_backward_equals_the_scatter_add(device, rows) -> None:
    from nanotorch.ops.indexing import take_along

    weight = _f64(device, rows, 5)
    index = nt.tensor([[0, 3, 3], [rows - 1, 0, 3]], device=device)  # repeats accumulate
    g = _f64(device, 2, 3, 5, requires_grad=False)

    fused = F.embedding(index, weight)
    general = take_along(weight, index, 0)

    assert_close(fused, general, rtol=0, atol=0)
    assert_close(_grads(fused, [weight], g)[0], _grads(general, [weight], g)[0], rtol=1e-12,
                 atol=1e-14)  # fmt: skip


def test_embedding_plain_backward_is_one_op(device, dispatched) -> None:
    weight = nt.randn(6, 4, device=device, requires_grad=True)
    out = F.embedding(nt.tensor([[1, 2], [2, 5]], device=device), weight)
    dispatched.clear()

    out.backward(nt.ones(2, 2, 4, device=device))

    assert dispatched == ["EmbeddingGrad"]
    assert weight.grad[2].tolist() == [2.0] * 4 and weight.grad[0].tolist() == [0.0] * 4


def test_embedding_gradients_check_twice(device) -> None:
    weight = _f64(device, 4, 3)
    index = nt.tensor([1, 3, 1], device=device)
    assert gradcheck(lambda w: F.embedding(index, w), (weight,))
    assert gradgradcheck(lambda w: F.embedding(index, w) ** 2, (weight,))


def test_gelu_tanh_extremes_match_pytorch_without_warnings(device) -> None:
    # Values from torch.nn.functional.gelu(x, approximate="tanh") in float32. The fast
    # form divides by 1 + exp(-2u), which overflows for very negative inputs: no warning
    # may reach the user, and the limits must be PyTorch's.
    import warnings

    x = nt.tensor(
        [-math.inf, -1e4, -20.0, -10.5, 0.0, 20.0, 1e4, math.inf, math.nan],
        device=device,
        requires_grad=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.gelu(x, approximate="tanh")
        out.sum().backward()
    import numpy as np

    nan = math.nan
    np.testing.assert_array_equal(
        out.detach().cpu().numpy(),
        np.array([nan, -0.0, -0.0, -0.0, 0.0, 20.0, 1e4, math.inf, nan], np.float32),
    )
    np.testing.assert_array_equal(
        x.grad.cpu().numpy(),
        np.array([nan, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, nan, nan], np.float32),
    )
