"""Recurrent layers: ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the multi-layer ``RNN``,
``LSTM`` and ``GRU``.

Names, arguments, defaults, parameter names and layouts, gate order and initialisation follow
PyTorch, so a PyTorch state_dict loads unchanged. The gates, with sigma the logistic sigmoid
and every W x meaning x W^T as in ``F.linear``:

    RNN:   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)            (or relu)
    LSTM:  i, f, g, o = the four H-wide slices of W_ih x + b_ih + W_hh h + b_hh
           c' = sigma(f) * c + sigma(i) * tanh(g),   h' = sigma(o) * tanh(c')
    GRU:   r, z = sigma(W_ir x + b_ir + W_hr h + b_hr), sigma(W_iz x + b_iz + W_hz h + b_hz)
           n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

so ``weight_ih`` is (G*H, input) and ``weight_hh`` (G*H, H) with G = 1, 4 (i, f, g, o) or
3 (r, z, n) stacked gate blocks. Every parameter starts from U(-1/sqrt(H), 1/sqrt(H)).

Note [Backpropagation through time]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
There is no recurrent backward here. ``forward`` unrolls the sequence in Python, one step
after another, out of ordinary differentiable ops (linear, slices, sigmoid, tanh, mul, add,
stack), so the graph it records is the unrolled network; ``loss.backward()`` walks it back
through every step like any other graph, and that walk *is* backpropagation through time
(discovery/recurrent.md). Two choices keep the per-step Python work small:

- The input half of every gate does not depend on the state, so it is computed for the
  whole sequence at once: one ``linear(x, W_ih, b_ih)`` on the (T, N, input) sequence gives
  all T steps' input projections; each step then adds only its ``h W_hh^T + b_hh`` (one
  fused ``linear``) and applies the gates.
- Outputs are collected in a list and stacked once at the end.

Note [Slicing the projections]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
Step t reads ``proj[t]`` from the (T, N, G*H) projections. The gradient of a slice is a
full-size array of zeros with the slice's gradient written in (``GetItem`` in
ops/indexing.py), so T slices of the whole sequence would cost T full-size arrays in
backward, quadratic in T (measured: a 64-step LSTM's forward + backward took about twice
as long; discovery/recurrent.md).
Slicing in two levels -- blocks of about sqrt(T) steps, then a step from its block -- costs
about 2 sqrt(T) full-size arrays instead, and gives the same values and gradients.

Layers run time-major inside ((T, N, features)); ``batch_first`` inputs are transposed on
the way in and the output on the way out, and unbatched inputs get a batch dim of 1.

Note [RNN dropout]
~~~~~~~~~~~~~~~~~~
With ``dropout=p`` > 0, in training mode only, the output of every layer but the last (both
directions concatenated, time-major (T, N, D*H)) passes through ``F.dropout`` with the
module's ``generator`` (None: the default generator of the input's device), one draw per
gap between layers, in layer order; Note [Dropout masks] in nn/dropout.py says what a draw
is. The last layer's output and the final states are never dropped, as in PyTorch.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

from nanotorch.creation import empty, zeros
from nanotorch.dtypes import DType
from nanotorch.errors import ShapeError
from nanotorch.nn import init
from nanotorch.nn.dropout import dropout as _dropout
from nanotorch.nn.linear import check_same_place, linear
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops import relu, sigmoid, tanh
from nanotorch.ops._util import int_arg
from nanotorch.ops.shape import cat, stack
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

# Stacked gate blocks per mode: the G in weight_ih's (G*H, input).
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

State = tuple[Tensor, ...]  # (h,) or, for the LSTM, (h, c); each (N, H)


def _step(
    mode: str,
    gi: Tensor,
    state: State,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> State:
    """One time step: ``gi`` = x W_ih^T + b_ih (N, G*H) for this step, ``state`` the previous
    (h,) or (h, c). Returns the new state; the equations are in the module docstring. An LSTM
    with ``proj_size`` passes ``w_hr`` (P, H): its h' is projected to h' W_hr^T, P wide."""
    h = state[0]
    gh = linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return (tanh(gi + gh),)
    if mode == "RNN_RELU":
        return (relu(gi + gh),)
    H = h.shape[-1]
    if mode == "LSTM":
        H = state[1].shape[-1]  # with a projection, h is narrower than the cell
        gates = gi + gh
        i = sigmoid(gates[:, :H])
        f = sigmoid(gates[:, H : 2 * H])
        g = tanh(gates[:, 2 * H : 3 * H])
        o = sigmoid(gates[:, 3 * H :])
        c = f * state[1] + i * g
        h_new = o * tanh(c)
        return (h_new if w_hr is None else linear(h_new, w_hr), c)
    # GRU: r and z share one sigmoid; n needs r applied to the hidden half alone.
    rz = sigmoid(gi[:, : 2 * H] + gh[:, : 2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    return (n + z * (h - n),)  # = (1 - z) * n + z * h, one op fewer


def _time_steps(proj: Tensor, reverse: bool) -> Iterator[tuple[int, Tensor]]:
    """``(t, proj[t])`` for every step, last to first when ``reverse``; Note [Slicing the
    projections]."""
    T = proj.shape[0]
    size = max(math.isqrt(T), 1)
    starts = range(0, T, size)
    for start in reversed(starts) if reverse else starts:
        # min(): out-of-range slice stops are outside the array API standard.
        block = proj if size >= T else proj[start : min(start + size, T)]
        offsets = range(block.shape[0])
        for i in reversed(offsets) if reverse else offsets:
            yield start + i, block[i]


def _check_nonlinearity(op: str, nonlinearity: str) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(
            f"{op}: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
        )
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


def _check_input(name: str, input: Any, rank: int, **weight: Tensor) -> None:  # noqa: A002
    """What cells and layers check first: ``input`` is a Tensor, unbatched (``rank`` dims) or
    batched (one more), and on the device and dtype of ``weight``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (rank, rank + 1):
        raise ShapeError(
            f"{name}: Expected input to be {rank}D or {rank + 1}D, got {input.ndim}D instead "
            f"(shape {tuple(input.shape)})"
        )
    check_same_place(name, input, **weight)


