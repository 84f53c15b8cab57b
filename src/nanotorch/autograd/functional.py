"""``nanotorch.autograd.functional``: derivatives of a whole function, with PyTorch's
signatures: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp``.

Everything here is built on ``autograd.grad`` (engine.py), the one reverse-mode primitive:

- ``vjp(f, x, v)`` is ``grad(f(x), x, grad_outputs=v)``.
- ``jacobian`` asks for one vjp per output element (row by row). ``vectorize=True`` is
  accepted and gives the same rows: nanotorch has no vmap to batch them, so it loops either
  way. ``strategy="forward-mode"`` is accepted too and computes the same matrix in reverse.
- ``hessian`` is the jacobian of the jacobian, the inner one built with ``create_graph=True``.
- ``vhp(f, x, v)`` is the vjp of the gradient.

Note [Forward mode by double backward]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
nanotorch has no forward mode, yet ``jvp`` (J v) needs one. The vjp g(u) = J^T u is linear
in u, so its own vjp with respect to u is (J^T)^T v = J v. ``jvp`` therefore takes a dummy
u = 0 that requires grad, builds g(u) = grad(f(x), x, grad_outputs=u, create_graph=True)
(whose graph records how g depends on u), and returns grad(g, u, grad_outputs=v). ``hvp``
uses the same trick on the gradient: H v as the vjp of (H^T u). It costs two backward
passes instead of one forward pass, but needs nothing from the engine beyond ``grad``.

Inputs are cut from their graph (``detach().requires_grad_()``) unless ``create_graph=True``
and they already require grad, in which case a view keeps the link so the results can be
differentiated again. Results are detached unless ``create_graph=True``. An input the
output does not depend on gets a zero gradient, or a RuntimeError with ``strict=True``.

Like the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nanotorch.autograd.engine import grad as _autograd_grad
from nanotorch.autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from nanotorch.tensor import Tensor

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_STRICT = "This is not allowed in strict mode."
_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}.",
    "back_trick": (
        "The gradient with respect to the input is independent of entry {i} in the "
        "grad_outputs when using the double backward trick to compute forward mode gradients."
    ),
    "double_back": "The jacobian of the user-provided function is independent of input {i}.",
    "double_back_trick": (
        "The hessian of the user-provided function is independent of entry {i} in the "
        "grad_jacobian."
    ),
}


def _as_tuple(obj: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``obj`` was a tuple, its Tensors as a tuple); a TypeError for anything else."""
    is_tuple = isinstance(obj, tuple)
    items = obj if is_tuple else (obj,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but "
                f"the value at index {i} has type {type(t).__name__}."
            )
    return is_tuple, items


