"""More pools, built on pool.py's: ``max_pool1d``, ``avg_pool1d``, ``adaptive_avg_pool1d``,
``adaptive_max_pool1d``/``2d``/``3d`` and ``max_unpool1d``/``2d``.

- A 1-D pool is the 2-D pool of pool.py over an image of height 1 (kernel (1, k), stride
  (1, s), padding (0, p)): same Functions, same gradients, ``ceil_mode`` and
  ``count_include_pad`` included (Note [Pool windows]); only the argument checks speak 1-D.
- Adaptive max pooling has bins of varying length ([floor(i n / m), ceil((i + 1) n / m)),
  PyTorch's bins), so it cannot slide one window. Note [Adaptive max as a gather]: each
  bin is padded to the longest bin by repeating its last element (which cannot change the
  maximum or the first position where it is reached), the padded bins are read with one
  ``Take`` per spatial dim, and ``max(dim)`` picks the first maximum of each flattened bin in
  row-major order (PyTorch's scan order). The gradient goes to that element through the
  gather's scatter-add; the returned indices are flat ``h * W + w`` positions, as in PyTorch.
- ``max_unpool`` writes each value at its index in a zero output: ``MaxUnpool``.
- Note [3-D pools from 2-D ones]: a max (or a sum) over a D x H x W window is a max (sum)
  over the depth window of the H x W window's max (sum). So ``max_pool3d``/``avg_pool3d``
  run pool.py's 2-D Function over every depth slice (depth folded into the batch), then
  reduce kD strided depth slices of that result, padded with -inf (max) or 0 (sum); the
  first maximum in (d, h, w) order wins, as in PyTorch. ``avg_pool3d``'s divisor is the
  product of the per-dim window counts (Note [Pool windows]).

This module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nanotorch.autograd.function import Function
from nanotorch.determinism import alert_not_deterministic
from nanotorch.errors import InvalidArgumentError, ShapeError
from nanotorch.ops.conv import check_rank, check_tensor, non_negative, positive
from nanotorch.ops.indexing import Take, index_range
from nanotorch.ops.matmul import matmul
from nanotorch.ops.padding import pad
from nanotorch.ops.pool import (
    AvgPool2d,
    MaxPool2d,
    MaxPoolIndices,
    _adaptive_matrix,
    _batched,
    _pool_length,
    _window_counts,
    adaptive_avg_pool2d,
    check_pool_args,
    pool_geometry,
)
from nanotorch.ops.shape import stack as stack_slices
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = (
    "max_pool1d",
    "avg_pool1d",
    "max_pool3d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
)


# ---------------------------------------------------------------------------- 1-D pools
def _pool1d_args(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any
) -> tuple[Tensor, bool, tuple[int, int, int, int]]:
    """The (N, C, 1, L) view of ``x`` and the checked (k, s, p, d), with 1-D errors."""
    x3, unbatched = _batched(op, x, 1)
    where = f" (input shape {tuple(x.shape)})"
    (k,), (s,), (p,), (d,) = check_pool_args(
        op, kernel_size, stride, padding, dilation, where, nd=1
    )
    return x3.unsqueeze(2), unbatched, (k, s, p, d)


def _squeeze1d(out: Tensor, unbatched: bool) -> Tensor:
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def max_pool1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window of length k of (N, C, L) or (C, L): max_pool2d over an image of
    height 1. ``return_indices=True`` also returns the positions along L.

    >>> import nanotorch
    >>> nanotorch.max_pool1d(nanotorch.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2).tolist()
    [[3.0, 5.0]]
    """
    op = "max_pool1d"
    x, unbatched, (k, s, p, d) = _pool1d_args(op, input, kernel_size, stride, padding, dilation)
    geom = pool_geometry(op, tuple(x.shape), (1, k), (1, s), (0, p), (1, d), bool(ceil_mode))
    out = _squeeze1d(MaxPool2d.apply(x, geom=geom), unbatched)
    if not return_indices:
        return out
    return out, _squeeze1d(MaxPoolIndices.apply(x, geom=geom), unbatched)


