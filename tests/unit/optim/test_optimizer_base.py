"""The Optimizer base: parameter groups, lazily created per-parameter state, zero_grad, the
no_grad step, closures, argument checking, and the one-method recipe for a new rule."""

from __future__ import annotations

import numpy as np
import pytest
from optim_problem import (
    B0,
    W0,
    N,
    X,
    Y,
    assert_trajectories_close,
    loss,
    make_data,
    make_params,
    reference,
    train,
)

import nanotorch
from nanotorch.optim import SGD, Optimizer
from nanotorch.testing import assert_close


# --------------------------------------------------------------------------- the recipe
class SignSGD(Optimizer):
    """A whole new rule: p <- p - lr * sign(g), with a per-parameter step count."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, dict(lr=lr))

    def init_state(self, param, group):
        return {"step": 0, "seen_grad_mode": []}

    def update(self, param, grad, state, group):
        state["step"] += 1
        state["seen_grad_mode"].append(nanotorch.is_grad_enabled())
        param.add_(grad.sign(), alpha=-group["lr"])


def test_optimizer_new_rule_is_one_update_method(device):
    got = train(lambda ps: SignSGD(ps, lr=0.05), device)
    want = reference(lambda p, g, s, t: p - 0.05 * np.sign(g))
    assert_trajectories_close(got, want)


def test_optimizer_step_leaves_the_host_array_its_parameter_came_from(device):
    # nanotorch.tensor copies host data on every device, so stepping a parameter made from
    # a NumPy array never rewrites that array (optim_problem.py relies on it for W0, B0).
    host = np.array([1.0, -2.0])
    p = nanotorch.tensor(host, dtype=nanotorch.float64, device=device, requires_grad=True)
    p.grad = nanotorch.ones(2, dtype=nanotorch.float64, device=device)
    SGD([p], lr=0.5).step()
    assert p.tolist() == [0.5, -2.5]
    assert host.tolist() == [1.0, -2.0]


def test_optimizer_update_runs_under_no_grad(device):
    params = make_params(device)
    opt = SignSGD(params)
    train(None, device, steps=2, params=params, optimizer=opt)
    assert nanotorch.is_grad_enabled()
    assert opt.state[params[0]]["seen_grad_mode"] == [False, False]


def test_optimizer_base_without_update_names_the_missing_method(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    opt = Optimizer([p], dict(lr=0.1))
    p.grad = nanotorch.ones(2, device=device)
    with pytest.raises(
        NotImplementedError, match=r"Optimizer.*update\(param, grad, state, group\)"
    ):
        opt.step()


# --------------------------------------------------------------------------- state
def test_optimizer_state_is_created_lazily_on_the_parameter_device_and_dtype(device):
    params = make_params(device, dtype=nanotorch.float32)
    opt = SGD(params, lr=0.1, momentum=0.9)
    assert len(opt.state) == 0
    train(None, device, steps=1, params=params, optimizer=opt)
    for p in params:
        buf = opt.state[p]["momentum_buffer"]
        assert buf.device == p.device
        assert buf.dtype is nanotorch.float32
        assert buf.shape == p.shape
        assert not buf.requires_grad


def test_optimizer_skips_parameters_without_grad(device):
    used = nanotorch.ones(3, device=device, requires_grad=True)
    unused = nanotorch.ones(2, device=device, requires_grad=True)
    opt = SGD([used, unused], lr=0.5, momentum=0.9)
    (used * used).sum().backward()
    opt.step()
    assert_close(used, np.full(3, 0.0, dtype=np.float32))
    assert_close(unused, np.ones(2, dtype=np.float32))
    assert unused not in opt.state
    assert used in opt.state


def test_optimizer_step_bumps_parameter_version_but_keeps_it_a_leaf(device):
    (p,) = make_params(device)[:1]
    opt = SGD([p], lr=0.1)
    p.grad = nanotorch.ones(p.shape, dtype=p.dtype, device=device)
    opt.step()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


# --------------------------------------------------------------------------- zero_grad
def test_optimizer_zero_grad_sets_grads_to_none_by_default(device):
    params = make_params(device)
    opt = SGD(params, lr=0.1)
    train(None, device, steps=1, params=params, optimizer=opt)
    assert all(p.grad is not None for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_optimizer_zero_grad_set_to_none_false_zeroes_in_place(device):
    params = make_params(device)
    opt = SGD(params, lr=0.1)
    train(None, device, steps=1, params=params, optimizer=opt)
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, grads):
        assert p.grad is g
        assert_close(p.grad, np.zeros(p.shape))


# --------------------------------------------------------------------------- closure
def test_optimizer_step_calls_closure_with_grad_enabled_and_returns_its_loss(device):
    params = make_params(device)
    data = make_data(device)
    opt = SGD(params, lr=0.1)

    def closure():
        opt.zero_grad()
        value = loss(params, data)
        value.backward()
        return value

    with nanotorch.no_grad():
        returned = opt.step(closure)
    r = X @ W0 + B0 - Y
    assert returned.requires_grad
    assert_close(returned, np.sum(r * r) / (2 * N), rtol=1e-12, atol=0)
    want = reference(lambda p, g, s, t: p - 0.1 * g, steps=1)
    assert_trajectories_close([[p.detach() for p in params]], want)


def test_optimizer_step_without_closure_returns_none(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    assert SGD([p], lr=0.1).step() is None


# --------------------------------------------------------------------------- param groups
def test_optimizer_param_groups_take_their_own_hyperparameters(device):
    w, b = make_params(device)
    opt = SGD([{"params": [w]}, {"params": b, "lr": 0.01, "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.5]
    assert opt.param_groups[0]["nesterov"] is False  # defaults merged into every group
    got = train(None, device, params=[w, b], optimizer=opt)

    def step(p, g, s, t):
        if p.ndim == 2:
            return p - 0.1 * g
        s["buf"] = g.copy() if t == 1 else 0.5 * s["buf"] + g
        return p - 0.01 * s["buf"]

    assert_trajectories_close(got, reference(step))


def test_optimizer_add_param_group_merges_defaults(device):
    w, b = make_params(device)
    opt = SGD([w], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1]["lr"] == 0.2
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.param_groups[1]["params"][0] is b


def test_optimizer_add_param_group_rejects_a_parameter_already_in_another_group(device):
    w, b = make_params(device)
    opt = SGD([w, b], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: parameter 1 of the new group .*already in group 0"):
        opt.add_param_group({"params": [nanotorch.zeros(1, requires_grad=True), b]})
    assert len(opt.param_groups) == 1


def test_optimizer_rejects_a_parameter_listed_twice_in_one_group(device):
    w, _ = make_params(device)
    with pytest.raises(ValueError, match=r"SGD: parameter 1 .* appears more than once"):
        SGD([w, w], lr=0.1)


def test_optimizer_validates_hyperparameters_of_each_group(device):
    w, b = make_params(device)
    with pytest.raises(ValueError, match=r"SGD: invalid learning rate lr=-1 .*group 1"):
        SGD([{"params": [w]}, {"params": [b], "lr": -1}], lr=0.1)
    opt = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: invalid momentum=-0\.1"):
        opt.add_param_group({"params": [b], "momentum": -0.1})


# --------------------------------------------------------------------------- bad params
def test_optimizer_rejects_an_empty_parameter_list():
    with pytest.raises(ValueError, match=r"SGD: got an empty parameter list"):
        SGD([], lr=0.1)


def test_optimizer_rejects_a_bare_tensor(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable .* got a Tensor.*\[p\]"):
        SGD(p, lr=0.1)


def test_optimizer_rejects_non_tensors():
    with pytest.raises(TypeError, match=r"SGD: parameter 0 .* is a float, not a Tensor"):
        SGD([1.0], lr=0.1)


def test_optimizer_rejects_a_group_without_params(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: parameter group 0 has no 'params' key"):
        SGD([{"lr": 0.1}], lr=0.1)
    opt = SGD([p])
    with pytest.raises(TypeError, match=r"SGD: add_param_group takes a dict, got list"):
        opt.add_param_group([p])


def test_optimizer_rejects_a_non_leaf_tensor(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD: parameter 0 .* non-leaf.*\.detach\(\)"):
        SGD([p * 2], lr=0.1)


def test_optimizer_rejects_a_tensor_that_does_not_require_grad(device):
    p = nanotorch.ones(2, device=device)
    with pytest.raises(
        ValueError, match=r"SGD: parameter 0 .* does not require grad.*requires_grad_"
    ):
        SGD([p], lr=0.1)


def test_optimizer_repr_lists_groups_and_hyperparameters(device):
    w, b = make_params(device)
    text = repr(SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (")
    assert "Parameter Group 0" in text and "Parameter Group 1" in text
    assert "lr: 0.1" in text and "lr: 0.5" in text


def test_optimizer_zero_grad_set_to_none_false_detaches_a_graph_carrying_grad(device):
    p = nanotorch.tensor([1.0, 2.0], dtype=nanotorch.float64, device=device, requires_grad=True)
    (p * p * p).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    grad = p.grad
    SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.grad_fn is None and not p.grad.requires_grad
    assert_close(p.grad, np.zeros(2))


# --------------------------------------------------------------------------- nn.Parameter
def test_optimizer_trains_module_parameters_from_a_generator(device):
    from nanotorch import nn

    model = nn.Linear(3, 2, device=device, dtype=nanotorch.float64)
    with nanotorch.no_grad():
        model.weight.copy_(nanotorch.tensor(W0.T.copy(), dtype=nanotorch.float64, device=device))
        model.bias.copy_(nanotorch.tensor(B0.copy(), dtype=nanotorch.float64, device=device))
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    assert [type(p) for p in opt.param_groups[0]["params"]] == [nn.Parameter, nn.Parameter]
    x, y = make_data(device)
    for _ in range(20):
        opt.zero_grad()
        r = model(x) - y
        ((r * r).sum() / (2 * N)).backward()
        opt.step()

    def step(p, g, s, t):
        s["buf"] = g.copy() if t == 1 else 0.9 * s["buf"] + g
        return p - 0.05 * s["buf"]

    w_ref, b_ref = reference(step)[-1]
    assert_close(model.weight, w_ref.T, rtol=1e-10, atol=1e-12)
    assert_close(model.bias, b_ref, rtol=1e-10, atol=1e-12)


def test_optimizer_rejects_a_learning_rate_that_is_not_a_number(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: lr must be a Python number, got str"):
        SGD([p], lr="0.1")


def test_optimizer_rejects_a_set_of_parameters(device):
    p = nanotorch.ones(2, device=device, requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: parameter group 0 holds a set.*pass a list"):
        SGD([{"params": {p}}], lr=0.1)


def test_optimizer_rejects_groups_mixed_with_bare_tensors(device):
    w, b = make_params(device)
    with pytest.raises(TypeError, match=r"SGD: parameter group 1 is a Tensor; either every"):
        SGD([{"params": [w]}, b], lr=0.1)
