"""Specs for the core op library (nanotorch.ops): forward references in NumPy float64."""

from __future__ import annotations

import math

import numpy as np

import nanotorch as nt
from nanotorch.testing import Case, OpSpec
from specs import binary_cases, distinct, ints, positive, randn, unary_cases


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softplus(x, beta=1.0, threshold=20.0):
    bx = x * beta
    return np.where(bx > threshold, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)


def _logsumexp(x, dim=None, keepdim=False):
    m = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=dim) if dim is not None else out.reshape(())


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_pad(x, pad, value=0.0):
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return np.pad(x, widths, constant_values=value)


def _np_gather(x, dim, index):
    return np.take_along_axis(x, index, axis=dim)


UNARY = [
    ("neg", np.negative, randn, True),
    ("exp", np.exp, randn, True),
    ("log", np.log, positive, True),
    ("log1p", np.log1p, positive, True),
    ("expm1", np.expm1, randn, True),
    ("sqrt", np.sqrt, positive, True),
    ("rsqrt", lambda x: 1 / np.sqrt(x), positive, True),
    ("abs", np.abs, positive, False),
    ("sign", np.sign, randn, False),
    ("sin", np.sin, randn, True),
    ("cos", np.cos, randn, True),
    ("tanh", np.tanh, randn, True),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), randn, True),
    ("relu", lambda x: np.maximum(x, 0), randn, False),
    ("silu", lambda x: x / (1 + np.exp(-x)), randn, True),
    ("square", np.square, randn, True),
]

SPECS = [OpSpec(name, ref, unary_cases(make), gradgrad=smooth) for name, ref, make, smooth in UNARY]