def avg_pool1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window of length k of (N, C, L) or (C, L): avg_pool2d over an image of
    height 1, with the same divisor rules (Note [Pool windows]).

    >>> import nanotorch
    >>> nanotorch.avg_pool1d(nanotorch.tensor([[1.0, 3.0, 2.0, 6.0]]), 2).tolist()
    [[2.0, 4.0]]
    """
    op = "avg_pool1d"
    x, unbatched, (k, s, p, _) = _pool1d_args(op, input, kernel_size, stride, padding, 1)
    geom = pool_geometry(op, tuple(x.shape), (1, k), (1, s), (0, p), (1, 1), bool(ceil_mode))
    out = AvgPool2d.apply(
        x, geom=geom, count_include_pad=bool(count_include_pad), divisor_override=None
    )
    return _squeeze1d(out, unbatched)


# ---------------------------------------------------------------------------- 3-D pools
def _pool3d_args(
    op: str,
    input: Any,  # noqa: A002 - PyTorch's name
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
) -> tuple[Tensor, bool, tuple[tuple[int, ...], ...], int, int]:
    """The batched input, whether it was unbatched, (k, s, p, d) as triples, and the depth
    grid size and right depth padding (Note [Pool windows])."""
    x, unbatched = _batched(op, input, 3)
    where = f" (input shape {tuple(input.shape)})"
    k, s, p, d = check_pool_args(op, kernel_size, stride, padding, dilation, where, nd=3)
    depth = x.shape[2]
    span = d[0] * (k[0] - 1) + 1
    if span > depth + 2 * p[0]:
        raise ShapeError(
            f"{op}: kernel {k} (depth span {span}) is larger than the padded input depth "
            f"{depth + 2 * p[0]}{where}; use a smaller kernel or pad more"
        )
    od = _pool_length(depth, k[0], s[0], p[0], d[0], ceil_mode)
    after = max(p[0], (od - 1) * s[0] + span - depth - p[0])
    return x, unbatched, (k, s, p, d), od, after


def _per_slice(x: Tensor) -> Tensor:
    """(N, C, D, H, W) -> (N * D, C, H, W): every depth slice an image of the batch."""
    n, c, depth, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(n * depth, c, h, w)


def _from_slices(y: Tensor, n: int, depth: int) -> Tensor:
    return y.reshape(n, depth, *y.shape[1:]).permute(0, 2, 1, 3, 4)


def _depth_windows(
    y: Tensor, k: int, s: int, d: int, od: int, before: int, after: int, fill: float
) -> Tensor:
    """(N, C, k, OD, H, W): the depth slices each kernel depth position reads."""
    padded = pad(y, (0, 0, 0, 0, before, after), value=fill) if before or after else y
    return stack_slices(
        [padded[:, :, i * d : i * d + s * (od - 1) + 1 : s] for i in range(k)], dim=2
    )


def max_pool3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each kD x kH x kW window of (N, C, D, H, W) or (C, D, H, W), PyTorch's
    signature; ``return_indices`` gives flat ``(d * H + h) * W + w`` positions. Note [3-D
    pools from 2-D ones].

    >>> import nanotorch
    >>> nanotorch.max_pool3d(nanotorch.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
    [[[[7.0]]]]
    """
    op = "max_pool3d"
    x, unbatched, (k, s, p, d), od, after = _pool3d_args(
        op, input, kernel_size, stride, padding, dilation, bool(ceil_mode)
    )
    n, _, depth, h, w = x.shape
    flat = _per_slice(x)
    geom = pool_geometry(op, tuple(flat.shape), k[1:], s[1:], p[1:], d[1:], bool(ceil_mode))
    per_slice = _from_slices(MaxPool2d.apply(flat, geom=geom), n, depth)
    windows = _depth_windows(per_slice, k[0], s[0], d[0], od, p[0], after, -float("inf"))
    values, pick = windows.max(dim=2)  # first maximal depth: PyTorch's (d, h, w) order
    if return_indices:
        from nanotorch.creation import arange

        starts = (arange(od, device=x.device) * s[0] - p[0]).reshape(1, 1, od, 1, 1)
        src_d = (starts + pick * d[0]).clamp(0, depth - 1)
        hw = _from_slices(MaxPoolIndices.apply(flat, geom=geom), n, depth)
        indices = src_d * (h * w) + hw.gather(2, src_d)
    if unbatched:
        values = values.squeeze(0)
        if return_indices:
            indices = indices.squeeze(0)
    return (values, indices) if return_indices else values


