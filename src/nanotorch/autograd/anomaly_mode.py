"""Anomaly detection: ``detect_anomaly``, ``set_detect_anomaly`` and the questions
``is_anomaly_enabled`` / ``is_anomaly_check_nan_enabled``, with PyTorch's names.

Note [Anomaly mode]
~~~~~~~~~~~~~~~~~~~
A NaN gradient usually surfaces far from its cause: an optimizer step writes it into every
weight, and the loss of the next step is NaN. Anomaly mode finds the node that made it.
It is a ContextVar holding ``(check_nan,)`` while on and ``None`` while off, so it follows
threads and asyncio tasks as grad mode does, and costs one read where it is consulted:

- ``Function.apply`` (``_record`` in function.py), for every recorded op: while on, the
  node keeps the op's name and the stack of the forward call (``ctx.forward_trace``).
- ``_call_backward`` (engine.py), for every node in backward: while on, the call goes through
  ``checked_backward`` below, which adds the forward call to any exception the node's
  backward raises (as a note, so its class is unchanged) and, with ``check_nan``, raises a
  RuntimeError when a gradient it returns contains NaN: "Function 'MulBackward' returned
  nan values in its 0th output.", followed by where the forward op was called. The check
  reads every gradient back to the host, one sync per node, which is why it is opt-in.

``run_backward`` itself does not change (tests/unit/test_engine_size.py keeps it short).

It imports no array library; gradients are checked through their backend's ``xp``.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from nanotorch.autograd.function import Context
    from nanotorch.tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])

# (check_nan,) while anomaly mode is on, None while it is off (Note [Anomaly mode]).
_anomaly_mode: ContextVar[tuple[bool] | None] = ContextVar("nanotorch_anomaly_mode", default=None)
# Whether anomaly mode was ever switched on in this process. Every op and every backward node
# asks "is anomaly mode on?"; until someone has switched it on, this one list read answers,
# and the ContextVar (a few times dearer, and the hot path's cost, Note [Dispatch cost] in
# function.py) is read only afterwards.
_ever_on = [False]


def _set(mode: tuple[bool] | None) -> Any:
    if mode is not None:
        _ever_on[0] = True
    return _anomaly_mode.set(mode)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return _anomaly_mode.get() is not None


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for NaN (True while off, as PyTorch
    reports its default)."""
    mode = _anomaly_mode.get()
    return True if mode is None else mode[0]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off for the current context."""
    _set((bool(check_nan),) if enabled else None)


class _AnomalyMode:
    """Shared by both managers: enter sets the mode, exit restores the previous one, and an
    instance decorates a function to run it inside."""

    def __init__(self, mode: bool, check_nan: bool) -> None:
        self._mode = (bool(check_nan),) if mode else None
        self._tokens: list[Any] = []

    def __enter__(self) -> None:
        self._tokens.append(_set(self._mode))

    def __exit__(self, *exc: object) -> None:
        _anomaly_mode.reset(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _set(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _anomaly_mode.reset(token)

        return wrapper  # type: ignore[return-value]


class detect_anomaly(_AnomalyMode):  # noqa: N801 - PyTorch's name
    """Context manager and decorator that switches anomaly detection on (Note [Anomaly mode]).
    Entering warns, as PyTorch does, that the mode slows every op down."""

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(True, check_nan)

    def __enter__(self) -> None:
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )
        super().__enter__()


class set_detect_anomaly(_AnomalyMode):  # noqa: N801 - PyTorch's name
    """Switch anomaly detection on or off: at once when called, and back to the previous state
    when used as a context manager and left.

    >>> import nanotorch
    >>> with nanotorch.autograd.set_detect_anomaly(True):
    ...     nanotorch.is_anomaly_enabled()
    True
    >>> nanotorch.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(mode, check_nan)
        self._previous = _set(self._mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _anomaly_mode.reset(self._previous)


def record_forward(ctx: Context) -> None:
    """Keep the forward op's name and where it was called, for the messages below."""
    stack = traceback.format_stack()[:-3]  # drop this helper, _record and Function.apply
    ctx.forward_trace = (ctx.fn.__name__, "".join(stack))


def _where(ctx: Context) -> str:
    trace = vars(ctx).get("forward_trace")
    if trace is None:
        return (
            f"The graph was built while anomaly detection was off, so where {ctx.name()} was "
            "created is unknown; enable anomaly detection before the forward pass to see it."
        )
    name, stack = trace
    return f"The node was created by the forward call of {name}:\n{stack}"


def checked_backward(
    ctx: Context,
    grad: Tensor,
    create_graph: bool,
    call: Callable[..., Sequence[Tensor | None]],
    check_nan: bool,
) -> Sequence[Tensor | None]:
    """``call(ctx, grad, create_graph, False)`` with Note [Anomaly mode]'s checks."""
    try:
        in_grads = call(ctx, grad, create_graph, False)
    except Exception as e:
        e.add_note(f"Error in {ctx.name()} (anomaly detection). {_where(ctx)}")
        raise
    if check_nan:
        for i, g in enumerate(in_grads):
            if g is not None and bool(g._backend.xp.any(g._backend.xp.isnan(g._data))):
                raise RuntimeError(
                    f"Function '{ctx.name()}' returned nan values in its {i}th output. "
                    + _where(ctx)
                )
    return in_grads
