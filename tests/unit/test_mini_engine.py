"""A micrograd-size engine on nanotorch's real ops: discovery/build-the-engine.md.

The code between the two ``# ----`` markers is the walkthrough's engine, at most 60 lines:
it reuses the real ``Function`` subclasses' ``forward`` and ``backward`` and replaces only
the recording (``Function.apply``) and the engine (``autograd/engine.py``), with every
feature taken out. The tests check that it gives the real engine's gradients on a small MLP
on every device, and that the walkthrough shows this very code.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import numpy as np

import nanotorch as nt
from nanotorch.ops.elementwise import Add, Mul, Relu, Sub
from nanotorch.ops.matmul import MatMul
from nanotorch.ops.reduction import Sum, sum_to
from nanotorch.tensor import Tensor

# ---- the mini engine ------------------------------------------------------------------------


class Ctx:
    """What one op call keeps for its backward: PyTorch's ``ctx``, cut down."""

    def __init__(self, needs_input_grad, wrap, backend):
        self.needs_input_grad = needs_input_grad
        self.wrap = wrap  # raw array -> constant Tensor on the op's device
        self.backend = backend  # ops reach the device's fast paths through it (MatMul, Relu)
        self.saved = ()

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_tensors(self):
        return tuple(self.wrap(a) for a in self.saved)


class Var:
    """A value: a constant Tensor, the op call that made it, and its gradient."""

    def __init__(self, tensor, fn=None, ctx=None, parents=()):
        self.tensor, self.fn, self.ctx, self.parents = tensor, fn, ctx, parents
        self.grad = None


def call(fn, *inputs, **params):
    """Forward: run a real op's ``forward`` on raw arrays and remember the call."""
    t = next(x.tensor for x in inputs if isinstance(x, Var))
    xp = t._backend.xp
    ctx = Ctx(
        tuple(isinstance(x, Var) for x in inputs),
        lambda a: Tensor._make(xp.asarray(a), t._device, t._backend),
        t._backend,
    )
    arrays = [x.tensor._data if isinstance(x, Var) else x for x in inputs]
    out = fn.forward(ctx, xp, *arrays, **params)
    return Var(ctx.wrap(out), fn, ctx, inputs)


def backward(loss):
    """Reverse mode: sort, propagate (un-broadcasting), accumulate, free."""
    order, seen = [], set()

    def visit(v):  # micrograd's recursive sort; engine.py sorts iteratively
        if id(v) not in seen:
            seen.add(id(v))
            for p in v.parents:
                if isinstance(p, Var):
                    visit(p)
            order.append(v)

    visit(loss)
    loss.grad = nt.ones_like(loss.tensor)
    for v in reversed(order):
        if v.fn is None:
            continue  # a leaf: its .grad is the answer
        grads = v.fn.backward(v.ctx, v.grad)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for p, g in zip(v.parents, grads):
            if isinstance(p, Var) and g is not None:
                if g.shape != p.tensor.shape:  # broadcast in forward: each copy adds
                    g = sum_to(g, p.tensor.shape)
                p.grad = g if p.grad is None else p.grad + g
        v.ctx.saved = ()  # free what forward kept: this call will not be asked again


# ---- end of the mini engine -----------------------------------------------------------------


def _mlp_data(device):
    rng = np.random.default_rng(0)
    shapes = {"x": (8, 3), "w1": (3, 4), "b1": (4,), "w2": (4, 2), "b2": (2,), "y": (8, 2)}
    return {k: nt.tensor(rng.standard_normal(s), device=device) for k, s in shapes.items()}


def mini_mlp_loss(v):
    """sum((relu(x @ w1 + b1) @ w2 + b2 - y)^2), every op a real Function."""
    h = call(Relu, call(Add, call(MatMul, v["x"], v["w1"]), v["b1"]))
    d = call(Sub, call(Add, call(MatMul, h, v["w2"]), v["b2"]), v["y"])
    return call(Sum, call(Mul, d, d), dims=(0, 1), keepdim=False)


def test_mini_engine_matches_the_real_engine_on_an_mlp(device):
    data = _mlp_data(device)
    mini = {k: Var(t) for k, t in data.items()}
    loss = mini_mlp_loss(mini)
    backward(loss)

    real = {k: t.clone().requires_grad_(k != "y") for k, t in data.items()}
    h = (real["x"] @ real["w1"] + real["b1"]).relu()
    d = h @ real["w2"] + real["b2"] - real["y"]
    real_loss = (d * d).sum()
    real_loss.backward()

    np.testing.assert_allclose(loss.tensor.item(), real_loss.item(), rtol=1e-6)
    for k in ("x", "w1", "b1", "w2", "b2"):
        assert mini[k].grad.shape == real[k].shape, k  # b1, b2: un-broadcast to (4,), (2,)
        np.testing.assert_allclose(
            mini[k].grad.cpu().numpy(), real[k].grad.cpu().numpy(), rtol=1e-5, atol=1e-6
        )


def test_mini_engine_frees_what_forward_kept(device):
    loss = mini_mlp_loss({k: Var(t) for k, t in _mlp_data(device).items()})
    kept = []
    stack = [loss]
    while stack:
        v = stack.pop()
        if v.ctx is not None:
            kept.append(v.ctx)
            stack.extend(p for p in v.parents if isinstance(p, Var))
    assert any(ctx.saved for ctx in kept)  # MatMul, Relu and Mul saved arrays
    backward(loss)
    assert all(ctx.saved == () for ctx in kept)


def _source():
    return inspect.getsource(inspect.getmodule(test_mini_engine_matches_the_real_engine_on_an_mlp))


def test_mini_engine_is_at_most_sixty_lines():
    src = _source()
    engine = src[src.index("# ---- the mini engine") : src.index("# ---- end of the mini engine")]
    lines = [line for line in engine.splitlines() if line.strip()]
    assert len(lines) <= 60, f"the mini engine is {len(lines)} non-blank lines; keep it <= 60"


def test_mini_engine_walkthrough_shows_this_code():
    doc = Path(__file__).parents[2] / "discovery" / "build-the-engine.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    assert len(blocks) >= 4
    src = _source()
    for block in blocks:
        assert block.strip() in src, f"a code block of build-the-engine.md is not here:\n{block}"