def avg_pool3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each kD x kH x kW window of (N, C, D, H, W) or (C, D, H, W), PyTorch's
    signature and divisor rules. Note [3-D pools from 2-D ones].

    >>> import nanotorch
    >>> nanotorch.avg_pool3d(nanotorch.arange(8.0).reshape(1, 2, 2, 2), 2).tolist()
    [[[[3.5]]]]
    """
    op = "avg_pool3d"
    x, unbatched, (k, s, p, _), od, after = _pool3d_args(
        op, input, kernel_size, stride, padding, 1, bool(ceil_mode)
    )
    if divisor_override is not None and (
        not isinstance(divisor_override, int)
        or isinstance(divisor_override, bool)
        or divisor_override <= 0
    ):
        raise ValueError(
            f"{op}: divisor_override must be a positive int or None, got {divisor_override!r}"
        )
    n, _, depth, _, _ = x.shape
    flat = _per_slice(x)
    geom = pool_geometry(op, tuple(flat.shape), k[1:], s[1:], p[1:], (1, 1), bool(ceil_mode))
    sums = AvgPool2d.apply(flat, geom=geom, count_include_pad=True, divisor_override=1)
    total = _depth_windows(_from_slices(sums, n, depth), k[0], s[0], 1, od, p[0], after, 0.0)
    total = total.sum(dim=2)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        out = total / _divisor3d(x, geom, k[0], s[0], p[0], od, bool(count_include_pad))
    return out.squeeze(0) if unbatched else out


def _divisor3d(x: Tensor, geom: Any, k: int, s: int, p: int, od: int, include_pad: bool) -> Tensor:
    """(OD, OH, OW) window sizes: the product of the per-dim counts (Note [Pool windows])."""
    backend = x._backend
    xp = backend.xp
    with backend.context():
        dev = x._data.device
        depth = x.shape[2]
        start = xp.arange(od, dtype=xp.int64, device=dev) * s - p
        end = xp.clip(start + k, max=depth + p)
        cd = end - start if include_pad else xp.clip(end, max=depth) - xp.clip(start, min=0)
        ch = _window_counts(xp, geom, 0, include_pad, dev)
        cw = _window_counts(xp, geom, 1, include_pad, dev)
        counts = (
            xp.reshape(cd, (-1, 1, 1)) * xp.reshape(ch, (1, -1, 1)) * xp.reshape(cw, (1, 1, -1))
        )
        counts = xp.astype(counts, x._data.dtype)
    return Tensor._make(counts, x._device, backend)


# ---------------------------------------------------------------------------- adaptive pools
def _output_size(op: str, output_size: Any, nd: int) -> tuple[int | None, ...]:
    if isinstance(output_size, (tuple, list)) and len(output_size) == nd:
        size = tuple(output_size)
    else:
        size = (output_size,) * nd
    if not all(
        s is None or (isinstance(s, int) and not isinstance(s, bool) and s > 0) for s in size
    ):
        what = "an int" if nd == 1 else f"{nd} ints or None"
        raise InvalidArgumentError(  # ValueError and RuntimeError (PyTorch's class)
            f"{op}: output_size must be a positive int or a sequence of {what}, got {output_size!r}"
        )
    return size


def _adaptive_input(op: str, input: Any, nd: int) -> tuple[Tensor, bool]:  # noqa: A002
    x, unbatched = _batched(op, input, nd)
    if any(n == 0 for n in input.shape[-nd:]):
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial dim")
    return x, unbatched


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:  # noqa: A002
    """Mean over PyTorch's adaptive bins so that the last dim becomes ``output_size``:
    adaptive_avg_pool2d over an image of height 1.

    >>> import nanotorch
    >>> nanotorch.adaptive_avg_pool1d(nanotorch.tensor([[1.0, 2.0, 3.0, 5.0]]), 2).tolist()
    [[1.5, 4.0]]
    """
    op = "adaptive_avg_pool1d"
    (m,) = _output_size(op, output_size, 1)
    if m is None:
        raise ValueError(f"{op}: output_size must be a positive int, got {output_size!r}")
    x, unbatched = _adaptive_input(op, input, 1)
    out = adaptive_avg_pool2d(x.unsqueeze(2), (1, m)).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _input3d(op: str, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
    """(N, C, D, H, W) from a 4-D or 5-D input with no empty spatial dim."""
    check_tensor(op, "input", input)
    if input.ndim not in (4, 5):
        raise ShapeError(
            f"{op}: input must be 4-D (C, D, H, W) or 5-D (N, C, D, H, W), got shape "
            f"{tuple(input.shape)}"
        )
    if any(v == 0 for v in input.shape[-3:]):
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial dim")
    unbatched = input.ndim == 4
    return (input.unsqueeze(0) if unbatched else input), unbatched


def adaptive_avg_pool3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: int | None | Sequence[int | None],
) -> Tensor:
    """Mean over PyTorch's adaptive bins so the last three dims become ``output_size`` (an
    int or a triple; None keeps that size): one matmul with the bin-averaging matrix per dim.

    >>> import nanotorch
    >>> nanotorch.adaptive_avg_pool3d(nanotorch.ones(2, 4, 5, 6), (1, 2, 3)).shape
    (2, 1, 2, 3)
    """
    op = "adaptive_avg_pool3d"
    size = _output_size(op, output_size, 3)
    _input3d(op, input)
    out = input
    for axis, m in zip(range(input.ndim - 3, input.ndim), size):
        n = out.shape[axis]
        if m is None or m == n:
            continue
        moved = out.transpose(axis, -1)
        out = matmul(moved, _adaptive_matrix(m, n, out).mT).transpose(axis, -1)
    return out


def _bin_index(x: Tensor, n: int, m: int) -> tuple[Tensor, int]:
    """(m, L) source positions of the m adaptive bins over n, each padded to the longest
    length L by repeating its last position (Note [Adaptive max as a gather])."""
    backend = x._backend
    xp = backend.xp
    longest = max(-(-((i + 1) * n) // m) - (i * n) // m for i in range(m))
    with backend.context():
        i = xp.reshape(xp.arange(m, dtype=xp.int64, device=x._data.device), (m, 1))
        start = (i * n) // m
        end = ((i + 1) * n + m - 1) // m
        t = xp.reshape(xp.arange(longest, dtype=xp.int64, device=x._data.device), (1, longest))
        index = xp.minimum(start + t, end - 1)
    return Tensor._make(index, x._device, backend), longest


def _adaptive_max(
    op: str, input: Any, output_size: Any, return_indices: bool, nd: int
) -> Tensor | tuple[Tensor, Tensor]:
    """Note [Adaptive max as a gather], for 1, 2 or 3 spatial dims."""
    size = _output_size(op, output_size, nd)
    if nd == 3:
        x, unbatched = _input3d(op, input)
    else:
        x, unbatched = _adaptive_input(op, input, nd)
    if nd == 1:
        x = x.unsqueeze(2)
        size = (1, size[0])
    k = max(nd, 2)
    spatial = tuple(x.shape[2:])
    outs = [n if m is None else m for n, m in zip(spatial, size)]
    bins = [_bin_index(x, n, m) for n, m in zip(spatial, outs)]  # ((m, L) positions, L)
    windows = x
    for i, (index, _) in enumerate(bins):
        windows = Take.apply(windows, index, axis=2 + 2 * i)  # dim 2 + 2i becomes (m_i, L_i)
    order = (0, 1, *(2 + 2 * i for i in range(k)), *(3 + 2 * i for i in range(k)))
    total = 1
    for _, length in bins:
        total *= length
    flat = windows.permute(*order).reshape(*x.shape[:2], *outs, total)
    values, pick = flat.max(dim=-1)  # first maximum in row-major bin order
    if return_indices:
        # Flat input position of every bin entry, then the entry max picked.
        source = None
        for i, (index, length) in enumerate(bins):
            stride = 1
            for n in spatial[i + 1 :]:
                stride *= n
            shape = [1] * (2 * k)
            shape[i], shape[k + i] = outs[i], length
            term = index.reshape(*shape) * stride
            source = term if source is None else source + term
        assert source is not None
        source = source.reshape(1, 1, *outs, total).expand(*x.shape[:2], *outs, total)
        indices = source.gather(-1, pick.unsqueeze(-1)).squeeze(-1)
    if nd == 1:
        values = values.squeeze(2)
        if return_indices:
            indices = indices.squeeze(2)
    if unbatched:
        values = values.squeeze(0)
        if return_indices:
            indices = indices.squeeze(0)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: int | None | Sequence[int | None],
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive bins so the output is ``output_size`` (an int, or a pair
    where None keeps that input size); ``return_indices`` also gives flat ``h * W + w``
    positions. Note [Adaptive max as a gather].

    >>> import nanotorch
    >>> x = nanotorch.arange(20.0).reshape(1, 4, 5)
    >>> nanotorch.adaptive_max_pool2d(x, (2, 2)).tolist()
    [[[7.0, 9.0], [17.0, 19.0]]]
    """
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: int | None | Sequence[int | None],
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive bins of the last three dims of (N, C, D, H, W) or
    (C, D, H, W); indices are flat ``(d * H + h) * W + w`` positions.

    >>> import nanotorch
    >>> nanotorch.adaptive_max_pool3d(nanotorch.arange(8.0).reshape(1, 2, 2, 2), 1).tolist()
    [[[[7.0]]]]
    """
    return _adaptive_max("adaptive_max_pool3d", input, output_size, return_indices, 3)


def adaptive_max_pool1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    output_size: int | Sequence[int],
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over PyTorch's adaptive bins of the last dim of (N, C, L) or (C, L).

    >>> import nanotorch
    >>> nanotorch.adaptive_max_pool1d(nanotorch.tensor([[1.0, 4.0, 2.0, 3.0]]), 2).tolist()
    [[4.0, 3.0]]
    """
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