def _check_sizes(op: str, input_size: int, hidden_size: int) -> tuple[int, int]:
    input_size = int_arg(op, "input_size", input_size)
    hidden_size = int_arg(op, "hidden_size", hidden_size)
    if hidden_size <= 0:
        raise ValueError(f"{op}: hidden_size must be positive, got {hidden_size}")
    return input_size, hidden_size


# --- cells ----------------------------------------------------------------------------------


class RNNCellBase(Module):
    """What the three cells share: parameters ``weight_ih`` (G*H, input), ``weight_hh``
    (G*H, H), ``bias_ih`` and ``bias_hh`` (G*H,), PyTorch's init, and the input checks."""

    _mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size, self.hidden_size = _check_sizes(name, input_size, hidden_size)
        self.bias = bias
        rows = num_chunks * self.hidden_size
        self.weight_ih = Parameter(empty((rows, self.input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((rows, self.hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self._mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s

    def _run(self, input: Tensor, hx: State | None) -> State:  # noqa: A002
        """Check the input and states, add a batch dim to unbatched ones, take one step and
        drop the batch dim again."""
        name = type(self).__name__
        _check_input(name, input, 1, weight_ih=self.weight_ih)
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size} (input shape {tuple(input.shape)})"
            )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        n = x.shape[0]
        expected = (n, self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            h0 = zeros((n, self.hidden_size), dtype=input.dtype, device=input.device)
            state: State = (h0, h0) if self._mode == "LSTM" else (h0,)
        else:
            for label, t in zip(("hx", "cx"), hx):
                check_same_place(name, input, **{label: t})
                if tuple(t.shape) != expected:
                    raise ShapeError(
                        f"{name}: expected {label} of shape {expected}, got {tuple(t.shape)} "
                        f"(input shape {tuple(input.shape)}, hidden_size={self.hidden_size})"
                    )
            state = hx if batched else tuple(t.unsqueeze(0) for t in hx)
        gi = linear(x, self.weight_ih, self.bias_ih)
        out = _step(self._mode, gi, state, self.weight_hh, self.bias_hh)
        return out if batched else tuple(t.squeeze(0) for t in out)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity='relu'``: relu) for
    input (N, input_size) or (input_size,) and h of the matching (N, H) or (H,); h defaults
    to zeros. Returns h'.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> tuple(nn.RNNCell(3, 5)(nanotorch.ones(2, 3)).shape)
    (2, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        self._mode = _check_nonlinearity("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._run(input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; see the module docstring): ``(h', c') =
    cell(x, (h, c))``; (h, c) defaults to zeros.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> h, c = nn.LSTMCell(3, 5)(nanotorch.ones(2, 3))
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 5), (2, 5))
    """

    _mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(
                f"LSTMCell: hx must be a tuple (h, c) of two tensors, got {type(hx).__name__}"
            )
        h, c = self._run(input, None if hx is None else tuple(hx))
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; see the module docstring): ``h' = cell(x, h)``; h
    defaults to zeros.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> tuple(nn.GRUCell(3, 5)(nanotorch.ones(3)).shape)
    (5,)
    """

    _mode = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._run(input, None if hx is None else (hx,))[0]


# --- multi-layer, optionally bidirectional layers --------------------------------------------


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: the parameters ``weight_ih_l{k}``,
    ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the backward
    direction), registered in PyTorch's order (per layer, forward then reverse; per direction
    w_ih, w_hh, b_ih, b_hh), the argument and input checks, and the unrolled forward pass
    (Note [Backpropagation through time]).

    Layer k > 0 reads the previous layer's output, D*H wide (D = 2 when bidirectional), so
    ``weight_ih_l{k}`` is (G*H, D*H). The states are (num_layers*D, N, H), row k*D + d for
    layer k, direction d.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: DType | None = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        self.mode = mode
        self.input_size, self.hidden_size = _check_sizes(name, input_size, hidden_size)
        self.num_layers = int_arg(name, "num_layers", num_layers)
        if self.num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
        if (
            not isinstance(dropout, (int, float))
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{name}: dropout option adds dropout after all but last recurrent layer, so "
                f"non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={self.num_layers}",
                UserWarning,
                stacklevel=3,
            )
        proj_size = int_arg(name, "proj_size", proj_size)
        if proj_size != 0:
            if mode != "LSTM":
                raise ValueError(
                    f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU "
                    f"(got proj_size={proj_size}); leave it at 0"
                )
            if not 0 < proj_size < self.hidden_size:
                raise ValueError(
                    f"LSTM: proj_size must be positive and smaller than hidden_size, got "
                    f"proj_size={proj_size} and hidden_size={self.hidden_size}"
                )
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self.generator = generator
        num_directions = 2 if bidirectional else 1
        rows = _GATES[mode] * self.hidden_size
        out = self._out_size
        self._flat_weights_names: list[str] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else out * num_directions
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (rows, layer_input), "weight_hh": (rows, out)}
                if bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                if proj_size:
                    shapes.update(weight_hr=(proj_size, self.hidden_size))
                for kind, shape in shapes.items():
                    p = Parameter(empty(shape, device=device, dtype=dtype))
                    self.register_parameter(kind + sfx, p)
                    self._flat_weights_names.append(kind + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    @property
    def _out_size(self) -> int:
        """The width of h (and of each direction's output): proj_size if set, else H."""
        return self.proj_size or self.hidden_size

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN; here each
        parameter is its own tensor. Kept so PyTorch code that calls it runs unchanged."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, each [w_ih, w_hh(, b_ih, b_hh)]."""
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        flat = [getattr(self, n) for n in self._flat_weights_names]
        return [flat[i : i + per] for i in range(0, len(flat), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _initial_state(self, input: Tensor, hx: Any, batched: bool) -> list[Tensor]:  # noqa: A002
        """The initial states as (num_layers*D, N, H) tensors ([h0] or [h0, c0]), checked,
        zeros when ``hx`` is None, batch dim added for unbatched input."""
        name, lstm = self._name, self.mode == "LSTM"
        rows = self.num_layers * (2 if self.bidirectional else 1)
        n = input.shape[1 if not self.batch_first else 0] if batched else 1
        out = self._out_size
        if hx is None:
            h0 = zeros((rows, n, out), dtype=input.dtype, device=input.device)
            if not lstm:
                return [h0]
            if out == self.hidden_size:
                return [h0, h0]
            return [h0, zeros((rows, n, self.hidden_size), dtype=input.dtype, device=input.device)]
        if lstm:
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError(
                    f"LSTM: hx must be a tuple (h0, c0) of two tensors, got {type(hx).__name__}"
                )
            states, labels = list(hx), ("h0", "c0")
        else:
            states, labels = [hx], ("h0",)
        for label, t in zip(labels, states):
            check_same_place(name, input, **{label: t})
        want = 3 if batched else 2
        if any(t.ndim != want for t in states):
            dims = ", ".join(f"{t.ndim}-D" for t in states)
            kind = "batched 3-D" if batched else "unbatched 2-D"
            what = "hx and cx" if lstm else "hx"
            raise ShapeError(
                f"{name}: For {kind} input, {what} should also be {want}-D but got ({dims}) "
                f"tensor(s)"
            )
        for label, t in zip(labels, states):
            width = self.hidden_size if label == "c0" else out
            expected = (rows, n, width) if batched else (rows, width)
            if tuple(t.shape) != expected:
                raise ShapeError(
                    f"{name}: expected {label} of shape {expected}, got {tuple(t.shape)} "
                    f"((num_layers * num_directions, batch, hidden_size) for input of shape "
                    f"{tuple(input.shape)})"
                )
        return states if batched else [t.unsqueeze(1) for t in states]

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        name = self._name
        _check_input(name, input, 2, weight_ih_l0=self.weight_ih_l0)
        if input.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )
        batched = input.ndim == 3
        states = self._initial_state(input, hx, batched)
        # Time-major inside: (T, N, features); Note [Backpropagation through time].
        if not batched:
            x = input.unsqueeze(1)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise ShapeError(
                f"{name}: Expected sequence length to be larger than 0, got input of shape "
                f"{tuple(input.shape)}"
            )
        num_directions = 2 if self.bidirectional else 1
        finals: list[State] = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                k = layer * num_directions + direction
                w_hh = getattr(self, "weight_hh" + sfx)
                b_hh = getattr(self, "bias_hh" + sfx) if self.bias else None
                b_ih = getattr(self, "bias_ih" + sfx) if self.bias else None
                w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size else None
                # All T steps' input projections in one op.
                proj = linear(x, getattr(self, "weight_ih" + sfx), b_ih)
                state = tuple(s[k] for s in states)
                hs: list[Tensor] = [None] * x.shape[0]  # type: ignore[list-item]
                for t, gi in _time_steps(proj, reverse=direction == 1):
                    state = _step(self.mode, gi, state, w_hh, b_hh, w_hr)
                    hs[t] = state[0]
                outs.append(stack(hs))
                finals.append(state)
            x = outs[0] if num_directions == 1 else cat(outs, dim=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                # Note [RNN dropout]
                x = _dropout(x, self.dropout, True, generator=self.generator)
        h_n = stack([s[0] for s in finals])
        if not batched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if self.mode != "LSTM":
            return x, h_n
        c_n = stack([s[1] for s in finals])
        return x, (h_n, c_n.squeeze(1) if not batched else c_n)


class RNN(RNNBase):
    """A stack of Elman RNN layers: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    (``nonlinearity='relu'``: relu), PyTorch's arguments and layout.

    Input (T, N, input_size) ((N, T, input_size) with ``batch_first``) or unbatched
    (T, input_size); ``hx`` (num_layers*D, N, H) or (num_layers*D, H), zeros by default.
    Returns ``(output, h_n)``: output (T, N, D*H) (forward and reverse directions
    concatenated along the features) and h_n (num_layers*D, N, H). Gradients come from the
    ordinary engine walking the unrolled steps (Note [Backpropagation through time]).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> out, h = nn.RNN(3, 4, num_layers=2, bidirectional=True)(nanotorch.ones(5, 2, 3))
    >>> tuple(out.shape), tuple(h.shape)
    ((5, 2, 8), (4, 2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: DType | None = None,
        *,
        proj_size: int = 0,
        generator: Generator | None = None,
    ) -> None:
        mode = _check_nonlinearity("RNN", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
            generator=generator,
        )


class LSTM(RNNBase):
    """A stack of LSTM layers (gates i, f, g, o, in that order in the weights; see the module
    docstring), PyTorch's arguments and layout.

    ``hx`` is a tuple (h0, c0), each (num_layers*D, N, H) (unbatched: (num_layers*D, H)),
    zeros by default. With ``proj_size`` P > 0 each step's h is projected, h = (o * tanh(c))
    W_hr^T with ``weight_hr_l{k}`` (P, H): h0, h_n and each direction's output are P wide,
    ``weight_hh`` is (4H, P), and c stays H wide (PyTorch's LSTMP). Returns
    ``(output, (h_n, c_n))``; shapes as for ``RNN``. Gradients come
    from the ordinary engine walking the unrolled steps (Note [Backpropagation through time]).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> out, (h, c) = nn.LSTM(3, 4, batch_first=True)(nanotorch.ones(2, 5, 3))
    >>> tuple(out.shape), tuple(h.shape), tuple(c.shape)
    ((2, 5, 4), (1, 2, 4), (1, 2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: DType | None = None,
        *,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
            generator=generator,
        )


class GRU(RNNBase):
    """A stack of GRU layers (gates r, z, n, in that order in the weights;
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h), PyTorch's
    arguments and layout. Inputs, states and outputs as for ``RNN``. Gradients come from the
    ordinary engine walking the unrolled steps (Note [Backpropagation through time]).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> out, h = nn.GRU(3, 4)(nanotorch.ones(5, 3))
    >>> tuple(out.shape), tuple(h.shape)
    ((5, 4), (1, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: DType | None = None,
        *,
        proj_size: int = 0,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
            generator=generator,
        )


__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
