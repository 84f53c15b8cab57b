"""The Module API side by side with PyTorch's on the same nested model: the names and order of
named_parameters / named_buffers / named_modules / named_children (with prefixes), the
state_dict keys (persistent buffers only), strict and non-strict loading, train/eval flags,
apply, zero_grad, requires_grad_, container indexing and slicing; and nn.utils gradient
clipping and parameters_to_vector."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import close, copy_state

import nanotorch as nt


def _net(lib: Any) -> Any:
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.bn = nn.BatchNorm2d(2)
            self.blocks = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3, bias=False))
            self.heads = nn.ModuleDict({"b": nn.Linear(3, 2), "a": nn.Linear(3, 1)})
            self.layers = nn.ModuleList([nn.LayerNorm(3), nn.Identity()])
            self.scale = nn.Parameter(lib.ones(3))
            self.register_buffer("offset", lib.zeros(3))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.register_buffer("nothing", None)

        def forward(self, x: Any) -> Any:
            h = self.bn(self.conv(x)).flatten(1)
            h = self.layers[0](self.blocks(h)) * self.scale + self.offset
            return self.heads["a"](h).sum() + self.heads["b"](h).sum()

    return Net()


@pytest.fixture
def nets() -> tuple[Any, Any]:
    torch.manual_seed(0)
    t = _net(torch).double()
    n = _net(nt).double()
    copy_state(t, n)
    return n, t


def test_module_named_members_match_torch(nets):
    n, t = nets
    for method in ("named_parameters", "named_buffers", "named_children"):
        assert [k for k, _ in getattr(n, method)()] == [k for k, _ in getattr(t, method)()]
    assert [k for k, _ in n.named_parameters(prefix="m", recurse=True)] == [
        k for k, _ in t.named_parameters(prefix="m", recurse=True)
    ]
    assert [k for k, _ in n.named_parameters(recurse=False)] == ["scale"]
    assert [k for k, _ in n.named_buffers(recurse=False)] == [
        k for k, _ in t.named_buffers(recurse=False)
    ]
    assert [(k, type(m).__name__) for k, m in n.named_modules()] == [
        (k, type(m).__name__) for k, m in t.named_modules()
    ]
    assert [k for k, _ in n.named_modules(prefix="net")] == [
        k for k, _ in t.named_modules(prefix="net")
    ]
    assert list(n.state_dict()) == list(t.state_dict())
    assert "cache" not in n.state_dict() and "bn.num_batches_tracked" in n.state_dict()
    assert n.state_dict()["bn.num_batches_tracked"].dtype == nt.int64


def test_module_forward_backward_and_num_batches_tracked_match_torch(nets):
    n, t = nets
    x = np.random.default_rng(0).standard_normal((3, 1, 3, 4))
    n_out, t_out = n(nt.tensor(x)), t(torch.tensor(x))
    close(n_out, t_out)
    n_out.backward()
    t_out.backward()
    tp = dict(t.named_parameters())
    for k, p in n.named_parameters():
        close(p.grad, tp[k].grad, what=k)
    for k, v in t.state_dict().items():
        close(n.state_dict()[k], v, what=k)


def _load_error(module: Any, sd: dict[str, Any]) -> str:
    with pytest.raises(RuntimeError) as info:
        module.load_state_dict(sd)
    return str(info.value)


def test_module_strict_load_reports_keys_like_torch(nets):
    n, t = nets
    t_sd = dict(t.state_dict())
    t_sd.pop("bn.running_mean")
    t_sd["extra.weight"] = torch.zeros(1)
    n_sd = {k: nt.tensor(v.numpy().copy()) for k, v in t_sd.items()}
    t_msg, n_msg = _load_error(t, t_sd), _load_error(n, n_sd)
    for pattern in (
        r'Missing key\(s\) in state_dict: "bn.running_mean"',
        r'Unexpected key\(s\) in state_dict: "extra.weight"',
        r"Error\(s\) in loading state_dict for Net",
    ):
        assert re.search(pattern, t_msg) and re.search(pattern, n_msg), pattern
    t_res, n_res = t.load_state_dict(t_sd, strict=False), n.load_state_dict(n_sd, strict=False)
    assert n_res.missing_keys == t_res.missing_keys == ["bn.running_mean"]
    assert n_res.unexpected_keys == t_res.unexpected_keys == ["extra.weight"]
    bad = dict(n.state_dict())
    bad["conv.weight"] = nt.zeros(3)
    assert "size mismatch for conv.weight" in _load_error(n, bad)


def test_module_train_eval_apply_zero_grad_requires_grad_match_torch(nets):
    n, t = nets
    assert n.training and n.bn.training
    for m in (n, t):
        m.eval()
    assert [m.training for m in n.modules()] == [m.training for m in t.modules()]
    for m in (n, t):
        m.layers.train()
    assert [m.training for m in n.modules()] == [m.training for m in t.modules()]
    n_seen: list[str] = []
    t_seen: list[str] = []
    assert n.apply(lambda m: n_seen.append(type(m).__name__)) is n
    t.apply(lambda m: t_seen.append(type(m).__name__))
    assert n_seen == t_seen
    for p, q in zip(n.parameters(), t.parameters()):
        p.grad = nt.ones(p.shape, dtype=nt.float64)
        q.grad = torch.ones(q.shape, dtype=torch.float64)
    n.zero_grad()
    t.zero_grad()
    assert all(p.grad is None for p in n.parameters())
    assert all(q.grad is None for q in t.parameters())
    assert n.blocks.requires_grad_(False) is n.blocks
    t.blocks.requires_grad_(False)
    assert [p.requires_grad for p in n.parameters()] == [q.requires_grad for q in t.parameters()]


def test_module_get_and_set_by_dotted_path_like_torch(nets):
    n, t = nets
    for target in ("conv.weight", "blocks.2.weight", "heads.a.bias", "scale"):
        assert tuple(n.get_parameter(target).shape) == tuple(t.get_parameter(target).shape)
    for target in ("bn.running_var", "offset", "cache"):
        assert tuple(n.get_buffer(target).shape) == tuple(t.get_buffer(target).shape)
    for getter in ("get_parameter", "get_buffer"):
        with pytest.raises(AttributeError):
            getattr(t, getter)("bn.nope")
        with pytest.raises(AttributeError):
            getattr(n, getter)("bn.nope")
    n.set_submodule("blocks.1", nt.nn.Tanh())
    t.set_submodule("blocks.1", torch.nn.Tanh())
    assert type(n.blocks[1]).__name__ == type(t.blocks[1]).__name__ == "Tanh"
    assert n.half().conv.weight.dtype == nt.float16


def test_containers_index_and_slice_like_torch():
    def build(lib: Any) -> Any:
        nn = lib.nn
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())

    n, t = build(nt), build(torch)
    assert type(n[1:]).__name__ == "Sequential" and len(n[1:]) == 3
    assert list(n[1:].state_dict()) == list(t[1:].state_dict())
    assert list(n[::2].state_dict()) == list(t[::2].state_dict())
    assert type(n[-1]).__name__ == type(t[-1]).__name__ == "Tanh"
    del n[0]
    del t[0]
    assert list(n.state_dict()) == list(t.state_dict())
    n.append(nt.nn.Linear(4, 1))
    t.append(torch.nn.Linear(4, 1))
    assert list(n.state_dict()) == list(t.state_dict())
    ml_n = nt.nn.ModuleList([nt.nn.Linear(1, 1) for _ in range(4)])
    ml_t = torch.nn.ModuleList([torch.nn.Linear(1, 1) for _ in range(4)])
    assert list(ml_n[1:3].state_dict()) == list(ml_t[1:3].state_dict())
    ml_n.insert(1, nt.nn.Linear(1, 2))
    ml_t.insert(1, torch.nn.Linear(1, 2))
    assert list(ml_n.state_dict()) == list(ml_t.state_dict())
    md_n = nt.nn.ModuleDict({"z": nt.nn.Identity(), "a": nt.nn.Linear(1, 1)})
    md_t = torch.nn.ModuleDict({"z": torch.nn.Identity(), "a": torch.nn.Linear(1, 1)})
    assert list(md_n.keys()) == list(md_t.keys()) == ["z", "a"]
    md_n.update({"m": nt.nn.Linear(2, 2)})
    md_t.update({"m": torch.nn.Linear(2, 2)})
    assert list(md_n.state_dict()) == list(md_t.state_dict())


def test_parameter_list_and_dict_match_torch():
    def build(lib: Any) -> Any:
        nn = lib.nn

        class M(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.plist = nn.ParameterList([nn.Parameter(lib.ones(2)) for _ in range(2)])
                self.pdict = nn.ParameterDict({"w": nn.Parameter(lib.ones(3))})
                self.plist.append(nn.Parameter(lib.zeros(1)))

        return M()

    n, t = build(nt), build(torch)
    assert list(n.state_dict()) == list(t.state_dict())
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert len(n.plist) == 3 and tuple(n.plist[-1].shape) == (1,)
    assert tuple(n.pdict["w"].shape) == (3,) and list(n.pdict.keys()) == ["w"]


# ----------------------------------------------------------------------------- nn.utils
def _grads(lib: Any, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    out = []
    for shape in [(3, 4), (5,), (2, 2)]:
        p = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape) * 3)
        out.append(p)
    return out


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf"), "inf"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    n, t = _grads(nt, 4), _grads(torch, 4)
    n_total = nt.nn.utils.clip_grad_norm_(n, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    close(n_total, t_total, what="total norm")
    for a, b in zip(n, t):
        close(a.grad, b.grad, what="clipped grad")


def test_clip_grad_norm_nonfinite_matches_torch():
    n, t = _grads(nt, 5), _grads(torch, 5)
    n[1].grad = nt.tensor([1.0, float("nan"), 0.0, 0.0, 0.0], dtype=nt.float64)
    t[1].grad = torch.tensor([1.0, float("nan"), 0.0, 0.0, 0.0], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        nt.nn.utils.clip_grad_norm_(n, 1.0, error_if_nonfinite=True)
    assert np.isnan(nt.nn.utils.clip_grad_norm_(n, 1.0).item())
    assert np.isnan(torch.nn.utils.clip_grad_norm_(t, 1.0).item())


def test_clip_grad_norm_single_tensor_and_foreach_arg_like_torch():
    n, t = _grads(nt, 6)[0], _grads(torch, 6)[0]
    close(
        nt.nn.utils.clip_grad_norm_(n, 1.0, foreach=None),
        torch.nn.utils.clip_grad_norm_(t, 1.0, foreach=None),
    )
    close(n.grad, t.grad)


def test_clip_grad_value_matches_torch():
    n, t = _grads(nt, 7), _grads(torch, 7)
    assert nt.nn.utils.clip_grad_value_(n, 0.8, foreach=None) is None
    torch.nn.utils.clip_grad_value_(t, 0.8)
    for a, b in zip(n, t):
        close(a.grad, b.grad)


def test_parameters_to_vector_round_trip_matches_torch():
    n, t = _grads(nt, 8), _grads(torch, 8)
    with nt.no_grad():
        for a in n:
            a.copy_(a.grad)
    with torch.no_grad():
        for b in t:
            b.copy_(b.grad)
    close(nt.nn.utils.parameters_to_vector(n), torch.nn.utils.parameters_to_vector(t))
    vec = np.arange(21.0)
    nt.nn.utils.vector_to_parameters(nt.tensor(vec), n)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), t)
    for a, b in zip(n, t):
        close(a, b)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type):
    n, t = _grads(nt, 9), _grads(torch, 9)
    n_total = nt.nn.utils.get_total_norm([p.grad for p in n], norm_type)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t], norm_type)
    close(n_total, t_total, what="total norm")
    nt.nn.utils.clip_grads_with_norm_(n, 1.0, n_total)
    torch.nn.utils.clip_grads_with_norm_(t, 1.0, t_total)
    for a, b in zip(n, t):
        close(a.grad, b.grad, what="clipped grad")


# ---------------------------------------------------------------------- state-dict hooks
def _small(lib: Any) -> Any:
    torch.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 1)))


def test_state_dict_hooks_are_called_like_torch():
    calls: dict[str, list[Any]] = {"nt": [], "torch": []}
    for lib, log in ((nt, calls["nt"]), (torch, calls["torch"])):
        net = _small(lib)
        for name, m in net.named_modules():

            def pre(module, prefix, keep_vars, name=name, log=log):
                log.append(("pre", name, prefix, keep_vars))

            def post(module, state_dict, prefix, local_metadata, name=name, log=log, lib=lib):
                log.append(("post", name, prefix, len(state_dict)))
                if name == "1.0":  # drop the batch counter, add a key of our own
                    del state_dict[prefix + "num_batches_tracked"]
                    state_dict[prefix + "note"] = lib.tensor(1.0)

            m.register_state_dict_pre_hook(pre)
            m.register_state_dict_post_hook(post)
        keys = list(net.state_dict(keep_vars=True))
        log.append(keys)
    assert calls["nt"] == calls["torch"]
    assert "1.0.note" in calls["nt"][-1] and "1.0.num_batches_tracked" not in calls["nt"][-1]


def test_state_dict_post_hook_must_return_none_like_torch():
    sizes = []
    for lib in (nt, torch):
        net = _small(lib)
        handle = net.register_state_dict_post_hook(lambda m, sd, prefix, meta: {})
        with pytest.raises(RuntimeError, match="post-hook must return None"):
            net.state_dict()
        handle.remove()
        sizes.append(len(net.state_dict()))
    assert sizes[0] == sizes[1] == 9


def test_load_state_dict_pre_hook_renames_old_keys_like_torch():
    """The classic use: a checkpoint from an older layout (``weight_old``) is renamed by a
    pre-hook before loading; the hook sees the same prefixes and flags in both libraries."""
    t_net = _small(torch)
    saved = {k.replace("1.1.weight", "1.1.weight_old"): v for k, v in t_net.state_dict().items()}
    seen: dict[str, list[Any]] = {"nt": [], "torch": []}
    results = {}
    for lib, log in ((nt, seen["nt"]), (torch, seen["torch"])):
        net = _small(lib)
        with nt.no_grad() if lib is nt else torch.no_grad():
            for p in net.parameters():
                p.zero_()

        def pre(
            module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors, log=log
        ):
            log.append((prefix, strict, sorted(k for k in state_dict if k.startswith(prefix))))
            if prefix + "weight_old" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "weight_old")

        net[1][1].register_load_state_dict_pre_hook(pre)
        converted = {
            k: (nt.tensor(v.numpy().copy()) if lib is nt else v.clone()) for k, v in saved.items()
        }
        result = net.load_state_dict(converted)
        results[lib.__name__] = (list(result.missing_keys), list(result.unexpected_keys))
        log.append(net[1][1].weight.detach().numpy().tolist())
    assert seen["nt"] == seen["torch"]
    assert results["nanotorch"] == results["torch"] == ([], [])
    np.testing.assert_allclose(seen["nt"][-1], t_net[1][1].weight.detach().numpy(), rtol=1e-6)


def test_load_state_dict_post_hook_can_excuse_missing_keys_like_torch():
    outcomes = {}
    for lib in (nt, torch):
        net = _small(lib)
        seen = []

        def post(module, incompatible, seen=seen):
            seen.append((list(incompatible.missing_keys), list(incompatible.unexpected_keys)))
            incompatible.missing_keys[:] = [k for k in incompatible.missing_keys if k != "1.1.bias"]

        net.register_load_state_dict_post_hook(post)
        sd = {k: v for k, v in _small(lib).state_dict().items() if k != "1.1.bias"}
        sd["extra"] = lib.zeros(1)
        with pytest.raises(RuntimeError, match="Unexpected key"):
            net.load_state_dict(sd)
        del sd["extra"]
        result = net.load_state_dict(sd)
        outcomes[lib.__name__] = (seen, list(result.missing_keys))
        handle = net.register_load_state_dict_post_hook(lambda m, keys: "not None")
        with pytest.raises(AssertionError, match="not expected to return"):
            net.load_state_dict(sd)
        handle.remove()
    assert outcomes["nanotorch"] == outcomes["torch"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pattern", ["micro-batches", "zero_grad-keeps-tensors"])
def test_grad_accumulation_into_held_grads_matches_torch(pattern: str, dtype: str) -> None:
    # Note [Accumulating into .grad]: without create_graph a backward adds into the .grad
    # tensor a parameter already has, so a reference the user holds sees the sum, as in
    # PyTorch; zero_grad(set_to_none=False) zeroes those same tensors.
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 4))
    xs = [rng.standard_normal((3, 6)) for _ in range(3)]
    results = []
    for lib in (nt, torch):
        w = lib.tensor(w0, dtype=getattr(lib, dtype), requires_grad=True)
        held, seen = None, []
        for x in xs:
            if pattern == "zero_grad-keeps-tensors" and held is not None:
                with lib.no_grad():
                    w.grad.zero_()
            (lib.tensor(x, dtype=getattr(lib, dtype)) @ w).tanh().sum().backward()
            if held is None:
                held = w.grad
            seen.append((w.grad is held, held.detach().numpy().copy()))
        results.append(seen)
    for (same_nt, g_nt), (same_torch, g_torch) in zip(*results, strict=True):
        assert same_nt == same_torch
        assert g_nt.dtype == g_torch.dtype and g_nt.shape == g_torch.shape
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12)
        np.testing.assert_allclose(g_nt, g_torch, **tol)
