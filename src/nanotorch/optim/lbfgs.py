"""``LBFGS``: limited-memory BFGS (Nocedal, 1980; Liu & Nocedal, 1989), optionally with a
line search satisfying the strong Wolfe conditions.

Unlike the other rules, L-BFGS is not a per-parameter update: it treats all parameters as
one flat vector, re-evaluates the objective several times per ``step`` through a closure,
and decides on the host when to stop. So it overrides ``step`` and keeps one state entry
(under the first parameter, as PyTorch does, so ``state_dict`` has the same layout).

Note [L-BFGS scalars on the host]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Every iteration branches on numbers: the curvature ``y.s`` (is it positive enough to keep
the pair?), the directional derivative ``g.d`` (is it still a descent direction?), the line
search's comparisons, the tolerances. Each of these is read back to the host once, as a
Python float, and the scalars derived from it (``ro``, ``H_diag``, ``al``, the step ``t``,
the losses) stay Python floats. The vectors (direction, history, gradients) stay on the
parameters' device. PyTorch keeps these scalars in 0-d tensors of the parameters' dtype and
reads them back in the same places; float64 runs agree to rounding, float32 runs to float32
accuracy (the host computes the scalars in double precision). A 0-d tensor in a loaded
state dict becomes its value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from nanotorch.autograd.grad_mode import enable_grad, no_grad
from nanotorch.creation import zeros_like
from nanotorch.errors import DeviceMismatchError, InvalidArgumentError
from nanotorch.ops import cat
from nanotorch.optim.optimizer import Optimizer, ParamGroup, State
from nanotorch.tensor import Tensor

# Keys of the state, as PyTorch names them: vectors, lists of vectors, and host scalars.
_VECTORS = ("d", "prev_flat_grad")
_VECTOR_LISTS = ("old_dirs", "old_stps")
_SCALARS = ("t", "H_diag", "prev_loss")
_SCALAR_LISTS = ("ro", "al")
_COUNTERS = ("func_evals", "n_iter")


def _cubic_minimum(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clamped into ``bounds`` (default: between x1 and x2); the middle of the bounds when the
    cubic has no minimum (its discriminant is negative)."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    # With d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2) and d2 = sqrt(d1^2 - g1 g2), the minimum
    # lies at x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2), measured from the right end.
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


Evaluate = Callable[[float], tuple[float, Tensor]]


def _strong_wolfe(
    evaluate: Evaluate,
    t: float,
    d: Tensor,
    f: float,
    g: Tensor,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Tensor, float, int]:
    """A step length ``t`` along ``d`` with sufficient decrease (f(t) <= f + c1 t g.d) and
    small slope (|g(t).d| <= -c2 g.d). First bracket such a step (grow t by cubic
    extrapolation until the function rises or the slope turns), then zoom into the bracket
    by cubic interpolation. ``evaluate(t)`` gives the loss and flat gradient at x + t d.
    Returns (loss, gradient, t, evaluations)."""
    d_norm = float(d.abs().max())
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    # Bracketing: points (step, loss, gradient, slope) at both ends of the interval.
    ends: list[list[Any]] | None = None
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            ends = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:  # t itself satisfies both conditions
            ends = [[t, f_new, g_new, gtd_new]]
            done = True
            break
        if gtd_new >= 0:  # the slope turned: a minimum lies between t_prev and t
            ends = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        grow = _cubic_minimum(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = grow
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        it += 1
    if it == max_ls or ends is None:  # out of evaluations: bracket [0, t] (no slopes needed)
        ends = [[0.0, f, g, None], [t, f_new, g_new, None]]

    # Zoom: shrink the bracket around the best point until it satisfies the conditions.
    insufficient = False
    low, high = (0, 1) if ends[0][1] <= ends[-1][1] else (1, 0)
    while not done and it < max_ls:
        a, b = ends[0][0], ends[1][0]
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a, ends[0][1], ends[0][3], b, ends[1][1], ends[1][3])
        # A trial too close to an end makes little progress; after two such trials in a
        # row (or one on or past an end), move it a tenth of the bracket inside.
        lo, hi = min(a, b), max(a, b)
        margin = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < margin:
            if insufficient or t >= hi or t <= lo:
                t = hi - margin if abs(t - hi) < abs(t - lo) else lo + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= ends[low][1]:
            ends[high] = [t, f_new, g_new, gtd_new]
            low, high = (0, 1) if ends[0][1] <= ends[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (ends[high][0] - ends[low][0]) >= 0:
                ends[high] = list(ends[low])
            ends[low] = [t, f_new, g_new, gtd_new]
    t, f_new, g_new, _ = ends[low]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    r"""L-BFGS: a quasi-Newton method that builds an approximate inverse Hessian from the
    last ``history_size`` steps and gradient changes.

    .. code-block:: text

        input: lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
               line_search_fn
        step(closure):
            f, g <- closure()                         (all parameters as one vector x)
            stop if max |g| <= tolerance_grad
            repeat up to max_iter times:
                first iteration ever: d <- -g,  H <- 1
                else: y <- g - g_prev,  s <- t d
                      if y.s > 1e-10: remember (y, s, 1 / y.s) (dropping the oldest beyond
                      history_size), H <- y.s / y.y
                      d <- -(two-loop recursion over the history, scaled by H) g
                t <- min(1, 1 / sum|g|) lr on the first iteration ever, lr afterwards
                stop if g.d > -tolerance_change          (not a descent direction)
                strong_wolfe: t <- line search along d;  x <- x + t d
                else:         x <- x + t d;  f, g <- closure() unless it is the last iteration
                stop if evaluations >= max_eval, max |g| <= tolerance_grad,
                     max |t d| <= tolerance_change or |f - f_prev| < tolerance_change
            return the first loss

    ``closure`` must clear the gradients, compute the loss, call ``backward`` and return the
    loss; it runs with grad enabled. Only one parameter group; all parameters on one device
    and of one dtype. A parameter without a gradient counts as a zero gradient.

    State (one entry, under parameter 0, as in PyTorch): ``func_evals`` and ``n_iter``
    (ints, over all steps), the direction ``d``, step ``t``, history ``old_dirs`` (the y's),
    ``old_stps`` (the s's), ``ro``, ``al``, ``H_diag``, ``prev_flat_grad`` and ``prev_loss``.
    Scalars are Python floats (Note [L-BFGS scalars on the host]).

    >>> import nanotorch
    >>> from nanotorch.optim import LBFGS
    >>> w = nanotorch.tensor([3.0, -1.0], requires_grad=True)
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - 1.0) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> [round(v, 4) for v in w.tolist()]
    [1.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None and isinstance(max_iter, int):
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                f"LBFGS: got {len(self.param_groups)} parameter groups, but it supports one "
                "parameter group only (it treats all parameters as one vector); pass a plain "
                "list of parameters"
            )
        self._params: list[Tensor] = self.param_groups[0]["params"]
        first = self._params[0]
        for i, p in enumerate(self._params):
            if p.device != first.device:
                raise DeviceMismatchError(
                    f"LBFGS: parameter {i} is on {p.device} but parameter 0 is on "
                    f"{first.device}; all parameters must be on one device"
                )
            if p.dtype is not first.dtype:
                raise TypeError(
                    f"LBFGS: parameter {i} is {p.dtype.name} but parameter 0 is "
                    f"{first.dtype.name}; all parameters must have one dtype"
                )

    def add_param_group(self, param_group: ParamGroup) -> None:
        raise ValueError(
            "LBFGS: add_param_group is not supported, L-BFGS has one parameter group; build a "
            "new LBFGS over all the parameters instead"
        )

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        self._check_lr(group, index)
        for name in ("max_iter", "max_eval", "history_size"):
            value = group[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(
                    f"LBFGS: {name} must be an int, got {type(value).__name__} {value!r}; "
                    f"pass e.g. {name}=20"
                )
            if value < 1:
                self._fail(f"invalid {name}={value}", f"{name} must be >= 1", index)
        self._check_non_negative(group, "tolerance_grad", index)
        self._check_non_negative(group, "tolerance_change", index)
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise InvalidArgumentError(
                f"LBFGS: line_search_fn={group['line_search_fn']!r} is not supported; pass "
                "line_search_fn='strong_wolfe' or None (a fixed step of lr)"
            )

    # ------------------------------------------------------------------ the flat vector
    def _flat_grad(self) -> Tensor:
        return cat(
            [(zeros_like(p) if p.grad is None else p.grad).reshape(-1) for p in self._params]
        )

    def _move(self, t: float, d: Tensor) -> None:
        """x <- x + t d, slice by slice into the parameters."""
        start = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[start : start + n].reshape(p.shape), alpha=t)
            start += n

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with enable_grad():
            return float(closure())

    # ------------------------------------------------------------------ stepping
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the loss ``closure`` gave first."""
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step: a closure is required (it re-evaluates the model: zero_grad, "
                "loss, backward, return loss), got "
                f"{type(closure).__name__}"
            )
        with no_grad():
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if float(g.abs().max()) <= tol_grad:
            return first_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, g_prev = state.get("H_diag"), state.get("prev_flat_grad")
        loss_prev = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = g.neg()
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                assert d is not None and t is not None and g_prev is not None
                y = g - g_prev
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # keep only pairs with positive curvature
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                # Two-loop recursion: d = -H g with H the L-BFGS inverse Hessian.
                al = state.get("al")
                if al is None:
                    al = state["al"] = [None] * history_size
                q = g.neg()
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i].dot(q)) * ro[i]
                    q.add_(old_dirs[i], alpha=-al[i])
                d = q * h_diag
                for i in range(len(old_dirs)):
                    beta = float(old_dirs[i].dot(d)) * ro[i]
                    d.add_(old_stps[i], alpha=al[i] - beta)
            if g_prev is None:
                g_prev = g.clone()
            else:
                g_prev.copy_(g)
            loss_prev = loss

            # The first step ever is scaled down to at most lr / sum|g|: there is no
            # curvature information yet to size it.
            t = min(1.0, 1.0 / float(g.abs().sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(g.dot(d))
            if gtd > -tol_change:  # no longer a descent direction
                break

            ls_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x0 = [p.clone() for p in self._params]

                def evaluate(step: float, d: Tensor = d, x0: list[Tensor] = x0) -> Any:
                    self._move(step, d)
                    f = self._evaluate(closure)
                    flat = self._flat_grad()
                    for p, x in zip(self._params, x0, strict=True):
                        p.copy_(x)
                    return f, flat

                loss, g, t, ls_evals = _strong_wolfe(
                    evaluate, t, d, loss, g, gtd, max_ls=max_eval - evals
                )
                self._move(t, d)
                optimal = float(g.abs().max()) <= tol_grad
            else:
                self._move(t, d)
                optimal = False
                if n_iter != max_iter:
                    # Re-evaluate only when another iteration follows: the caller evaluates
                    # again at the next step anyway.
                    loss = self._evaluate(closure)
                    g = self._flat_grad()
                    optimal = float(g.abs().max()) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or optimal:
                break
            if float((d * t).abs().max()) <= tol_change:  # the step barely moves x
                break
            if abs(loss - loss_prev) < tol_change:  # the loss barely changes
                break

        state.update(
            d=d,
            t=t,
            old_dirs=old_dirs,
            old_stps=old_stps,
            ro=ro,
            H_diag=h_diag,
            prev_flat_grad=g_prev,
            prev_loss=loss_prev,
        )
        return first_loss

    # ------------------------------------------------------------------ loading
    def _load_param_state(self, index: int, p: Tensor, group: ParamGroup, saved: State) -> State:
        where = f"LBFGS: state of parameter {index}"
        known = set(_VECTORS + _VECTOR_LISTS + _SCALARS + _SCALAR_LISTS + _COUNTERS)
        extra = sorted(set(saved) - known)
        if extra:
            raise ValueError(
                f"{where} has keys {extra} that LBFGS does not keep (it keeps {sorted(known)}); "
                "load a state dict saved by LBFGS"
            )
        n = sum(q.numel() for q in self._params)

        def vector(key: str, value: Any) -> Tensor:
            if not isinstance(value, Tensor):
                raise TypeError(f"{where}: {key} must be a Tensor, got {type(value).__name__}")
            if tuple(value.shape) != (n,):
                raise ValueError(
                    f"{where}: {key} has shape {value.shape} but the parameters have {n} "
                    "elements in all; the state dict belongs to different parameters"
                )
            return value.to(p.device).to(p.dtype).clone()

        def scalar(key: str, value: Any) -> float | None:
            return None if value is None else self._load_host_float(f"{where}: {key}", value)

        loaded: State = {}
        for key, value in saved.items():
            if key in _COUNTERS:
                loaded[key] = self._load_counter(where, key, value)
            elif key in _VECTORS:
                loaded[key] = None if value is None else vector(key, value)
            elif key in _VECTOR_LISTS:
                loaded[key] = [vector(f"{key}[{i}]", v) for i, v in enumerate(value)]
            elif key in _SCALARS:
                loaded[key] = scalar(key, value)
            else:
                loaded[key] = [scalar(f"{key}[{i}]", v) for i, v in enumerate(value)]
        return loaded
