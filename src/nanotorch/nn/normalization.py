"""Normalisation: ``F.layer_norm``, ``F.batch_norm``, ``F.group_norm`` and the modules
``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d`` (one ``_BatchNorm`` base) and ``GroupNorm``.

All three compute y = (x - mean) / sqrt(var + eps) * weight + bias; they differ only in the
elements that share a mean and a (biased) variance: the trailing ``normalized_shape`` dims of
each sample (layer norm), each channel across the batch and space (batch norm), or each
group of channels within one sample (group norm). Batch and group norm are composites of
differentiable ops (mean, multiply, rsqrt), so gradients and second derivatives come from
those ops; the backward through the statistics is what keeps normalised activations
centred. Layer norm, in every transformer block twice, is one fused op with the same
derivative written out (Note [Fused layer norm]).

Note [Batch-norm statistics]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~
In training mode batch norm normalises with the batch's own statistics and updates the
running estimates in place, outside the graph:
running = (1 - momentum) running + momentum * batch_stat, with the *unbiased* batch variance
(n / (n - 1) times the biased one used for normalising), as PyTorch does. ``momentum=None``
gives a cumulative average (factor 1 / num_batches_tracked), computed on the device so that
no value is read back. In evaluation mode the running estimates are used and nothing
changes. With ``track_running_stats=False`` there are no estimates and the batch statistics
are used in both modes. The buffers keep PyTorch's names (``running_mean``, ``running_var``,
``num_batches_tracked``, int64) so checkpoints load directly.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.autograd.grad_mode import is_grad_enabled, no_grad
from nanotorch.creation import empty, ones, tensor, zeros
from nanotorch.dtypes import DType, int64
from nanotorch.errors import ShapeError
from nanotorch.nn import init
from nanotorch.nn.linear import check_same_place
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.ops._util import int_arg
from nanotorch.ops.elementwise import rsqrt
from nanotorch.tensor import Tensor

# The functional ops this family exports through nanotorch.nn.functional; the op-spec
# tests derive from it (Note [Op registry] in ops/__init__.py).
OPS = (
    "layer_norm",
    "batch_norm",
    "group_norm",
    "instance_norm",
    "rms_norm",
    "local_response_norm",
)


def _channel_view(t: Tensor, ndim: int) -> Tensor:
    """A (C,) tensor shaped to broadcast along dim 1 of an (N, C, *) tensor."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _normalize(x: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """((x - mean) / sqrt(var + eps), mean, biased var) over ``dims`` (kept as size 1)."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * rsqrt(var + eps), mean, var


# Note [Fused layer norm]
# ~~~~~~~~~~~~~~~~~~~~~~~
# As a composite, layer norm is about ten ops forward and twenty backward, each a full pass
# over the activations and a graph node; a GPT runs it twice per block. ``LayerNormFn`` does
# the forward in one op and saves the normalised input xhat and 1/sqrt(var + eps) (rstd).
# With D the normalised elements, gx = g * weight and means over the normalised dims:
#
#     dx = rstd (gx - mean(gx) - xhat mean(gx xhat)),  dweight = g xhat,  dbias = g
#
# (dweight and dbias summed over the other dims by the engine's un-broadcasting, Note
# [Central un-broadcasting]). A plain backward (nothing recorded, the training case)
# computes all three on raw arrays in one op, ``LayerNormGrad``; under ``create_graph`` the
# same formula is written with Tensor ops from the saved input, so second derivatives hold.
# tests/unit/test_gpt_fast_paths.py compares both with the composite and counts the ops.


