"""Copies: between devices (``to_device``), between dtypes (``cast``) and ``clone``.

``ToDevice`` is the only op that moves data between devices, and it does so through the
backend layer's counted ``copy_between``. It is differentiable: the gradient is copied back
to the source device, so a model can be split across devices explicitly.
"""

from __future__ import annotations

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import no_grad
from nanotorch.backend import Device, copy_between, get_backend
from nanotorch.dtypes import DType
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("cast", "clone", "to_device")


class ToDevice(Function):
    """out = a copied to another device;  da = g copied back to a's device."""

    @staticmethod
    def forward(ctx, xp, a, src, dst):
        ctx.src = src
        return copy_between(a, src, dst)

    @staticmethod
    def backward(ctx, g):
        return to_device(g, ctx.src.device)


def to_device(a: Tensor, device: Device) -> Tensor:
    dst = get_backend(device)
    if dst.device is a._device:
        return a
    dst.native_dtype(a.dtype)  # the destination may lack the dtype (float16 on strict)
    out = ToDevice.apply(a, src=a._backend, dst=dst)
    # apply places outputs on the inputs' device; this op's output lives on ``dst``.
    out._device, out._backend = dst.device, dst
    return out


class Cast(Function):
    """out = a converted to ``dtype``;  da = g converted back to a's dtype."""

    @staticmethod
    def forward(ctx, xp, a, native, dtype):
        ctx.in_dtype = ctx.backend.dtype_of(a)
        return xp.astype(a, native)

    @staticmethod
    def backward(ctx, g):
        return cast(g, ctx.in_dtype)


def cast(a: Tensor, dtype: DType) -> Tensor:
    if a.dtype is dtype:
        return a
    native = a._backend.native_dtype(dtype)
    if dtype.is_floating_point and a.dtype.is_floating_point:
        return Cast.apply(a, native=native, dtype=dtype)
    with no_grad():  # integer and bool results carry no gradient
        return Cast.apply(a, native=native, dtype=dtype)


class Clone(Function):
    """out = a copy of a with its own memory;  da = g."""

    @staticmethod
    def forward(ctx, xp, a):
        return xp.asarray(a, copy=True)

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input: Tensor) -> Tensor:  # noqa: A002
    return Clone.apply(input)
