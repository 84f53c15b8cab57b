"""``nanotorch.linalg``: norms and matrix functions under PyTorch's names (``torch.linalg``):
``vector_norm``, ``matrix_norm`` and ``norm`` (which picks one of them by ``ord`` and ``dim``
as PyTorch does); ``det``, ``slogdet``, ``inv``, ``solve``, ``cholesky``, ``qr``, ``svd``,
``svdvals``, ``eigh``, ``eigvalsh``, ``pinv``, ``matrix_rank``, ``cross``, ``matrix_power``,
``multi_dot``, ``vander``, ``matrix_exp``, ``solve_triangular``, ``lu_factor``, ``lu``,
``lu_factor_ex``, ``lu_solve``, ``lstsq``, ``vecdot``, ``matmul``, ``diagonal``, ``cond``,
``tensorinv`` and ``tensorsolve``.

The ops themselves live in the scan family (``nanotorch/ops/scan.py``, the norms), in
``nanotorch/ops/linalg_decomp.py``, ``nanotorch/ops/linalg_solvers.py``,
``nanotorch/ops/math_breadth.py`` and ``nanotorch/ops/numeric.py`` (the rest); this module
only gives them their namespace. ``matrix_norm`` with ord 2, -2 or 'nuc' uses the
singular values of the standard's ``linalg.svd`` (first derivatives only).

>>> import nanotorch
>>> nanotorch.linalg.vector_norm(nanotorch.tensor([3.0, 4.0])).item()
5.0
"""

from __future__ import annotations

from nanotorch.ops.linalg_decomp import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_rank,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from nanotorch.ops.linalg_extra import cross as _cross
from nanotorch.ops.linalg_solvers import (
    cond,
    lstsq,
    lu_factor,
    lu_factor_ex,
    matrix_exp,
    solve_triangular,
    tensorinv,
    tensorsolve,
    vecdot,
)
from nanotorch.ops.linalg_solvers import linalg_lu as lu
from nanotorch.ops.linalg_solvers import linalg_lu_solve as lu_solve
from nanotorch.ops.math_breadth import matrix_power, multi_dot
from nanotorch.ops.matmul import matmul as _matmul
from nanotorch.ops.numeric import linalg_vander as vander
from nanotorch.ops.scan import linalg_norm as norm
from nanotorch.ops.scan import matrix_norm, vector_norm
from nanotorch.ops.shape_extra import diagonal as _diagonal
from nanotorch.tensor import Tensor


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``torch.linalg.matmul``: the same as ``nanotorch.matmul``."""
    return _matmul(input, other)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """``torch.linalg.diagonal``: ``nanotorch.diagonal`` with the last two dims as default."""
    return _diagonal(A, offset, dim1, dim2)


def cross(input: Tensor, other: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """``torch.linalg.cross``: the cross product along ``dim`` (default the last)."""
    return _cross(input, other, dim=dim)


__all__ = [
    "cholesky",
    "cond",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matrix_exp",
    "solve_triangular",
    "vecdot",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vector_norm",
]
