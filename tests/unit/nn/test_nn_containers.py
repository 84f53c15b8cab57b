"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict`` register what they hold."""

from __future__ import annotations

from collections import OrderedDict

import pytest

import nanotorch as nt
from nanotorch import nn
from nanotorch.testing import assert_close


def test_sequential_names_children_by_position_and_chains_forward(device):
    seq = nn.Sequential(nn.Linear(3, 4, device=device), nn.ReLU(), nn.Linear(4, 1, device=device))
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = nt.randn(5, 3, device=device)
    assert_close(seq(x), seq[2](seq[1](seq[0](x))))


def test_sequential_indexing_len_iteration_append():
    a, b, c = nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    assert list(seq) == [a, b]
    assert seq.append(c) is seq
    assert seq[2] is c and len(seq) == 3
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]  # names kept, as in PyTorch
    seq[1] = nn.ReLU()
    assert isinstance(seq[1], nn.ReLU)
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1"] and seq[1] is c
    with pytest.raises(IndexError, match="index 5 is out of range for Sequential of length 2"):
        seq[5]  # noqa: B018


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in seq.named_children()] == ["fc", "act"]
    assert seq.fc is seq[0]


def test_sequential_refuses_non_modules():
    with pytest.raises(TypeError, match="Module.add_module: 'function' is not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_module_list_registers_and_behaves_like_a_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    assert len(layers) == 2
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    extra = nn.Linear(2, 2)
    layers.append(extra)
    layers.extend([nn.ReLU()])
    layers.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "Linear", "Linear", "ReLU"]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    assert layers[3] is extra and layers[-1] is layers[4]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert len(list(layers.parameters())) == 6
    with pytest.raises(NotImplementedError, match="ModuleList.*forward"):
        layers(nt.ones(1))


def test_module_dict_registers_by_key():
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    assert list(heads.keys()) == ["a", "b"] and len(heads) == 2 and "a" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    heads["c"] = nn.ReLU()
    assert list(heads) == ["a", "b", "c"]
    assert [k for k, _ in heads.items()] == ["a", "b", "c"]
    assert isinstance(list(heads.values())[2], nn.ReLU)
    popped = heads.pop("b")
    assert isinstance(popped, nn.Linear) and "b" not in heads
    heads.update({"d": nn.Tanh()})
    assert list(heads) == ["a", "c", "d"]
    del heads["a"]
    assert list(heads) == ["c", "d"]
    with pytest.raises(KeyError, match="'zz'"):
        heads["zz"]  # noqa: B018
