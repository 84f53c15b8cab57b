"""Padding layers: ``ReflectionPad{1,2,3}d``, ``ReplicationPad{1,2,3}d``,
``CircularPad{1,2,3}d``, ``ZeroPad{1,2,3}d`` and ``ConstantPad{1,2,3}d``.

Parameter-free modules that hold their widths and call ``F.pad`` (``nanotorch.ops.padding``,
Note [Padding as a gather]). An int pads every side alike; a tuple gives PyTorch's
last-dim-first (before, after) pairs: ``(left, right)`` in 1-D, ``(left, right, top, bottom)``
in 2-D, ``(left, right, top, bottom, front, back)`` in 3-D. Names, ``padding`` attributes and
reprs follow PyTorch. Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanotorch.nn.module import Module
from nanotorch.ops.padding import pad
from nanotorch.tensor import Tensor


class _PadNd(Module):
    """What the padding layers share: widths as a tuple of 2 * nd ints, and a forward."""

    _nd = 1
    _mode = "constant"

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        n = 2 * self._nd
        if isinstance(padding, int) and not isinstance(padding, bool):
            widths = (padding,) * n
        elif isinstance(padding, (tuple, list)) and all(
            isinstance(p, int) and not isinstance(p, bool) for p in padding
        ):
            widths = tuple(padding)
        else:
            widths = ()
        if len(widths) != n:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {n} ints (before, after "
                f"pairs from the last dim), got {padding!r}"
            )
        self.padding: tuple[int, ...] = widths

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return pad(input, self.padding, mode=self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return pad(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dim at its ends (the end elements are not repeated); widths < size.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.ReflectionPad1d(2)(nanotorch.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _nd = 2


class ReflectionPad3d(ReflectionPad1d):
    _nd = 3


class ReplicationPad1d(_PadNd):
    """Repeat the end elements of the last dim.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.ReplicationPad1d((1, 2))(nanotorch.tensor([[1.0, 2.0]])).tolist()
    [[1.0, 1.0, 2.0, 2.0, 2.0]]
    """

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _nd = 2


class ReplicationPad3d(ReplicationPad1d):
    _nd = 3


class CircularPad1d(_PadNd):
    """Wrap the last dim around (periodic boundary); widths at most the size.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.CircularPad1d(1)(nanotorch.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    _nd = 2


class CircularPad3d(CircularPad1d):
    _nd = 3


class ConstantPad1d(_ConstantPadNd):
    """Fill with ``value``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> nn.ConstantPad1d((1, 0), 9.0)(nanotorch.tensor([[1.0, 2.0]])).tolist()
    [[9.0, 1.0, 2.0]]
    """


class ConstantPad2d(_ConstantPadNd):
    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    _nd = 3


class ZeroPad1d(_ConstantPadNd):
    """Fill with zeros: ``ConstantPad1d(padding, 0.0)``."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    _nd = 2


class ZeroPad3d(ZeroPad1d):
    _nd = 3


__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]
