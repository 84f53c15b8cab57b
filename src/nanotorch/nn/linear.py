"""Affine layers: ``F.linear``, ``Linear`` and ``Identity``; ``F.bilinear`` and ``Bilinear``.

``linear`` checks its arguments at the boundary (naming the layer's shapes, dtypes and
devices) and then runs one fused op, ``ops.matmul.Linear`` (dx = g W, dW = g^T x, db = sum
of g): a composite of ``matmul`` and ``add`` would compute the same, with four ops per layer
instead of one and a column-major dW (discovery/performance.md).

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.creation import empty
from nanotorch.dtypes import DType
from nanotorch.errors import DeviceMismatchError, ShapeError, UnsupportedDtypeError
from nanotorch.nn import init
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops._util import int_arg
from nanotorch.ops.matmul import Linear as LinearFn
from nanotorch.ops.matmul import LinearRelu as LinearReluFn
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = ("linear", "bilinear")


def check_same_place(op: str, input: Tensor, **others: Tensor | None) -> None:  # noqa: A002
    """Raise if ``others`` (weight, bias, ...) are not on ``input``'s device and dtype,
    naming the op, both sides and the fix."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    device, dtype = input._device, input._data.dtype
    for name, t in others.items():
        if t is None:
            continue
        # Every layer of every step comes here: one device object and one dtype object per
        # kind settle the usual case by identity, before the checks that name the problem.
        if isinstance(t, Tensor) and t._device is device and t._data.dtype is dtype:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.device != input.device:
            raise DeviceMismatchError(
                f"{op}: input is on {input.device} but {name} is on {t.device}; move the input "
                f"with .to('{t.device}') or the module/tensor with .to('{input.device}')"
            )
        if t.dtype is not input.dtype:
            # A RuntimeError too: PyTorch's layers raise one ("mat1 and mat2 must have the
            # same dtype").
            raise UnsupportedDtypeError(
                f"{op}: input is {input.dtype.name} but {name} is {t.dtype.name}; convert one "
                f"with .to(nanotorch.{t.dtype.name}) (or model.double() / model.float())"
            )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x W^T + b, with x of shape (*, in_features), W (out_features, in_features) and
    b (out_features,). Gradients: dx = g W, dW = g^T x, db = sum of g over the batch dims.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.linear(nanotorch.ones(1, 2), nanotorch.ones(3, 2), nanotorch.zeros(3)).tolist()
    [[2.0, 2.0, 2.0]]
    """
    _check_linear(input, weight, bias)
    # One fused op (ops/matmul.py: Linear): fewer dispatches, and dW in W's own layout.
    return LinearFn.apply(input, weight, bias)


def linear_relu(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """relu(linear(input, weight, bias)) as one op: what ``Sequential`` runs for an
    ``nn.Linear`` followed by an ``nn.ReLU`` (Note [Linear and ReLU fused] in
    nn/container.py). Same checks and errors as ``linear``."""
    _check_linear(input, weight, bias)
    return LinearReluFn.apply(input, weight, bias)


def _check_linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:  # noqa: A002
    check_same_place("linear", input, weight=weight, bias=bias)
    w_shape = weight._data.shape
    if len(w_shape) != 2:
        raise ShapeError(
            f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}"
        )
    x_shape = input._data.shape
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ShapeError(
            f"linear: input of shape {input.shape} does not match weight of shape "
            f"{weight.shape}: the input's last dim must be in_features={weight.shape[1]}"
        )
    if bias is not None and tuple(bias._data.shape) != (w_shape[0],):
        raise ShapeError(
            f"linear: bias of shape {bias.shape} does not match out_features; expected "
            f"({weight.shape[0]},)"
        )


class Linear(Module):
    """y = x W^T + b.

    ``weight``: (out_features, in_features), ``bias``: (out_features,), as in PyTorch, so
    checkpoints load without transposing. Initialisation follows PyTorch: W from
    ``kaiming_uniform_(a=sqrt(5))`` (that is, U(-1/sqrt(in), 1/sqrt(in))) and b from
    U(-1/sqrt(in), 1/sqrt(in)).

    >>> from nanotorch import nn
    >>> nn.Linear(3, 2)
    Linear(in_features=3, out_features=2, bias=True)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        # Checked here so the error names Linear, not the ``empty`` call below.
        self.in_features = int_arg("Linear", "in_features", in_features)
        self.out_features = int_arg("Linear", "out_features", out_features)
        self.weight = Parameter(
            empty((self.out_features, self.in_features), device=device, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(self.out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments (handy as a
    placeholder when a layer is switched off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input


def bilinear(
    input1: Tensor,
    input2: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
) -> Tensor:
    """y_o = sum_ij x1_i W_oij x2_j + b_o over the last dims of ``input1`` (.., in1) and
    ``input2`` (.., in2), with ``weight`` (out, in1, in2).

    Composite: x1 times W laid out as (in1, out*in2) gives each output's row vector x1^T W_o,
    then a product with x2 summed over in2; the gradients come from those ops."""
    op = "bilinear"
    check_same_place(op, input1, input2=input2, weight=weight, bias=bias)
    if weight.ndim != 3:
        raise ShapeError(f"{op}: weight must be (out, in1, in2), got {tuple(weight.shape)}")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(
            f"{op}: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not fit "
            f"weight {tuple(weight.shape)}: they need the same leading dims and last dims "
            f"{in1} and {in2}"
        )
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    rows = x1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)
    y = (rows.reshape(-1, out, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out,))


class Bilinear(Module):
    """y = x1^T A x2 + b with ``weight`` (out, in1, in2) and ``bias`` (out,), both from
    U(-1/sqrt(in1), 1/sqrt(in1)) as in PyTorch."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        self.in1_features = int_arg("Bilinear", "in1_features", in1_features)
        self.in2_features = int_arg("Bilinear", "in2_features", in2_features)
        self.out_features = int_arg("Bilinear", "out_features", out_features)
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(self.out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


__all__ = ["Bilinear", "Identity", "Linear", "bilinear", "linear"]
