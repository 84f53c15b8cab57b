"""Exception types that are part of nanotorch's public contract."""

from __future__ import annotations


class DeviceMismatchError(RuntimeError):
    """An op received tensors on different devices. nanotorch never moves data implicitly:
    the message names the op, the devices and the ``.to(device)`` call that fixes it."""


class CheckpointError(RuntimeError):
    """A checkpoint file could not be read or written; the message names the path."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op. A ValueError, and a RuntimeError like PyTorch's shape
    errors, so code written for either catches it; the message names the op and the shapes."""


class IntegerOverflowError(RuntimeError, OverflowError):
    """A value does not fit the integer dtype it was meant for (``tensor([2**63])``, a seed
    beyond 64 bits). PyTorch raises a RuntimeError here and Python an OverflowError, so this
    is both; nanotorch never wraps such a value around silently."""


class IntegerDivisionByZeroError(RuntimeError, ZeroDivisionError):
    """Integer floor division or remainder by zero, which has no integer answer (floats give
    inf or nan instead). A RuntimeError like PyTorch's, and a ZeroDivisionError like Python's."""


class InvalidArgumentError(ValueError, RuntimeError):
    """An argument of the right type with a value outside its domain (``arange`` to nan, a
    step whose sign runs away from the end, ``randint`` with low >= high). PyTorch raises a
    RuntimeError for these and Python code expects a ValueError, so this is both."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index tensor holds a value outside the dim it indexes. An IndexError, and a
    RuntimeError like PyTorch's scatter/gather bound checks; the message names the op, the
    dim, its size and the offending range."""


class EmptyReductionError(IndexError, ValueError, RuntimeError):
    """A max, min, argmax or argmin over an empty dimension: PyTorch raises IndexError for
    some of these and RuntimeError for others, and earlier nanotorch ValueError; this class
    is all three, so each of those ``except`` clauses catches it."""


class InvalidIndexError(IndexError, TypeError):
    """An index of a type that cannot index (a float, a string): PyTorch raises IndexError,
    Python's sequences TypeError; this class is both."""


class LinAlgError(RuntimeError, ValueError):
    """A matrix function that has no answer for its input (a singular matrix to invert, a
    matrix that is not positive-definite to factor). PyTorch's ``torch.linalg.LinAlgError``
    is a RuntimeError, NumPy's a ValueError; this class is both."""


class UnsupportedDtypeError(TypeError, RuntimeError):
    """An op given a tensor of a dtype it has no meaning for (bitwise ops on floating point).
    PyTorch raises a RuntimeError here and Python code expects a TypeError, so this is both;
    the message names the op, the dtype and the conversion that fixes it."""


class ModuleStateError(AssertionError, RuntimeError):
    """A module is in a state an operation on it cannot accept (``fuse_conv_bn_eval`` on a
    module in training mode, or on a BatchNorm without running statistics). PyTorch asserts
    there, so this is an AssertionError, and a RuntimeError like nanotorch's other
    validation errors."""


class ArgumentTypeError(TypeError, RuntimeError):
    """An argument of the wrong Python type for a setting (``set_num_threads(1.5)``).
    PyTorch raises a RuntimeError there and Python code expects a TypeError; this is both."""
