"""NumPy's floating-point reports, switched off while nanotorch's own code runs.

Note [Quiet floating point]
~~~~~~~~~~~~~~~~~~~~~~~~~~~
PyTorch computes ``log(0) = -inf``, ``0 / 0 = nan`` and ``exp(1000) = inf`` silently, as IEEE
arithmetic gives them. NumPy computes the same values but reports each case ("divide by zero
encountered in log") as a RuntimeWarning, or raises, as its error state says. Inside
nanotorch those reports name nanotorch's lines, not the user's; a program that turns
warnings into errors (many test suites do) would fail inside an op where PyTorch goes on;
and a masked softmax (``-inf`` scores) warns on every step. Ops therefore run with the
reports off, and the caller's NumPy code keeps its own settings.

NumPy keeps its error state in a context variable (NumPy 2), so switching it off is one
``ContextVar.set`` and one ``reset`` around the op's array work: about 0.2 us, against about
2.5 us for entering ``np.errstate`` (which builds a new state each time). ``Function.apply``
does it around ``forward``, the engine once around a whole backward pass. Where that
variable does not exist (NumPy 1.x), ``enter``/``leave`` fall back to ``np.seterr``, slower
but the same behaviour. CuPy never reports, so its backend needs nothing.

One exception, for speed: add, subtract and multiply with a Python number (``x * 0.5``,
``x + 1``; ``Function.quiet = TENSORS_ONLY``) skip the switch. They are the commonest ops on
small tensors, where the switch would add about 5% to a step of many tiny ops (W3 in
benchmarks/README.md), and a number operand can only make NumPy report an overflow or
``inf * 0``. With two tensors (``inf - inf``, ``mask * scores``) they are quiet as every
other op. Measured on W3's step (100 such ops and their backward, process time, one
thread, fresh processes taking turns): about 820 us before the switch existed, about 860 us
with every op switched, about 840 us with this exception (the remaining cost is the check
itself and the one switch around the backward pass).

Anomaly detection (``nanotorch.autograd.set_detect_anomaly``) is the tool for finding where a
nan first appears, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # NumPy 2: the error state lives in this context variable
    from numpy._core.umath import _extobj_contextvar as _state
except ImportError:  # pragma: no cover - NumPy 1.x
    _state = None

# ``enter(QUIET)`` switches the reports off and returns a token; ``leave(token)`` puts back
# what was there. With NumPy 2 both are the context variable's own (C) methods, called
# directly by ``Function.apply``: a Python wrapper around them would cost as much again.
if _state is not None:
    with np.errstate(all="ignore"):
        QUIET: Any = _state.get()
    enter = _state.set
    leave = _state.reset
else:  # pragma: no cover - NumPy 1.x
    QUIET = "ignore"

    def enter(value: Any) -> Any:
        return np.seterr(all=value)

    def leave(token: Any) -> None:
        np.seterr(**token)
