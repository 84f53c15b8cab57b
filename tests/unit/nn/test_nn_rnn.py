"""Recurrent layers (nn/rnn.py): ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the multi-layer
``RNN``, ``LSTM``, ``GRU``, each checked against a NumPy loop written here from PyTorch's
documented equations, by gradcheck on every device, by PyTorch's state_dict keys, and by
learning a small sequence task."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import nanotorch as nt
import nanotorch.nn.functional as F
from nanotorch import nn
from nanotorch.testing import assert_close, gradcheck

F64 = nt.float64


def _np(t):
    return np.asarray(t.detach()._to_host_uncounted(), dtype=np.float64)


def _t(a, device, requires_grad=False):
    return nt.tensor(np.asarray(a, dtype=np.float64), dtype=F64, device=device).requires_grad_(
        requires_grad
    )


# --- the NumPy reference, from PyTorch's documented equations --------------------------------


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step for a batch x (N, I), h (N, H), c (N, H) or None; returns (h', c')."""
    gi = x @ w_ih.T + (0.0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0.0 if b_hh is None else b_hh)
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0.0), None
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c2 = _sig(f) * c + _sig(i) * np.tanh(g)
        return _sig(o) * np.tanh(c2), c2
    ir, iz, in_ = np.split(gi, 3, axis=-1)
    hr, hz, hn = np.split(gh, 3, axis=-1)
    r, z = _sig(ir + hr), _sig(iz + hz)
    n = np.tanh(in_ + r * hn)
    return (1.0 - z) * n + z * h, None


def ref_layers(mode, params, x, h0, c0, num_layers, bidirectional, masks=()):
    """x (T, N, I) time-major; h0/c0 (L*D, N, H). Returns output (T, N, D*H), h_n, c_n.
    ``masks[l]`` (if given) multiplies layer l's output before layer l + 1 (dropout)."""
    dirs = 2 if bidirectional else 1
    hs, cs = [], []
    inp = x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            b_ih, b_hh = params.get("bias_ih" + sfx), params.get("bias_hh" + sfx)
            k = layer * dirs + d
            h, c = h0[k], (c0[k] if c0 is not None else None)
            steps = range(x.shape[0])
            out = [None] * x.shape[0]
            for t in reversed(steps) if d else steps:
                h, c = ref_step(mode, inp[t], h, c, w_ih, w_hh, b_ih, b_hh)
                out[t] = h
            outs.append(np.stack(out))
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, axis=-1)
        if layer < len(masks):
            inp = inp * masks[layer]
    return inp, np.stack(hs), (np.stack(cs) if mode == "LSTM" else None)


MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make(mode, *args, **kwargs):
    if mode == "RNN_TANH":
        return nn.RNN(*args, nonlinearity="tanh", **kwargs)
    if mode == "RNN_RELU":
        return nn.RNN(*args, nonlinearity="relu", **kwargs)
    return getattr(nn, mode)(*args, **kwargs)


def make_cell(mode, *args, **kwargs):
    if mode == "RNN_TANH":
        return nn.RNNCell(*args, nonlinearity="tanh", **kwargs)
    if mode == "RNN_RELU":
        return nn.RNNCell(*args, nonlinearity="relu", **kwargs)
    return getattr(nn, mode + "Cell")(*args, **kwargs)


def params_np(m):
    return {k: _np(v) for k, v in m.state_dict().items()}


OPTIONS = {
    "default": {},
    "two_layers_bidirectional": {"num_layers": 2, "bidirectional": True},
    "batch_first_no_bias": {"batch_first": True, "bias": False},
    "initial_states": {"num_layers": 2, "init": True},
    "unbatched": {"bidirectional": True, "unbatched": True, "init": True},
    "unbatched_default_state": {"unbatched": True, "batch_first": True},
}


