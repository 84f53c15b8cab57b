"""How a tensor prints: PyTorch's number formatting and ``set_printoptions``.

``Tensor.__repr__`` hands its host values here. The rules are PyTorch's, so a ported
notebook shows the same digits (``tests/unit/test_printoptions.py`` compares them):

- One format for all elements, chosen from the nonzero finite values: if the largest
  magnitude over the smallest exceeds 1000, the largest exceeds 1e8 or the smallest is under
  1e-4 (or ``sci_mode=True``), scientific ``1.0000e+05``; otherwise integers print as ``1.``
  and the rest in fixed point with ``precision`` digits. Every element is right-aligned to
  the widest.
- More than ``threshold`` elements print summarised: ``edgeitems`` at each end of every
  dimension around ``...`` (the format is chosen from those shown only).
- Rows wrap at ``linewidth``; the keyword suffixes (``dtype=``, ``device=``...) move to
  their own line when they would cross it.

nanotorch always names the dtype and device in the suffix (PyTorch omits its defaults), so
the values read the same and the suffix is nanotorch's own. Host-side: this module formats
NumPy arrays and may import NumPy; the engine reaches it only from ``Tensor.__repr__``.

The options are a ContextVar, as grad mode is: they hold for the thread that set them
(PyTorch's hold for the process).
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {
    "default": PrintOptions(),
    "short": PrintOptions(precision=2, edgeitems=2),
    "full": PrintOptions(threshold=math.inf),
}
_options: ContextVar[PrintOptions] = ContextVar(
    "nanotorch_print_options",
    default=PrintOptions(),  # noqa: B039 - frozen, so sharing the default is safe
)


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"set_printoptions: {name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"set_printoptions: {name} must be >= {low}, got {value}")


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as PyTorch's ``set_printoptions``.

    Args:
        precision: digits after the point (default 4).
        threshold: more elements than this print summarised (default 1000; ``math.inf``
            never summarises).
        edgeitems: elements shown at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (no
            summary), applied before the other arguments.
        sci_mode: True or False forces scientific notation on or off; None (the default,
            also when omitted) lets the values decide.

    >>> import nanotorch
    >>> nanotorch.set_printoptions(precision=2)
    >>> nanotorch.tensor([1.0, 2.5, 3.14159])
    tensor([1.00, 2.50, 3.14], dtype=float32, device='cpu')
    >>> nanotorch.set_printoptions(profile="default")
    """
    opts = _options.get()
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got "
                f"{profile!r}; 'default' restores the defaults"
            )
        opts = replace(_PROFILES[profile], sci_mode=opts.sci_mode)
    if precision is not None:
        _check_int("precision", precision, 0)
        opts = replace(opts, precision=precision)
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(f"set_printoptions: threshold must be a number, got {threshold!r}")
        opts = replace(opts, threshold=threshold)
    if edgeitems is not None:
        _check_int("edgeitems", edgeitems, 0)
        opts = replace(opts, edgeitems=edgeitems)
    if linewidth is not None:
        _check_int("linewidth", linewidth, 1)
        opts = replace(opts, linewidth=linewidth)
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise TypeError(f"set_printoptions: sci_mode must be a bool or None, got {sci_mode!r}")
    # Like PyTorch's, every call sets sci_mode: leaving it out means None.
    _options.set(replace(opts, sci_mode=sci_mode))


def get_printoptions() -> dict[str, object]:
    """The current print options as a dict (PyTorch's ``_tensor_str.get_printoptions``)."""
    o = _options.get()
    return {
        "precision": o.precision,
        "threshold": o.threshold,
        "edgeitems": o.edgeitems,
        "linewidth": o.linewidth,
        "sci_mode": o.sci_mode,
    }


class _Formatter:
    """One format for every element, chosen from ``values`` (the elements that will show)."""

    def __init__(self, values: np.ndarray, opts: PrintOptions) -> None:
        self.floating = values.dtype.kind == "f"
        self.precision = opts.precision
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(f"{v}"))
        else:
            shown = flat[np.isfinite(flat) & (flat != 0)]
            if shown.size == 0:
                return  # zeros, nan and inf only: "0.", "nan", whatever sci_mode says
            magnitudes = np.abs(shown.astype(np.float64))
            lo, hi = float(magnitudes.min()), float(magnitudes.max())
            self.int_mode = bool(np.all(shown == np.ceil(shown)))
            self.sci_mode = (
                hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                if opts.sci_mode is None
                else opts.sci_mode
            )
            for v in shown.tolist():
                if self.sci_mode:
                    text = f"{v:.{self.precision}e}"
                elif self.int_mode:
                    text = f"{v:.0f}."
                else:
                    text = f"{v:.{self.precision}f}"
                self.width = max(self.width, len(text))

    def format(self, value: float | int | bool) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{self.precision}f}"
        return (self.width - len(text)) * " " + text


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The elements a summarised print shows (PyTorch's ``get_summarized_data``)."""
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        # a[-0:] is all of ``a``, as in PyTorch, so edgeitems=0 still picks a format.
        return np.concatenate([a[:edge], a[-edge:]]) if a.shape[0] > 2 * edge else a
    if not edge:
        return np.empty((0,) * a.ndim, dtype=a.dtype)
    rows = list(range(edge)) + list(range(a.shape[0] - edge, a.shape[0]))
    if a.shape[0] <= 2 * edge:
        rows = list(range(a.shape[0]))
    return np.stack([_summarized(a[i], edge) for i in rows])


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter, o: PrintOptions) -> str:
    per_line = max(1, int(math.floor((o.linewidth - indent) / (fmt.width + 2))))
    edge = o.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        head = [fmt.format(v) for v in a[:edge].tolist()]
        tail = [fmt.format(v) for v in a[-edge:].tolist()]
        data = head + [" ..."] + tail
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter, o: PrintOptions) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt, o)
    edge, n = o.edgeitems, a.shape[0]
    if summarize and n > 2 * edge:
        slices = [_nested(a[i], indent + 1, summarize, fmt, o) for i in range(edge)]
        slices += ["..."]
        slices += [_nested(a[i], indent + 1, summarize, fmt, o) for i in range(n - edge, n)]
    else:
        slices = [_nested(a[i], indent + 1, summarize, fmt, o) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int, linewidth: int) -> str:
    # PyTorch's arithmetic, including its + 1, so the suffixes wrap where PyTorch's do.
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(host: np.ndarray, suffixes: list[str], prefix: str = "tensor(") -> str:
    """``prefix`` + the values of ``host`` by the current print options + ``suffixes``.

    >>> import numpy as np
    >>> tensor_repr(np.array([0.5, 20.0], np.float32), ["dtype=float32"])
    'tensor([ 0.5000, 20.0000], dtype=float32)'
    """
    o = _options.get()
    indent = len(prefix)
    a = np.asarray(host)
    if a.dtype.kind == "c":
        from nanotorch.backend.host import format_values  # complex keeps NumPy's layout

        return format_values(a, prefix, ", ".join(suffixes))
    if a.size == 0:
        if a.ndim != 1:
            suffixes = [f"size={tuple(a.shape)}", *suffixes]
        body = "[]"
    else:
        summarize = a.size > o.threshold
        fmt = _Formatter(_summarized(a, o.edgeitems) if summarize else a, o)
        body = _nested(a, indent, summarize, fmt, o)
    return _with_suffixes(prefix + body, suffixes, indent, o.linewidth)
