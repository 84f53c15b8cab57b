"""Grad mode: whether ops record a graph. Backed by a ContextVar, so threads and asyncio tasks
each see their own setting, and usable both as context managers and as decorators."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

_grad_enabled: ContextVar[bool] = ContextVar("nanotorch_grad_enabled", default=True)
F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    return _grad_enabled.get()


class _GradMode:
    """Base: set grad mode on enter, restore the previous value on exit."""

    mode: bool

    def __enter__(self) -> None:
        self._token = _grad_enabled.set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.reset(self._token)

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _grad_enabled.set(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _grad_enabled.reset(token)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Record no graph inside the block (inference, optimizer steps).

    >>> import nanotorch
    >>> x = nanotorch.ones(2, requires_grad=True)
    >>> with nanotorch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Record a graph inside the block, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to ``mode``. Takes effect at construction, like PyTorch's, so that
    ``set_grad_enabled(False)`` as a plain call also works; as a context manager it restores
    the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev_token = _grad_enabled.set(self.mode)

    def __enter__(self) -> None:
        self._token = self._prev_token

    def __exit__(self, *exc: object) -> None:
        _grad_enabled.reset(self._token)

    def __call__(self, fn: F) -> F:
        # Used as a decorator: construction must not change the mode of the defining code.
        _grad_enabled.reset(self._prev_token)
        return super().__call__(fn)
