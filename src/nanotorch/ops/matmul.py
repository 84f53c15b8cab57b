"""Matrix products: ``matmul`` (1-D, 2-D and batched with broadcasting) and friends."""

from __future__ import annotations

from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.errors import ShapeError
from nanotorch.ops._util import broadcast_shapes
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("matmul", "mm", "bmm", "dot", "outer")
ALIASES = {"ger": "outer"}  # PyTorch's older name for outer


# Note [Fold batch dims into rows]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# ``a @ b`` with ``a`` of shape (*, n, k) and a matrix ``b`` (k, m) is one matrix product of
# the rows of ``a`` with ``b``. NumPy's matmul instead loops over the batch dims and, for a
# transposed ``b`` (as in ``x @ W.T``), may leave BLAS altogether: on the GPT scenario's
# (12, 64, 128) @ (128, 384) it took 0.30 s where the folded (768, 128) @ (128, 384) took
# 0.018 s. So a batched ``a`` times a matrix is reshaped to rows, multiplied once, and
# reshaped back; the values are the same products in the same order.


def _matmul_rows(backend: Any, a: Any, b: Any) -> Any:
    """``a @ b``, folding ``a``'s batch dims into rows when ``b`` is a matrix.

    Through ``backend.matmul``, which on the cpu writes the product into an array the
    backend keeps between steps (Note [Buffer pool] in backend/pool.py)."""
    if a.ndim > 2 and b.ndim == 2:
        xp = backend.xp
        rows = backend.matmul(xp.reshape(a, (-1, a.shape[-1])), b)
        return xp.reshape(rows, (*a.shape[:-1], b.shape[-1]))
    return backend.matmul(a, b)


class MatMul(Function):
    """out = a @ b (NumPy's matmul rules);  da = g @ b^T,  db = a^T @ g.

    1-D operands are promoted to matrices for the backward pass (a row for ``a``, a column
    for ``b``) and the promoted dim is dropped again; batch dims that were broadcast are summed
    back by the engine (Note [Central un-broadcasting]). Saves both inputs.
    """

    @staticmethod
    def forward(ctx, xp, a, b):
        ctx.save_for_backward(a, b)
        return _matmul_rows(ctx.backend, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a scalar
            return g * b if ctx.needs_input_grad[0] else None, (
                g * a if ctx.needs_input_grad[1] else None
            )
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2.unsqueeze(-2)
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g2, b2.mT)
            if a.ndim == 1:
                ga = ga.squeeze(-2)
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g2)
            if b.ndim == 1:
                gb = gb.squeeze(-1)
        return ga, gb


class Linear(Function):
    """out = x @ W^T + b, the affine map of ``nn.Linear`` (``nn.functional.linear`` checks the
    arguments and calls it);  with x of shape (*, in), W (out, in), b (out,) or None:

        dx = g @ W,   dW = g^T @ x (batch dims flattened),   db = g summed over batch dims.

    Saves x and W. One op instead of four (transpose, matmul, add, and the engine's sum that
    un-broadcasts b's gradient), and dW is computed as g^T @ x, which comes out row-major
    like W itself, so the optimizer's update reads both contiguously (computing x^T @ g and
    transposing it back gives a column-major dW). See discovery/performance.md.

    A plain backward (nothing recorded) runs ``raw_backward``: the same three formulas on
    arrays, no dispatch at all. ``backward`` serves ``create_graph=True``, where the
    gradients are composites of differentiable ops.
    """

    @staticmethod
    def forward(ctx, xp, x, w, b):
        ctx.save_for_backward(x, w)
        out = _matmul_rows(ctx.backend, x, w.T)
        if b is not None:
            out += b  # in place: ``out`` is a fresh array that nothing else has seen yet
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return _linear_grads(ctx, g, x, w)

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        # ``backward``'s formulas on arrays: as Tensor ops a plain backward of each Linear
        # was three dispatches (dx's matmul, dW, db's sum), each around one array call.
        x, w = ctx.saved_arrays
        return _linear_raw_grads(ctx, xp, g, x, w)


