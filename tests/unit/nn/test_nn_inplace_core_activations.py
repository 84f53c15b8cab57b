"""``inplace=`` on relu, leaky_relu and silu, functional and module, as PyTorch model code
writes them (``nn.ReLU(inplace=True)``, ``F.relu(x, inplace=True)``); Note [inplace
activations]."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.nn import functional as F

CASES = [
    (lambda x, ip: F.relu(x, inplace=ip), [0.0, 0.0, 2.0]),
    (lambda x, ip: F.leaky_relu(x, 0.5, inplace=ip), [-1.0, 0.0, 2.0]),
    (lambda x, ip: nn.ReLU(inplace=ip)(x), [0.0, 0.0, 2.0]),
    (lambda x, ip: nn.LeakyReLU(0.5, inplace=ip)(x), [-1.0, 0.0, 2.0]),
]


@pytest.mark.parametrize("call, expected", CASES)
def test_inplace_writes_into_an_input_outside_autograd(device, call, expected):
    x = nt.tensor([-2.0, 0.0, 2.0], device=device)
    version = x._version
    out = call(x, True)
    assert out is x and x.tolist() == expected and x._version > version


@pytest.mark.parametrize("call, expected", CASES)
def test_inplace_on_a_non_leaf_writes_into_it_and_keeps_the_gradient(device, call, expected):
    x = nt.tensor([-2.0, 0.0, 2.0], device=device, requires_grad=True)
    y = x * 1.0
    out = call(y, True)
    assert out is y and out.tolist() == expected
    out.sum().backward()
    x2 = nt.tensor([-2.0, 0.0, 2.0], device=device, requires_grad=True)
    call(x2 * 1.0, False).sum().backward()
    assert x.grad.tolist() == x2.grad.tolist()


@pytest.mark.parametrize("call, expected", CASES)
def test_inplace_on_a_leaf_that_requires_grad_is_refused(device, call, expected):
    x = nt.tensor([-2.0, 0.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        call(x, True)


def test_silu_inplace_writes_under_no_grad():
    x = nt.tensor([0.0, 1.0])
    with nt.no_grad():
        out = F.silu(x, inplace=True)
    assert out is x and abs(x.tolist()[1] - 0.7310585786) < 1e-6
    assert nn.SiLU(inplace=True)(nt.zeros(2)).tolist() == [0.0, 0.0]
