"""Twins that share one formula (one Function or helper serving two ops) still behave as two
ops: each error names its own op, and each picks its own winner."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.errors import ShapeError
from nanotorch.testing import assert_close


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_errors_name_their_op(op):
    fn = getattr(nt, op)
    with pytest.raises(ShapeError, match=rf"^{op}.*\(2, 3\).*\(4,\)"):
        fn(nt.ones(2, 3), nt.ones(4))
    with pytest.raises(TypeError, match=rf"^{op}: unsupported operand type str"):
        fn(nt.ones(2), "1")


def test_maximum_minimum_send_the_gradient_to_their_winner_and_split_ties(device):
    a = nt.tensor([1.0, 5.0, 3.0], device=device, requires_grad=True)
    b = nt.tensor([2.0, 4.0, 3.0], device=device, requires_grad=True)
    nt.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.5] and b.grad.tolist() == [1.0, 0.0, 0.5]
    a.grad = b.grad = None
    nt.minimum(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 0.5] and b.grad.tolist() == [0.0, 1.0, 0.5]


def test_amax_amin_pick_their_extreme_and_share_the_gradient_among_ties(device):
    x = nt.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]], device=device, requires_grad=True)
    hi, lo = nt.amax(x, dim=1), nt.amin(x, dim=1)
    assert hi.tolist() == [3.0, 2.0] and lo.tolist() == [1.0, 0.0]
    (hi.sum() + 10 * lo.sum()).backward()
    assert x.grad.tolist() == [[10.0, 0.5, 0.5], [1.0, 5.0, 5.0]]


def test_sigmoid_and_silu_share_an_overflow_free_sigmoid(device):
    x = nt.tensor([-1000.0, -1.0, 0.0, 1.0, 1000.0], device=device)
    s = [0.0, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0]
    assert_close(nt.sigmoid(x), nt.tensor(s, device=device))
    assert_close(nt.silu(x), nt.tensor([v * w for v, w in zip(x.tolist(), s)], device=device))


@pytest.mark.parametrize(
    "layer,x,op",
    [
        (nn.Conv1d(2, 3, 3), nt.ones(1, 2, 5), "conv1d"),
        (nn.Conv2d(2, 3, 3), nt.ones(1, 2, 5, 5), "conv2d"),
    ],
)
def test_conv1d_conv2d_layers_share_one_forward_that_names_its_op(layer, x, op):
    assert layer(x).shape == (1, 3, 3) + ((3,) if op == "conv2d" else ())
    with pytest.raises(TypeError, match=rf"^{op}"):
        layer(x.double())
