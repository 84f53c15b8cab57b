"""Grad mode: whether ops record a graph. Backed by a ContextVar, so threads and asyncio tasks
each see their own setting, and usable both as context managers and as decorators.

Inference mode (Note [Inference tensors]) is a second ContextVar beside it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

_grad_enabled: ContextVar[bool] = ContextVar("nanotorch_grad_enabled", default=True)
_inference_enabled: ContextVar[bool] = ContextVar("nanotorch_inference_enabled", default=False)
# Whether inference mode was ever entered in this process: every new tensor asks whether it
# is an inference tensor, and until then this list read answers without the ContextVar.
_inference_ever_on = [False]
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


# Note [Inference tensors]
# ``inference_mode()`` is ``no_grad`` that also marks every tensor made inside it as an
# inference tensor (``Tensor._make`` reads the ContextVar; ``is_inference()`` reports it).
# PyTorch gains speed from the mark (no version counter, no view tracking); nanotorch keeps
# its counters, so the mark buys nothing here and exists for its rules, which ported code
# may rely on. Outside inference mode an inference tensor may be read by any op, but:
# - autograd may not save it for backward (``w * x`` with ``w`` requiring grad): the check
#   sits where a recorded op resolves what it saved (``_resolve_saved`` in function.py);
# - ``requires_grad_(True)`` on it is refused (tensor.py);
# - in-place updates are refused (``_records_inplace`` in tensor.py and the entry points
#   of ``_inplace.py``).
# ``x.clone()`` outside inference mode is the ordinary tensor to use instead.
# ``inference_mode(False)`` turns both modes off and grad mode *on*, as PyTorch's does.


def is_inference_mode_enabled() -> bool:
    """Whether code runs inside ``inference_mode()``."""
    return _inference_enabled.get()


class inference_mode:
    """``no_grad`` whose new tensors are inference tensors (Note [Inference tensors]).

    A context manager or a decorator (``@inference_mode`` or ``@inference_mode()``);
    ``mode=False`` switches inference mode off and grad mode on inside.

    >>> import nanotorch
    >>> w = nanotorch.ones(2, requires_grad=True)
    >>> with nanotorch.inference_mode():
    ...     y = w * 2
    >>> y.requires_grad, y.is_inference()
    (False, True)
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # used bare as ``@inference_mode``
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        if self.mode:
            _inference_ever_on[0] = True
        self._tokens = (
            _inference_enabled.set(self.mode),
            _grad_enabled.set(not self.mode),
        )

    def __exit__(self, *exc: object) -> None:
        inference_token, grad_token = self._tokens
        _grad_enabled.reset(grad_token)
        _inference_enabled.reset(inference_token)

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