class LayerNormFn(Function):
    """y = xhat * weight + bias, xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps), the
    mean and biased variance over the last ``k`` dims; weight and bias may be None.
    Saves x, weight, and xhat and rstd as rows (Note [Fused layer norm])."""

    @staticmethod
    def forward(ctx, xp, x, weight, bias, k, eps):
        # The normalised dims as one row per sample: sums and dot products along the last
        # axis are single, contiguous passes (a view when x is contiguous).
        d = math.prod(x.shape[x.ndim - k :])
        rows = xp.reshape(x, (math.prod(x.shape[: x.ndim - k]), d))
        mean = xp.sum(rows, axis=-1, keepdims=True)
        mean *= 1.0 / d
        backend = ctx.backend  # xhat and out from the cpu pool
        xhat = backend.subtract(rows, mean)
        var = xp.reshape(xp.vecdot(xhat, xhat), (-1, 1))
        var *= 1.0 / d
        var += eps
        rstd = 1.0 / xp.sqrt(var)
        xhat *= rstd
        ctx.save_for_backward(x, weight, xhat, rstd)
        ctx.k = k
        ctx.eps = eps
        if weight is not None:
            out = backend.multiply(xhat, xp.reshape(weight, (d,)))
        elif bias is not None:
            out = xhat + xp.reshape(bias, (d,))
            bias = None
        else:
            out = xp.asarray(xhat, copy=True)  # the output must not alias a saved array
        if bias is not None:
            out += xp.reshape(bias, (d,))
        return xp.reshape(out, x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight, xhat, rstd = ctx.saved_tensors
        _, need_w, need_b = ctx.needs_input_grad
        k = ctx.k
        # Grad mode on means create_graph: Note [Grad mode in backward] (engine.py).
        if not is_grad_enabled():
            extra: list[Any] = []
            grad_x = LayerNormGrad.apply(
                g, xhat, rstd, weight, shape=tuple(x.shape[x.ndim - k :]),
                want_x=ctx.needs_input_grad[0], want_w=need_w, want_b=need_b, extra=extra,
            )  # fmt: skip
            grad_w, grad_b = (
                None if e is None else Tensor._make(e, g._device, g._backend) for e in extra
            )
            return grad_x if ctx.needs_input_grad[0] else None, grad_w, grad_b
        dims = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        rstd = rsqrt((centered * centered).mean(dims, keepdim=True) + ctx.eps)
        xhat = centered * rstd
        gx = g * weight if weight is not None else g
        grad_x = rstd * (
            gx - gx.mean(dims, keepdim=True) - xhat * (gx * xhat).mean(dims, keepdim=True)
        )
        return grad_x, g * xhat if need_w else None, g if need_b else None


class LayerNormGrad(Function):
    """Layer norm's plain backward on raw arrays (Note [Fused layer norm]), from the rows
    xhat (N, D) and rstd (N, 1) that forward saved: returns dx (``rstd`` itself when
    ``want_x`` is False) and appends dweight and dbias (summed over the rows, in the
    normalised ``shape``, or None) to ``extra``: one op for the three gradients. Not
    differentiable."""

    differentiable = False

    @staticmethod
    def forward(ctx, xp, g, xhat, rstd, weight, shape, want_x, want_w, want_b, extra):
        n, d = xhat.shape
        rows = xp.reshape(g, (n, d))
        mul = ctx.backend.multiply  # the (N, D) products from the cpu pool
        extra.append(xp.reshape(xp.sum(mul(rows, xhat), axis=0), shape) if want_w else None)
        extra.append(xp.reshape(xp.sum(rows, axis=0), shape) if want_b else None)
        if not want_x:
            return rstd
        gx = mul(rows, xp.reshape(weight, (d,))) if weight is not None else rows
        dx = mul(xhat, xp.reshape(xp.vecdot(gx, xhat), (n, 1)))  # xhat mean(gx xhat), times D
        dx += xp.sum(gx, axis=-1, keepdims=True)  # + mean(gx), times D
        dx *= 1.0 / d
        dx -= gx
        dx *= -rstd
        return xp.reshape(dx, g.shape)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the mean and biased
    variance taken over the last ``len(normalized_shape)`` dims of each sample.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.layer_norm(nanotorch.tensor([[1.0, 3.0]]), (2,)).tolist()
    [[-0.9999949932098389, 0.9999949932098389]]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    check_same_place("layer_norm", input, weight=weight, bias=bias)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise ShapeError(
            f"layer_norm: input of shape {tuple(input.shape)} does not end with "
            f"normalized_shape {shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(
                f"layer_norm: {name} of shape {tuple(t.shape)} must equal normalized_shape {shape}"
            )
    return LayerNormFn.apply(input, weight, bias, k=k, eps=eps)  # Note [Fused layer norm]


def _check_per_channel(op: str, input: Tensor, **params: Tensor | None) -> None:  # noqa: A002
    """Each given per-channel tensor (running statistics, weight, bias) has shape (C,), C
    being dim 1 of ``input``."""
    channels = input.shape[1]
    for name, t in params.items():
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(
                f"{op}: input has {channels} channels (dim 1 of shape {tuple(input.shape)}) "
                f"but {name} has shape {tuple(t.shape)}"
            )


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """out * weight_c + bias_c per channel (dim 1 of ``out``); either may be absent."""
    if weight is not None:
        out = out * _channel_view(weight, out.ndim)
    return out + _channel_view(bias, out.ndim) if bias is not None else out


def _batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float | Tensor,
    eps: float,
) -> Tensor:
    """``batch_norm`` whose momentum may also be a 0-d tensor (the cumulative average)."""
    op = "batch_norm"
    check_same_place(
        op, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if input.ndim < 2:
        raise ShapeError(
            f"{op}: expected an input of shape (N, C, *), got shape {tuple(input.shape)}"
        )
    channels = input.shape[1]
    _check_per_channel(
        op, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if training:
        count = input.numel() // channels if channels else 0
        if count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input of "
                f"shape {tuple(input.shape)}"
            )
        dims = (0,) + tuple(range(2, input.ndim))
        out, mean, var = _normalize(input, dims, eps)
        # Note [Batch-norm statistics]: in place, outside the graph, on the device.
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(channels) * momentum)
            if running_var is not None:
                unbiased = var.detach().reshape(channels) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                f"{op}: running_mean and running_var are needed when training=False (or pass "
                "training=True to normalise with the batch statistics)"
            )
        out = (input - _channel_view(running_mean, input.ndim)) * rsqrt(
            _channel_view(running_var, input.ndim) + eps
        )
    return _affine(out, weight, bias)


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c for each channel c (dim 1):
    batch statistics over (N, *) in training mode (updating the running ones in place),
    running statistics otherwise. Note [Batch-norm statistics]."""
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of each sample into ``num_groups`` groups and normalise each
    group over its channels and positions; then scale and shift per channel. Independent
    of the batch size (unlike batch norm); one group is layer norm over (C, *)."""
    op = "group_norm"
    check_same_place(op, input, weight=weight, bias=bias)
    if input.ndim < 2:
        raise ShapeError(f"{op}: expected an input of shape (N, C, *), got {tuple(input.shape)}")
    n, channels = input.shape[0], input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ShapeError(
            f"{op}: input has {channels} channels (dim 1 of shape {tuple(input.shape)}), not "
            f"divisible by num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(
                f"{op}: {name} of shape {tuple(t.shape)} must have one entry per channel "
                f"({channels},)"
            )
    per_group = input.numel() // (n * num_groups) if n * num_groups else 0
    grouped = input.reshape(n, num_groups, per_group)
    out, _, _ = _normalize(grouped, (2,), eps)
    out = out.reshape(input.shape)
    return _affine(out, weight, bias)


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample's channels separately over their positions (dims 2, ...):
    y = (x - mean_nc) / sqrt(var_nc + eps) * weight_c + bias_c. With ``use_input_stats``
    and running statistics given, these move towards the batch average of the per-instance
    mean and unbiased variance (in place, outside the graph); without ``use_input_stats``
    the running statistics normalise instead."""
    op = "instance_norm"
    check_same_place(
        op, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if input.ndim < 3:
        raise ShapeError(
            f"{op}: expected an input of shape (N, C, *) with at least one spatial dim, got "
            f"shape {tuple(input.shape)}"
        )
    channels = input.shape[1]
    _check_per_channel(
        op, input, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    dims = tuple(range(2, input.ndim))
    if use_input_stats:
        count = input.numel() // (input.shape[0] * channels) if input.numel() else 0
        if count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 spatial element when training, got input of "
                f"shape {tuple(input.shape)}"
            )
        out, mean, var = _normalize(input, dims, eps)
        with no_grad():  # Note [Batch-norm statistics]: outside the graph, on the device
            if running_mean is not None:
                batch_mean = mean.detach().reshape(input.shape[0], channels).mean(0)
                running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
            if running_var is not None:
                unbiased = var.detach().reshape(input.shape[0], channels).mean(0)
                running_var.mul_(1 - momentum).add_(unbiased * (momentum * count / (count - 1)))
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                f"{op}: running_mean and running_var are needed when use_input_stats=False"
            )
        out = (input - _channel_view(running_mean, input.ndim)) * rsqrt(
            _channel_view(running_var, input.ndim) + eps
        )
    return _affine(out, weight, bias)


# The machine epsilon of each floating dtype: rms_norm's default eps, as in PyTorch.
_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """y = x / sqrt(mean(x^2) + eps) * weight, the mean over the last
    ``len(normalized_shape)`` dims (no centring, no bias); ``eps=None`` is the machine
    epsilon of the input's dtype.

    >>> import nanotorch
    >>> import nanotorch.nn.functional as F
    >>> F.rms_norm(nanotorch.tensor([[3.0, 4.0]]), (2,), eps=0.0).tolist()
    [[0.8485281467437744, 1.1313709020614624]]
    """
    op = "rms_norm"
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    check_same_place(op, input, weight=weight)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k :]) != shape:
        raise ShapeError(
            f"{op}: input of shape {tuple(input.shape)} does not end with normalized_shape {shape}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise ShapeError(
            f"{op}: weight of shape {tuple(weight.shape)} must equal normalized_shape {shape}"
        )
    if eps is None:
        eps = _EPS.get(input.dtype.name, 2.0**-23)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def local_response_norm(
    input: Tensor,  # noqa: A002
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """Local response normalisation across channels (Krizhevsky et al., 2012):
    y_c = x_c / (k + alpha / size * sum of x_j^2 over the ``size`` channels around c)^beta,
    the window zero-padded at the ends (size // 2 before, (size - 1) // 2 after), as in
    PyTorch. Composite: the window sum is an average pool over the channel dim."""
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise ShapeError(
            f"{op}: expected an input of shape (N, C, *) with at least 3 dims, got "
            f"{tuple(input.shape)}"
        )
    size = int_arg(op, "size", size, 1)
    from nanotorch.ops.padding import pad
    from nanotorch.ops.pool import avg_pool2d

    n, c = input.shape[0], input.shape[1]
    square = (input * input).reshape(n, 1, c, -1)
    padded = pad(square, (0, 0, size // 2, (size - 1) // 2))
    mean = avg_pool2d(padded, (size, 1), stride=1).reshape(input.shape)
    return input / (mean * alpha + k) ** beta


# ----------------------------------------------------------------------------- modules
def _check_eps(owner: str, eps: Any) -> None:
    # eps keeps the variance's square root away from 0; a negative one can make it nan.
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise TypeError(f"{owner}: eps must be a number, got {type(eps).__name__} {eps!r}")
    if not eps > 0:
        raise ValueError(f"{owner}: eps must be > 0, got {eps}")


class LayerNorm(Module):
    """``F.layer_norm`` over the trailing ``normalized_shape`` dims, with learnable
    per-element ``weight`` (ones) and ``bias`` (zeros) when ``elementwise_affine``."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            int_arg("LayerNorm", "normalized_shape", s) for s in normalized_shape
        )
        _check_eps("LayerNorm", eps)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input ranks they
    accept. Note [Batch-norm statistics]."""

    _expected = "2D or 3D"
    _ranks: tuple[int, ...] = (2, 3)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: DType | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = int_arg(owner, "num_features", num_features)
        _check_eps(owner, eps)
        if momentum is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, (int, float))
        ):
            raise TypeError(
                f"{owner}: momentum must be a number in [0, 1] or None, got "
                f"{type(momentum).__name__} {momentum!r}"
            )
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{owner}: momentum must be in [0, 1] or None, got {momentum}")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            # ``bias=False`` (PyTorch 2.x): a learned scale and no shift.
            self.weight = Parameter(empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self._ranks:
            raise ValueError(
                f"{type(self).__name__}: expected {self._expected} input (got {input.ndim}D "
                f"input of shape {tuple(input.shape)})"
            )
        factor: float | Tensor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                # Cumulative average, computed on the device: no value is read back.
                factor = 1.0 / self.num_batches_tracked.to(input.dtype)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return _batch_norm(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per channel C."""


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C."""

    _expected = "4D"
    _ranks = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) inputs, per channel C."""

    _expected = "5D"
    _ranks = (5,)


