"""``einsum`` (ops/einsum.py) beyond its spec: it contracts with matmul rather than one big
broadcast product (Note [Einsum by pairwise contraction]), and rejects bad equations with
errors that name the equation."""

from __future__ import annotations

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.testing import assert_close


def _graph_nodes(t):
    seen, stack, names = set(), [t.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "fn"):
            continue
        seen.add(id(node))
        names.append(node.name())
        stack.extend(node.next_nodes)
    return names


def test_einsum_contracts_pairs_through_matmul(device):
    a = nt.randn(2, 3, 4, device=device, requires_grad=True)
    b = nt.randn(2, 4, 5, device=device, requires_grad=True)
    c = nt.randn(5, 6, device=device, requires_grad=True)
    out = nt.einsum("bij,bjk,kl->bil", a, b, c)
    names = _graph_nodes(out)
    assert names.count("MatMulBackward") == 2
    # No intermediate as large as the broadcast product (2, 3, 4, 5) is ever built.
    assert "BroadcastToBackward" not in names
    expected = np.einsum(
        "bij,bjk,kl->bil",
        a.detach().cpu().numpy(),
        b.detach().cpu().numpy(),
        c.detach().cpu().numpy(),
    )
    assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_einsum_bad_equations_name_the_problem(device):
    a = nt.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="einsum: 'ij,jk' has 2 operand subscripts but 1"):
        nt.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="einsum: subscripts 'ijk' name 3 dims but the operand"):
        nt.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match="einsum: 'j' has size 3 in one operand and 2"):
        nt.einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError, match="einsum: output subscript 'k' does not appear"):
        nt.einsum("ij->k", a)
    with pytest.raises(ValueError, match="einsum: output subscript 'i' appears twice"):
        nt.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="einsum: invalid subscript '1'"):
        nt.einsum("i1->i", a)
    with pytest.raises(TypeError, match="einsum: operand 1 must be a Tensor"):
        nt.einsum("ij,jk->ik", a, [[1.0]])


def test_einsum_sublist_form_matches_the_equation_form(device):
    a = nt.randn(2, 3, device=device)
    b = nt.randn(3, 4, device=device)
    assert_close(nt.einsum(a, [0, 1], b, [1, 2], [0, 2]), nt.einsum("ij,jk->ik", a, b))
    assert_close(nt.einsum(a, [Ellipsis, 27]), nt.einsum("...B", a))
    with pytest.raises(ValueError, match=r"sublist entries must be ints in \[0, 52\)"):
        nt.einsum(a, [0, 60])
