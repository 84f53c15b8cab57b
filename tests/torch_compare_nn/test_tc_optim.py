"""nanotorch's optimizers against PyTorch's: five steps from the same parameters and the same
gradients give the same parameters, and state_dicts with the same layout ('state' keyed by
parameter index, 'param_groups' with 'params' index lists and the hyperparameters) and the
same state values. Torch's optimizer state_dict loads into nanotorch's optimizer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close

import nanotorch as nt

# Keys PyTorch's param_groups carry that choose an implementation (multi-tensor, fused,
# graph-capture, differentiable updates), not the algorithm; nanotorch has one implementation.
IMPLEMENTATION_KEYS = {"foreach", "fused", "capturable", "differentiable"}

# PyTorch keeps NAdam's running product of momentum coefficients in a float32 tensor whatever
# the parameters' dtype; nanotorch keeps a Python float, so float64 runs agree to float32.
# ASGD keeps its eta and mu in float32 0-d tensors likewise (nanotorch: Python floats).
FLOAT32_INSIDE_TORCH = {"NAdam", "ASGD"}

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("sgd", "SGD", {"lr": 0.1}),
    ("sgd-momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("sgd-dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("sgd-nesterov", "SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    ("sgd-wd", "SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("sgd-maximize", "SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True, "weight_decay": 0.1}),
    ("adam", "Adam", {"lr": 0.01}),
    ("adam-amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("adam-wd", "Adam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("adam-maximize", "Adam", {"lr": 0.01, "maximize": True, "amsgrad": True}),
    ("adamw", "AdamW", {"lr": 0.01}),
    ("adamw-wd-amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("adamw-maximize", "AdamW", {"lr": 0.01, "maximize": True}),
    ("rmsprop", "RMSprop", {"lr": 0.01}),
    ("rmsprop-centered", "RMSprop", {"lr": 0.01, "centered": True}),
    ("rmsprop-momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    (
        "rmsprop-all",
        "RMSprop",
        {
            "lr": 0.01,
            "momentum": 0.5,
            "centered": True,
            "alpha": 0.9,
            "weight_decay": 0.1,
            "eps": 1e-5,
            "maximize": True,
        },
    ),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    ("adagrad-decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    (
        "adagrad-init",
        "Adagrad",
        {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True},
    ),
    ("adadelta", "Adadelta", {"lr": 1.0}),
    (
        "adadelta-args",
        "Adadelta",
        {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True},
    ),
    ("adamax", "Adamax", {"lr": 0.01}),
    (
        "adamax-args",
        "Adamax",
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "maximize": True},
    ),
    ("nadam", "NAdam", {"lr": 0.01}),
    ("nadam-wd", "NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    (
        "nadam-decoupled",
        "NAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    ("radam", "RAdam", {"lr": 0.01}),
    ("radam-rectified", "RAdam", {"lr": 0.01, "betas": (0.9, 0.8)}),
    ("radam-wd", "RAdam", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.5, 0.7)}),
    (
        "radam-decoupled",
        "RAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    ("rprop", "Rprop", {"lr": 0.01}),
    (
        "rprop-args",
        "Rprop",
        {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.06), "maximize": True},
    ),
    ("asgd", "ASGD", {"lr": 0.01}),
    # t0=2 starts the averaging (mu < 1) within the five steps.
    ("asgd-avg", "ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 2.0}),
    (
        "asgd-wd",
        "ASGD",
        {"lr": 0.05, "t0": 1.0, "weight_decay": 0.1, "maximize": True},
    ),
]

R = np.random.default_rng(3)
SHAPES = [(3, 4), (5,), (2,)]


def _setup(lib: Any, name: str, kw: dict[str, Any], values: list[np.ndarray]) -> Any:
    params = [lib.tensor(v.copy(), requires_grad=True) for v in values]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": kw["lr"] * 0.5}]
    return params, getattr(lib.optim, name)(groups, **kw)


def _state_value(v: Any) -> Any:
    if isinstance(v, (nt.Tensor, torch.Tensor)):
        return v.detach().numpy()
    return np.asarray(float(v) if isinstance(v, (int, float)) else v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "kw"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_optimizer_steps_match_torch(name, kw, dtype):
    values = [R.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[R.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(5)]
    n_params, n_opt = _setup(nt, name, kw, values)
    t_params, t_opt = _setup(torch, name, kw, values)
    tol = "float32" if name in FLOAT32_INSIDE_TORCH else dtype
    for step, g in enumerate(grads):
        for i, (a, b) in enumerate(zip(n_params, t_params)):
            if step == 0 and i == 2:  # a parameter without a gradient is skipped
                a.grad = b.grad = None
                continue
            a.grad = nt.tensor(g[i].copy())
            b.grad = torch.tensor(g[i].copy())
        n_opt.step()
        t_opt.step()
        for i, (a, b) in enumerate(zip(n_params, t_params)):
            close(a, b, tol, f"param {i} after step {step + 1}")
    n_sd, t_sd = n_opt.state_dict(), t_opt.state_dict()
    assert list(n_sd) == list(t_sd) == ["state", "param_groups"]
    assert sorted(n_sd["state"]) == sorted(t_sd["state"])  # plain SGD keeps none
    for idx, t_state in t_sd["state"].items():
        assert sorted(n_sd["state"][idx]) == sorted(t_state), idx
        for key, value in t_state.items():
            close(_state_value(n_sd["state"][idx][key]), _state_value(value), tol, key)
    for n_group, t_group in zip(n_sd["param_groups"], t_sd["param_groups"], strict=True):
        algorithmic = set(t_group) - IMPLEMENTATION_KEYS
        assert algorithmic <= set(n_group), f"missing {algorithmic - set(n_group)}"
        for key in algorithmic:
            assert n_group[key] == t_group[key], key


@pytest.mark.parametrize(("name", "kw"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_optimizer_loads_torch_state_dict(name, kw):
    values = [R.standard_normal(s) for s in SHAPES]
    grads = [R.standard_normal(s) for s in SHAPES]
    t_params, t_opt = _setup(torch, name, kw, values)
    n_params, n_opt = _setup(nt, name, kw, values)
    for i, b in enumerate(t_params):
        b.grad = torch.tensor(grads[i])
    t_opt.step()
    t_sd = t_opt.state_dict()
    converted = {
        "state": {
            i: {k: nt.tensor(v.numpy().copy()) if torch.is_tensor(v) else v for k, v in s.items()}
            for i, s in t_sd["state"].items()
        },
        "param_groups": t_sd["param_groups"],
    }
    n_opt.load_state_dict(converted)
    with nt.no_grad():
        for a, b in zip(n_params, t_params):
            a.copy_(nt.tensor(b.detach().numpy().copy()))
    for i, (a, b) in enumerate(zip(n_params, t_params)):
        a.grad = nt.tensor(grads[i][::-1].copy())
        b.grad = torch.tensor(grads[i][::-1].copy())
    n_opt.step()
    t_opt.step()
    tol = "float32" if name in FLOAT32_INSIDE_TORCH else "float64"
    for i, (a, b) in enumerate(zip(n_params, t_params)):
        close(a, b, tol, f"param {i} after a step from torch's state")


def test_adam_decoupled_weight_decay_is_adamw_like_torch():
    values = [R.standard_normal(s) for s in SHAPES]
    grads = [R.standard_normal(s) for s in SHAPES]
    kw = {"lr": 0.01, "weight_decay": 0.2, "decoupled_weight_decay": True}
    n_params, n_opt = _setup(nt, "Adam", kw, values)
    t_params, t_opt = _setup(torch, "Adam", kw, values)
    for _ in range(3):
        for i, (a, b) in enumerate(zip(n_params, t_params)):
            a.grad, b.grad = nt.tensor(grads[i].copy()), torch.tensor(grads[i].copy())
        n_opt.step()
        t_opt.step()
    for i, (a, b) in enumerate(zip(n_params, t_params)):
        close(a, b, "float64", f"param {i}")
    assert n_opt.param_groups[0]["decoupled_weight_decay"] is True


BAD_HYPERPARAMETERS = [
    ("asgd-lr", "ASGD", {"lr": -0.1}),
    ("asgd-wd", "ASGD", {"lr": 0.1, "weight_decay": -1.0}),
]


@pytest.mark.parametrize(
    ("name", "kw"), [c[1:] for c in BAD_HYPERPARAMETERS], ids=[c[0] for c in BAD_HYPERPARAMETERS]
)
def test_optimizer_rejects_bad_hyperparameters_like_torch(name, kw):
    with pytest.raises(Exception) as t_err:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(type(t_err.value), match=name):
        getattr(nt.optim, name)([nt.zeros(2, requires_grad=True)], **kw)
