"""``nanotorch.compile``: PyTorch's ``torch.compile`` entry point, without a compiler.

nanotorch runs every op eagerly, one dispatch each (discovery/performance.md says where that
cost goes and what a captured step would save); there is no graph capture or code
generation to hand a model to. ``compile`` therefore gives back the module or function it is
given, unchanged, which is what ``torch.compile`` does with ``backend="eager"`` or
``disable=True``: the results are the same, the speed is nanotorch's. Code written for
PyTorch (``model = torch.compile(model)``, ``@torch.compile``) runs as it is, and a
mistaken argument is refused with PyTorch's error, so that the code stays valid for both.
Host-side: imports nothing from the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# torch.compile's modes (PyTorch 2.13)
MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(  # noqa: A001 - PyTorch's name
    model: Callable[..., Any] | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable[..., Any] | None = None,
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    name: str | None = None,
    disable: bool = False,
) -> Any:
    """Return ``model`` itself (a Module or a function): nanotorch has no compiler, so this
    is ``torch.compile(model, backend="eager")``. Called without ``model`` it returns a
    decorator, as PyTorch's does. Arguments are checked as PyTorch checks them.

    >>> import nanotorch
    >>> layer = nanotorch.nn.Linear(2, 2)
    >>> nanotorch.compile(layer) is layer
    True
    """
    if mode is not None and options is not None:
        raise RuntimeError(
            "compile: Either mode or options can be specified, but both can't be specified at "
            "the same time."
        )
    if mode is not None and mode not in MODES:
        raise RuntimeError(
            f"compile: Unrecognized mode={mode}, should be one of: {', '.join(MODES)}"
        )
    if backend is not None and not (isinstance(backend, str) or callable(backend)):
        raise TypeError(f"compile: backend must be a name or a callable, got {backend!r}")
    if model is None:
        return lambda fn: compile(fn, backend=backend, mode=mode, options=options)
    if not callable(model):
        raise TypeError(
            f"compile: a callable (a Module or a function) is expected, but "
            f"{type(model).__name__} is provided"
        )
    return model
