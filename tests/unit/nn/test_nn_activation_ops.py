"""The activations of nn/activation_ops.py and their modules in nn/activation.py: modules
equal their functional forms, PReLU's parameter and state_dict, Note [inplace activations],
PyTorch's derivatives at the kinks, and argument errors. Values and gradients on generic
inputs are the specs' (tests/specs/activation_ops.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close

X = np.random.default_rng(7).uniform(-5, 5, (4, 6))

MODULES = [
    (nn.ELU(), lambda x: F.elu(x), "ELU(alpha=1.0)"),
    (nn.ELU(alpha=0.5, inplace=True), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5, inplace=True)"),
    (nn.SELU(), F.selu, "SELU()"),
    (nn.CELU(2.0), lambda x: F.celu(x, 2.0), "CELU(alpha=2.0)"),
    (nn.Hardtanh(), F.hardtanh, "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (
        nn.Hardtanh(-2.0, 3.0),
        lambda x: F.hardtanh(x, -2.0, 3.0),
        "Hardtanh(min_val=-2.0, max_val=3.0)",
    ),
    (
        nn.Hardtanh(min_value=-0.5, max_value=0.5),
        lambda x: F.hardtanh(x, -0.5, 0.5),
        "Hardtanh(min_val=-0.5, max_val=0.5)",
    ),
    (nn.ReLU6(), F.relu6, "ReLU6()"),
    (nn.ReLU6(inplace=True), F.relu6, "ReLU6(inplace=True)"),
    (nn.Hardsigmoid(), F.hardsigmoid, "Hardsigmoid()"),
    (nn.Hardswish(), F.hardswish, "Hardswish()"),
    (nn.Mish(), F.mish, "Mish()"),
    (nn.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
    (nn.Softsign(), F.softsign, "Softsign()"),
    (nn.Softmin(dim=1), lambda x: F.softmin(x, dim=1), "Softmin(dim=1)"),
    (nn.GLU(), F.glu, "GLU(dim=-1)"),
    (nn.GLU(dim=0), lambda x: F.glu(x, 0), "GLU(dim=0)"),
]


@pytest.mark.parametrize("module,functional,text", MODULES, ids=[m[2] for m in MODULES])
def test_activation_module_equals_its_functional(module, functional, text, device):
    x = nt.tensor(X, device=device)
    assert_close(module(x.clone()), functional(x))  # a clone: inplace modules overwrite it
    assert repr(module) == text
    assert list(module.parameters()) == [] and list(module.state_dict()) == []


def test_relu6_is_a_hardtanh_like_pytorch():
    assert isinstance(nn.ReLU6(), nn.Hardtanh)
    assert (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)


# ----------------------------------------------------------------------------- PReLU
def test_prelu_parameter_is_weight_with_pytorch_shape_and_init(device):
    m = nn.PReLU(3, init=0.1, device=device, dtype=nt.float64)
    names = [name for name, _ in m.named_parameters()]
    assert names == ["weight"]
    assert list(m.state_dict()) == ["weight"]
    assert m.weight.shape == (3,) and m.weight.dtype is nt.float64
    assert str(m.weight.device) == str(device)
    assert m.weight.tolist() == [0.1, 0.1, 0.1]
    assert nn.PReLU().weight.tolist() == [0.25]


def test_prelu_state_dict_round_trips():
    src = nn.PReLU(2)
    with nt.no_grad():
        src.weight.copy_(nt.tensor([0.5, -1.0]))
    dst = nn.PReLU(2)
    dst.load_state_dict(src.state_dict())
    assert dst.weight.tolist() == [0.5, -1.0]


def test_prelu_module_equals_functional_and_learns_per_channel_slopes(device):
    m = nn.PReLU(3, device=device, dtype=nt.float64)
    x = nt.tensor(np.arange(-12.0, 12.0).reshape(2, 3, 4), dtype=nt.float64, device=device)
    out = m(x)
    assert_close(out, F.prelu(x, m.weight))
    out.sum().backward()
    # dw_c = sum of x over the negative entries of channel c.
    neg = np.minimum(np.arange(-12.0, 12.0).reshape(2, 3, 4), 0)
    assert_close(
        m.weight.grad, nt.tensor(neg.sum(axis=(0, 2)), dtype=nt.float64), check_device=False
    )


def test_prelu_rejects_a_weight_that_does_not_fit_the_channels():
    with pytest.raises(RuntimeError, match=r"prelu: weight of shape \(2,\).*\(4, 3\).*3"):
        F.prelu(nt.randn(4, 3), nt.ones(2))


# ----------------------------------------------------------------------------- inplace
def test_inplace_writes_into_an_input_outside_autograd(device):
    x = nt.tensor([-1.0, 2.0, 7.0], device=device)
    version = x._version
    out = F.relu6(x, inplace=True)
    assert out is x
    assert x.tolist() == [0.0, 2.0, 6.0]
    assert x._version == version + 1


def test_inplace_module_under_no_grad_writes_into_the_input(device):
    x = nt.tensor([-1.0, 2.0], device=device, requires_grad=True)
    with nt.no_grad():
        out = nn.ELU(inplace=True)(x)
    assert out is x
    assert_close(x.detach(), nt.tensor([np.expm1(-1.0), 2.0], device=device))


def test_inplace_on_a_graph_input_writes_into_it_and_keeps_the_gradient(device):
    x = nt.tensor([-1.0, 2.0], dtype=nt.float64, device=device, requires_grad=True)
    y = x * 1.0
    out = F.hardtanh(y, inplace=True)
    assert out is y
    assert y.tolist() == [-1.0, 1.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # both at or beyond the bounds


def test_inplace_on_a_tensor_saved_for_backward_is_caught(device):
    w = nt.tensor([2.0], device=device, requires_grad=True)
    x = nt.tensor([-1.0], device=device)
    loss = (x * w).sum()  # saves x for w's gradient
    F.selu(x, inplace=True)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ----------------------------------------------------------------------------- kinks
def _grad_at(fn, values, device):
    x = nt.tensor(values, dtype=nt.float64, device=device, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.tolist()


def test_hardtanh_family_passes_no_gradient_at_the_bounds(device):
    assert _grad_at(F.hardtanh, [-1.0, 0.0, 1.0], device) == [0.0, 1.0, 0.0]
    assert _grad_at(F.relu6, [0.0, 3.0, 6.0], device) == [0.0, 1.0, 0.0]
    assert _grad_at(F.hardsigmoid, [-3.0, 0.0, 3.0], device) == [0.0, 1 / 6, 0.0]


def test_hardswish_gradient_at_the_kinks_follows_pytorch(device):
    # PyTorch 2.x: the middle slope x / 3 + 1/2 holds on the open interval (-3, 3) only.
    assert _grad_at(F.hardswish, [-4.0, -3.0, 0.0, 3.0, 4.0], device) == [0.0, 0.0, 0.5, 1.0, 1]


def test_elu_family_gradient_at_zero_follows_pytorch(device):
    assert _grad_at(lambda x: F.elu(x, alpha=2.0), [0.0], device) == [2.0]
    assert _grad_at(lambda x: F.celu(x, alpha=2.0), [0.0], device) == [1.0]


def test_normalize_gradient_is_finite_for_a_zero_vector(device):
    x = nt.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=nt.float64, device=device, requires_grad=True)
    F.normalize(x).sum().backward()
    g = x.grad.tolist()
    assert g[0] == [1e12, 1e12]  # the norm is clamped at eps: only x / eps remains
    # d/dx of (x / |x|) summed: (1 - x_i sum(x) / |x|^2) / |x|.
    assert np.allclose(g[1], [(1 - 3 * 7 / 25) / 5, (1 - 4 * 7 / 25) / 5])


# ----------------------------------------------------------------------------- arguments
def test_activation_argument_errors_name_the_op():
    x = nt.randn(2, 3)
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2\) cannot be greater.*\(1\)"):
        F.hardtanh(x, 2, 1)
    with pytest.raises(ValueError, match="Hardtanh: max_val"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(RuntimeError, match=r"glu: halving dimension must be even.*\(2, 3\).*3"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="glu: does not support 0-d"):
        F.glu(nt.tensor(1.0))
    with pytest.raises(ValueError, match="celu: alpha must not be 0"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match="normalize: p must be positive, got 0"):
        F.normalize(x, p=0)
    with pytest.raises(TypeError, match="elu: input must be a Tensor, got list"):
        F.elu([1.0])


def test_softmin_takes_pytorch_legacy_dim_and_dtype():
    x = nt.randn(3, 4, dtype=nt.float64)
    assert_close(F.softmin(x), F.softmin(x, dim=1))
    assert F.softmin(x.float(), dim=0, dtype=nt.float64).dtype is nt.float64


def test_functional_namespace_has_every_new_activation():
    for name in ("elu", "selu", "celu", "hardtanh", "relu6", "hardsigmoid", "hardswish"):
        assert callable(getattr(F, name))
    for name in ("mish", "logsigmoid", "softsign", "softmin", "prelu", "glu", "normalize"):
        assert callable(getattr(F, name))
