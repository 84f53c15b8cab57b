"""NumPy's argument names for reduction dims, accepted as PyTorch accepts them.

Note [dim/axis aliases]
~~~~~~~~~~~~~~~~~~~~~~~
PyTorch's argument parser treats ``axis=`` as another name for ``dim=`` and ``keepdims=`` as
another name for ``keepdim=`` in every op that takes them, so ported NumPy-flavoured code
(``x.sum(axis=1, keepdims=True)``, ``cat(xs, axis=0)``) runs unchanged. nanotorch does the
renaming in one place: the ``dim_aliases`` decorator below, put on each wrapper in ``ops/``
that takes ``dim`` (reductions, scans, sorting, and cat/stack/squeeze/unsqueeze/split/chunk/
unbind/gather/index_select) and on the matching Tensor methods. Giving both spellings of one
argument is a TypeError, as in PyTorch. The module imports nothing from nanotorch, so
``tensor.py`` can use it before the op library exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def dim_aliases(fn: F) -> F:
    """Let ``fn`` take ``axis=``/``keepdims=`` as ``dim=``/``keepdim=``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for alias, name in _ALIASES:
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(
                            f"{fn.__name__}(): got both {name}= and its alias {alias}=; "
                            f"pass only {name}="
                        )
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