SPECS += [
    OpSpec("add", np.add, binary_cases(), gradgrad=True),
    OpSpec("sub", np.subtract, binary_cases(), gradgrad=True),
    OpSpec("mul", np.multiply, binary_cases(), gradgrad=True),
    OpSpec("div", np.divide, binary_cases(randn, positive), gradgrad=True),
    OpSpec(
        "pow",
        np.power,
        [
            Case(positive(3, 4), randn(3, 4)),
            Case(positive(3, 1), randn(4), id="bcast"),
            Case(positive(3, 4), 2.5, id="scalar-exp"),
            Case(positive(3), 2, id="int-exp"),
            Case(2.0, randn(3, 4), id="scalar-base"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "leaky_relu",
        lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
        [Case(randn(3, 4)), Case(randn(5), negative_slope=0.2, id="slope")],
    ),
    OpSpec(
        "gelu",
        lambda x, approximate="none": (
            0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
            if approximate == "tanh"
            else 0.5 * x * (1 + _erf(x / math.sqrt(2)))
        ),
        [Case(randn(3, 4)), Case(randn(6), approximate="tanh", id="tanh"), Case(randn())],
        gradgrad=True,
    ),
    OpSpec(
        "softplus",
        _softplus,
        [
            Case(randn(3, 4)),
            Case(randn(5) * 3, beta=2.0, id="beta"),
            Case(np.array([-30.0, 0.0, 30.0]), id="extremes"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "clamp",
        lambda x, min=None, max=None: np.clip(x, min, max),
        [
            Case(randn(3, 4), min=-0.5, max=0.5),
            Case(randn(5), min=0.0, id="min-only"),
            Case(randn(5), max=0.1, id="max-only"),
        ],
    ),
    OpSpec("maximum", np.maximum, binary_cases()[:5]),
    OpSpec("minimum", np.minimum, binary_cases()[:5]),
    OpSpec(
        "where",
        np.where,
        [
            Case(randn(3, 4) > 0, randn(3, 4), randn(3, 4)),
            Case(randn(3, 1) > 0, randn(1, 4), randn(3, 4), id="bcast"),
        ],
    ),
]

for _name, _np_op in [
    ("eq", np.equal),
    ("ne", np.not_equal),
    ("lt", np.less),
    ("le", np.less_equal),
    ("gt", np.greater),
    ("ge", np.greater_equal),
]:
    _a = randn(3, 4)
    _b = _a.copy()
    _b[0] += 1.0  # some equal, some different
    SPECS.append(
        OpSpec(
            _name,
            _np_op,
            [Case(_a, _b), Case(_a, randn(4), id="bcast"), Case(_a, 0.0, id="scalar")],
            grad=False,
        )
    )

for _name, _np_op in [
    ("logical_and", np.logical_and),
    ("logical_or", np.logical_or),
    ("logical_xor", np.logical_xor),
]:
    SPECS.append(OpSpec(_name, _np_op, [Case(randn(3, 4) > 0, randn(3, 4) > 0)], grad=False))

_special = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
SPECS += [
    OpSpec("logical_not", np.logical_not, [Case(randn(3, 4) > 0)], grad=False),
    OpSpec("isnan", np.isnan, [Case(_special)], grad=False),
    OpSpec("isinf", np.isinf, [Case(_special)], grad=False),
    OpSpec("isfinite", np.isfinite, [Case(_special)], grad=False),
    OpSpec(
        "floor_divide",
        np.floor_divide,
        [Case(ints(-9, 9, 3, 4), ints(1, 5, 3, 4)), Case(randn(3, 4) * 5, 2.0, id="float")],
        grad=False,
    ),
    OpSpec(
        "remainder",
        np.remainder,
        [Case(ints(-9, 9, 3, 4), ints(1, 5, 3, 4)), Case(randn(3, 4) * 5, 2.0, id="float")],
        grad=False,
    ),
]

# ---------------------------------------------------------------------------- matmul
SPECS += [
    OpSpec(
        "matmul",
        np.matmul,
        [
            Case(randn(3, 4), randn(4, 5), id="2d"),
            Case(randn(4), randn(4), id="1d-1d"),
            Case(randn(4), randn(4, 5), id="1d-2d"),
            Case(randn(3, 4), randn(4), id="2d-1d"),
            Case(randn(2, 3, 4), randn(4, 5), id="batched-bcast"),
            Case(randn(2, 1, 3, 4), randn(5, 4, 2), id="batched-both"),
            Case(randn(3, 4), randn(4, 5), transposed=(0,), id="transposed"),
            Case(randn(0, 4), randn(4, 2), id="empty"),
        ],
        gradgrad=True,
        atol=1e-5,
        rtol=1e-5,
    ),
    OpSpec("mm", np.matmul, [Case(randn(3, 4), randn(4, 2))]),
    OpSpec("bmm", np.matmul, [Case(randn(2, 3, 4), randn(2, 4, 2))]),
    OpSpec("dot", np.dot, [Case(randn(5), randn(5))]),
    OpSpec("outer", np.outer, [Case(randn(3), randn(4))]),
]


# ---------------------------------------------------------------------------- reductions
def _reduction_cases(make=randn):
    return [
        Case(make(3, 4), id="all"),
        Case(make(3, 4), dim=1, id="dim1"),
        Case(make(2, 3, 4), dim=(0, 2), keepdim=True, id="dims-keep"),
        Case(make(2, 3, 4), dim=-1, id="neg-dim"),
        Case(make(4, 3), dim=0, transposed=(0,), id="transposed"),
    ]


def _np_reduce(fn):
    def ref(x, dim=None, keepdim=False, **kw):
        return fn(x, axis=dim, keepdims=keepdim, **kw)

    return ref


SPECS += [
    OpSpec(
        "sum",
        _np_reduce(np.sum),
        _reduction_cases() + [Case(randn(), id="0d")],
        gradgrad=True,
    ),
    OpSpec("mean", _np_reduce(np.mean), _reduction_cases(), gradgrad=True),
    OpSpec(
        "var",
        lambda x, dim=None, keepdim=False, correction=1: np.var(
            x, axis=dim, keepdims=keepdim, ddof=correction
        ),
        _reduction_cases() + [Case(randn(3, 4), dim=1, correction=0, id="biased")],
        gradgrad=True,
    ),
    OpSpec(
        "std",
        lambda x, dim=None, keepdim=False, correction=1: np.std(
            x, axis=dim, keepdims=keepdim, ddof=correction
        ),
        _reduction_cases(positive),
        gradgrad=True,
    ),
    OpSpec(
        "prod",
        _np_reduce(np.prod),
        [
            Case(positive(3, 4), id="all"),
            Case(randn(3, 4), dim=1, id="dim"),
            Case(np.array([[1.5, 0.0, 2.0], [0.5, 3.0, 0.0]]), dim=1, keepdim=True, id="zeros"),
        ],
        gradgrad=True,
    ),
    OpSpec("amax", _np_reduce(np.max), _reduction_cases(distinct)),
    OpSpec("amin", _np_reduce(np.min), _reduction_cases(distinct)),
    OpSpec(
        "max",
        lambda x, dim=None, keepdim=False: (
            np.max(x)
            if dim is None
            else (np.max(x, axis=dim, keepdims=keepdim), np.argmax(x, axis=dim, keepdims=keepdim))
        ),
        [
            Case(distinct(3, 4), id="all"),
            Case(distinct(3, 4), dim=1, id="dim"),
            Case(distinct(3, 4), dim=0, keepdim=True, id="dim-keep"),
        ],
    ),
    OpSpec(
        "min",
        lambda x, dim=None, keepdim=False: (
            np.min(x)
            if dim is None
            else (np.min(x, axis=dim, keepdims=keepdim), np.argmin(x, axis=dim, keepdims=keepdim))
        ),
        [Case(distinct(3, 4), id="all"), Case(distinct(3, 4), dim=1, id="dim")],
    ),
    OpSpec(
        "argmax",
        lambda x, dim=None, keepdim=False: np.argmax(x, axis=dim, keepdims=keepdim),
        [
            Case(distinct(3, 4)),
            Case(distinct(3, 4), dim=1, id="dim"),
            Case(distinct(3, 4), dim=0, keepdim=True, id="keep"),
        ],
        grad=False,
    ),
    OpSpec(
        "argmin",
        lambda x, dim=None, keepdim=False: np.argmin(x, axis=dim, keepdims=keepdim),
        [Case(distinct(3, 4)), Case(distinct(3, 4), dim=1, id="dim")],
        grad=False,
    ),
    OpSpec(
        "logsumexp",
        _logsumexp,
        _reduction_cases()[:4] + [Case(randn(2, 3) * 1e4, dim=1, id="huge")],
        gradgrad=True,
        rtol=1e-5,
        atol=1e-4,
    ),
    OpSpec(
        "softmax",
        lambda x, dim=-1: _softmax(x, dim),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), dim=1, id="dim1"),
            Case(randn(2, 5) * 1e4, id="huge"),
        ],
        gradgrad=True,
    ),
    OpSpec(
        "log_softmax",
        lambda x, dim=-1: x - _logsumexp(x, dim, keepdim=True),
        [
            Case(randn(3, 4)),
            Case(randn(2, 3, 4), dim=0, id="dim0"),
            Case(randn(2, 5) * 1e4, id="huge"),
        ],
        gradgrad=True,
        atol=1e-4,
    ),
]

# ---------------------------------------------------------------------------- shapes
SPECS += [
    OpSpec(
        "reshape",
        lambda x, shape: np.reshape(x, shape),
        [
            Case(randn(3, 4), shape=(2, 6)),
            Case(randn(3, 4), shape=(-1,), id="flat"),
            Case(randn(4, 3), shape=(2, -1), transposed=(0,), id="transposed"),
            Case(randn(), shape=(1, 1), id="0d"),
        ],
        fn=lambda x, shape: nt.reshape(x, shape),
    ),
    OpSpec(
        "flatten",
        lambda x, start_dim=0, end_dim=-1: x.reshape(
            x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1 :]
        ),
        [Case(randn(2, 3, 4)), Case(randn(2, 3, 4), start_dim=1, id="start1")],
    ),
    OpSpec(
        "unflatten",
        lambda x, dim, sizes: x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :]),
        [Case(randn(2, 12), dim=1, sizes=(3, 4))],
    ),
    OpSpec(
        "squeeze",
        lambda x, dim=None: np.squeeze(x, axis=dim),
        [Case(randn(1, 3, 1)), Case(randn(1, 3, 1), dim=2, id="dim")],
    ),
    OpSpec(
        "unsqueeze",
        lambda x, dim: np.expand_dims(x, dim),
        [Case(randn(3, 4), dim=1), Case(randn(3), dim=-1, id="neg")],
    ),
    OpSpec(
        "transpose",
        lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
        [Case(randn(2, 3, 4), dim0=0, dim1=2)],
    ),
    OpSpec(
        "permute",
        lambda x, dims: np.transpose(x, dims),
        [Case(randn(2, 3, 4), dims=(2, 0, 1))],
        fn=lambda x, dims: nt.permute(x, dims),
    ),
    OpSpec("t", np.transpose, [Case(randn(3, 4)), Case(randn(3), id="1d")]),
    OpSpec(
        "matrix_transpose",
        lambda x: np.swapaxes(x, -1, -2),
        [Case(randn(2, 3, 4))],
    ),
    OpSpec(
        "expand",
        lambda x, shape: np.broadcast_to(x, shape),
        [Case(randn(3, 1), shape=(2, 3, 4))],
        fn=lambda x, shape: nt.expand(x, shape),
    ),
    OpSpec(
        "expand_as",
        lambda x, other: np.broadcast_to(x, other.shape),
        [Case(randn(3, 1), randn(2, 3, 4)), Case(randn(), randn(2, 2), id="0d")],
    ),
    OpSpec(
        "broadcast_to",
        lambda x, shape: np.broadcast_to(x, shape),
        [Case(randn(1, 4), shape=(3, 4)), Case(randn(), shape=(2, 2), id="0d")],
    ),
    OpSpec(
        "cat",
        lambda *xs, dim=0: np.concatenate(xs, axis=dim),
        [
            Case(randn(2, 3), randn(4, 3)),
            Case(randn(2, 3), randn(2, 1), dim=1, id="dim1"),
            Case(randn(2, 3), randn(0, 3), id="empty"),
        ],
        fn=lambda *xs, dim=0: nt.cat(xs, dim),
    ),
    OpSpec(
        "stack",
        lambda *xs, dim=0: np.stack(xs, axis=dim),
        [Case(randn(2, 3), randn(2, 3)), Case(randn(2, 3), randn(2, 3), dim=2, id="last")],
        fn=lambda *xs, dim=0: nt.stack(xs, dim),
    ),
    OpSpec(
        "split",
        lambda x, split_size_or_sections, dim=0: np.split(
            x,
            np.cumsum(split_size_or_sections)[:-1]
            if not isinstance(split_size_or_sections, int)
            else list(range(split_size_or_sections, x.shape[dim], split_size_or_sections)),
            axis=dim,
        ),
        [
            Case(randn(5, 3), split_size_or_sections=2),
            Case(randn(2, 6), split_size_or_sections=[1, 5], dim=1, id="sections"),
        ],
    ),
    OpSpec(
        "chunk",
        lambda x, chunks, dim=0: np.array_split(x, chunks, axis=dim),
        [Case(randn(6, 2), chunks=3)],
    ),
    OpSpec(
        "unbind",
        lambda x, dim=0: [np.take(x, i, axis=dim) for i in range(x.shape[dim])],
        [Case(randn(3, 2), dim=1)],
    ),
    OpSpec(
        "flip",
        lambda x, dims: np.flip(x, dims),
        [Case(randn(3, 4), dims=(0,)), Case(randn(2, 3, 4), dims=(0, 2), id="two")],
    ),
    OpSpec(
        "pad",
        _np_pad,
        [
            Case(randn(3, 4), pad=(1, 2)),
            Case(randn(2, 3, 4), pad=(1, 0, 2, 3), id="2d"),
            Case(randn(2, 2), pad=(1, 1), value=-1.0, id="value"),
        ],
    ),
]

