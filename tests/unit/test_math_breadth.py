"""Bad input to the math breadth ops (nanotorch/ops/math_breadth.py and the linalg and
window additions) raises the class PyTorch raises, with a message that names the op, the
shapes, dtypes or values involved, and the fix. One row per error: (id, call, class, regex)."""

from __future__ import annotations

import pytest

import nanotorch as nt


def _f(*shape, device, dtype=None):
    return nt.ones(*shape, device=device, dtype=dtype)


ERRORS = [
    (
        "quantile-q-range",
        lambda d: nt.quantile(_f(3, device=d), 1.5),
        RuntimeError,
        r"quantile: q must be in the range \[0, 1\] but got 1.5",
    ),
    (
        "quantile-q-tensor-range",
        lambda d: nt.quantile(_f(3, device=d), nt.tensor([0.5, 2.0], device=d)),
        RuntimeError,
        r"quantile: q values must be in the range \[0, 1\]",
    ),
    (
        "quantile-empty",
        lambda d: nt.nanquantile(_f(0, device=d), 0.5),
        RuntimeError,
        r"nanquantile: input tensor must be non-empty, got shape \(0,\)",
    ),
    (
        "quantile-int",
        lambda d: nt.quantile(nt.arange(3, device=d), 0.5),
        TypeError,
        r"quantile: input must be float32 or float64, got .*int64.*\.float\(\)",
    ),
    (
        "quantile-mode",
        lambda d: nt.quantile(_f(3, device=d), 0.5, interpolation="cubic"),
        RuntimeError,
        r"quantile: interpolation must be one of linear, lower.*'cubic'",
    ),
    (
        "quantile-q-dtype",
        lambda d: nt.quantile(_f(3, device=d), nt.tensor([0.5], dtype=nt.float64, device=d)),
        RuntimeError,
        r"quantile: q tensor must have the input's dtype .*float32.*float64",
    ),
    (
        "quantile-q-2d",
        lambda d: nt.quantile(_f(3, device=d), _f(1, 1, device=d) * 0.5),
        RuntimeError,
        r"quantile: q must be a scalar or a 1-D tensor, got shape \(1, 1\)",
    ),
    (
        "quantile-dim",
        lambda d: nt.quantile(_f(3, 2, device=d), 0.5, dim=2),
        IndexError,
        r"quantile: dim 2 is out of range for a tensor of rank 2",
    ),
    (
        "logaddexp2-int",
        lambda d: nt.logaddexp2(nt.arange(3, device=d), _f(3, device=d)),
        RuntimeError,
        r"logaddexp2: not implemented for .*int64.*\(input\).*\.float\(\)",
    ),
    (
        "dist-int",
        lambda d: nt.dist(nt.arange(3, device=d), nt.arange(3, device=d)),
        RuntimeError,
        r"dist: input must be floating point, got .*int64",
    ),
    (
        "dist-shapes",
        lambda d: nt.dist(_f(2, device=d), _f(3, device=d)),
        RuntimeError,
        r"\(2,\) and \(3,\)",
    ),
    (
        "vdot-size",
        lambda d: nt.vdot(_f(2, device=d), _f(3, device=d)),
        RuntimeError,
        r"vdot: inconsistent tensor size: 2 and 3 elements",
    ),
    (
        "vdot-ndim",
        lambda d: nt.vdot(_f(2, 2, device=d), _f(2, device=d)),
        RuntimeError,
        r"vdot: expects 1-D tensors, got shapes \(2, 2\) and \(2,\)",
    ),
    (
        "vdot-dtype",
        lambda d: nt.vdot(_f(2, device=d), _f(2, device=d, dtype=nt.float64)),
        RuntimeError,
        r"vdot: expected both vectors to have the same dtype.*float32.*float64.*\.to\(\)",
    ),
    (
        "inner-last",
        lambda d: nt.inner(_f(2, device=d), _f(3, device=d)),
        RuntimeError,
        r"inner: the last dimension must match .* \(2,\) and \(3,\)",
    ),
    (
        "tensordot-size",
        lambda d: nt.tensordot(_f(2, 3, device=d), _f(4, 5, device=d), 1),
        RuntimeError,
        r"tensordot: contracted dimensions need to match, but a has size 3 in dim 1",
    ),
    (
        "tensordot-negative",
        lambda d: nt.tensordot(_f(2, device=d), _f(2, device=d), -1),
        RuntimeError,
        r"tensordot: expects dims >= 0, but got dims=-1",
    ),
    (
        "tensordot-int-pair",
        lambda d: nt.tensordot(_f(2, 3, device=d), _f(3, 2, device=d), (1, 0)),
        TypeError,
        r"tensordot: dims for a must be a list of ints.*dims=\(\[1\], \[0\]\)",
    ),
    (
        "tensordot-dim",
        lambda d: nt.tensordot(_f(2, device=d), _f(2, device=d), ([1], [0])),
        IndexError,
        r"tensordot \(a\): dim 1 is out of range for a tensor of rank 1",
    ),
    (
        "addmv-size",
        lambda d: nt.addmv(_f(3, device=d), _f(3, 4, device=d), _f(3, device=d)),
        RuntimeError,
        r"addmv: size mismatch, mat of shape \(3, 4\) and vec of shape \(3,\)",
    ),
    (
        "addmv-input",
        lambda d: nt.addmv(_f(2, device=d), _f(3, 4, device=d), _f(4, device=d)),
        RuntimeError,
        r"addmv: input of shape \(2,\) does not broadcast to the product's shape \(3,\)",
    ),
    (
        "addr-ndim",
        lambda d: nt.addr(_f(3, 4, device=d), _f(3, 1, device=d), _f(4, device=d)),
        RuntimeError,
        r"addr: vec1 must be 1-D, got shape \(3, 1\)",
    ),
    (
        "chain_matmul-none",
        lambda d: nt.chain_matmul(),
        RuntimeError,
        r"chain_matmul: expected one or more matrices",
    ),
    (
        "chain_matmul-3d",
        lambda d: nt.chain_matmul(_f(2, 2, 2, device=d), _f(2, 2, device=d)),
        RuntimeError,
        r"chain_matmul: matrix 0 has 3 dims \(shape \(2, 2, 2\)\); every argument must be 2-D",
    ),
    (
        "chain_matmul-fit",
        lambda d: nt.chain_matmul(_f(2, 3, device=d), _f(2, 2, device=d)),
        RuntimeError,
        r"chain_matmul: matrix 0 and matrix 1 cannot be multiplied .*\(2, 3\) and \(2, 2\)",
    ),
    (
        "multi_dot-one",
        lambda d: nt.linalg.multi_dot([_f(2, 2, device=d)]),
        RuntimeError,
        r"multi_dot: expected at least 2 tensors but got 1",
    ),
    (
        "multi_dot-3d",
        lambda d: nt.linalg.multi_dot([_f(2, 2, device=d), _f(2, 2, 2, device=d)]),
        RuntimeError,
        r"multi_dot: the last tensor must be 1D or 2D but got 3D",
    ),
    (
        "matrix_power-square",
        lambda d: nt.matrix_power(_f(2, 3, device=d), 2),
        RuntimeError,
        r"matrix_power: A must be batches of square matrices, got shape \(2, 3\)",
    ),
    (
        "matrix_power-n",
        lambda d: nt.matrix_power(_f(2, 2, device=d), 1.5),
        TypeError,
        r"matrix_power: n must be an int, got float 1.5",
    ),
    (
        "matrix_power-int-negative",
        lambda d: nt.matrix_power(nt.arange(4, device=d).reshape(2, 2), -1),
        RuntimeError,
        r"matrix_power: a negative power inverts A, which needs a floating tensor.*int64",
    ),
    (
        "cov-3d",
        lambda d: nt.cov(_f(2, 2, 2, device=d)),
        RuntimeError,
        r"cov: expected input to have two or fewer dimensions .* 3 dimensions "
        r"\(shape \(2, 2, 2\)\)",
    ),
    (
        "cov-fweights-float",
        lambda d: nt.cov(_f(2, 3, device=d), fweights=_f(3, device=d)),
        RuntimeError,
        r"cov: expected fweights to have an integral dtype, got .*float32.*aweights",
    ),
    (
        "cov-fweights-negative",
        lambda d: nt.cov(_f(2, 3, device=d), fweights=nt.tensor([1, -1, 2], device=d)),
        RuntimeError,
        r"cov: fweights cannot be negative",
    ),
    (
        "cov-aweights-size",
        lambda d: nt.cov(_f(2, 3, device=d), aweights=_f(2, device=d)),
        RuntimeError,
        r"cov: expected aweights to have the same numel as there are observations in the "
        r"input \(3\), got 2",
    ),
    (
        "gradient-size",
        lambda d: nt.gradient(_f(2, device=d), edge_order=2),
        RuntimeError,
        r"gradient: expected each dimension size to be at least edge_order\+1 \(3\), got size 2",
    ),
    (
        "gradient-spacing-count",
        lambda d: nt.gradient(_f(2, 3, device=d), spacing=[1.0]),
        RuntimeError,
        r"gradient: expected spacing .* a list of length 2 \(one per dim\), got a list of "
        r"length 1",
    ),
    (
        "gradient-coords",
        lambda d: nt.gradient(_f(4, device=d), spacing=[_f(3, device=d)]),
        RuntimeError,
        r"gradient: the coordinates for dim 0 must be 1-D with 4 points, got shape \(3,\)",
    ),
    (
        "vander-2d",
        lambda d: nt.vander(_f(2, 2, device=d)),
        RuntimeError,
        r"vander: x must be a 1-D tensor, got shape \(2, 2\)",
    ),
    (
        "vander-N",
        lambda d: nt.vander(_f(2, device=d), N=-1),
        RuntimeError,
        r"vander: N must be a non-negative int, got -1",
    ),
    (
        "pdist-3d",
        lambda d: nt.pdist(_f(2, 2, 2, device=d)),
        RuntimeError,
        r"pdist: only supports 2D tensors, got 3D",
    ),
    (
        "pdist-p",
        lambda d: nt.pdist(_f(2, 2, device=d), -1),
        RuntimeError,
        r"pdist: only supports non-negative p values, got -1",
    ),
    (
        "histogram-int",
        lambda d: nt.histogram(nt.arange(3, device=d), 2),
        RuntimeError,
        r"histogram: input must be floating point, got .*int64",
    ),
    (
        "histogram-range",
        lambda d: nt.histogram(_f(3, device=d), 2, range=(1.0, 0.0)),
        RuntimeError,
        r"histogram: max must be larger than min, got range \(1.0, 0.0\); swap them",
    ),
    (
        "histogram-weight",
        lambda d: nt.histogram(_f(3, device=d), 2, weight=_f(2, device=d)),
        RuntimeError,
        r"histogram: weight of shape \(2,\) must have the input's shape \(3,\)",
    ),
    (
        "isin-scalars",
        lambda d: nt.isin(1, 2),
        TypeError,
        r"isin: at least one of elements and test_elements must be a Tensor",
    ),
    (
        "combinations-2d",
        lambda d: nt.combinations(_f(2, 2, device=d)),
        RuntimeError,
        r"combinations: expects a 1-D input, got shape \(2, 2\)",
    ),
    (
        "combinations-r",
        lambda d: nt.combinations(_f(3, device=d), -1),
        RuntimeError,
        r"combinations: r must be a non-negative int, got -1",
    ),
    (
        "unravel_index-float",
        lambda d: nt.unravel_index(_f(2, device=d), (2, 3)),
        TypeError,
        r"unravel_index: indices must be an integer tensor, got .*float32; convert it with "
        r"\.long\(\)",
    ),
    (
        "unravel_index-shape",
        lambda d: nt.unravel_index(nt.arange(2, device=d), (2, -3)),
        RuntimeError,
        r"unravel_index: shape \(2, -3\) must be non-negative",
    ),
    (
        "frexp-int",
        lambda d: nt.frexp(nt.arange(2, device=d)),
        RuntimeError,
        r"frexp: only supports floating-point dtypes, got .*int64.*\.float\(\)",
    ),
    (
        "nextafter-int",
        lambda d: nt.nextafter(nt.arange(2, device=d), nt.arange(2, device=d)),
        RuntimeError,
        r"nextafter: input must be floating point, got .*int64",
    ),
    (
        "polygamma-negative",
        lambda d: nt.polygamma(-1, _f(2, device=d)),
        RuntimeError,
        r"polygamma: polygamma\(n, x\) does not support negative n \(-1\)",
    ),
    (
        "polygamma-float-n",
        lambda d: nt.polygamma(1.0, _f(2, device=d)),
        TypeError,
        r"polygamma: n must be an int, got float 1.0",
    ),
    (
        "mvlgamma-p",
        lambda d: nt.mvlgamma(_f(2, device=d), 0),
        RuntimeError,
        r"mvlgamma: p has to be greater than or equal to 1, got 0",
    ),
    (
        "igamma-int",
        lambda d: nt.igamma(nt.arange(2, device=d), _f(2, device=d)),
        RuntimeError,
        r"igamma: not implemented for .*int64.* \(input\); call .float\(\)",
    ),
    (
        "igammac-shapes",
        lambda d: nt.igammac(_f(2, device=d), _f(3, device=d)),
        RuntimeError,
        r"igammac: shapes \(2,\) and \(3,\) cannot be broadcast",
    ),
    (
        "igamma-scalar",
        lambda d: nt.igamma(_f(2, device=d), 1.0),
        TypeError,
        r"igamma: other must be a Tensor, got float",
    ),
    (
        "hann_window-negative",
        lambda d: nt.hann_window(-1, device=d),
        RuntimeError,
        r"hann_window: window_length must be non-negative, got -1",
    ),
    (
        "kaiser_window-dtype",
        lambda d: nt.kaiser_window(4, dtype=nt.int64, device=d),
        RuntimeError,
        r"kaiser_window: expected a floating point dtype, got .*int64.*float32",
    ),
    (
        "bartlett_window-length",
        lambda d: nt.bartlett_window(2.0, device=d),
        TypeError,
        r"bartlett_window: window_length must be an int, got float",
    ),
    (
        "solve_triangular-vector",
        lambda d: nt.linalg.solve_triangular(_f(3, 3, device=d), _f(3, device=d), upper=True),
        RuntimeError,
        r"linalg.solve_triangular: the input tensor B must have at least 2 "
        r"dimensions, got shape \(3,\) \(a vector b is B = b.unsqueeze\(-1\)\)",
    ),
    (
        "solve_triangular-fit",
        lambda d: nt.linalg.solve_triangular(_f(3, 3, device=d), _f(2, 2, device=d), upper=True),
        RuntimeError,
        r"linalg.solve_triangular: A of shape \(3, 3\) and B of shape \(2, 2\) do "
        r"not fit \(B needs 3 rows for left=True\)",
    ),
    (
        "solve_triangular-dtype",
        lambda d: nt.linalg.solve_triangular(
            _f(2, 2, device=d), _f(2, 1, device=d, dtype=nt.float64), upper=True
        ),
        RuntimeError,
        r"linalg.solve_triangular: expected A and B to have the same dtype",
    ),
    (
        "cholesky_solve-fit",
        lambda d: nt.cholesky_solve(_f(2, 1, device=d), _f(3, 3, device=d)),
        RuntimeError,
        r"cholesky_solve: L of shape \(3, 3\) and B of shape \(2, 1\) do not fit",
    ),
    (
        "matrix_exp-square",
        lambda d: nt.matrix_exp(_f(2, 3, device=d)),
        RuntimeError,
        r"linalg.matrix_exp: needs square matrices, got shape \(2, 3\)",
    ),
    (
        "lu_factor-int",
        lambda d: nt.linalg.lu_factor(nt.ones(2, 2, dtype=nt.int64, device=d)),
        RuntimeError,
        r"linalg.lu_factor: expected a floating point tensor as input, got .*int64",
    ),
    (
        "lu_factor-singular",
        lambda d: nt.linalg.lu_factor(nt.tensor([[1.0, 2.0], [2.0, 4.0]], device=d)),
        RuntimeError,
        r"linalg.lu_factor: U has a zero on its diagonal.*linalg.lu\(A\)",
    ),
    (
        "lu-no-pivot",
        lambda d: nt.lu(_f(2, 2, device=d), pivot=False),
        RuntimeError,
        r"lu: LU without pivoting is not implemented .*pass pivot=True",
    ),
    (
        "lu_unpack-pivots-dtype",
        lambda d: nt.lu_unpack(_f(2, 2, device=d), nt.ones(2, dtype=nt.int64, device=d)),
        RuntimeError,
        r"lu_unpack: LU_pivots must be an int32 tensor",
    ),
    (
        "lstsq-driver",
        lambda d: nt.linalg.lstsq(_f(3, 2, device=d), _f(3, 1, device=d), driver="qr"),
        RuntimeError,
        r"linalg.lstsq: parameter `driver` should be one of .*'gelsy'.*got 'qr'",
    ),
    (
        "lstsq-fit",
        lambda d: nt.linalg.lstsq(_f(3, 2, device=d), _f(4, 1, device=d)),
        RuntimeError,
        r"linalg.lstsq: A of shape \(3, 2\) and B of shape \(4, 1\) do not fit",
    ),
    (
        "rsub-alpha",
        lambda d: nt.rsub(_f(2, device=d), 1.0, alpha="2"),
        TypeError,
        r"rsub: alpha must be a number, got str",
    ),
    (
        "angle-list",
        lambda d: nt.angle([1.0]),
        TypeError,
        r"angle: input must be a Tensor, got list",
    ),
    (
        "cond-p",
        lambda d: nt.linalg.cond(_f(2, 2, device=d), 3),
        RuntimeError,
        r"linalg.cond: p must be one of None, 2, -2, 'fro', 'nuc', inf, -inf, 1, -1, got 3",
    ),
    (
        "cond-square",
        lambda d: nt.linalg.cond(_f(2, 3, device=d), "fro"),
        RuntimeError,
        r"linalg.cond: needs square matrices, got shape \(2, 3\)",
    ),
    (
        "tensorinv-shape",
        lambda d: nt.linalg.tensorinv(_f(2, 3, 4, device=d)),
        RuntimeError,
        r"linalg.tensorinv: A of shape \(2, 3, 4\) does not make a square matrix with ind=2 "
        r"\(6 x 4\)",
    ),
    (
        "tensorinv-ind",
        lambda d: nt.linalg.tensorinv(_f(2, 2, device=d), 0),
        RuntimeError,
        r"linalg.tensorinv: expected a strictly positive integer for 'ind', got 0",
    ),
    (
        "tensorsolve-shape",
        lambda d: nt.linalg.tensorsolve(_f(2, 3, 4, device=d), _f(2, 3, device=d)),
        RuntimeError,
        r"linalg.tensorsolve: A of shape \(2, 3, 4\) is not square once reshaped \(6 x 4\)",
    ),
]


