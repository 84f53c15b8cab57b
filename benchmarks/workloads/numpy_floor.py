"""The floor: each workload's training step written by hand in NumPy, with manual backprop.

This is what a careful person writes without a framework: plain array calls, the ReLU and
the SGD update in place, no graph, no dispatch, no per-op Python objects. On ``cuda`` the
same code runs with CuPy as ``xp`` (every call used here exists in both libraries).
nanotorch's overhead is measured against this; it imports only NumPy (and CuPy on cuda).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads import ADD_BY, LR, MUL_BY, SPECS, mlp_depth


def namespace(device: str) -> Any:
    if device.startswith("cuda"):
        import cupy

        return cupy
    return np


class _Runner:
    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def sync(self) -> None:
        if self.xp is not np:
            self.xp.cuda.get_current_stream().synchronize()

    def check_values(self, loss: Any) -> list[float]:
        return [float(loss)]


def _cross_entropy(xp: Any, z: Any, y: Any) -> tuple[Any, Any]:
    """Mean softmax cross-entropy of logits ``z`` (N, K) with labels ``y``, and dL/dz."""
    n = z.shape[0]
    rows = xp.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = xp.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = (xp.log(s[:, 0]) - shifted[rows, y]).mean()
    grad = e / s  # softmax
    grad[rows, y] -= 1.0
    grad /= n
    return loss, grad


class MLP(_Runner):
    """Linear layers with ReLU between them; weights (out, in) as in PyTorch."""

    def __init__(self, xp: Any, data: dict[str, np.ndarray]) -> None:
        super().__init__(xp)
        self.x = xp.asarray(data["x"])
        self.y = xp.asarray(data["y"])
        depth = mlp_depth(data)
        # Copies: the update below is in place and must not write into the caller's arrays.
        self.ws = [xp.array(data[f"w{i}"]) for i in range(depth)]
        self.bs = [xp.array(data[f"b{i}"]) for i in range(depth)]

    def step(self) -> Any:
        xp = self.xp
        acts = [self.x]  # each layer's input: kept for the weight gradients
        h = self.x
        last = len(self.ws) - 1
        for i, (w, b) in enumerate(zip(self.ws, self.bs)):
            h = h @ w.T + b
            if i < last:
                xp.maximum(h, 0, out=h)
                acts.append(h)
        loss, g = _cross_entropy(xp, h, self.y)
        for i in range(last, -1, -1):
            w, b, a = self.ws[i], self.bs[i], acts[i]
            grad_w = g.T @ a
            grad_b = g.sum(axis=0)
            if i > 0:
                g = g @ w
                g *= a > 0  # ReLU: a is the ReLU's output, positive exactly where it passed
            w -= LR * grad_w
            b -= LR * grad_b
        return loss


class Chain(_Runner):
    """x -> x * c -> x + c -> ... (``ops`` ops) -> sum; forward and backward, no update."""

    def __init__(self, xp: Any, data: dict[str, np.ndarray], ops: int) -> None:
        super().__init__(xp)
        self.x = xp.asarray(data["x"])
        self.ops = ops
        self.grad_x: Any = None

    def step(self) -> Any:
        xp = self.xp
        y = self.x
        for i in range(self.ops):
            y = y * MUL_BY if i % 2 == 0 else y + ADD_BY
        out = y.sum()
        g = xp.ones_like(y)  # d out / d y
        for i in range(self.ops - 1, -1, -1):
            if i % 2 == 0:
                g = g * MUL_BY  # the add steps pass the gradient through unchanged
        self.grad_x = g
        return out

    def check_values(self, loss: Any) -> list[float]:
        return [float(loss), float(self.grad_x.sum())]


def _conv3x3(xp: Any, x: Any, w: Any, b: Any) -> tuple[Any, Any]:
    """3x3 convolution, stride 1, padding 1, by im2col and one batched matmul.

    Returns the output (N, O, H, W) and the column matrix (N, C*9, H*W) backward needs.
    """
    n, c, h, wd = x.shape
    o = w.shape[0]
    padded = xp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    # cols[n, c, k, i, j] = padded[n, c, i + k // 3, j + k % 3]
    cols = xp.stack(
        [padded[:, :, di : di + h, dj : dj + wd] for di in range(3) for dj in range(3)], axis=2
    ).reshape(n, c * 9, h * wd)
    out = (w.reshape(o, c * 9) @ cols).reshape(n, o, h, wd) + b[:, None, None]
    return out, cols


def _conv3x3_backward(
    xp: Any, g: Any, cols: Any, w: Any, need_input: bool
) -> tuple[Any, Any, Any | None]:
    n, o, h, wd = g.shape
    c = w.shape[1]
    g2 = g.reshape(n, o, h * wd)
    grad_w = xp.tensordot(g2, cols, axes=([0, 2], [0, 2])).reshape(w.shape)
    grad_b = g2.sum(axis=(0, 2))
    grad_x = None
    if need_input:
        # col2im: add each of the 9 shifted column blocks back into a padded image.
        gcols = (w.reshape(o, c * 9).T @ g2).reshape(n, c, 9, h, wd)
        padded = xp.zeros((n, c, h + 2, wd + 2), dtype=g.dtype)
        for k in range(9):
            di, dj = divmod(k, 3)
            padded[:, :, di : di + h, dj : dj + wd] += gcols[:, :, k]
        grad_x = padded[:, :, 1:-1, 1:-1]
    return grad_w, grad_b, grad_x


def _max_pool2(xp: Any, x: Any) -> tuple[Any, list[Any]]:
    """2x2 max pooling, stride 2, as the maximum of the four strided corner views (much
    faster in NumPy than a reduction over two non-adjacent axes of a 6-d view).

    Returns the output and, for backward, where each corner held the maximum.
    """
    corners = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    out = xp.maximum(xp.maximum(corners[0], corners[1]), xp.maximum(corners[2], corners[3]))
    # Ties inside a window only happen between zeros produced by the ReLU in front of the
    # pool; whichever of them gets the gradient, the ReLU's backward zeroes it, so plain
    # equality masks give exactly the gradient of "first maximum wins".
    return out, [c == out for c in corners]


def _max_pool2_backward(xp: Any, g: Any, masks: list[Any]) -> Any:
    n, c, h2, w2 = g.shape
    grad_x = xp.empty((n, c, h2 * 2, w2 * 2), dtype=g.dtype)
    for k, mask in enumerate(masks):
        i, j = divmod(k, 2)
        grad_x[:, :, i::2, j::2] = g * mask
    return grad_x


class CNN(_Runner):
    """conv-relu-pool, conv-relu-pool, flatten, linear, cross-entropy."""

    def __init__(self, xp: Any, data: dict[str, np.ndarray]) -> None:
        super().__init__(xp)
        self.x = xp.asarray(data["x"])
        self.y = xp.asarray(data["y"])
        self.params = {k: xp.array(v) for k, v in data.items() if k not in ("x", "y")}

    def step(self) -> Any:
        xp, p = self.xp, self.params
        z1, cols1 = _conv3x3(xp, self.x, p["conv1_w"], p["conv1_b"])
        xp.maximum(z1, 0, out=z1)
        h1, mask1 = _max_pool2(xp, z1)
        z2, cols2 = _conv3x3(xp, h1, p["conv2_w"], p["conv2_b"])
        xp.maximum(z2, 0, out=z2)
        h2, mask2 = _max_pool2(xp, z2)
        flat = h2.reshape(h2.shape[0], -1)
        logits = flat @ p["fc_w"].T + p["fc_b"]
        loss, g = _cross_entropy(xp, logits, self.y)

        grads = {"fc_w": g.T @ flat, "fc_b": g.sum(axis=0)}
        g = (g @ p["fc_w"]).reshape(h2.shape)
        g = _max_pool2_backward(xp, g, mask2)
        g *= z2 > 0
        grads["conv2_w"], grads["conv2_b"], g = _conv3x3_backward(xp, g, cols2, p["conv2_w"], True)
        g = _max_pool2_backward(xp, g, mask1)
        g *= z1 > 0
        grads["conv1_w"], grads["conv1_b"], _ = _conv3x3_backward(xp, g, cols1, p["conv1_w"], False)
        for k, grad in grads.items():
            p[k] -= LR * grad
        return loss


def build(name: str, size: str, data: dict[str, np.ndarray], device: str) -> _Runner:
    xp = namespace(device)
    spec = SPECS[name]
    if spec.kind == "mlp":
        return MLP(xp, data)
    if spec.kind == "chain":
        return Chain(xp, data, spec.sizes[size]["ops"])
    return CNN(xp, data)
