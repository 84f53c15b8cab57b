"""Weight initialisation: fill a tensor in place from a chosen distribution.

Every function runs under ``no_grad`` (so it works on Parameters that require grad), changes
the tensor in place and returns it, and takes ``generator=`` for reproducible draws (default:
the default generator of the tensor's device). The scaled schemes keep the variance of
activations (Xavier/Glorot) or of pre-activations through a rectifier (Kaiming/He) roughly
constant from layer to layer; ``calculate_gain`` supplies the factor each nonlinearity needs.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import math
from typing import Any

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.random import Generator
from nanotorch.tensor import Tensor

_LINEAR_GAINS = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def _float_tensor(op: str, tensor: Any) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a Tensor, got {type(tensor).__name__}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(
            f"nn.init.{op}: needs a floating tensor, got {tensor.dtype!r}; convert it with "
            ".float() first"
        )
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for a nonlinearity (PyTorch's table):

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)) (slope ``param``, default 0.01);  selu: 3/4.

    >>> from nanotorch.nn import init
    >>> round(init.calculate_gain("relu"), 4), round(init.calculate_gain("tanh"), 4)
    (1.4142, 1.6667)
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        f"{', '.join(_LINEAR_GAINS + ('tanh', 'relu', 'leaky_relu', 'selu'))}"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out as PyTorch's: (out, in, *kernel), so
    fan_in = in * prod(kernel) and fan_out = out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from U(a, b).

    >>> import nanotorch
    >>> from nanotorch.nn import init
    >>> w = init.uniform_(nanotorch.empty(1000), -0.5, 0.5)
    >>> bool(w.min() >= -0.5) and bool(w.max() < 0.5)
    True
    """
    _float_tensor("uniform_", tensor)
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _float_tensor("normal_", tensor)
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    _float_tensor("constant_", tensor)
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _float_tensor("xavier_uniform_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _float_tensor("xavier_normal_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), where
    gain = calculate_gain(nonlinearity, a) and fan is fan_in or fan_out (``mode``).

    ``nn.Linear`` uses ``a=sqrt(5)``, which gives bound = 1 / sqrt(fan_in)."""
    _float_tensor("kaiming_uniform_", tensor)
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    if tensor.numel() == 0:
        return tensor
    bound = gain * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    _float_tensor("kaiming_normal_", tensor)
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, gain / math.sqrt(fan), generator)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal, also when not square), so a
    Linear layer starts out passing its inputs through."""
    _float_tensor("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only 2-D tensors are supported, got {tensor.ndim}-D")
    from nanotorch.creation import eye

    rows, cols = tensor.shape
    with no_grad():
        return tensor.copy_(eye(rows, cols, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: each of the first
    min(out, in) output channels of every group copies its input channel at the kernel's
    centre, so the convolution starts out as the identity."""
    _float_tensor("dirac_", tensor)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(
            f"nn.init.dirac_: only 3-, 4- and 5-D tensors are supported, got {tensor.ndim}-D"
        )
    out_channels = tensor.shape[0]
    if groups < 1 or out_channels % groups:
        raise ValueError(
            f"nn.init.dirac_: dim 0 ({out_channels}) must be divisible by groups={groups}"
        )
    per_group = out_channels // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    with no_grad():
        tensor.zero_()
        for g in range(groups):
            for c in range(min(per_group, tensor.shape[1])):
                tensor[(g * per_group + c, c, *centre)] = 1.0
    return tensor


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std^2) truncated to [a, b], by the inverse CDF: a uniform draw
    between the CDF values of a and b, mapped back through erfinv (no rejection loop)."""
    _float_tensor("trunc_normal_", tensor)

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    with no_grad():
        tensor.uniform_(2 * low - 1, 2 * high - 1, generator=generator)
        tensor.copy_(tensor.erfinv() * (std * math.sqrt(2.0)) + mean)
        return tensor.clamp_(a, b)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): rows are
    ``shape[0]``, the remaining dims flattened into columns. A standard normal matrix A
    (transposed when wider than tall, so QR sees a tall one) is factored A = Q R, and each
    column of Q is multiplied by the sign of R's diagonal entry, which makes the factorisation
    unique and so Q uniformly (Haar) distributed rather than biased by the QR routine's sign
    choices. W W^T = gain^2 I when rows <= cols, W^T W = gain^2 I otherwise.

    >>> import nanotorch
    >>> w = nanotorch.nn.init.orthogonal_(nanotorch.empty(3, 3, dtype=nanotorch.float64))
    >>> bool(((w @ w.T) - nanotorch.eye(3, dtype=nanotorch.float64)).abs().max() < 1e-12)
    True
    """
    _float_tensor("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError(
            f"nn.init.orthogonal_: only tensors with 2 or more dimensions are supported, got a "
            f"{tensor.ndim}-D tensor of shape {tuple(tensor.shape)}; a vector has no orthogonal "
            "form, use normal_ instead"
        )
    if tensor.numel() == 0:
        return tensor  # nothing to fill
    from nanotorch.creation import empty
    from nanotorch.linalg import qr

    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        a = empty(rows, cols, dtype=tensor.dtype, device=tensor.device)
        a.normal_(0.0, 1.0, generator=generator)
        if rows < cols:
            a = a.T
        q, r = qr(a)
        q = q * r.diagonal(0, -2, -1).sign()
        if rows < cols:
            q = q.T
        return tensor.copy_((q * gain).reshape(tensor.shape))


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) draws, then zero ``ceil(sparsity * rows)`` randomly
    chosen entries of every column (Martens, 2010: each unit sees a sparse set of inputs).

    >>> import nanotorch
    >>> w = nanotorch.nn.init.sparse_(nanotorch.empty(4, 3), sparsity=0.5)
    >>> (w == 0).sum(0).tolist()
    [2, 2, 2]
    """
    _float_tensor("sparse_", tensor)
    if tensor.ndim != 2:
        raise ValueError(
            f"nn.init.sparse_: only 2-D tensors are supported, got a {tensor.ndim}-D tensor of "
            f"shape {tuple(tensor.shape)}; reshape it to (rows, cols) first"
        )
    from nanotorch.creation import randperm

    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        tensor.normal_(0.0, std, generator=generator)
        for col in range(cols):
            chosen = randperm(rows, generator=generator, device=tensor.device)[:num_zeros]
            tensor[chosen, col] = 0.0
    return tensor


__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "trunc_normal_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
