"""``nanotorch.backends``: PyTorch's ``torch.backends`` switches, for scripts written for it.

Training scripts set ``torch.backends.cudnn.benchmark = True`` or
``torch.backends.cuda.matmul.allow_tf32 = True`` and ask
``torch.backends.mps.is_available()``. nanotorch computes with NumPy on the cpu and with
CuPy's array operations on cuda; it asks for no cuDNN algorithm, no TF32 and no Metal, so
these switches keep the value they are given and change no result: they exist so that such
a script runs unchanged. A misspelt switch is refused rather than quietly
accepted. ``set_float32_matmul_precision`` (in ``nanotorch``) is the same kind of setting.
Host-side: imports nothing from the engine.
"""

from __future__ import annotations

from typing import Any


class _Switches:
    """A group of named switches; only the names it was made with can be set."""

    def __init__(self, name: str, **switches: Any) -> None:
        object.__setattr__(self, "_name", name)
        for key, value in switches.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self.__dict__:
            raise AttributeError(
                f"nanotorch.backends.{self._name} has no switch {key!r}; it has "
                f"{', '.join(k for k in self.__dict__ if not k.startswith('_'))}"
            )
        object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if not k.startswith("_"))
        return f"<nanotorch.backends.{self._name}: {items}>"


def _no() -> bool:
    return False


def _none() -> None:
    return None


cudnn = _Switches(
    "cudnn",
    enabled=True,
    benchmark=False,
    deterministic=False,
    allow_tf32=True,
    is_available=_no,  # nanotorch never calls cuDNN
    version=_none,
)
cuda = _Switches(
    "cuda",
    matmul=_Switches("cuda.matmul", allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
)
mps = _Switches("mps", is_available=_no, is_built=_no)

_PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's switch for TF32 / bfloat16 matrix products: kept, no effect here (float32
    products are always computed in float32, PyTorch's ``'highest'``)."""
    if precision not in _PRECISIONS:
        raise RuntimeError(
            f"set_float32_matmul_precision: precision must be one of "
            f"{', '.join(repr(p) for p in _PRECISIONS)}, got {precision!r}"
        )
    _precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _precision[0]