# ---------------------------------------------------------------------------- unpooling
class MaxUnpool(Function):
    """out[b, idx[b, i]] = x[b, i] in zeros (b runs over batch and channel, positions
    flattened); d x[b, i] = g[b, idx[b, i]].

    Written as a scatter-add of values and of ones (``index_add``, a backend hook with a
    portable fallback), divided by the counts: an index written twice (overlapping max
    windows with the same maximum) then keeps its value rather than doubling it. PyTorch
    leaves duplicates with different values unspecified; here they average. Saves the
    global positions and the count at each one for backward.
    """

    dtype_exempt = (1,)

    @staticmethod
    def forward(ctx, xp, x, index, size):
        backend = ctx.backend
        rows = x.shape[0] * x.shape[1]
        offsets = xp.reshape(xp.arange(rows, dtype=xp.int64, device=x.device) * size, (-1, 1))
        pos = xp.reshape(xp.reshape(index, (rows, -1)) + offsets, (-1,))
        values = xp.reshape(x, (-1,))
        total = xp.zeros((rows * size,), dtype=x.dtype, device=x.device)
        # Note [Deterministic algorithms]: the sum over duplicates is atomic on cuda.
        alert_not_deterministic("max_unpool", backend.device, backend.dtype_of(x))
        summed = backend.index_add(total, pos, values)
        counts = backend.index_add(xp.zeros_like(total), pos, xp.ones_like(values))
        counts = xp.where(counts == 0, xp.ones_like(counts), counts)
        ctx.save_for_backward(pos, xp.take(counts, pos))
        ctx.in_shape = x.shape
        return xp.reshape(summed / counts, (x.shape[0], x.shape[1], size))

    @staticmethod
    def backward(ctx, g):
        pos, counts = ctx.saved_tensors
        picked = Take.apply(g.reshape(-1), pos, axis=0) / counts
        return picked.reshape(ctx.in_shape), None