def _prepare(ts: Sequence[Tensor], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    """Fresh leaves, or views that keep the graph when the results must stay differentiable."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in ts
    )


def _finish(ts: Sequence[Tensor], create_graph: bool, is_tuple: bool) -> Any:
    out = tuple(ts) if create_graph else tuple(t.detach() for t in ts)
    return out if is_tuple else out[0]


def _check_v(fn: str, vs: Sequence[Tensor], refs: Sequence[Tensor], of: str) -> None:
    if len(vs) != len(refs):
        raise RuntimeError(
            f"{fn}: v has {len(vs)} tensors but the {of} has {len(refs)}; pass one per entry"
        )
    for i, (v, r) in enumerate(zip(vs, refs, strict=True)):
        if tuple(v.shape) != tuple(r.shape):
            raise RuntimeError(
                f"{fn}: v[{i}] has shape {tuple(v.shape)} but {of} {i} has shape "
                f"{tuple(r.shape)}; v must have the shapes of the {of}"
            )


def _grad(
    outputs: Sequence[Tensor | None],
    inputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None] | None,
    create_graph: bool,
) -> tuple[Tensor | None, ...]:
    """``autograd.grad`` over the outputs that are in the graph; None for unreached inputs."""
    gouts = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    pairs = zip(outputs, gouts, strict=True)
    kept = [(o, g) for o, g in pairs if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return _autograd_grad(
        [o for o, _ in kept],
        list(inputs),
        [g for _, g in kept],
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )


def _fill(
    grads: Sequence[Tensor | None], refs: Sequence[Tensor], strict: bool, stage: str
) -> tuple[Tensor, ...]:
    from nanotorch.creation import zeros_like  # creation sits above autograd

    out = []
    for i, (g, r) in enumerate(zip(grads, refs, strict=True)):
        if g is None:
            if strict:
                raise RuntimeError(f"{_INDEPENDENT[stage].format(i=i)} {_STRICT}")
            g = zeros_like(r)
        out.append(g)
    return tuple(out)


def _default_v(fn: str, refs: Sequence[Tensor], of: str) -> tuple[Tensor, ...]:
    from nanotorch.creation import ones_like

    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(
            f"The vector v can only be None if the {of} of the user-provided function given to "
            f"{fn} is a single Tensor with a single element; pass v"
        )
    return (ones_like(refs[0]),)


def _vectors(
    fn: str, v: Any, refs: Sequence[Tensor], of: str, create_graph: bool
) -> tuple[Tensor, ...]:
    """The user's ``v`` checked against ``refs`` (the outputs or the inputs), or the default
    1 for a single one-element ``refs``."""
    if v is None:
        return _default_v(fn, refs, of)
    vs = _prepare(_as_tuple(v, "v", fn)[1], create_graph, need_graph=False)
    _check_v(fn, vs, refs, of)
    return vs


def _double_back(
    ys: Sequence[Tensor | None],
    like: Sequence[Tensor],
    xs: Sequence[Tensor],
    vs: Sequence[Tensor],
    create_graph: bool,
) -> tuple[Tensor | None, ...]:
    """(dy/dx) v by Note [Forward mode by double backward]: the vjp of ``ys`` (shaped as
    ``like``; an entry may be None, outside the graph) with respect to ``xs`` for dummy
    cotangents u is linear in u, and its vjp with respect to u is J v."""
    from nanotorch.creation import zeros_like

    dummies = tuple(zeros_like(y).requires_grad_(True) for y in like)
    back = _grad(ys, xs, dummies, create_graph=True)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        return _grad(back, dummies, vs, create_graph)


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``.

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0])
    >>> out, g = nanotorch.autograd.functional.vjp(lambda t: t * t, x, nanotorch.ones(2))
    >>> g.tolist()
    [2.0, 4.0]
    """
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _prepare(ins, create_graph, need_graph=True)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        vs = _vectors("vjp", v, outs, "output", create_graph)
        with set_grad_enabled(create_graph or is_grad_enabled()):
            grads = _fill(_grad(outs, ins, vs, create_graph), ins, strict, "back")
    return _finish(outs, create_graph, out_tuple), _finish(grads, create_graph, in_tuple)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product, by Note [Forward mode by double
    backward].

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0])
    >>> out, jv = nanotorch.autograd.functional.jvp(lambda t: t * t, x, nanotorch.ones(2))
    >>> jv.tolist()
    [2.0, 4.0]
    """
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _prepare(ins, create_graph, need_graph=True)
        vs = _vectors("jvp", v, ins, "input", create_graph)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
        jv = _fill(_double_back(outs, outs, ins, vs, create_graph), outs, strict, "back_trick")
    return _finish(outs, create_graph, out_tuple), _finish(jv, create_graph, out_tuple)


_STRATEGIES = ("forward-mode", "reverse-mode")


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for one input and one output a Tensor of shape
    ``output.shape + input.shape``; a tuple over inputs, over outputs, or a tuple (outputs)
    of tuples (inputs) when those are tuples, as PyTorch nests it.

    >>> import nanotorch
    >>> j = nanotorch.autograd.functional.jacobian(lambda t: t * t, nanotorch.tensor([1.0, 3.0]))
    >>> j.tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """
    from nanotorch.creation import zeros, zeros_like
    from nanotorch.ops.shape import stack

    if strategy not in _STRATEGIES:
        raise ValueError(
            f'jacobian: expected strategy to be either "forward-mode" or "reverse-mode", got '
            f"{strategy!r}"
        )
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            'jacobian: strategy="forward-mode" requires vectorize=True, as in PyTorch'
        )
    if strict and vectorize:
        raise RuntimeError(
            "jacobian: strict=True and vectorize=True are not supported together; set "
            "strict=False or vectorize=False"
        )
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _prepare(ins, create_graph, need_graph=True)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jacobian")
        per_output = []
        for i, out in enumerate(outs):
            rows: list[list[Tensor]] = [[] for _ in ins]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _grad((flat[k],), ins, None, create_graph)
                for j, (g, inp) in enumerate(zip(grads, ins, strict=True)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. {_STRICT}"
                            )
                        g = zeros_like(inp)
                    rows[j].append(g)
            per_output.append(
                tuple(
                    stack(r, 0).reshape(tuple(out.shape) + tuple(inp.shape))
                    if r
                    else zeros(
                        tuple(out.shape) + tuple(inp.shape), dtype=inp.dtype, device=inp.device
                    )
                    for r, inp in zip(rows, ins, strict=True)
                )
            )
    if not create_graph:
        per_output = [tuple(t.detach() for t in row) for row in per_output]
    if out_tuple:
        return tuple(row if in_tuple else row[0] for row in per_output)
    return per_output[0] if in_tuple else per_output[0][0]


def _single_scalar(fn: str, out: Any) -> Tensor:
    if not isinstance(out, Tensor):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if out.numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single "
            f"element, got shape {tuple(out.shape)}"
        )
    return out


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar ``func``: a Tensor of shape ``input.shape * 2`` for one input,
    a tuple of tuples (``[i][j]``: inputs i and j) for several.

    >>> import nanotorch
    >>> x = nanotorch.tensor([1.0, 2.0])
    >>> h = nanotorch.autograd.functional.hessian(lambda t: (t**3).sum(), x)
    >>> h.tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs: Tensor) -> Tensor:
        return _single_scalar("hessian", func(*xs)).reshape(())

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        return jacobian(scalar, xs, create_graph=True)

    res = jacobian(
        gradient,
        ins,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return res if in_tuple else res[0][0]


def _second_order(
    fn: str, func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool
) -> tuple[Any, Any]:
    """vhp (v^T H) and hvp (H v, Note [Forward mode by double backward])."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", fn)
        ins = _prepare(ins, create_graph, need_graph=True)
        vs = _vectors(fn, v, ins, "input", create_graph)
        out = _single_scalar(fn, func(*ins))
        first = _grad((out,), ins, None, create_graph=True)
        if fn == "vhp":
            with set_grad_enabled(create_graph or is_grad_enabled()):
                res = _fill(_grad(first, ins, vs, create_graph), ins, strict, "double_back")
        else:
            res = _double_back(first, ins, ins, vs, create_graph)
            res = _fill(res, ins, strict, "double_back_trick")
    return _finish((out,), create_graph, False), _finish(res, create_graph, in_tuple)


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar ``func``."""
    return _second_order("vhp", func, inputs, v, create_graph, strict)


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar ``func``."""
    return _second_order("hvp", func, inputs, v, create_graph, strict)