def _linear_grads(ctx: Any, g: Tensor, x: Tensor, w: Tensor) -> tuple[Any, Any, Any]:
    """Linear's (dx, dW, db) from the gradient g of its output, as Tensor ops."""
    need_x, need_w, need_b = ctx.needs_input_grad
    grad_x = matmul(g, w) if need_x else None
    grad_w = grad_b = None
    if need_w or need_b:
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        if need_w:
            x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
            grad_w = matmul(g2.mT, x2)
        if need_b:
            grad_b = g2.sum(0)
    return grad_x, grad_w, grad_b


def _linear_raw_grads(ctx: Any, xp: Any, g: Any, x: Any, w: Any) -> tuple[Any, Any, Any]:
    """``_linear_grads`` on raw arrays (Note [Raw backward])."""
    need_x, need_w, need_b = ctx.needs_input_grad
    backend = ctx.backend
    grad_x = _matmul_rows(backend, g, w) if need_x else None
    grad_w = grad_b = None
    if need_w or need_b:
        g2 = g if g.ndim == 2 else xp.reshape(g, (-1, g.shape[-1]))
        if need_w:
            x2 = x if x.ndim == 2 else xp.reshape(x, (-1, x.shape[-1]))
            grad_w = backend.matmul(g2.T, x2)  # row-major, like W; g2.T is a view
        if need_b:
            grad_b = xp.sum(g2, axis=0)
    return grad_x, grad_w, grad_b


class LinearRelu(Function):
    """out = max(x @ W^T + b, 0): an ``nn.Linear`` and the ``nn.ReLU`` after it in a
    ``Sequential``, as one op (Note [Linear and ReLU fused] in nn/container.py). With
    m = [out > 0] and gz = g m, the gradients are Linear's with gz for g:

        dx = gz W,   dW = gz^T x,   db = gz summed over the batch dims.

    The ReLU runs in place on the product (a fresh array nothing else has seen). Saves x, W
    and the output (its sign is the pre-activation's, as for ReLU)."""

    @staticmethod
    def forward(ctx, xp, x, w, b):
        out = _matmul_rows(ctx.backend, x, w.T)
        if b is not None:
            out += b
        out = ctx.backend.relu_inplace(out)
        ctx.save_for_backward(x, w, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from nanotorch.ops.elementwise import ReluGrad

        x, w, out = ctx.saved_tensors
        return _linear_grads(ctx, ReluGrad.apply(g, out), x, w)

    @staticmethod
    def raw_backward(ctx, xp, g):  # Note [Raw backward] in autograd/function.py
        x, w, out = ctx.saved_arrays
        return _linear_raw_grads(ctx, xp, ctx.backend.relu_grad(g, out), x, w)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Matrix product with NumPy/PyTorch semantics.

    >>> import nanotorch
    >>> nanotorch.matmul(nanotorch.ones(2, 3), nanotorch.ones(3)).tolist()
    [3.0, 3.0]
    """
    a, b = input, other
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul: both operands must be Tensors")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both operands need at least 1 dim, got shapes {a.shape} and {b.shape}; "
            "use * for scalars"
        )
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({k_a} != {k_b})"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shapes("matmul (batch dims)", a.shape[:-2], b.shape[:-2])
    return MatMul.apply(a, b)


def mm(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expects 2-D tensors, got shapes {input.shape} and {b.shape}")
    return matmul(input, b)


def bmm(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 3 or b.ndim != 3 or input.shape[0] != b.shape[0]:
        raise ShapeError(f"bmm: expects (B, n, k) and (B, k, m), got {input.shape} and {b.shape}")
    return matmul(input, b)


def dot(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expects 1-D tensors, got shapes {input.shape} and {b.shape}")
    return matmul(input, b)


def outer(input: Tensor, b: Tensor) -> Tensor:  # noqa: A002
    return input.reshape(-1, 1) * b.reshape(1, -1)
