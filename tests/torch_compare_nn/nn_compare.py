"""Shared helpers of the PyTorch comparison tests: arrays in both libraries, state copied from a
torch module into a nanotorch one through NumPy, and one forward/backward compared side by side.

Tolerances are per dtype: float32 results may differ in the last bits (different summation
orders), float64 ones only by rounding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import nanotorch as nt

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-10)}
NT_DTYPE = {"float32": nt.float32, "float64": nt.float64}
TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}


def close(ours: Any, theirs: Any, dtype: str = "float64", what: str = "") -> None:
    """Assert a nanotorch tensor (or array) equals a torch tensor (or array) within TOL."""
    rtol, atol = TOL[dtype]
    a = ours.detach().numpy() if isinstance(ours, nt.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    if b.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def pair(arr: np.ndarray, dtype: str | None = None, grad: bool = False) -> tuple[Any, Any]:
    """The same values as a nanotorch and a torch tensor (float ones cast to ``dtype``)."""
    if dtype is not None and arr.dtype.kind == "f":
        arr = arr.astype(dtype)
    a = nt.tensor(arr.copy(), requires_grad=grad)
    b = torch.tensor(arr.copy(), requires_grad=grad)
    return a, b


def copy_state(t_mod: torch.nn.Module, n_mod: Any) -> None:
    """Load torch's state_dict into the nanotorch module (same keys, strict) via NumPy."""
    t_sd = t_mod.state_dict()
    n_sd = n_mod.state_dict()
    assert list(n_sd) == list(t_sd), f"state_dict keys {list(n_sd)} != torch's {list(t_sd)}"
    for k, v in t_sd.items():
        assert tuple(n_sd[k].shape) == tuple(v.shape), f"{k}: {n_sd[k].shape} != {v.shape}"
    n_mod.load_state_dict({k: nt.tensor(v.detach().numpy().copy()) for k, v in t_sd.items()})


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def compare_module(
    make: Callable[[Any], Any],
    inputs: Sequence[np.ndarray],
    dtype: str,
    train: bool,
    seed: int = 0,
    grad_inputs: bool = True,
    call: Callable[[Any, list[Any]], Any] | None = None,
    tol: str | None = None,
) -> None:
    """Build the module in both libraries (``make(torch.nn)`` / ``make(nanotorch.nn)``), copy
    torch's state over, run forward in train or eval mode and compare outputs, buffers after
    forward (running statistics), and the gradients of the inputs and parameters for a random
    upstream gradient. ``tol`` names the dtype whose tolerance applies, where PyTorch itself
    computes part of a float64 result in float32."""
    tol = tol or dtype
    torch.manual_seed(seed)
    t_mod = make(torch.nn).to(TORCH_DTYPE[dtype])
    n_mod = make(nt.nn).to(NT_DTYPE[dtype])
    copy_state(t_mod, n_mod)
    t_mod.train(train)
    n_mod.train(train)
    assert n_mod.training is train
    n_in, t_in = [], []
    for x in inputs:
        g = grad_inputs and x.dtype.kind == "f"
        a, b = pair(x, dtype, grad=g)
        n_in.append(a)
        t_in.append(b)
    call = call or (lambda m, xs: m(*xs))
    t_out = _flat(call(t_mod, t_in))
    n_out = _flat(call(n_mod, n_in))
    assert len(n_out) == len(t_out), f"{len(n_out)} outputs, torch gives {len(t_out)}"
    rng = np.random.default_rng(seed)
    t_loss = 0
    n_loss = 0
    for i, (a, b) in enumerate(zip(n_out, t_out)):
        close(a, b, tol, f"output {i}")
        if b.requires_grad:
            up = rng.standard_normal(tuple(b.shape)).astype(dtype)
            t_loss = t_loss + (b * torch.tensor(up)).sum()
            n_loss = n_loss + (a * nt.tensor(up)).sum()
    for (k, v), (k2, v2) in zip(t_mod.state_dict().items(), n_mod.state_dict().items()):
        assert k == k2
        close(v2, v, tol, f"state {k} after forward")
    if isinstance(t_loss, int):
        return
    t_loss.backward()
    n_loss.backward()
    for i, (a, b) in enumerate(zip(n_in, t_in)):
        if b.requires_grad:
            assert a.grad is not None, f"input {i} got no gradient"
            close(a.grad, b.grad, tol, f"grad of input {i}")
    n_params = dict(n_mod.named_parameters())
    for k, v in t_mod.named_parameters():
        if v.grad is None:
            assert n_params[k].grad is None or not np.any(n_params[k].grad.numpy()), k
        else:
            assert n_params[k].grad is not None, f"parameter {k} got no gradient"
            close(n_params[k].grad, v.grad, tol, f"grad of {k}")
