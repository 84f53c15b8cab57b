"""Activation modules: each is its functional op with PyTorch's arguments and repr."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close

X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0], [1.0, -1.0, 2.0, -3.0, 0.25]])


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


CASES = [
    (nn.ReLU(), lambda x: np.maximum(x, 0), "ReLU()"),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x), "LeakyReLU(negative_slope=0.01)"),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), "LeakyReLU(negative_slope=0.2)"),
    (nn.GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), "GELU(approximate='none')"),
    (
        nn.GELU("tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        "GELU(approximate='tanh')",
    ),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x)), "SiLU()"),
    (nn.Tanh(), np.tanh, "Tanh()"),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), "Sigmoid()"),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x)), "Softplus(beta=1.0, threshold=20.0)"),
    (nn.Softmax(dim=1), lambda x: _softmax(x, 1), "Softmax(dim=1)"),
    (nn.Softmax(dim=0), lambda x: _softmax(x, 0), "Softmax(dim=0)"),
    (nn.LogSoftmax(dim=1), lambda x: np.log(_softmax(x, 1)), "LogSoftmax(dim=1)"),
]


@pytest.mark.parametrize("module,ref,text", CASES, ids=[c[2] for c in CASES])
def test_activation_module_matches_numpy_and_repr(module, ref, text, device):
    out = module(nt.tensor(X, device=device))
    assert str(out.device) == str(device)
    assert_close(out, ref(X).astype(np.float32), rtol=1e-5, atol=1e-6)
    assert repr(module) == text
    assert list(module.parameters()) == []


def test_activation_module_gradient_flows(device):
    x = nt.tensor(X, dtype=nt.float64, device=device, requires_grad=True)
    nn.Tanh()(x).sum().backward()
    assert_close(x.grad, 1 - np.tanh(X) ** 2)


def test_softmax_default_dim_follows_pytorch_legacy_rule(device):
    # dim=None picks dim 0 for 0-, 1- and 3-d inputs and dim 1 otherwise (PyTorch's rule).
    x2 = nt.tensor(X, device=device)
    assert_close(nn.Softmax()(x2), _softmax(X, 1).astype(np.float32))
    x1 = nt.tensor(X[0], device=device)
    assert_close(nn.LogSoftmax()(x1), np.log(_softmax(X[0], 0)).astype(np.float32))
    assert repr(nn.Softmax()) == "Softmax(dim=None)"


def test_inplace_flag_is_kept_in_repr_and_result_is_correct(device):
    x = nt.tensor(X, device=device)
    relu = nn.ReLU(inplace=True)
    assert repr(relu) == "ReLU(inplace=True)"
    assert_close(relu(x), np.maximum(X, 0).astype(np.float32))


def test_functional_reexports_the_core_activations():
    for name in (
        "relu",
        "gelu",
        "silu",
        "sigmoid",
        "tanh",
        "leaky_relu",
        "softplus",
        "one_hot",
        "pad",
    ):
        assert getattr(F, name) is getattr(nt, name)
    # softmax and log_softmax wrap the core ops in PyTorch's functional signature (input=,
    # dim=None, dtype=): Note [Functional softmax signature] in nn/activation_ops.py.
    x = nt.tensor([[1.0, 2.0, 0.5]])
    for name in ("softmax", "log_softmax"):
        assert getattr(F, name) is not getattr(nt, name)
        assert_close(getattr(F, name)(input=x, dim=1), getattr(nt, name)(x, 1))