# ---------------------------------------------------------------------------- indexing
_idx = np.array([2, 0, 2, 1])  # with a duplicate: the backward must accumulate it
SPECS += [
    OpSpec(
        "getitem",
        lambda x, key: x[key],
        [
            Case(randn(4, 5), key=(1,), id="int"),
            Case(randn(4, 5), key=(slice(1, 3), slice(None, None, 2)), id="slices"),
            Case(randn(4, 5), key=(slice(None, None, -1),), id="neg-step"),
            Case(randn(4, 5), key=(None, Ellipsis, 2), id="none-ellipsis"),
            Case(randn(4, 5), key=(-1, slice(-3, None)), id="negative"),
        ],
        fn=lambda x, key: x[key],
    ),
    OpSpec(
        "getitem",
        lambda x, i: x[i],
        [
            Case(randn(4, 3), _idx, id="rows-dup"),
            Case(randn(4, 3), ints(0, 4, 2, 3), id="2d-index"),
        ],
        fn=lambda x, i: x[i],
    ),
    OpSpec(
        "getitem",
        lambda x, m: x[m],
        [
            Case(randn(4, 3), randn(4, 3) > 0, id="elements"),
            Case(randn(4, 3), randn(4) > 0, id="rows"),
        ],
        fn=lambda x, m: x[m],
    ),
    OpSpec(
        "gather",
        _np_gather,
        [
            Case(randn(3, 4), 1, ints(0, 4, 3, 5), id="dim1"),
            Case(randn(3, 4), 0, ints(0, 3, 2, 4), id="dim0"),
        ],
    ),
    OpSpec(
        "index_select",
        lambda x, dim, i: np.take(x, i, axis=dim),
        [Case(randn(4, 3), 0, _idx, id="dup"), Case(randn(2, 5), 1, ints(0, 5, 3), id="dim1")],
    ),
    OpSpec(
        "one_hot",
        lambda i, num_classes: np.eye(num_classes, dtype=np.int64)[i],
        [Case(ints(0, 4, 5), num_classes=4), Case(ints(0, 3, 2, 3), num_classes=3, id="2d")],
        grad=False,
    ),
    OpSpec(
        "nonzero",
        lambda x: np.stack(np.nonzero(x), axis=1),
        [Case(np.array([[1.0, 0.0], [0.0, 2.0]]))],
        grad=False,
    ),
    OpSpec(
        "cast",
        lambda x: x.astype(np.float64),
        [Case(randn(3))],
        fn=lambda x: nt.cast(x, nt.float64),
    ),
    OpSpec("clone", np.copy, [Case(randn(3, 4))]),
    OpSpec(
        "to_device",
        lambda x: x,
        [Case(randn(3, 4))],
        fn=lambda x: nt.to_device(nt.to_device(x, nt.device("cpu")), x.device),
    ),
]
