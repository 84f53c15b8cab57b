"""``nanotorch.linalg``: norms, under PyTorch's names (``torch.linalg``): ``vector_norm``,
``matrix_norm`` and ``norm`` (which picks one of them by ``ord`` and ``dim`` as PyTorch does).

The ops themselves live in the scan family (``nanotorch/ops/scan.py``); this module only
gives them their namespace. ``matrix_norm`` with ord 2, -2 or 'nuc' uses the singular values
of the standard's ``linalg.svd`` (first derivatives only).

>>> import nanotorch
>>> nanotorch.linalg.vector_norm(nanotorch.tensor([3.0, 4.0])).item()
5.0
"""

from __future__ import annotations

from nanotorch.ops.scan import linalg_norm as norm
from nanotorch.ops.scan import matrix_norm, vector_norm

__all__ = ["matrix_norm", "norm", "vector_norm"]
