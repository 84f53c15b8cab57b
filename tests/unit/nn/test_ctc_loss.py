"""``F.ctc_loss`` beyond the PyTorch comparison: on every device, the gradient is not
differentiable again (as in PyTorch), labels out of range and float targets raise with the
op named, and lengths on the host work with log-probabilities on any device."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import autograd
from nanotorch.nn import functional as F

LP = np.log(np.full((4, 2, 3), 1 / 3))


def test_ctc_loss_second_derivative_raises(device):
    lp = nt.tensor(LP, device=device, requires_grad=True)
    loss = F.ctc_loss(lp, nt.tensor([[1, 2], [2, 0]], device=device), (4, 3), (2, 1))
    (g,) = autograd.grad(loss, lp, create_graph=True)
    with pytest.raises(NotImplementedError, match="ctc_loss: the second derivative"):
        g.sum().backward()


def test_ctc_loss_label_out_of_range_raises_index_error(device):
    lp = nt.tensor(LP, device=device)
    with pytest.raises(IndexError, match=r"ctc_loss: target labels .* \[0, 3\), got \[3\]"):
        F.ctc_loss(lp, nt.tensor([[1, 3], [2, 0]], device=device), (4, 3), (2, 1))


def test_ctc_loss_float_targets_raise_type_error(device):
    lp = nt.tensor(LP, device=device)
    with pytest.raises(TypeError, match="ctc_loss: targets must be integer .* .long"):
        F.ctc_loss(lp, nt.tensor([[1.0, 2.0], [2.0, 0.0]], device=device), (4, 3), (2, 1))


def test_ctc_loss_uniform_probabilities_count_the_alignments(device):
    # With every class at probability 1/3, p(target) = (number of alignments) / 3^T: "12"
    # over 4 steps has 15 alignments (blank/label strings that collapse to 1 2).
    lp = nt.tensor(LP, device=device)
    loss = F.ctc_loss(
        lp, nt.tensor([[1, 2], [1, 2]], device=device), (4, 4), (2, 2), reduction="none"
    )
    assert str(loss.device) == str(device)
    np.testing.assert_allclose(loss.cpu().numpy(), [-np.log(15 / 81)] * 2, rtol=1e-12)
