"""``nn.Buffer`` (assigning one to a module attribute registers a buffer, persistent or not)
and ``nn.RNNCellBase`` (the public base of RNNCell, LSTMCell and GRUCell), as in PyTorch."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch import nn


def test_nn_buffer_assignment_registers_a_buffer(device) -> None:
    m = nn.Module()
    m.running = nn.Buffer(nt.ones(3, device=device))
    m.scratch = nn.Buffer(nt.zeros(2, device=device), persistent=False)
    assert [name for name, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["running"]
    assert isinstance(m.running, nt.Tensor) and isinstance(m.running, nn.Buffer)
    assert not isinstance(nt.ones(1), nn.Buffer)
    assert m.running.tolist() == [1.0, 1.0, 1.0] and not m.running.requires_grad
    # Re-assigning a persistent Buffer over a non-persistent one makes it persistent.
    m.scratch = nn.Buffer(nt.ones(2, device=device))
    assert list(m.state_dict()) == ["running", "scratch"]
    # Ops on a Buffer give plain tensors, as ops on a Parameter do.
    assert not isinstance(m.running * 2, nn.Buffer)


def test_nn_buffer_keeps_requires_grad_and_default() -> None:
    b = nn.Buffer(nt.ones(2, requires_grad=True))
    assert b.requires_grad and b.is_leaf and b.persistent
    assert tuple(nn.Buffer().shape) == (0,)
    with pytest.raises(TypeError, match=r"Buffer: data must be a Tensor, got list.*nn.Buffer\("):
        nn.Buffer([1.0])


def test_nn_buffer_survives_deepcopy_and_to() -> None:
    import copy

    m = nn.Module()
    m.x = nn.Buffer(nt.ones(2), persistent=False)
    twin = copy.deepcopy(m)
    assert twin.x.persistent is False and twin.x is not m.x
    twin.x = twin.x  # re-assigning keeps it non-persistent
    assert list(twin.state_dict()) == []
    m.to(nt.float64)
    assert m.x.dtype == nt.float64 and list(m.state_dict()) == []


def test_nn_buffer_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    tm, m = torch.nn.Module(), nn.Module()
    tm.a = torch.nn.Buffer(torch.ones(2), persistent=False)
    m.a = nn.Buffer(nt.ones(2), persistent=False)
    tm.b = torch.nn.Buffer(torch.ones(2))
    m.b = nn.Buffer(nt.ones(2))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]


def test_nn_rnn_cell_base_is_the_cells_base() -> None:
    for cell in (nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)):
        assert isinstance(cell, nn.RNNCellBase)
    assert not isinstance(nn.RNN(3, 4), nn.RNNCellBase)
    base = nn.RNNCellBase(3, 4, bias=False, num_chunks=2)
    assert tuple(base.weight_ih.shape) == (8, 3) and base.bias_ih is None
    torch = pytest.importorskip("torch")
    assert issubclass(torch.nn.GRUCell, torch.nn.RNNCellBase)
    tbase = torch.nn.RNNCellBase(3, 4, bias=False, num_chunks=2)
    assert [n for n, _ in base.named_parameters()] == [n for n, _ in tbase.named_parameters()]
