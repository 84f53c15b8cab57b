"""nanotorch.nn.utils: gradient clipping and flattening parameters, against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nanotorch
from nanotorch.errors import DeviceMismatchError
from nanotorch.nn import utils
from nanotorch.testing import assert_close

_rng = np.random.default_rng(7)
SHAPES = [(3, 4), (5,), (2, 1, 3)]
VALUES = [_rng.standard_normal(s) for s in SHAPES]
GRADS = [_rng.standard_normal(s) * 3 for s in SHAPES]


def make(device, dtype=nanotorch.float64, grads=GRADS):
    params = []
    for v, g in zip(VALUES, grads, strict=True):
        p = nanotorch.tensor(v.copy(), dtype=dtype, device=device, requires_grad=True)
        p.grad = nanotorch.tensor(g.copy(), dtype=dtype, device=device)
        params.append(p)
    return params


def np_norm(arrays, p):
    if p == math.inf:
        return max(np.abs(a).max() for a in arrays)
    return sum((np.abs(a) ** p).sum() for a in arrays) ** (1 / p)


# --------------------------------------------------------------------------- clip_grad_norm_
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"], ids=str)
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clips", "within"])
def test_clip_grad_norm_matches_numpy(device, norm_type, max_norm):
    params = make(device)
    total = utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    p = float(norm_type)
    want_total = np_norm(GRADS, p)
    assert total.shape == () and total.device == device and total.dtype is nanotorch.float64
    assert_close(total, want_total, rtol=1e-12, atol=0)
    coef = min(max_norm / (want_total + 1e-6), 1.0)
    for param, g in zip(params, GRADS, strict=True):
        assert_close(param.grad, g * coef, rtol=1e-12, atol=1e-15)
    if max_norm == 0.5:
        assert_close(np_norm([p.grad.cpu().numpy() for p in params], p), 0.5, rtol=1e-5)


def test_clip_grad_norm_default_norm_is_2_and_float32_works(device):
    params = make(device, dtype=nanotorch.float32)
    total = utils.clip_grad_norm_(params, 1.0)
    assert total.dtype is nanotorch.float32
    assert_close(total, np.float32(np_norm(GRADS, 2.0)), rtol=1e-5)
    coef = 1.0 / (np_norm(GRADS, 2.0) + 1e-6)
    for param, g in zip(params, GRADS, strict=True):
        assert_close(param.grad, (g * coef).astype(np.float32), rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_takes_a_single_tensor_and_skips_missing_grads(device):
    params = make(device)
    params[1].grad = None
    single = utils.clip_grad_norm_(params[0], 1.0)
    assert_close(single, np_norm([GRADS[0]], 2.0), rtol=1e-12, atol=0)
    params = make(device)
    params[1].grad = None
    total = utils.clip_grad_norm_(iter(params), 1.0)  # any iterable, e.g. a generator
    assert_close(total, np_norm([GRADS[0], GRADS[2]], 2.0), rtol=1e-12, atol=0)
    assert params[1].grad is None


def test_clip_grad_norm_without_grads_returns_zero_on_the_parameter_device(device):
    p = nanotorch.ones(3, dtype=nanotorch.float64, device=device, requires_grad=True)
    total = utils.clip_grad_norm_([p], 1.0)
    assert total.device == device and total.dtype is nanotorch.float64
    assert_close(total, 0.0, check_dtype=False)


def test_clip_grad_norm_moves_nothing_and_never_syncs(device):
    params = make(device, dtype=nanotorch.float32)
    nanotorch.reset_transfer_stats()
    utils.clip_grad_norm_(params, 0.5)
    utils.clip_grad_norm_(params, 0.5, norm_type=math.inf)
    stats = nanotorch.transfer_stats()
    assert stats.count == 0, stats.by_direction


def test_clip_grad_norm_with_non_finite_grads(device):
    grads = [g.copy() for g in GRADS]
    grads[1][2] = np.nan
    params = make(device, grads=grads)
    with pytest.raises(
        RuntimeError,
        match=r"clip_grad_norm_: the total norm of order 2\.0 .* "
        r"non-finite.*error_if_nonfinite=False",
    ):
        utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    total = utils.clip_grad_norm_(params, 1.0)  # the default: scale by the nan norm anyway
    assert math.isnan(float(total.cpu()))


def test_clip_grad_norm_combines_grads_on_several_devices_explicitly(device):
    other = "strict:1" if device.type == "cpu" else "cpu"
    a = nanotorch.tensor(
        VALUES[0].copy(), dtype=nanotorch.float64, device=device, requires_grad=True
    )
    b = nanotorch.tensor(
        VALUES[1].copy(), dtype=nanotorch.float64, device=other, requires_grad=True
    )
    a.grad = nanotorch.tensor(GRADS[0].copy(), dtype=nanotorch.float64, device=device)
    b.grad = nanotorch.tensor(GRADS[1].copy(), dtype=nanotorch.float64, device=other)
    nanotorch.reset_transfer_stats()
    total = utils.clip_grad_norm_([a, b], 0.5)
    assert total.device == device
    want = np_norm(GRADS[:2], 2.0)
    assert_close(total, want, rtol=1e-12, atol=0)
    coef = 0.5 / (want + 1e-6)
    assert_close(a.grad, GRADS[0] * coef, rtol=1e-12, atol=0)
    assert_close(b.grad, GRADS[1] * coef, rtol=1e-12, atol=0)
    # b's partial norm goes to the first device, the coefficient comes back: one 0-d copy
    # each way, counted like any transfer.
    assert nanotorch.transfer_stats().count == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(max_norm=-1.0), ValueError, r"clip_grad_norm_: max_norm must be >= 0, got -1\.0"),
        (dict(max_norm=float("nan")), ValueError, r"clip_grad_norm_: max_norm must be >= 0"),
        (
            dict(max_norm=1.0, norm_type=0),
            ValueError,
            r"clip_grad_norm_: norm_type must be > 0 or inf, got 0",
        ),
        (
            dict(max_norm=1.0, norm_type="two"),
            ValueError,
            r"clip_grad_norm_: norm_type must be > 0 or inf, got 'two'",
        ),
    ],
)
def test_clip_grad_norm_rejects_bad_arguments(device, kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.clip_grad_norm_(make(device), **kwargs)


def test_clip_grad_norm_rejects_mixed_dtypes(device):
    # A float64 and a float32 parameter, each with a gradient of its own dtype (a .grad of
    # another dtype than its tensor cannot be assigned).
    a = make(device)[0]
    b = make(device, dtype=nanotorch.float32)[1]
    with pytest.raises(
        TypeError,
        match=r"clip_grad_norm_: gradients have dtypes float64 and "
        r"float32; .*one dtype",
    ):
        utils.clip_grad_norm_([a, b], 1.0)


# --------------------------------------------------------------------------- clip_grad_value_
def test_clip_grad_value_clamps_every_grad(device):
    params = make(device)
    params[1].grad = None
    utils.clip_grad_value_(params, 1.5)
    assert_close(params[0].grad, np.clip(GRADS[0], -1.5, 1.5), rtol=0, atol=0)
    assert_close(params[2].grad, np.clip(GRADS[2], -1.5, 1.5), rtol=0, atol=0)
    assert params[1].grad is None
    single = make(device)[0]
    utils.clip_grad_value_(single, 0.1)
    assert_close(single.grad, np.clip(GRADS[0], -0.1, 0.1), rtol=0, atol=0)


def test_clip_grad_value_rejects_a_negative_bound(device):
    with pytest.raises(ValueError, match=r"clip_grad_value_: clip_value must be >= 0, got -1"):
        utils.clip_grad_value_(make(device), -1)


# --------------------------------------------------------------------------- flattening
def test_parameters_to_vector_concatenates_flattened_params(device):
    params = make(device)
    vec = utils.parameters_to_vector(params)
    assert vec.shape == (sum(v.size for v in VALUES),) and vec.device == device
    assert_close(vec, np.concatenate([v.ravel() for v in VALUES]), rtol=0, atol=0)


def test_parameters_to_vector_is_differentiable(device):
    params = make(device)
    for p in params:
        p.grad = None
    weights = _rng.standard_normal(sum(v.size for v in VALUES))
    w = nanotorch.tensor(weights, dtype=nanotorch.float64, device=device)
    (utils.parameters_to_vector(params) * w).sum().backward()
    start = 0
    for p, v in zip(params, VALUES, strict=True):
        assert_close(p.grad, weights[start : start + v.size].reshape(v.shape), rtol=0, atol=0)
        start += v.size


def test_parameters_to_vector_rejects_mixed_devices_and_empty_input(device):
    other = "strict:1" if device.type == "cpu" else "cpu"
    a = nanotorch.zeros(2, device=device, requires_grad=True)
    b = nanotorch.zeros(2, device=other, requires_grad=True)
    with pytest.raises(
        DeviceMismatchError,
        match=rf"parameters_to_vector: parameter 1 is on "
        rf"{other} but parameter 0 is on {device}",
    ):
        utils.parameters_to_vector([a, b])
    with pytest.raises(ValueError, match=r"parameters_to_vector: got no parameters"):
        utils.parameters_to_vector([])


def test_vector_to_parameters_writes_each_slice_into_its_parameter(device):
    params = make(device)
    n = sum(v.size for v in VALUES)
    flat = np.arange(n, dtype=np.float64)
    vec = nanotorch.tensor(flat.copy(), dtype=nanotorch.float64, device=device)
    utils.vector_to_parameters(vec, params)
    start = 0
    for p, v in zip(params, VALUES, strict=True):
        assert_close(p, flat[start : start + v.size].reshape(v.shape), rtol=0, atol=0)
        assert p.is_leaf and p.requires_grad
        start += v.size
    with nanotorch.no_grad():
        vec.mul_(0.0)  # the parameters own their memory: changing vec changes no parameter
    assert_close(params[0], flat[:12].reshape(3, 4), rtol=0, atol=0)


def test_vector_to_parameters_round_trips(device):
    params = make(device)
    utils.vector_to_parameters(utils.parameters_to_vector(params) * 2, params)
    for p, v in zip(params, VALUES, strict=True):
        assert_close(p, 2 * v, rtol=0, atol=0)


def test_vector_to_parameters_rejects_bad_input(device):
    params = make(device)
    n = sum(v.size for v in VALUES)
    with pytest.raises(TypeError, match=r"vector_to_parameters: vec must be a Tensor, got list"):
        utils.vector_to_parameters([0.0] * n, params)
    with pytest.raises(
        ValueError,
        match=rf"vector_to_parameters: vec must be 1-D, got shape "
        rf"\(1, {n}\)",
    ):
        utils.vector_to_parameters(
            nanotorch.zeros(1, n, dtype=nanotorch.float64, device=device), params
        )
    with pytest.raises(
        ValueError,
        match=rf"vector_to_parameters: vec has {n - 1} elements but "
        rf"the parameters have {n}",
    ):
        utils.vector_to_parameters(
            nanotorch.zeros(n - 1, dtype=nanotorch.float64, device=device), params
        )
    with pytest.raises(
        TypeError,
        match=r"vector_to_parameters: vec is float32 but parameter 0 "
        r"is float64",
    ):
        utils.vector_to_parameters(nanotorch.zeros(n, device=device), params)
    other = "strict:1" if device.type == "cpu" else "cpu"
    with pytest.raises(
        DeviceMismatchError,
        match=rf"vector_to_parameters: vec is on {other} but "
        rf"parameter 0 is on {device}",
    ):
        utils.vector_to_parameters(
            nanotorch.zeros(n, dtype=nanotorch.float64, device=other), params
        )


def test_clip_grad_norm_is_one_op_per_device_for_the_norm(device, dispatched):
    # The partial norm of all gradients on a device is one op (a dot product per gradient
    # inside it, no squared copy of each gradient), then the clip coefficient and one
    # in-place multiply per gradient.
    seen = dispatched
    for norm_type in (2.0, 1.0, math.inf):
        params = make(device)
        seen.clear()
        total = utils.clip_grad_norm_(params, 0.5, norm_type=norm_type)
        assert seen.count("GradNorm") == 1, seen
        assert len(seen) <= 6, seen  # norm, root, coefficient (divide, add, clamp)
        assert_close(total, np_norm(GRADS, norm_type), rtol=1e-12, atol=0)
