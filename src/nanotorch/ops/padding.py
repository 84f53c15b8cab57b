"""Padding: ``pad`` in PyTorch's four modes, ``constant``, ``reflect``, ``replicate`` and
``circular``, with negative widths cropping instead of growing.

Note [Padding as a gather]
~~~~~~~~~~~~~~~~~~~~~~~~~~
Constant padding writes the input into a block of ``value`` (``Pad``: its backward is the
interior slice of the gradient). The other modes only *copy* input elements, so each padded
dim is one gather along that axis: output position ``j`` reads source position

    i = j - left                              (left may be negative: a crop)
    reflect:    i -> (n-1) - |(n-1) - |i||    mirror at the first and last element, which
                                              are not repeated (needs left, right < n)
    replicate:  i -> clamp(i, 0, n-1)         the edge element repeats
    circular:   crop first, then i -> i mod m (m = size after cropping; needs pads <= m)

computed as an integer tensor on the input's device (``arange`` and integer arithmetic, no
host round trip) and read with the indexing family's ``Take``. Its backward is a scatter-add
(the ``index_add`` backend hook, with a portable fallback), so the gradient of an element that
is copied several times, e.g. the mirror images of reflect, accumulates without any code
here. reflect and replicate fold the index against the *uncropped* input, as PyTorch's
kernels do; circular wraps within the cropped one, as PyTorch's ``_pad_circular`` does.

This module imports no array library.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from nanotorch.autograd.function import Function
from nanotorch.ops.indexing import Take
from nanotorch.tensor import Tensor

# What this family exports; nanotorch.<name> and the op-spec tests derive from it
# (Note [Op registry] in ops/__init__.py).
OPS = ("pad",)

MODES = ("constant", "reflect", "replicate", "circular")


class Pad(Function):
    """out = a surrounded by ``value`` (constant padding);  da = the interior slice of g."""

    @staticmethod
    def forward(ctx, xp, a, widths, value):
        shape = tuple(s + lo + hi for s, (lo, hi) in zip(a.shape, widths))
        out = xp.full(shape, value, dtype=a.dtype, device=a.device)
        key = tuple(slice(lo, lo + s) for s, (lo, hi) in zip(a.shape, widths))
        out[key] = a
        ctx.key = key
        return out

    @staticmethod
    def backward(ctx, g):
        return g[ctx.key]


def _widths(op: str, a: Tensor, pad: Sequence[int]) -> list[tuple[int, int]]:
    """(before, after) per dim of ``a`` from PyTorch's last-dim-first ``pad`` list."""
    try:
        pad = [operator.index(p) for p in pad]  # ints and integer-like (NumPy ints)
    except TypeError:
        raise TypeError(f"{op}: pad must be a sequence of ints, got {pad!r}") from None
    if len(pad) % 2:
        raise RuntimeError(
            f"{op}: padding length must be divisible by 2, got pad={tuple(pad)} "
            f"({len(pad)} values); give (before, after) pairs starting from the last dim"
        )
    if len(pad) // 2 > a.ndim:
        raise RuntimeError(
            f"{op}: padding length should be less than or equal to two times the input "
            f"dimension, but got padding length {len(pad)} for an input of shape {a.shape}"
        )
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    for d, (lo, hi) in enumerate(widths):
        if a.shape[d] + lo + hi < 0:
            raise RuntimeError(
                f"{op}: the input size {a.shape[d]}, plus negative padding {lo} and {hi}, "
                f"gives a negative output size for dim {d} of input shape {a.shape}; pad less "
                "negatively"
            )
    return widths


def _crop(a: Tensor, widths: list[tuple[int, int]]) -> Tensor:
    """``a`` with the negative widths sliced away."""
    if all(lo >= 0 and hi >= 0 for lo, hi in widths):
        return a
    key = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(a.shape, widths))
    return a[key]


