"""Functional ops added for PyTorch parity, against PyTorch: the max pools that always
return indices, ``affine_grid`` and ``grid_sample`` in every mode, and ``gumbel_softmax``
(values depend on the random stream, so its statistics and its straight-through gradient are
compared); values, dtypes, indices, gradients (float32 and float64) and error classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from nn_compare import TOL, close, pair

import nanotorch as nt

R = np.random.default_rng(77)


def randn(*shape: int) -> np.ndarray:
    return R.standard_normal(shape)


def distinct(*shape: int) -> np.ndarray:
    return R.permutation(int(np.prod(shape))).reshape(shape) / 5.0 - 2.0


def _compare(
    name: str, arrays: list[np.ndarray], kw: dict[str, Any], dtype: str, grad_scale: bool = False
) -> None:
    """Call F.<name> in both libraries on the arrays (floats require grad) and compare every
    output and the gradients for a random upstream gradient on the float outputs.
    ``grad_scale``: a gradient that is a sum of large terms cancelling to about 0 (bicubic
    weights' derivatives) is compared with an absolute tolerance scaled by its largest
    entry, since float32 rounding of those terms depends on the summation order."""
    pairs = [pair(a, dtype, grad=a.dtype.kind == "f") for a in arrays]
    ours = getattr(nt.nn.functional, name)(*[p[0] for p in pairs], **kw)
    theirs = getattr(torch.nn.functional, name)(*[p[1] for p in pairs], **kw)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    t_loss, n_loss = 0, 0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype.name == str(b.dtype).removeprefix("torch."), f"output {i} dtype"
        close(a, b, dtype, f"output {i}")
        if b.requires_grad:
            up = R.standard_normal(tuple(b.shape)).astype(dtype)
            t_loss = t_loss + (b * torch.tensor(up)).sum()
            n_loss = n_loss + (a * nt.tensor(up)).sum()
    t_loss.backward()
    n_loss.backward()
    for i, (a, b) in enumerate(pairs):
        if b.requires_grad and a.grad is None:
            # No path to this input (grid_sample's grid in 'nearest' mode): PyTorch's is 0.
            assert not b.grad.any(), f"input {i} got no gradient, torch's is not zero"
        elif b.requires_grad and grad_scale:
            rtol, atol = TOL[dtype]
            scale = max(1.0, float(b.grad.abs().max()))
            np.testing.assert_allclose(
                a.grad.numpy(), b.grad.numpy(), rtol, atol * scale, err_msg=f"grad of {i}"
            )
        elif b.requires_grad:
            close(a.grad, b.grad, dtype, f"grad of input {i}")


POOLS: list[tuple[str, str, list[np.ndarray], dict[str, Any]]] = [
    ("mp1", "max_pool1d_with_indices", [distinct(2, 3, 9)], {"kernel_size": 3, "stride": 2}),
    (
        "mp1-ceil-pad",
        "max_pool1d_with_indices",
        [distinct(1, 2, 8)],
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    ("mp2", "max_pool2d_with_indices", [distinct(2, 2, 5, 6)], {"kernel_size": 2}),
    (
        "mp2-dilation-unbatched",
        "max_pool2d_with_indices",
        [distinct(2, 7, 7)],
        {"kernel_size": (2, 3), "stride": 1, "dilation": 2, "return_indices": False},
    ),
    ("mp3", "max_pool3d_with_indices", [distinct(1, 2, 4, 4, 5)], {"kernel_size": 2}),
    ("amp1", "adaptive_max_pool1d_with_indices", [distinct(2, 3, 7)], {"output_size": 3}),
    ("amp2", "adaptive_max_pool2d_with_indices", [distinct(2, 2, 7, 5)], {"output_size": (3, 2)}),
    (
        "amp2-none",
        "adaptive_max_pool2d_with_indices",
        [distinct(1, 2, 5, 4)],
        {"output_size": (None, 3)},
    ),
    ("amp3", "adaptive_max_pool3d_with_indices", [distinct(1, 2, 5, 4, 3)], {"output_size": 2}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "arrays", "kw"), [c[1:] for c in POOLS], ids=[c[0] for c in POOLS]
)
def test_pool_with_indices_matches_torch(name, arrays, kw, dtype):
    _compare(name, arrays, kw, dtype)


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("max_pool2d_with_indices", {"kernel_size": 0}),
        ("adaptive_max_pool2d_with_indices", {"output_size": (2, 2, 2)}),
    ],
)
def test_pool_with_indices_bad_input_raises_like_torch(name, kw):
    x = randn(1, 1, 4, 4)
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.tensor(x), **kw)
    with pytest.raises(RuntimeError):
        getattr(nt.nn.functional, name)(nt.tensor(x), **kw)


# ---------------------------------------------------------------------------- gumbel_softmax
PROBS = np.array([0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("tau", [1.0, 0.3])
def test_gumbel_softmax_hard_samples_follow_softmax_like_torch(tau):
    # The Gumbel-max trick: argmax(logits + g) ~ softmax(logits), whatever tau. 20000 draws
    # give a standard error under 0.0035 per class; both libraries land within 0.015.
    logits = np.log(PROBS) + 1.7  # unnormalised
    n = 20000
    gen = nt.Generator().manual_seed(3)
    ours = nt.nn.functional.gumbel_softmax(
        nt.tensor(np.tile(logits, (n, 1))), tau=tau, hard=True, generator=gen
    )
    torch.manual_seed(3)
    theirs = torch.nn.functional.gumbel_softmax(
        torch.tensor(np.tile(logits, (n, 1))), tau=tau, hard=True
    )
    for y in (ours.numpy(), theirs.numpy()):
        assert set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(1) == 1)
        np.testing.assert_allclose(y.mean(0), PROBS, atol=0.015)


def test_gumbel_softmax_soft_samples_are_distributions_like_torch():
    x = randn(500, 6)
    gen = nt.Generator().manual_seed(4)
    ours = nt.nn.functional.gumbel_softmax(nt.tensor(x), tau=2.0, dim=1, generator=gen).numpy()
    theirs = torch.nn.functional.gumbel_softmax(torch.tensor(x), tau=2.0, dim=1).numpy()
    for y in (ours, theirs):
        assert np.all(y > 0) and np.allclose(y.sum(1), 1.0)
    # Same law: the mean of each class's relaxed sample agrees to sampling error.
    np.testing.assert_allclose(ours.mean(0), theirs.mean(0), atol=0.03)
    assert ours.dtype == theirs.dtype == np.float64


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard"])
def test_gumbel_softmax_gradient_matches_torch_for_the_same_noise(hard, dtype):
    # PyTorch draws its own noise, so the noise is recovered from our sample:
    # tau * log(y_soft) = logits + g + c per row, and softmax ignores c. Given it, PyTorch's
    # formula (softmax, then straight-through for hard) must give our values and gradient.
    tau, x = 0.7, randn(4, 5)
    gen = nt.Generator().manual_seed(5)
    n_x, t_x = pair(x, dtype, grad=True)
    ours = nt.nn.functional.gumbel_softmax(n_x, tau=tau, hard=hard, generator=gen)
    soft = nt.nn.functional.gumbel_softmax(
        nt.tensor(x.astype(dtype)), tau=tau, generator=nt.Generator().manual_seed(5)
    ).numpy()
    noise = torch.tensor(tau * np.log(soft) - x.astype(dtype))
    y_soft = ((t_x + noise) / tau).softmax(-1)
    if hard:
        y_hard = torch.zeros_like(y_soft).scatter_(-1, y_soft.argmax(-1, keepdim=True), 1.0)
        theirs = y_hard - y_soft.detach() + y_soft
    else:
        theirs = y_soft
    close(ours, theirs, dtype, "sample")
    up = randn(4, 5).astype(dtype)
    (ours * nt.tensor(up)).sum().backward()
    (theirs * torch.tensor(up)).sum().backward()
    close(n_x.grad, t_x.grad, dtype, "grad of logits")
    assert np.any(n_x.grad.numpy() != 0)


def test_gumbel_softmax_bad_input_raises_like_torch():
    for lib, x in ((torch, torch.zeros(2, 3)), (nt, nt.zeros(2, 3))):
        with pytest.raises(IndexError):
            lib.nn.functional.gumbel_softmax(x, dim=2)


# ---------------------------------------------------------------------------- affine_grid
def grid_in(*shape: int, spread: float = 1.2) -> np.ndarray:
    """Grid points in [-spread, spread]: some fall outside the input, exercising padding."""
    return R.uniform(-spread, spread, shape)


THETA2 = randn(2, 2, 3) * 0.6
THETA3 = randn(2, 3, 4) * 0.6
AFFINE: list[tuple[str, np.ndarray, tuple[int, ...], bool]] = [
    ("2d", THETA2, (2, 3, 4, 5), False),
    ("2d-align", THETA2, (2, 1, 3, 6), True),
    ("2d-height-1", THETA2, (2, 1, 1, 4), False),
    ("3d", THETA3, (2, 1, 3, 4, 2), False),
    ("3d-align", THETA3, (2, 2, 2, 3, 4), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("theta", "size", "align"), [c[1:] for c in AFFINE], ids=[c[0] for c in AFFINE]
)
def test_affine_grid_matches_torch(theta, size, align, dtype):
    _compare("affine_grid", [theta], {"size": size, "align_corners": align}, dtype)


@pytest.mark.parametrize(
    ("theta", "size", "error"),
    [
        (randn(2, 2, 3), (2, 3, 4, 5, 6), ValueError),
        (randn(2, 2, 3), (2, 3, 4), NotImplementedError),
        (randn(2, 2, 3), (2, 3, 0, 5), ValueError),
        (randn(2, 2, 3), (3, 3, 4, 5), RuntimeError),
        (np.zeros((2, 2, 3), dtype=np.int64), (2, 3, 4, 5), ValueError),
    ],
    ids=["3d-size-for-2d-theta", "3-d-size", "zero-size", "batch", "int-theta"],
)
def test_affine_grid_bad_input_raises_like_torch(theta, size, error):
    with pytest.raises(error):
        torch.nn.functional.affine_grid(torch.tensor(theta), size, align_corners=False)
    with pytest.raises(error, match="affine_grid"):
        nt.nn.functional.affine_grid(nt.tensor(theta), size, align_corners=False)


# ---------------------------------------------------------------------------- grid_sample
SAMPLE: list[tuple[str, list[np.ndarray], dict[str, Any]]] = []
for _mode in ("bilinear", "nearest"):
    for _pad in ("zeros", "border", "reflection"):
        for _align in (False, True):
            _id = f"{_mode}-{_pad}-{'align' if _align else 'noalign'}"
            _kw = {"mode": _mode, "padding_mode": _pad, "align_corners": _align}
            SAMPLE.append((f"2d-{_id}", [randn(2, 3, 4, 5), grid_in(2, 3, 4, 2)], _kw))
            SAMPLE.append((f"3d-{_id}", [randn(1, 2, 3, 4, 3), grid_in(1, 2, 3, 2, 3)], _kw))
for _pad in ("zeros", "border", "reflection"):
    for _align in (False, True):
        SAMPLE.append(
            (
                f"2d-bicubic-{_pad}-{'align' if _align else 'noalign'}",
                [randn(2, 2, 5, 6), grid_in(2, 3, 4, 2, spread=1.5)],
                {"mode": "bicubic", "padding_mode": _pad, "align_corners": _align},
            )
        )
SAMPLE += [
    (
        "2d-far-outside-reflection",
        [randn(1, 1, 3, 4), grid_in(1, 2, 5, 2, spread=4.0)],
        {"padding_mode": "reflection", "align_corners": False},
    ),
    (
        "2d-far-outside-reflection-align",
        [randn(1, 1, 3, 4), grid_in(1, 2, 5, 2, spread=4.0)],
        {"padding_mode": "reflection", "align_corners": True},
    ),
    (
        "2d-size-1-axis",
        [randn(1, 2, 1, 4), grid_in(1, 2, 3, 2)],
        {"padding_mode": "reflection", "align_corners": True},
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("arrays", "kw"), [c[1:] for c in SAMPLE], ids=[c[0] for c in SAMPLE])
def test_grid_sample_matches_torch(arrays, kw, dtype):
    _compare("grid_sample", arrays, kw, dtype, grad_scale=kw.get("mode") == "bicubic")


def test_grid_sample_through_affine_grid_matches_torch():
    # The spatial-transformer pattern: gradients reach theta through the grid.
    x, theta = randn(2, 3, 5, 6), randn(2, 2, 3) * 0.5 + np.eye(2, 3)

    def run(lib: Any, xs: list[Any]) -> Any:
        F = lib.nn.functional
        grid = F.affine_grid(xs[1], (2, 3, 4, 4), align_corners=False)
        return F.grid_sample(xs[0], grid, padding_mode="border", align_corners=False)

    (n_x, t_x), (n_t, t_t) = pair(x, "float64", grad=True), pair(theta, "float64", grad=True)
    ours, theirs = run(nt, [n_x, n_t]), run(torch, [t_x, t_t])
    close(ours, theirs, "float64", "output")
    up = randn(*theirs.shape)
    (ours * nt.tensor(up)).sum().backward()
    (theirs * torch.tensor(up)).sum().backward()
    close(n_x.grad, t_x.grad, "float64", "grad of input")
    close(n_t.grad, t_t.grad, "float64", "grad of theta")


@pytest.mark.parametrize(
    ("x", "g", "kw", "error"),
    [
        (randn(1, 2, 4, 5), grid_in(1, 3, 3, 2), {"mode": "cubic"}, ValueError),
        (randn(1, 2, 4, 5), grid_in(1, 3, 3, 2), {"padding_mode": "wrap"}, ValueError),
        (randn(1, 2, 4, 5), grid_in(1, 3, 3, 1), {}, RuntimeError),
        (randn(1, 2, 4, 5), grid_in(2, 3, 3, 2), {}, RuntimeError),
        (randn(2, 4, 5), grid_in(1, 3, 3, 2), {}, RuntimeError),
        (randn(1, 1, 2, 4, 5), grid_in(1, 2, 3, 3, 3), {"mode": "bicubic"}, RuntimeError),
    ],
    ids=["mode", "padding_mode", "grid-last-dim", "batch", "3-d-input", "bicubic-5d"],
)
def test_grid_sample_bad_input_raises_like_torch(x, g, kw, error):
    with pytest.raises(error):
        torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), align_corners=False, **kw)
    with pytest.raises(error, match="grid_sample"):
        nt.nn.functional.grid_sample(nt.tensor(x), nt.tensor(g), align_corners=False, **kw)


# ---------------------------------------------------------------------------- MHA, functional
def _mha_args(kind: str) -> tuple[list[Any], dict[str, Any]]:
    """Arguments of F.multi_head_attention_forward (E = 4, 2 heads, L = 3, S = 5, N = 2);
    arrays stand for tensors."""
    e, kw = 4, {}
    q, k, v = randn(3, 2, e), randn(5, 2, e), randn(5, 2, e)
    w_in, b_in, w_out, b_out = randn(3 * e, e) * 0.5, randn(3 * e), randn(e, e) * 0.5, randn(e)
    bias_k = bias_v = None
    zero_attn = False
    if kind == "bias_kv-zero_attn-masks":
        bias_k, bias_v, zero_attn = randn(1, 1, e), randn(1, 1, e), True
        kw = {"attn_mask": randn(3, 5), "key_padding_mask": np.array([[0, 0, 1, 0, 1]] * 2) > 0}
    elif kind == "separate-proj-kdim":
        k, v = randn(5, 2, 3), randn(5, 2, 6)
        kw = {
            "use_separate_proj_weight": True,
            "q_proj_weight": randn(e, e),
            "k_proj_weight": randn(e, 3),
            "v_proj_weight": randn(e, 6),
            "average_attn_weights": False,
        }
        w_in = None
    elif kind == "static-kv-no-weights":
        kw = {"static_k": randn(4, 5, 2), "static_v": randn(4, 5, 2), "need_weights": False}
    elif kind == "unbatched":
        q, k, v = q[:, 0], k[:, 0], v[:, 0]
    return [q, k, v, e, 2, w_in, b_in, bias_k, bias_v, zero_attn, 0.0, w_out, b_out], kw


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kind",
    ["plain", "bias_kv-zero_attn-masks", "separate-proj-kdim", "static-kv-no-weights", "unbatched"],
)
def test_multi_head_attention_forward_matches_torch(kind, dtype):
    args, kw = _mha_args(kind)

    def tensors(lib: Any, values: list[Any]) -> tuple[list[Any], list[Any]]:
        made, leaves = [], []
        for a in values:
            if isinstance(a, np.ndarray):
                t = (nt if lib is nt else torch).tensor(
                    a.astype(dtype) if a.dtype.kind == "f" else a,
                    requires_grad=a.dtype.kind == "f",
                )
                leaves.append(t if a.dtype.kind == "f" else None)
                made.append(t)
            else:
                made.append(a)
                leaves.append(None)
        return made, leaves

    n_args, n_leaves = tensors(nt, args)
    t_args, t_leaves = tensors(torch, args)
    names = list(kw)
    n_kw, n_kleaves = tensors(nt, [kw[k] for k in names])
    t_kw, t_kleaves = tensors(torch, [kw[k] for k in names])
    ours = nt.nn.functional.multi_head_attention_forward(*n_args, **dict(zip(names, n_kw)))
    theirs = torch.nn.functional.multi_head_attention_forward(*t_args, **dict(zip(names, t_kw)))
    assert (ours[1] is None) == (theirs[1] is None)
    close(ours[0], theirs[0], dtype, "output")
    if theirs[1] is not None:
        close(ours[1], theirs[1], dtype, "weights")
    up = randn(*theirs[0].shape).astype(dtype)
    (ours[0] * nt.tensor(up)).sum().backward()
    (theirs[0] * torch.tensor(up)).sum().backward()
    for i, (a, b) in enumerate(zip(n_leaves + n_kleaves, t_leaves + t_kleaves)):
        if b is not None and b.grad is not None:
            close(a.grad, b.grad, dtype, f"grad of argument {i}")


# ---------------------------------------------------------------------------- fractional pools
def samples(*shape: int) -> np.ndarray:
    return R.uniform(0, 1, shape)


FRACTIONAL: list[tuple[str, str, list[np.ndarray], dict[str, Any]]] = [
    (
        "2d",
        "fractional_max_pool2d",
        [distinct(2, 3, 9, 10), samples(2, 3, 2)],
        {"kernel_size": 2, "output_size": (5, 4)},
    ),
    (
        "2d-ratio-rect-kernel",
        "fractional_max_pool2d",
        [distinct(1, 2, 11, 8), samples(1, 2, 2)],
        {"kernel_size": (3, 2), "output_ratio": (0.5, 0.7)},
    ),
    (
        "2d-output-1-and-full",
        "fractional_max_pool2d",
        [distinct(1, 2, 5, 6), samples(1, 2, 2)],
        {"kernel_size": 2, "output_size": (1, 5)},
    ),
    (
        "2d-unbatched",
        "fractional_max_pool2d",
        [distinct(2, 7, 7), samples(1, 2, 2)],
        {"kernel_size": 3, "output_size": 3},
    ),
    (
        "3d",
        "fractional_max_pool3d",
        [distinct(1, 2, 7, 6, 8), samples(1, 2, 3)],
        {"kernel_size": 2, "output_size": (3, 4, 5)},
    ),
    (
        "3d-ratio",
        "fractional_max_pool3d",
        [distinct(2, 1, 6, 9, 7), samples(2, 1, 3)],
        {"kernel_size": (2, 3, 2), "output_ratio": 0.5},
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "arrays", "kw"), [c[1:] for c in FRACTIONAL], ids=[c[0] for c in FRACTIONAL]
)
def test_fractional_max_pool_matches_torch_for_given_samples(name, arrays, kw, dtype):
    x, u = arrays
    n_x, t_x = pair(x, dtype, grad=True)
    n_u, t_u = pair(u, dtype)
    kw = {**kw, "return_indices": True}
    ours = getattr(nt.nn.functional, name)(n_x, _random_samples=n_u, **kw)
    theirs = getattr(torch.nn.functional, name)(t_x, _random_samples=t_u, **kw)
    close(ours[1], theirs[1], dtype, "indices")
    close(ours[0], theirs[0], dtype, "values")
    up = randn(*theirs[0].shape).astype(dtype)
    (ours[0] * nt.tensor(up)).sum().backward()
    (theirs[0] * torch.tensor(up)).sum().backward()
    close(n_x.grad, t_x.grad, dtype, "grad of input")


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_module_matches_torch(nd):
    x = distinct(2, 3, 8, 9, 7)[:, :, 0] if nd == 2 else distinct(1, 2, 6, 7, 8)
    u = samples(x.shape[0], x.shape[1], nd)
    mod = f"FractionalMaxPool{nd}d"
    t_mod = getattr(torch.nn, mod)(2, output_ratio=0.6, _random_samples=torch.tensor(u))
    n_mod = getattr(nt.nn, mod)(2, output_ratio=0.6, _random_samples=nt.tensor(u))
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())
    close(n_mod(nt.tensor(x)), t_mod(torch.tensor(x)), "float64", "output")


def test_fractional_max_pool_random_windows_hold_their_maxima():
    x = distinct(2, 3, 9, 9)
    nt.manual_seed(0)
    values, idx = nt.nn.functional.fractional_max_pool2d(
        nt.tensor(x), 3, output_size=4, return_indices=True
    )
    v, i = values.numpy(), idx.numpy()
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, i.reshape(2, 3, -1), 2).reshape(v.shape), v
    )
    # Rows and columns of the chosen maxima never go backwards along each axis' windows, and
    # different planes draw different windows.
    assert len({tuple(i[n, c].ravel()) for n in range(2) for c in range(3)}) > 1


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"kernel_size": 2, "output_size": (6, 3)}, RuntimeError),
        ({"kernel_size": 2}, ValueError),
        (
            {"kernel_size": 2, "output_size": 3, "_random_samples": np.zeros((1, 1, 3))},
            RuntimeError,
        ),
    ],
    ids=["too-large", "no-size", "samples-shape"],
)
def test_fractional_max_pool_bad_input_raises_like_torch(kw, error):
    x = randn(1, 1, 6, 7)
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    n_kw = {k: nt.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    with pytest.raises(error):
        torch.nn.functional.fractional_max_pool2d(torch.tensor(x), **t_kw)
    with pytest.raises(error, match="fractional_max_pool2d"):
        nt.nn.functional.fractional_max_pool2d(nt.tensor(x), **n_kw)


def test_fractional_max_pool_module_arguments_raise_like_torch():
    for lib in (torch, nt):
        with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
            lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)
        with pytest.raises(ValueError, match="output"):
            lib.nn.FractionalMaxPool3d(2)
        with pytest.raises(ValueError, match="between 0 and 1"):
            lib.nn.FractionalMaxPool2d(2, output_ratio=1.5)
