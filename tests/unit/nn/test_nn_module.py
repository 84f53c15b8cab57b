"""``nn.Module`` and ``nn.Parameter``: registration by assignment, traversal, train/eval,
gradients, moving between devices and dtypes, ``state_dict`` and ``load_state_dict``."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.testing import assert_close


class Net(nn.Module):
    """Two linear layers, an integer buffer and a non-persistent scratch buffer."""

    def __init__(self, device=None, dtype=None):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, device=device, dtype=dtype)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, device=device, dtype=dtype)
        self.register_buffer("steps", nt.zeros((), dtype=nt.int64, device=device))
        self.register_buffer("scratch", nt.zeros(2, device=device), persistent=False)
        self.plain = nt.ones(1)  # a plain tensor attribute: neither parameter nor buffer

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# ----------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_tensor_that_requires_grad(device):
    data = nt.randn(2, 3, device=device)
    p = nn.Parameter(data)
    assert isinstance(p, nt.Tensor)
    assert isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.device == data.device and p.shape == (2, 3) and p.dtype is nt.float32
    assert_close(p.detach(), data)


def test_parameter_wraps_a_graph_tensor_as_a_new_leaf(device):
    x = nt.randn(3, device=device, requires_grad=True)
    p = nn.Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None
    (p * p).sum().backward()
    assert x.grad is None  # the parameter starts a new graph
    assert_close(p.grad, p.detach() * 2)


def test_parameter_requires_grad_false_and_default_empty():
    assert not nn.Parameter(nt.ones(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_refuses_non_tensors_and_integer_data():
    with pytest.raises(TypeError, match=r"Parameter: data must be a Tensor.*list"):
        nn.Parameter([1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.Parameter(nt.tensor([1, 2]))


def test_parameter_ops_return_plain_tensors_and_repr_names_it(device):
    p = nn.Parameter(nt.ones(2, device=device))
    assert type(p * 2) is nt.Tensor
    assert repr(p).startswith("Parameter containing:\ntensor(")


# ----------------------------------------------------------------------------- registration
def test_module_registers_parameters_in_assignment_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [id(p) for p in net.parameters()] == [id(p) for _, p in net.named_parameters()]
    assert net.fc1.weight is net._modules["fc1"]._parameters["weight"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.fc1.named_parameters(prefix="x")] == ["x.weight", "x.bias"]


def test_module_registers_buffers_but_not_plain_tensors():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert len(list(net.buffers())) == 2
    assert "plain" not in dict(net.named_buffers())
    assert "plain" not in dict(net.named_parameters())
    assert net.steps.dtype is nt.int64


def test_module_children_and_modules_traversal():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert list(net.children()) == [net.fc1, net.act, net.fc2]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert next(iter(net.modules())) is net


def test_module_shared_parameter_is_listed_once():
    net = Net()
    net.fc3 = net.fc1  # the same module under two names
    assert len(list(net.parameters())) == 4
    assert len(list(net.named_parameters(remove_duplicate=False))) == 6
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]


def test_module_reassigning_and_deleting_attributes():
    net = Net()
    new = nn.Parameter(nt.zeros(4))
    net.fc1.bias = new
    assert net.fc1.bias is new and dict(net.fc1.named_parameters())["bias"] is new
    net.fc1.bias = None
    assert net.fc1.bias is None
    assert [n for n, _ in net.fc1.named_parameters()] == ["weight"]
    del net.fc2
    assert [n for n, _ in net.named_children()] == ["fc1", "act"]
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc2'"):
        net.fc2  # noqa: B018


def test_module_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight'.*Parameter"):
        lin.weight = nt.zeros(2, 2)


def test_module_assigning_before_init_names_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\).*super\(\).__init__\(\)"):
        Broken()


def test_module_register_errors_name_the_problem():
    m = nn.Module()
    with pytest.raises(KeyError, match=r'cannot contain "\."'):
        m.register_parameter("a.b", nn.Parameter(nt.ones(1)))
    with pytest.raises(KeyError, match="empty"):
        m.register_buffer("", nt.ones(1))
    with pytest.raises(TypeError, match=r"cannot assign 'list' as buffer 'b'"):
        m.register_buffer("b", [1.0])
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'p'"):
        m.register_parameter("p", nt.ones(1))
    m.x = 1
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_buffer("x", nt.ones(1))
    with pytest.raises(TypeError, match="Module.add_module: 'int' is not a Module"):
        m.add_module("y", 3)


def test_module_buffer_reassignment_replaces_the_buffer():
    net = Net()
    new = nt.ones((), dtype=nt.int64)
    net.steps = new
    assert net.steps is new and dict(net.named_buffers())["steps"] is new
    with pytest.raises(TypeError, match="cannot assign 'float' as buffer 'steps'"):
        net.steps = 1.0


def test_module_call_runs_forward_and_missing_forward_is_named():
    net = Net()
    x = nt.randn(5, 3)
    assert_close(net(x), net.forward(x))

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match='NoForward.*"forward"'):
        NoForward()(x)


def test_module_get_submodule():
    outer = nn.Sequential(Net())
    assert outer.get_submodule("0.fc2") is outer[0].fc2
    assert outer.get_submodule("") is outer
    with pytest.raises(AttributeError, match="Net has no attribute `nope`"):
        outer.get_submodule("0.nope")


# ----------------------------------------------------------------------------- modes, grads
def test_module_train_eval_switch_recursively():
    net = nn.Sequential(Net(), nn.Dropout())
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net[0].train(False)
    assert not net[0].fc1.training and net[1].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_module_zero_grad_sets_to_none_or_zeros(device):
    net = Net(device=device)
    net(nt.randn(5, 3, device=device)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    for p in net.parameters():
        assert p.grad.shape == p.shape and not p.grad.requires_grad
        assert_close(p.grad, nt.zeros_like(p))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_module_requires_grad_toggles_every_parameter():
    net = Net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())


def test_module_apply_visits_children_before_self():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Linear", "Net"]


def test_module_gradients_match_numpy(device):
    net = Net(device=device, dtype=nt.float64)
    x = np.random.default_rng(0).standard_normal((5, 3))
    net(nt.tensor(x, dtype=nt.float64, device=device)).sum().backward()
    w1, b1 = net.fc1.weight.detach().cpu().numpy(), net.fc1.bias.detach().cpu().numpy()
    w2 = net.fc2.weight.detach().cpu().numpy()
    h = x @ w1.T + b1
    dh = np.ones((5, 2)) @ w2 * (h > 0)
    assert_close(net.fc1.weight.grad, dh.T @ x)
    assert_close(net.fc1.bias.grad, dh.sum(0))
    assert_close(net.fc2.weight.grad, np.ones((5, 2)).T @ np.maximum(h, 0))


# ----------------------------------------------------------------------------- repr
def test_module_repr_is_a_tree():
    net = nn.Sequential(Net(), nn.Dropout(0.25))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Net(\n"
        "    (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (act): ReLU()\n"
        "    (fc2): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        "  (1): Dropout(p=0.25, inplace=False)\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"


# ----------------------------------------------------------------------------- devices
def test_module_to_device_moves_everything_in_place_and_counts(device):
    if str(device) != "strict:1":
        pytest.skip("moves strict:0 -> strict:1, the stand-in accelerator")
    net = Net(device="strict:0")
    net(nt.randn(2, 3, device="strict:0")).sum().backward()
    params = list(net.parameters())
    grads = [p.grad for p in params]
    nt.reset_transfer_stats()
    assert net.to(device) is net
    stats = nt.transfer_stats()
    # 4 parameters + 4 gradients + 2 buffers (the non-persistent one too), one copy each.
    assert stats.count == 10
    assert set(stats.by_direction) == {"strict:0->strict:1"}
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    for p, g in zip(net.parameters(), grads):
        assert str(p.device) == "strict:1" and str(p.grad.device) == "strict:1"
        assert p.requires_grad and p.is_leaf
        assert_close(p.grad, g, check_device=False)
    assert all(str(b.device) == "strict:1" for b in net.buffers())
    out = net(nt.randn(2, 3, device=device))
    assert str(out.device) == "strict:1"
    nt.reset_transfer_stats()
    net.to(device)  # already there: nothing moves
    assert nt.transfer_stats().count == 0


def test_module_to_device_keeps_values(device):
    net = Net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.to(device)
    for k, v in net.state_dict().items():
        assert str(v.device) == str(device)
        assert_close(v, before[k], rtol=0, atol=0, check_device=False)
    net.cpu()
    assert all(str(p.device) == "cpu" for p in net.parameters())


@pytest.mark.not_on("cpu")
def test_module_input_on_another_device_is_refused(device):
    net = Net(device=device)
    with pytest.raises(nt.DeviceMismatchError, match=rf"linear: input is on cpu.*{device}.*\.to\("):
        net(nt.randn(2, 3))


def test_module_to_dtype_casts_floating_tensors_only(device):
    net = Net(device=device)
    params = list(net.parameters())
    assert net.double() is net
    assert all(p.dtype is nt.float64 for p in net.parameters())
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert net.steps.dtype is nt.int64 and net.scratch.dtype is nt.float64
    out = net(nt.randn(2, 3, dtype=nt.float64, device=device))
    assert out.dtype is nt.float64
    net.float()
    assert all(p.dtype is nt.float32 for p in net.parameters())
    net.to(nt.float64)
    assert net.fc1.weight.dtype is nt.float64
    with pytest.raises(TypeError, match="floating point dtypes.*int64"):
        net.to(nt.int64)


# ----------------------------------------------------------------------------- state_dict
def test_state_dict_names_follow_pytorch_and_skip_non_persistent():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    # PyTorch's order: a module's own parameters and buffers first, then each child's.
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert sd["fc1.weight"].shape == (4, 3)  # Linear.weight is (out, in)
    assert not sd["fc1.weight"].requires_grad
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight
    assert list(net.fc1.state_dict(prefix="m.")) == ["m.weight", "m.bias"]


def test_state_dict_round_trip_is_exact(device):
    nt.manual_seed(1)
    a = Net(device=device)
    nt.manual_seed(2)
    b = Net(device=device)
    with nt.no_grad():
        a.steps.fill_(7)
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        assert_close(vb, va, rtol=0, atol=0)
    x = nt.randn(4, 3, device=device)
    assert_close(b(x), a(x), rtol=0, atol=0)
    assert b.fc1.weight.requires_grad  # still a trainable Parameter


def test_load_state_dict_keeps_parameter_objects():
    a, b = Net(), Net()
    params = list(b.parameters())
    b.load_state_dict(a.state_dict())
    assert [id(p) for p in b.parameters()] == [id(p) for p in params]


def test_load_state_dict_accepts_host_arrays_in_pytorch_layout(device):
    """A state_dict exported as NumPy arrays (PyTorch's names and shapes) loads directly,
    converted to each parameter's dtype and placed on its device."""
    rng = np.random.default_rng(0)
    arrays = {
        "fc1.weight": rng.standard_normal((4, 3)),
        "fc1.bias": rng.standard_normal(4),
        "fc2.weight": rng.standard_normal((2, 4)),
        "fc2.bias": rng.standard_normal(2),
        "steps": np.array(3),
    }
    net = Net(device=device)
    net.load_state_dict(arrays)
    assert net.fc1.weight.dtype is nt.float32 and str(net.fc1.weight.device) == str(device)
    assert_close(net.fc1.weight, arrays["fc1.weight"].astype(np.float32))
    assert net.steps.item() == 3 and net.steps.dtype is nt.int64


@pytest.mark.not_on("cpu")
def test_load_state_dict_from_another_device_copies_explicitly(device):
    src = Net()
    dst = Net(device=device)
    nt.reset_transfer_stats()
    dst.load_state_dict(src.state_dict())
    assert nt.transfer_stats().count == 5  # one counted copy per entry
    assert all(str(v.device) == str(device) for v in dst.state_dict().values())
    assert_close(dst.fc2.weight, src.fc2.weight, check_device=False)


def test_load_state_dict_missing_and_unexpected_keys_are_named():
    net = Net()
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["fc3.weight"] = nt.zeros(1)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in msg
    assert "strict=False" in msg
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"]
    assert result.unexpected_keys == ["fc3.weight"]


def test_load_state_dict_shape_mismatch_names_key_and_shapes_and_loads_nothing():
    net = Net()
    before = net.fc1.bias.detach().clone()
    sd = {k: v.clone() + 1 for k, v in net.state_dict().items()}
    sd["fc2.weight"] = nt.zeros(4, 2)
    for strict in (True, False):
        with pytest.raises(
            RuntimeError, match=r"size mismatch for fc2\.weight.*\(4, 2\).*\(2, 4\)"
        ):
            net.load_state_dict(sd, strict=strict)
    assert_close(net.fc1.bias, before, rtol=0, atol=0)  # all-or-nothing


def test_load_state_dict_refuses_non_mappings():
    with pytest.raises(TypeError, match="load_state_dict: expected a mapping.*list"):
        Net().load_state_dict([1, 2])


def test_module_reassignment_keeps_the_position_in_state_dict():
    lin = nn.Linear(2, 2)
    lin.weight = nn.Parameter(nt.zeros(2, 2))
    assert list(lin.state_dict()) == ["weight", "bias"]


def test_module_deepcopy_gives_an_independent_copy():
    import copy

    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.fc1.weight, nn.Parameter) and twin.fc1.weight is not net.fc1.weight
    assert_close(twin.fc1.weight, net.fc1.weight, rtol=0, atol=0)
    with nt.no_grad():
        twin.fc1.weight.fill_(0.0)
    assert not np.all(net.fc1.weight.detach().numpy() == 0)
