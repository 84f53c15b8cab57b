"""Recompute the Chebyshev coefficients of erfc in ``nanotorch/ops/_special.py``.

Usage: ``uv run python scripts/fit_erfc.py``; prints the ``_CHEB`` tuple.

erfc(x) = t exp(-x^2 + P(t)) with t = 2 / (2 + x) defines P; it is interpolated at the
Chebyshev points of t in [2/28, 1] (x in [0, 26]) from Python's ``math.erfc``
(Note [erf without the standard] in that module).
"""

import math

import numpy as np
from numpy.polynomial import chebyshev

T_MIN = 2.0 / (2.0 + 26.0)
DEGREE = 24


def p_of_u(u: np.ndarray) -> np.ndarray:
    t = T_MIN + (np.atleast_1d(u) + 1.0) / 2.0 * (1.0 - T_MIN)
    x = 2.0 / t - 2.0
    return np.array([math.log(math.erfc(xi) / ti) + xi * xi for xi, ti in zip(x, t)])


if __name__ == "__main__":
    coefficients = chebyshev.chebinterpolate(p_of_u, DEGREE)
    print("_CHEB = (")
    for c in coefficients:
        print(f"    {float(c)!r},")
    print(")")
