"""``nanotorch.special``: the namespace of ``torch.special``, so ported code that calls
``torch.special.<name>`` finds the same name here.

Nothing is computed in this module. Each name is the op nanotorch already exports under
PyTorch's top-level name (``gammaln`` is ``lgamma``, ``expit`` is ``sigmoid``, ``psi`` is
``digamma``, ``gammainc`` is ``igamma``), or one of the ops of ops/special_breadth.py that
PyTorch keeps only here (``ndtr``, ``log_ndtr``, ``erfcx``, ...). The functions of
``torch.special`` nanotorch does not compute are listed in discovery/pytorch-differences.md,
and tests/torch_compare/test_special.py fails when one is neither here nor listed there.
"""

from __future__ import annotations

from nanotorch.ops.elementwise import expm1, log1p
from nanotorch.ops.elementwise import sigmoid as expit
from nanotorch.ops.math import digamma, erf, erfc, erfinv, exp2, round
from nanotorch.ops.math import digamma as psi
from nanotorch.ops.math import lgamma as gammaln
from nanotorch.ops.misc import logit, sinc, xlogy
from nanotorch.ops.reduction import log_softmax, logsumexp, softmax
from nanotorch.ops.special_breadth import (
    entr,
    erfcx,
    i0e,
    i1,
    i1e,
    log_ndtr,
    ndtr,
    ndtri,
    spherical_bessel_j0,
    xlog1py,
)
from nanotorch.ops.special_breadth import i1 as modified_bessel_i1
from nanotorch.ops.special_functions import i0, polygamma
from nanotorch.ops.special_functions import i0 as modified_bessel_i0
from nanotorch.ops.special_functions import igamma as gammainc
from nanotorch.ops.special_functions import igammac as gammaincc
from nanotorch.ops.special_functions import mvlgamma as multigammaln

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
]