class _InstanceNorm(_BatchNorm):
    """What InstanceNorm1d/2d/3d share: per-sample, per-channel statistics over the spatial
    dims (``F.instance_norm``); by default no affine parameters and no running statistics,
    as in PyTorch. An unbatched input (one dim fewer) is treated as a batch of one."""

    _spatial = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: DType | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        rank = self._spatial + 2
        if input.ndim not in (rank - 1, rank):
            raise ValueError(
                f"{type(self).__name__}: expected {rank - 1}D (unbatched) or {rank}D (batched) "
                f"input, got {input.ndim}D of shape {tuple(input.shape)}"
            )
        unbatched = input.ndim == rank - 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ShapeError(
                f"{type(self).__name__}: expected {self.num_features} channels (dim "
                f"{0 if unbatched else 1}), got input of shape {tuple(input.shape)}"
            )
        use_input_stats = self.training or not self.track_running_stats
        out = instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or (C, L) inputs."""


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or (C, H, W) inputs."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or (C, D, H, W) inputs."""

    _spatial = 3


class RMSNorm(Module):
    """``F.rms_norm`` over the last dims (``normalized_shape``) with a learnable ``weight``
    (ones) when ``elementwise_affine``; ``eps=None`` uses the input dtype's epsilon."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: DType | None = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(int_arg("RMSNorm", "normalized_shape", n) for n in shape)
        if eps is not None:
            _check_eps("RMSNorm", eps)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """``F.local_response_norm`` with fixed ``size``, ``alpha``, ``beta`` and ``k``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class GroupNorm(Module):
    """``F.group_norm`` with learnable per-channel ``weight`` (ones) and ``bias`` (zeros)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: DType | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        num_groups = int_arg("GroupNorm", "num_groups", num_groups, 1)
        num_channels = int_arg("GroupNorm", "num_channels", num_channels)
        _check_eps("GroupNorm", eps)
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "LocalResponseNorm",
    "RMSNorm",
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "rms_norm",
]