def _gather_index(a: Tensor, n: int, lo: int, hi: int, mode: str) -> Tensor:
    """Source positions (int64, on a's device) of the ``n + lo + hi`` outputs of one dim
    (Note [Padding as a gather])."""
    from nanotorch.creation import arange

    i = arange(n + lo + hi, device=a.device) - lo
    if mode == "reflect":
        return (n - 1) - ((n - 1) - i.abs()).abs()
    if mode == "replicate":
        return i.clamp(0, n - 1)
    return i % n  # circular, on an input already cropped (n = cropped size)


def _check_mode_widths(
    a: Tensor, widths: list[tuple[int, int]], dims: range, mode: str, pad: Sequence[int]
) -> None:
    for d in dims:
        n, (lo, hi) = a.shape[d], widths[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"pad: reflect padding size should be less than the corresponding input "
                f"dimension, but got padding ({lo}, {hi}) at dimension {d} of input shape "
                f"{a.shape}; use mode='replicate' or pad less"
            )
        if mode == "replicate" and n == 0 and (lo > 0 or hi > 0):
            raise RuntimeError(
                f"pad: replicate padding needs a non-empty dimension {d}, got input shape "
                f"{a.shape} with pad={tuple(pad)}"
            )
        kept = n - max(-lo, 0) - max(-hi, 0)
        if mode == "circular" and (lo > kept or hi > kept):
            raise RuntimeError(
                f"pad: circular padding value causes wrapping around more than once: padding "
                f"({lo}, {hi}) at dimension {d} of input shape {a.shape} (size {kept} after "
                "cropping); pad at most the size of that dimension"
            )


def pad(
    input: Tensor,  # noqa: A002 - PyTorch's name
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """Pad (or, with negative widths, crop) ``input``; PyTorch's ``F.pad``.

    ``pad`` lists (before, after) pairs starting from the LAST dim, e.g. ``(left, right, top,
    bottom)``. ``mode='constant'`` fills with ``value`` (default 0) and pads any dims;
    ``'reflect'``, ``'replicate'`` and ``'circular'`` pad the last 1, 2 or 3 dims of a
    (batched or unbatched) input: 2 values for a 2-D or 3-D input, 4 for 3-D or 4-D, 6 for 4-D
    or 5-D (Note [Padding as a gather]). Gradients flow back to every element that was copied.

    >>> import nanotorch
    >>> x = nanotorch.tensor([[[1.0, 2.0, 3.0]]])
    >>> nanotorch.pad(x, (2, 1), mode="reflect").tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    >>> nanotorch.pad(x, (1, -1), value=9.0).tolist()
    [[[9.0, 1.0, 2.0]]]
    """
    op = "pad"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if mode not in MODES:
        raise NotImplementedError(
            f"{op}: unrecognised padding mode {mode!r}; use one of {', '.join(MODES)}"
        )
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")
    widths = _widths(op, input, pad)
    if mode == "constant":
        a = _crop(input, widths)
        grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
        if all(w == (0, 0) for w in grow):
            return a
        return Pad.apply(a, widths=grow, value=0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(
            f"{op}: padding mode {mode!r} doesn't take in value argument (got value={value}); "
            "drop value or use mode='constant'"
        )
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"{op}: mode {mode!r} pads the last 1, 2 or 3 dims of a 2-D/3-D, 3-D/4-D or "
            f"4-D/5-D input; got pad={tuple(pad)} ({len(pad)} values) for an input of shape "
            f"{input.shape}. Only 2D, 3D, 4D, 5D padding with non-constant padding are "
            "supported"
        )
    dims = range(input.ndim - k, input.ndim)
    _check_mode_widths(input, widths, dims, mode, pad)
    out = _crop(input, widths) if mode == "circular" else input
    for d in dims:
        lo, hi = widths[d]
        if mode == "circular":
            lo, hi = max(lo, 0), max(hi, 0)
        if lo == 0 and hi == 0:
            continue
        index = _gather_index(out, out.shape[d], lo, hi, mode)
        out = Take.apply(out, index, axis=d)
    return out