def _unpool_size(
    op: str,
    x: Tensor,
    k: tuple[int, ...],
    s: tuple[int, ...],
    p: tuple[int, ...],
    output_size: Any,
) -> tuple[int, ...]:
    nd = len(k)
    spatial = tuple(x.shape[-nd:])
    default = tuple((n - 1) * ss + kk - 2 * pp for n, ss, kk, pp in zip(spatial, s, k, p))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == nd + 2:
        size = size[2:]
    if len(size) != nd:
        raise ValueError(
            f"{op}: output_size should be a sequence containing {nd} or {nd + 2} elements, "
            f"but it has a length of {len(size)} ({tuple(output_size)})"
        )
    for dim, (v, base, ss) in enumerate(zip(size, default, s)):
        if not base - ss < v < base + ss:
            raise ValueError(
                f"{op}: invalid output_size {tuple(output_size)} (dim {dim} must be between "
                f"{base - ss} and {base + ss}, exclusive, for input shape {tuple(x.shape)})"
            )
    return size


def _max_unpool(
    op: str,
    nd: int,
    input: Any,  # noqa: A002 - PyTorch's name
    indices: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
) -> Tensor:
    check_tensor(op, "input", input)
    check_tensor(op, "indices", indices)
    unbatched = check_rank(op, input, nd)
    if tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: indices of shape {tuple(indices.shape)} must have the shape of input "
            f"{tuple(input.shape)} (pass the indices max_pool{nd}d returned with it)"
        )
    if indices.dtype.name not in ("int64", "int32"):
        raise TypeError(f"{op}: indices must be an integer tensor, got {indices.dtype!r}")
    where = f" (input shape {tuple(input.shape)})"
    k = positive(op, "kernel_size", kernel_size, nd, where)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if no_stride else positive(op, "stride", stride, nd, where)
    p = non_negative(op, "padding", padding, nd, where)
    size = _unpool_size(op, input, k, s, p, output_size)
    volume = 1
    for v in size:
        volume *= v
    if indices.numel():
        lo, hi = index_range(indices)
        if lo < 0 or hi >= volume:
            raise RuntimeError(
                f"{op}: found an invalid max index {hi if hi >= volume else lo} (output "
                f"volumes are of size {'x'.join(map(str, size))}); pass the indices of the "
                "matching max pool, or a larger output_size"
            )
    x = input.unsqueeze(0) if unbatched else input
    idx = indices.unsqueeze(0) if unbatched else indices
    out = MaxUnpool.apply(x, idx, size=volume).reshape(*x.shape[:2], *size)
    return out.squeeze(0) if unbatched else out


def max_unpool2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value written at its flat index
    ``h * W + w`` of a zero output of size (in - 1) * stride - 2 * padding + kernel per dim
    (or ``output_size``, which must lie within a stride of that).

    >>> import nanotorch
    >>> x = nanotorch.tensor([[[[1.0, 5.0], [3.0, 2.0]]]])
    >>> out, idx = nanotorch.max_pool2d(x, 2, return_indices=True)
    >>> nanotorch.max_unpool2d(out, idx, 2).tolist()
    [[[[0.0, 5.0], [0.0, 0.0]]]]
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The partial inverse of ``max_pool1d`` over (N, C, L) or (C, L).

    >>> import nanotorch
    >>> x = nanotorch.tensor([[1.0, 5.0, 3.0, 2.0]])
    >>> out, idx = nanotorch.max_pool1d(x, 2, return_indices=True)
    >>> nanotorch.max_unpool1d(out, idx, 2).tolist()
    [[0.0, 5.0, 3.0, 0.0]]
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)
