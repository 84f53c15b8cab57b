"""Specs for ``nanotorch.einsum`` (nanotorch/ops/einsum.py) against ``np.einsum``."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import randn


def _np_einsum(equation, *operands):
    return np.einsum(equation, *operands)


SPECS = [
    OpSpec(
        "einsum",
        _np_einsum,
        [
            Case("ij,jk->ik", randn(3, 4), randn(4, 5), id="matmul"),
            Case("ij,jk", randn(3, 4), randn(4, 2), id="implicit"),
            Case("ba,ac", randn(3, 4), randn(4, 2), id="implicit-sorted"),
            Case("bij,bjk->bik", randn(2, 3, 4), randn(2, 4, 5), id="batched"),
            Case("...ij,...jk->...ik", randn(2, 1, 3, 4), randn(5, 4, 2), id="ellipsis-bcast"),
            Case("i...->...", randn(3, 2, 4), id="ellipsis-sum"),
            Case("...i,i", randn(2, 3), randn(3), id="ellipsis-implicit"),
            Case("ii", randn(4, 4), id="trace"),
            Case("ii->i", randn(3, 3), id="diagonal"),
            Case("iij->j", randn(3, 3, 2), id="diag-sum"),
            Case("i i j , j k -> k i", randn(2, 2, 3), randn(3, 4), id="spaces-repeat"),
            Case("i,j->ij", randn(3), randn(4), id="outer"),
            Case("ij->", randn(3, 4), id="sum-all"),
            Case("ji", randn(3, 4), id="transpose"),
            Case("ij,jk,kl->il", randn(2, 3), randn(3, 4), randn(4, 2), id="chain"),
            Case("bi,bi->b", randn(4, 3), randn(4, 3), id="rowwise-dot"),
            Case("i,i->", randn(5), randn(5), id="dot"),
            Case(",i->i", randn(), randn(3), id="0d"),
            Case("ij,jk->ik", randn(3, 0), randn(0, 2), id="empty"),
            Case("ij,jk->ik", randn(3, 4), randn(4, 5), transposed=(1, 2), id="transposed"),
            Case("Ab,bA->A", randn(2, 3), randn(3, 2), id="uppercase"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "einsum",
        _np_einsum,
        [Case("ij,j->i", randn(3, 4), randn(4), id="list-operands")],
        fn=lambda equation, *xs: nt.einsum(equation, list(xs)),
    ),
]
