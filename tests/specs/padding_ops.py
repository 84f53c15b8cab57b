"""Specs for ``pad`` in every mode (nanotorch.ops.padding).

The reference is NumPy's own ``np.pad`` (``reflect``, ``edge`` for replicate, ``wrap`` for
circular, ``constant``), after cropping away any negative padding: PyTorch's pad removes
``-p`` elements from that side first. The cases keep each positive pad inside what the
cropped input can supply, where both rules agree.
"""

from __future__ import annotations

import numpy as np

from nanotorch.testing import Case, OpSpec
from specs import randn

_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ref_pad(x, pad, mode="constant", value=None):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(max(-lo, 0), x.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(widths))
    x = x[crop]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if x.ndim == 0:
        return x
    if mode == "constant":
        return np.pad(x, grow, constant_values=0.0 if value is None else value)
    return np.pad(x, grow, mode=_NP_MODE[mode])


def _mode_cases(mode):
    return [
        Case(randn(2, 5), pad=(2, 1), mode=mode, id=f"{mode}-1d-unbatched"),
        Case(randn(2, 3, 5), pad=(1, 3), mode=mode, id=f"{mode}-1d"),
        Case(randn(1, 2, 4, 5), pad=(1, 2, 3, 0), mode=mode, id=f"{mode}-2d"),
        Case(randn(2, 4, 5), pad=(2, 2, 1, 1), mode=mode, id=f"{mode}-2d-unbatched"),
        Case(randn(1, 1, 3, 4, 4), pad=(1, 1, 2, 0, 1, 2), mode=mode, id=f"{mode}-3d"),
        Case(randn(2, 3, 4), pad=(1, 1, 2, 1), mode=mode, id=f"{mode}-2d-3d-input"),
        Case(randn(2, 2, 6), pad=(-1, 2), mode=mode, id=f"{mode}-negative-left"),
        Case(randn(1, 2, 5, 6), pad=(1, -2, -1, 2), mode=mode, id=f"{mode}-negative-mixed"),
        Case(randn(0, 3, 5), pad=(1, 2), mode=mode, id=f"{mode}-empty-batch"),
        Case(randn(2, 5, 4), pad=(1, 2, 2, 1), mode=mode, transposed=(0,), id=f"{mode}-transposed"),
    ]


CONSTANT_CASES = [
    Case(randn(3, 4), pad=(-1, 2), id="negative-crop"),
    Case(randn(2, 3, 4), pad=(1, -2, -1, 0), value=3.5, id="negative-mixed-value"),
    Case(randn(2, 3), pad=(-1, -2), id="crop-only"),
    Case(randn(), pad=(), id="0d-no-pad"),
    Case(randn(0, 3), pad=(1, 1, 2, 0), id="empty"),
    Case(randn(4, 3), pad=(1, 0, 0, 2), transposed=(0,), id="transposed"),
    Case(randn(2, 3, 4), pad=(1, 1, 1, 1, 1, 1), value=-2.0, id="three-dims"),
]

SPECS = [
    OpSpec("pad", ref_pad, CONSTANT_CASES),
    OpSpec("pad", ref_pad, _mode_cases("reflect")),
    OpSpec("pad", ref_pad, _mode_cases("replicate")),
    OpSpec("pad", ref_pad, _mode_cases("circular")),
]

# Second order: pad is a gather (linear), so its backward must itself be differentiable.
SPECS += [
    OpSpec(
        "pad",
        ref_pad,
        [Case(randn(1, 2, 3, 4), pad=(2, 1, -1, 1), mode="reflect", id="gradgrad-reflect")],
        gradgrad=True,
    )
]