@pytest.mark.parametrize(
    ("call", "klass", "pattern"), [pytest.param(*row[1:], id=row[0]) for row in ERRORS]
)
def test_math_breadth_bad_input_names_op_and_fix(device, call, klass, pattern):
    with pytest.raises(klass, match=pattern):
        call(device)


def test_math_breadth_matrix_power_zero_is_identity_linked_to_a(device):
    # A^0 is the identity whatever A holds (NaNs too), yet part of the graph, as PyTorch's.
    a = nt.tensor([[float("nan"), 1.0], [2.0, 3.0]], device=device, requires_grad=True)
    out = nt.matrix_power(a, 0)
    assert out.requires_grad
    assert out.cpu().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    out.sum().backward()
    assert a.grad.cpu().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_math_breadth_quantile_method_takes_axis_alias(device):
    x = nt.tensor([[1.0, 5.0], [3.0, 7.0]], device=device)
    assert x.quantile(0.5, axis=0, keepdims=True).cpu().tolist() == [[2.0, 6.0]]


def test_math_breadth_igamma_has_no_gradient_for_its_shape_argument(device):
    a = nt.tensor([1.0, 2.0], device=device, requires_grad=True)
    x = nt.tensor([0.5, 3.0], device=device, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"igammac: .* input \(the shape a\).*detach"):
        nt.igammac(a, x).sum().backward()
    nt.igammac(a.detach(), x).sum().backward()  # other alone: -x^(a-1) e^-x / Gamma(a)
    expected = [-(0.5**0) * 2.718281828459045**-0.5, -(3.0**1) * 2.718281828459045**-3.0]
    assert x.grad.cpu().tolist() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "window",
    ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"],
)
def test_math_breadth_window_is_built_on_the_device_asked(device, window):
    make = getattr(nt, window)
    out = make(7, dtype=nt.float64, device=device)
    assert out.device == nt.device(device)
    assert out.dtype == nt.float64 and tuple(out.shape) == (7,)
    # The periodic window is the symmetric one of length N + 1 without its last point.
    symmetric = make(8, periodic=False, dtype=nt.float64, device=device)
    assert out.cpu().tolist() == pytest.approx(symmetric.cpu().tolist()[:7], abs=1e-15)
    assert make(1, device=device).cpu().tolist() == [1.0]


def test_math_breadth_lu_gradient_of_a_rectangular_matrix_is_refused(device):
    a = nt.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], device=device, requires_grad=True)
    lu, _ = nt.linalg.lu_factor(a)
    assert tuple(lu.shape) == (2, 3)  # the forward works for any shape
    with pytest.raises(
        NotImplementedError,
        match=r"lu_factor: the gradient is implemented for "
        r"square matrices only, got shape \(2, 3\)",
    ):
        lu.sum().backward()


def test_math_breadth_lu_pieces_rebuild_a(device):
    a = nt.tensor([[0.0, 2.0, 1.0], [3.0, 1.0, 4.0], [1.0, 5.0, 9.0]], device=device)
    p, low, up = nt.linalg.lu(a)
    assert nt.allclose((p @ low @ up).cpu(), a.cpu(), atol=1e-6)
    assert nt.linalg.lu_factor(a).pivots.cpu().tolist() == [2, 3, 3]
