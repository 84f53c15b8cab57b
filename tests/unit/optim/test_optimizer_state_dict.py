"""state_dict / load_state_dict: the layout, exact resumption, moving state between devices,
and clear errors when the dict does not fit the optimizer."""

from __future__ import annotations

import pytest
from builtin_cases import CASES, IDS
from optim_problem import STEPS, assert_trajectories_close, make_params, train

import nanotorch
from nanotorch.optim import SGD, Adam
from nanotorch.testing import assert_close

K = 7  # steps taken before saving


def _fresh_copies(params, device=None, dtype=None):
    out = []
    for p in params:
        q = p.detach().clone().to(device or p.device)
        out.append((q.to(dtype) if dtype else q).requires_grad_())
    return out


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_optimizer_state_dict_round_trip_continues_the_same_trajectory(device, cls, kwargs):
    uninterrupted = train(lambda ps: cls(ps, **kwargs), device)

    params = make_params(device)
    first = cls(params, **kwargs)
    train(None, device, steps=K, params=params, optimizer=first)
    saved = first.state_dict()

    resumed_params = _fresh_copies(params)
    # Built with other hyperparameters: loading must restore the saved ones.
    second = cls(resumed_params, **{**kwargs, "lr": 123.0})
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == kwargs["lr"]
    # The first optimizer keeps training: the second must not share its buffers.
    train(None, device, steps=3, params=params, optimizer=first)
    resumed = train(None, device, steps=STEPS - K, params=resumed_params, optimizer=second)
    assert_trajectories_close(
        resumed, [[p.cpu().numpy() for p in step] for step in uninterrupted[K:]], rtol=0, atol=0
    )


def test_optimizer_state_dict_layout(device):
    w, b = make_params(device)
    extra = nanotorch.zeros(4, dtype=nanotorch.float64, device=device, requires_grad=True)
    opt = Adam([{"params": [w, b]}, {"params": [extra], "lr": 0.5}], lr=0.1)
    train(None, device, steps=2, params=[w, b], optimizer=opt)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(sd["state"]) == {0, 1}  # extra never had a gradient: no state
    assert sd["state"][0]["step"] == 2
    assert sd["state"][1]["exp_avg"].shape == (2,)


@pytest.mark.parametrize("dtype", [nanotorch.float32, nanotorch.float64], ids=["f32", "f64"])
def test_optimizer_load_state_dict_moves_state_to_each_parameter_device_and_dtype(device, dtype):
    cpu_params = make_params("cpu")
    opt = Adam(cpu_params, lr=0.05, amsgrad=True)
    train(None, "cpu", steps=3, params=cpu_params, optimizer=opt)
    saved = opt.state_dict()

    moved_params = _fresh_copies(cpu_params, device=device, dtype=dtype)
    target = Adam(moved_params, lr=0.05, amsgrad=True)
    target.load_state_dict(saved)
    for i, p in enumerate(moved_params):
        state = target.state[p]
        assert state["step"] == 3
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert state[key].device == p.device
            assert state[key].dtype is dtype
            assert_close(
                state[key],
                saved["state"][i][key].to(dtype),
                check_dtype=False,
                check_device=False,
            )


def test_optimizer_load_state_dict_does_not_alias_the_saved_tensors(device):
    params = make_params(device)
    opt = SGD(params, lr=0.1, momentum=0.9)
    train(None, device, steps=2, params=params, optimizer=opt)
    saved = opt.state_dict()
    other = SGD(_fresh_copies(params), lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    for p, index in zip(other.param_groups[0]["params"], (0, 1), strict=True):
        mine = other.state[p]["momentum_buffer"]
        theirs = saved["state"][index]["momentum_buffer"]
        before = mine.clone()
        with nanotorch.no_grad():
            theirs.add_(1.0)
        assert_close(mine, before)


def test_optimizer_load_state_dict_accepts_a_tensor_step(device):
    params = make_params(device)
    opt = Adam(params, lr=0.05)
    train(None, device, steps=2, params=params, optimizer=opt)
    saved = opt.state_dict()
    for s in saved["state"].values():
        s["step"] = nanotorch.tensor(float(s["step"]), device=device)
    other = Adam(_fresh_copies(params), lr=0.05)
    other.load_state_dict(saved)
    steps = [s["step"] for s in other.state.values()]
    assert steps == [2, 2] and all(type(s) is int for s in steps)


# --------------------------------------------------------------------------- errors
def test_optimizer_load_state_dict_rejects_a_different_number_of_groups(device):
    w, b = make_params(device)
    saved = SGD([{"params": [w]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(
        ValueError,
        match=r"SGD: the loaded state dict has 2 parameter group\(s\) "
        r"but this optimizer has 1",
    ):
        SGD([w, b], lr=0.1).load_state_dict(saved)


def test_optimizer_load_state_dict_rejects_a_different_number_of_params(device):
    w, b = make_params(device)
    saved = SGD([w, b], lr=0.1).state_dict()
    with pytest.raises(
        ValueError,
        match=r"SGD: parameter group 0 of the loaded state dict has 2 "
        r"parameter\(s\) but this optimizer's has 1",
    ):
        SGD([w], lr=0.1).load_state_dict(saved)


def test_optimizer_load_state_dict_rejects_state_of_another_shape(device):
    w, b = make_params(device)
    opt = Adam([w, b], lr=0.1)
    train(None, device, steps=1, params=[w, b], optimizer=opt)
    saved = opt.state_dict()
    w2, b2 = _fresh_copies([w, b])
    with pytest.raises(
        ValueError,
        match=r"Adam: state 'exp_avg' of parameter 0 has shape \(3, 2\) "
        r"but the parameter needs \(2,\)",
    ):
        Adam([b2, w2], lr=0.1).load_state_dict(saved)


def test_optimizer_load_state_dict_rejects_state_of_another_rule(device):
    params = make_params(device)
    sgd = SGD(params, lr=0.1, momentum=0.9)
    train(None, device, steps=1, params=params, optimizer=sgd)
    with pytest.raises(
        ValueError,
        match=r"Adam: state of parameter 0 has keys "
        r"\['momentum_buffer'\].*missing \['exp_avg', 'exp_avg_sq', 'step'\]",
    ):
        Adam(_fresh_copies(params)).load_state_dict(sgd.state_dict())


def test_optimizer_load_state_dict_rejects_a_malformed_dict(device):
    params = make_params(device)
    with pytest.raises(
        ValueError,
        match=r"SGD: load_state_dict expects a dict with keys "
        r"'state' and 'param_groups'",
    ):
        SGD(params).load_state_dict({"param_groups": []})
