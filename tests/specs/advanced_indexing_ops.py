"""Specs for advanced indexing, ``x[key]`` with index tensors, lists, masks, None and
Ellipsis mixed (Note [Advanced indexing] in nanotorch/ops/indexing.py), against NumPy's
indexing of the same key. Index arrays in a key become tensors on the input's device."""

from __future__ import annotations

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import randn

_r = np.random.default_rng(99)
_mask_4 = np.array([True, False, True, True])
_mask_56 = _r.standard_normal((5, 6)) > 0
_mask_45 = _r.standard_normal((4, 5)) > 0


def to_nt_key(key, device):
    """The key with NumPy index arrays replaced by tensors on ``device``."""
    if isinstance(key, np.ndarray):
        return nt.tensor(key, device=device)
    if isinstance(key, tuple):
        return tuple(to_nt_key(k, device) for k in key)
    return key


# (id, key) on an input of shape (4, 5, 6); NumPy and PyTorch agree on all of them.
KEYS = [
    ("list-mid", (slice(None), [0, 2], slice(1, None))),
    ("list-none", ([1, 0], None)),
    ("ellipsis-neg", (Ellipsis, [3, -1])),
    ("dup-rows", (np.array([0, 3, 3, -4]),)),
    ("separated", ([0, 1], slice(None), [2, 3])),
    ("bcast-adjacent", (np.array([[0], [2]]), np.array([1, 4]))),
    ("adjacent-mid", (slice(None), np.array([[0, 1], [1, 0]]), np.array([2, -1]))),
    ("tuple-in-key", ((0,), Ellipsis)),
    ("mask-rows", (_mask_4,)),
    ("mask-2d-late", (slice(None), _mask_56)),
    ("mask-2d-int", (_mask_45, 0)),
    ("none-separated", (None, np.array([1, 2]), slice(None, None, 2), np.array([0, 1]))),
    ("0d-index", (np.array(-1),)),
    ("empty-list", ([],)),
    ("0d-mask", (np.array(True),)),
    ("ellipsis-none-list", (Ellipsis, None, [0, 1])),
    ("int-then-list", (1, [0, 2], slice(None))),
    ("list-int-list", ([0, 1], 2, [3, 4])),
    ("list-slice-int", ([0, 1], slice(None), 2)),
    ("bool-list", ([True, False, True, False],)),
    ("step-and-list", (slice(None, None, -2), slice(1, 4), [5, 0, 5])),
    ("three-adv", (np.array([0, 1]), np.array([[1], [2]]), np.array([3, 4]))),
]

SPECS = [
    OpSpec(
        "getitem",
        lambda x, key: x[key],
        [Case(randn(4, 5, 6), key=key, id=f"adv-{name}") for name, key in KEYS]
        + [
            Case(
                randn(6, 5, 4), key=(slice(None), [0, 0, 3]), transposed=(0,), id="adv-transposed"
            ),
            Case(randn(0, 3), key=(slice(None), [2, 0]), id="adv-empty-input"),
        ],
        fn=lambda x, key: x[to_nt_key(key, x.device)],
    ),
]