# --- layers against the reference -----------------------------------------------------------


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("mode", MODES)
def test_rnn_layers_match_the_numpy_reference(device, mode, option):
    opts = dict(OPTIONS[option])
    init, unbatched = opts.pop("init", False), opts.pop("unbatched", False)
    T, N, I, H = 5, 3, 3, 5  # T = 5: blocks of 2, 2 and 1 (Note [Slicing the projections])
    nt.manual_seed(0)
    m = make(mode, I, H, device=device, dtype=F64, **opts)
    L, D = opts.get("num_layers", 1), 2 if opts.get("bidirectional") else 1
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, N, I))
    h0 = rng.standard_normal((L * D, N, H)) if init else np.zeros((L * D, N, H))
    c0 = rng.standard_normal((L * D, N, H)) if init else np.zeros((L * D, N, H))
    ref_out, ref_h, ref_c = ref_layers(
        mode, params_np(m), x, h0, c0 if mode == "LSTM" else None, L, D == 2
    )
    if unbatched:  # (T, I) input, (L*D, H) states, whatever batch_first says
        x, h0, c0 = x[:, 0], h0[:, 0], c0[:, 0]
        ref_out, ref_h = ref_out[:, 0], ref_h[:, 0]
        ref_c = ref_c[:, 0] if ref_c is not None else None
    elif opts.get("batch_first"):
        x, ref_out = x.swapaxes(0, 1), ref_out.swapaxes(0, 1)
    hx = None
    if init:
        hx = (_t(h0, device), _t(c0, device)) if mode == "LSTM" else _t(h0, device)
    out, state = m(_t(x, device), hx)
    assert_close(out, ref_out, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        h_n, c_n = state
        assert_close(c_n, ref_c, rtol=1e-10, atol=1e-12)
    else:
        h_n = state
    assert_close(h_n, ref_h, rtol=1e-10, atol=1e-12)
    assert tuple(out.shape) == ref_out.shape and tuple(h_n.shape) == ref_h.shape


@pytest.mark.parametrize("mode", MODES)
def test_rnn_cells_match_the_numpy_reference(device, mode):
    nt.manual_seed(0)
    N, I, H = 3, 4, 5
    cell = make_cell(mode, I, H, device=device, dtype=F64)
    p = params_np(cell)
    rng = np.random.default_rng(2)
    x, h, c = rng.standard_normal((N, I)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    ref_h, ref_c = ref_step(
        mode, x, h, c, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
    )
    if mode == "LSTM":
        h2, c2 = cell(_t(x, device), (_t(h, device), _t(c, device)))
        assert_close(c2, ref_c, rtol=1e-10, atol=1e-12)
    else:
        h2 = cell(_t(x, device), _t(h, device))
    assert_close(h2, ref_h, rtol=1e-10, atol=1e-12)
    # No state: zeros. Unbatched: a 1-D input and state.
    zeros = np.zeros((N, H))
    ref0, ref0_c = ref_step(
        mode, x, zeros, zeros, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
    )
    out0 = cell(_t(x, device))
    assert_close(out0[0] if mode == "LSTM" else out0, ref0, rtol=1e-10, atol=1e-12)
    out1 = cell(_t(x[0], device))
    got = out1[0] if mode == "LSTM" else out1
    assert tuple(got.shape) == (H,)
    assert_close(got, ref0[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_cell_without_bias_has_no_bias_parameters(device, mode):
    cell = make_cell(mode, 2, 3, bias=False, device=device)
    assert list(cell.state_dict()) == ["weight_ih", "weight_hh"]
    assert cell.bias_ih is None and cell.bias_hh is None
    p = params_np(cell)
    x = np.ones((1, 2))
    ref, _ = ref_step(
        mode, x, np.zeros((1, 3)), np.zeros((1, 3)), p["weight_ih"], p["weight_hh"], None, None
    )
    out = cell(nt.ones(1, 2, device=device))
    assert_close(out[0] if mode == "LSTM" else out, ref.astype(np.float32), rtol=1e-5)


# --- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_rnn_layers_gradcheck(device, mode):
    """The input, the initial states and the parameters, through 2 bidirectional layers:
    every parameter on cpu; elsewhere (slower) a few, spread over kinds, layers and
    directions, since the same code serves them all. Two steps: the recurrence is in."""
    nt.manual_seed(3)
    m = make(mode, 2, 2, num_layers=2, bidirectional=True, device=device, dtype=F64)
    rng = np.random.default_rng(4)
    x = _t(rng.standard_normal((2, 1, 2)), device, requires_grad=True)
    h0 = _t(rng.standard_normal((4, 1, 2)), device, requires_grad=True)
    params = list(m.parameters())
    if device.type != "cpu":
        names = ("weight_hh_l0_reverse", "bias_ih_l1")
        params = [getattr(m, n) for n in names]
    if mode == "LSTM":
        c0 = _t(rng.standard_normal((4, 1, 2)), device, requires_grad=True)

        def fn(x, h0, c0, *ws):
            out, (h, c) = m(x, (h0, c0))
            return out, h, c

        assert gradcheck(fn, [x, h0, c0, *params], name="LSTM")
    else:

        def fn(x, h0, *ws):
            return m(x, h0)

        assert gradcheck(fn, [x, h0, *params], name=mode)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_cells_gradcheck(device, mode):
    nt.manual_seed(5)
    cell = make_cell(mode, 3, 2, device=device, dtype=F64)
    rng = np.random.default_rng(6)
    x = _t(rng.standard_normal((2, 3)), device, requires_grad=True)
    h = _t(rng.standard_normal((2, 2)), device, requires_grad=True)
    params = list(cell.parameters())
    if mode == "LSTM":
        c = _t(rng.standard_normal((2, 2)), device, requires_grad=True)
        assert gradcheck(lambda x, h, c, *ws: cell(x, (h, c)), [x, h, c, *params], name="cell")
    else:
        assert gradcheck(lambda x, h, *ws: cell(x, h), [x, h, *params], name="cell")


def test_rnn_batch_first_gradcheck(device):
    nt.manual_seed(7)
    m = nn.GRU(2, 2, batch_first=True, bias=False, device=device, dtype=F64)
    x = _t(np.random.default_rng(8).standard_normal((2, 3, 2)), device, requires_grad=True)
    assert gradcheck(lambda x, *ws: m(x)[0], [x, *m.parameters()], name="GRU batch_first")


# --- parameters: names, shapes, init ------------------------------------------------------


def test_lstm_state_dict_keys_and_shapes_are_pytorchs():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    expected = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                expected.append(f"{kind}_l{layer}{sfx}")
    sd = m.state_dict()
    assert list(sd) == expected
    assert tuple(sd["weight_ih_l0"].shape) == (20, 3)
    assert tuple(sd["weight_ih_l1_reverse"].shape) == (20, 10)
    assert tuple(sd["weight_hh_l1"].shape) == (20, 5)
    assert tuple(sd["bias_hh_l0_reverse"].shape) == (20,)
    # all_weights groups them per layer and direction, in the same order.
    assert len(m.all_weights) == 4
    assert m.all_weights[1][0] is m.weight_ih_l0_reverse
    assert m.all_weights[2][3] is m.bias_hh_l1


def test_rnn_and_gru_state_dict_keys_without_bias():
    assert list(nn.RNN(2, 3, num_layers=2, bias=False).state_dict()) == [
        "weight_ih_l0",
        "weight_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
    ]
    gru = nn.GRU(2, 3, bidirectional=True)
    assert list(gru.state_dict()) == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
    ]
    assert tuple(gru.weight_ih_l0.shape) == (9, 2)
    assert list(nn.GRUCell(2, 3).state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert tuple(nn.LSTMCell(2, 3).weight_hh.shape) == (12, 3)


@pytest.mark.parametrize("mode", MODES)
def test_rnn_init_is_uniform_one_over_sqrt_hidden(mode):
    nt.manual_seed(0)
    H = 64
    bound = 1 / math.sqrt(H)
    for m in (make(mode, 40, H, num_layers=2), make_cell(mode, 40, H)):
        for name, p in m.named_parameters():
            a = _np(p)
            assert a.min() >= -bound and a.max() <= bound, name
            assert a.max() > 0.8 * bound and a.min() < -0.8 * bound, name  # fills the range


def test_rnn_state_dict_round_trips_between_models(device):
    nt.manual_seed(0)
    a = nn.LSTM(3, 4, num_layers=2, bidirectional=True, device=device)
    b = nn.LSTM(3, 4, num_layers=2, bidirectional=True, device=device)
    b.load_state_dict(a.state_dict())
    x = nt.randn(5, 2, 3, device=device)
    assert_close(b(x)[0], _np(a(x)[0]).astype(np.float32))


def test_rnn_repr_lists_the_non_default_options():
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)) == (
        "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.GRU(3, 4, bias=False)) == "GRU(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity='relu')"


def test_rnn_flatten_parameters_is_a_no_op():
    """PyTorch code calls it after moving a model; here weights are separate tensors
    already, so nothing changes."""
    m = nn.LSTM(3, 4)
    before = {k: _np(v) for k, v in m.state_dict().items()}
    ids = [id(p) for p in m.parameters()]
    assert m.flatten_parameters() is None
    assert [id(p) for p in m.parameters()] == ids
    assert all(np.array_equal(before[k], _np(v)) for k, v in m.state_dict().items())


# --- dropout between layers ---------------------------------------------------------------


def test_rnn_dropout_only_between_layers_and_only_in_training(device):
    T, N, I, H, p = 4, 3, 2, 3, 0.4
    nt.manual_seed(0)
    m = nn.GRU(
        I,
        H,
        num_layers=3,
        dropout=p,
        bidirectional=True,
        device=device,
        dtype=F64,
        generator=nt.Generator(device).manual_seed(9),
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I))
    zeros = np.zeros((6, N, H))
    # The masks: one draw of (T, N, D*H) per gap between layers, in order (Note [RNN dropout]).
    gen = nt.Generator(device).manual_seed(9)
    masks = [
        (_np(nt.rand(T, N, 2 * H, generator=gen, dtype=F64, device=device)) >= p) / (1 - p)
        for _ in range(2)
    ]
    ref_out, ref_h, _ = ref_layers("GRU", params_np(m), x, zeros, None, 3, True, masks)
    out, h = m(_t(x, device))
    assert_close(out, ref_out, rtol=1e-10, atol=1e-12)
    assert_close(h, ref_h, rtol=1e-10, atol=1e-12)
    m.eval()
    ref_out, _, _ = ref_layers("GRU", params_np(m), x, zeros, None, 3, True)
    assert_close(m(_t(x, device))[0], ref_out, rtol=1e-10, atol=1e-12)


def test_rnn_dropout_with_one_layer_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="dropout option adds dropout after all but last"):
        m = nn.LSTM(2, 3, dropout=0.5)
    x = nt.randn(4, 1, 2)
    m.train()
    a = _np(m(x)[0])
    m.eval()
    assert np.array_equal(a, _np(m(x)[0]))


# --- bad input ------------------------------------------------------------------------------


def test_rnn_bad_constructor_arguments_are_named():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'.*'tanh' or 'relu'"):
        nn.RNN(2, 3, nonlinearity="gelu")
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNNCell(2, 3, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range \\[0, 1\\]"):
        nn.GRU(2, 3, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size.*only supported for LSTM"):
        nn.GRU(2, 3, proj_size=2)
    with pytest.raises(ValueError, match="LSTM: proj_size must be .*smaller than hidden_size"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.raises(ValueError, match="LSTM: num_layers must be at least 1, got 0"):
        nn.LSTM(2, 3, num_layers=0)
    with pytest.raises(ValueError, match="GRU: hidden_size must be positive, got 0"):
        nn.GRU(2, 0)


def test_rnn_bad_inputs_are_named(device):
    m = nn.LSTM(3, 4, num_layers=2, device=device)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(nt.randn(1, 2, 3, 3, device=device))
    with pytest.raises(
        RuntimeError,
        match="LSTM: input.size\\(-1\\) must be equal to input_size. Expected 3, got 5",
    ):
        m(nt.randn(4, 2, 5, device=device))
    with pytest.raises(
        RuntimeError, match="LSTM: expected h0 of shape \\(2, 2, 4\\), got \\(1, 2, 4\\)"
    ):
        m(
            nt.randn(4, 2, 3, device=device),
            (nt.zeros(1, 2, 4, device=device), nt.zeros(2, 2, 4, device=device)),
        )
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
        m(
            nt.randn(4, 2, 3, device=device),
            (nt.zeros(2, 4, device=device), nt.zeros(2, 4, device=device)),
        )
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple \\(h0, c0\\)"):
        m(nt.randn(4, 2, 3, device=device), nt.zeros(2, 2, 4, device=device))
    with pytest.raises(TypeError, match="LSTM: input is float64 but weight_ih_l0 is float32"):
        m(nt.randn(4, 2, 3, dtype=F64, device=device))
    gru = nn.GRU(3, 4, device=device)
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D"):
        gru(nt.randn(4, 3, device=device), nt.zeros(1, 1, 4, device=device))
    cell = nn.GRUCell(3, 4, device=device)
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D"):
        cell(nt.randn(1, 2, 3, device=device))
    with pytest.raises(RuntimeError, match="GRUCell: expected hx of shape \\(2, 4\\), got"):
        cell(nt.randn(2, 3, device=device), nt.zeros(3, 4, device=device))


@pytest.mark.not_on("cpu")
def test_rnn_input_on_another_device_is_named(device):
    m = nn.RNN(2, 3)
    with pytest.raises(
        nt.DeviceMismatchError, match="RNN: input is on .* but weight_ih_l0 is on cpu"
    ):
        m(nt.randn(4, 1, 2, device=device))


# --- the graph: BPTT is the ordinary engine on unrolled steps ---------------------------------


def _count_nodes(t, fn_name):
    seen, stack, count = set(), [t.grad_fn], 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(getattr(node, "fn", None), "__name__", "") == fn_name:
            count += 1
        stack.extend(node.next_nodes)
    return count


@pytest.mark.parametrize("T", [1, 5, 12])
def test_rnn_graph_has_one_input_matmul_and_one_hidden_matmul_per_step(T):
    """The unrolled graph: the whole sequence's x W_ih^T is one op, then one h W_hh^T per
    step; backward is the ordinary engine walking it (discovery/recurrent.md)."""
    m = nn.LSTM(3, 4)
    out, _ = m(nt.randn(T, 2, 3))
    assert _count_nodes(out, "Linear") == 1 + T


def test_rnn_hidden_weight_is_shared_by_every_unrolled_step():
    """W_hh enters the graph once per step, so its gradient is the sum of T per-step terms,
    each accumulated by the engine like any shared parameter."""
    m = nn.RNN(2, 3)
    out, _ = m(nt.randn(7, 1, 2))
    seen, stack, uses = set(), [out.grad_fn], 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for nxt in node.next_nodes:
            if getattr(nxt, "variable", None) is m.weight_hh_l0:
                uses += 1
        stack.extend(node.next_nodes)
    assert uses == 7


def test_rnn_layer_equals_its_cell_unrolled_by_hand(device):
    """nn.LSTM is nn.LSTMCell applied step after step: same outputs, same gradients."""
    nt.manual_seed(0)
    layer = nn.LSTM(3, 4, device=device, dtype=F64)
    cell = nn.LSTMCell(3, 4, device=device, dtype=F64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = nt.randn(6, 2, 3, dtype=F64, device=device)
    out, (h_n, c_n) = layer(x)
    (out * out).sum().backward()
    h = c = nt.zeros(2, 4, dtype=F64, device=device)
    hs = []
    for t in range(6):
        h, c = cell(x[t], (h, c))
        hs.append(h)
    by_hand = nt.stack(hs)
    (by_hand * by_hand).sum().backward()
    assert_close(out, _np(by_hand), rtol=1e-12, atol=1e-14)
    assert_close(c_n[0], _np(c), rtol=1e-12, atol=1e-14)
    assert_close(layer.weight_hh_l0.grad, _np(cell.weight_hh.grad), rtol=1e-10, atol=1e-12)


# --- vanishing gradients -------------------------------------------------------------------


def _first_to_last_grad_ratio(model, T):
    x = nt.randn(T, 1, 8, dtype=F64, requires_grad=True)
    out, _ = model(x)
    out[-1].sum().backward()
    g = _np(x.grad)
    return np.linalg.norm(g[0]) / np.linalg.norm(g[-1])


def test_rnn_gradient_vanishes_for_tanh_rnn_but_not_for_lstm_with_forget_bias():
    """d(last output)/d(x_t) over 60 steps: a tanh RNN's shrinks by many orders of magnitude
    from the last step to the first; an LSTM whose forget gate starts open (bias 3) keeps a
    usable share (discovery/recurrent.md)."""
    nt.manual_seed(0)
    T, H = 60, 16
    rnn = nn.RNN(8, H, dtype=F64)
    lstm = nn.LSTM(8, H, dtype=F64)
    with nt.no_grad():
        lstm.bias_ih_l0[H : 2 * H] = 3.0  # the forget gate's slice (order i, f, g, o)
    r_rnn = _first_to_last_grad_ratio(rnn, T)
    r_lstm = _first_to_last_grad_ratio(lstm, T)
    assert r_rnn < 1e-8
    assert r_lstm > 1e-3
    assert r_lstm > 1e5 * r_rnn


def test_lstm_forget_bias_is_what_keeps_the_gradient():
    """The same LSTM with PyTorch's default init (forget gate ~ sigmoid(0) = 1/2 at the
    start) loses the early gradient almost as fast as the tanh RNN; opening the forget gate
    (bias 3, sigmoid(3) ~ 0.95) keeps it."""
    nt.manual_seed(0)
    T, H = 60, 16
    lstm = nn.LSTM(8, H, dtype=F64)
    r_default = _first_to_last_grad_ratio(lstm, T)
    with nt.no_grad():
        lstm.bias_ih_l0[H : 2 * H] = 3.0
    r_open = _first_to_last_grad_ratio(lstm, T)
    assert r_default < 1e-8
    assert r_open > 1e5 * r_default


# --- learning --------------------------------------------------------------------------------


class _Recall(nn.Module):
    def __init__(self, vocab: int, hidden: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 8)
        self.lstm = nn.LSTM(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, (h, _) = self.lstm(self.emb(tokens))
        return self.head(h[-1])


def test_lstm_learns_to_remember_the_first_token():
    """Sequences of 8 random tokens; the target is the first. Only a state carried across
    all 8 steps can answer; chance is 1/4."""
    nt.manual_seed(0)
    rng = np.random.default_rng(0)
    model = _Recall(4, 24)
    opt = nt.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(120):
        seq = rng.integers(0, 4, size=(32, 8))
        loss = F.cross_entropy(model(nt.tensor(seq)), nt.tensor(seq[:, 0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    seq = rng.integers(0, 4, size=(256, 8))
    with nt.no_grad():
        pred = _np(model(nt.tensor(seq)).argmax(-1))
    assert (pred == seq[:, 0]).mean() > 0.95


# --- PyTorch itself, when it is installed -----------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@pytest.mark.parametrize("mode", MODES)
def test_rnn_matches_pytorch_when_importable(mode):
    """PyTorch's own layer, loaded with our state_dict: same output, final state and weight
    gradient for two bidirectional batch_first layers."""
    import torch

    nt.manual_seed(0)
    m = make(mode, 3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=F64)
    cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}.get(mode, torch.nn.RNN)
    extra = {"nonlinearity": mode[4:].lower()} if mode.startswith("RNN") else {}
    ref = cls(3, 4, 2, batch_first=True, bidirectional=True, dtype=torch.float64, **extra)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in params_np(m).items()})
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    out, state = m(nt.tensor(x, dtype=F64))
    ref_out, ref_state = ref(torch.from_numpy(x))
    h_n, ref_h = (state[0], ref_state[0]) if mode == "LSTM" else (state, ref_state)
    assert_close(out, ref_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_close(h_n, ref_h.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out * out).sum().backward()
    (ref_out * ref_out).sum().backward()
    assert_close(
        m.weight_hh_l1_reverse.grad,
        ref.weight_hh_l1_reverse.grad.numpy(),
        rtol=1e-9,
        atol=1e-12,
    )
