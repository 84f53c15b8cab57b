"""nanotorch: a small, transparent deep-learning framework on the Python array API standard.

NumPy serves ``cpu``, CuPy serves ``cuda``, and ``array_api_strict`` serves ``strict`` (a
stand-in accelerator that proves the engine uses only the standard). Moves between devices
are always explicit: ``tensor.to(device)``.

>>> import nanotorch
>>> x = nanotorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

import math as _math

from nanotorch import backends, cuda
from nanotorch.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nanotorch.backend import (
    Device,
    available_devices,
    device,
    register_backend,
    reset_transfer_stats,
    transfer_stats,
)
from nanotorch.backend.threads import get_num_threads, set_num_threads
from nanotorch.backends import get_float32_matmul_precision, set_float32_matmul_precision
from nanotorch.checkpoint import load, load_safetensors, save, save_safetensors
from nanotorch.compiler import compile
from nanotorch.creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    get_default_device,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    set_default_device,
    tensor,
    zeros,
    zeros_like,
)
from nanotorch.creation_breadth import (
    asarray,
    empty_permuted,
    empty_strided,
    range,  # noqa: A004 - PyTorch's name; Python's range is not used in this module
)
from nanotorch.dtypes import (
    DType,
    bfloat16,
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from nanotorch.errors import CheckpointError, DeviceMismatchError, ShapeError
from nanotorch.legacy import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from nanotorch.ops import *  # noqa: F403 - the functional op library is the public API
from nanotorch.ops import PUBLIC_OPS
from nanotorch.ops.shape_breadth import broadcast_shapes, imag
from nanotorch.promotion import can_cast, promote_types, result_type
from nanotorch.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from nanotorch.tensor import Tensor
from nanotorch.typeinfo import finfo, iinfo
from nanotorch.windows import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)

# The layers above the engine, importable as attributes (``nanotorch.nn.Linear``) like PyTorch.
from nanotorch import data, linalg, nn, optim  # noqa: E402  (isort: skip)

# torch.layer_norm, torch.embedding, torch.kl_div...: Note [Top-level functional forms].
from nanotorch.nn.toplevel import *  # noqa: E402, F403  (isort: skip)

bool = bool_  # noqa: A001 - PyTorch spells it nanotorch.bool
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
half = float16
short = int16

__version__ = "0.1.0"

# PyTorch's constants.
e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan
newaxis = None


def devices() -> list[Device]:
    """The devices that work on this machine (cpu, strict:0, strict:1, cuda:N...)."""
    return available_devices()


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


# Questions about one tensor, as PyTorch also asks them at the top level.
def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:  # noqa: A002
    return input.is_complex()


def is_signed(input: Tensor) -> bool:  # noqa: A002
    return input.is_signed()


def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    return input.is_nonzero()


def is_same_size(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return input.is_same_size(other)


def get_device(input: Tensor) -> int:  # noqa: A002
    return input.get_device()


def is_conj(input: Tensor) -> bool:  # noqa: A002
    return input.is_conj()


def is_neg(input: Tensor) -> bool:  # noqa: A002
    return input.is_neg()


# PyTorch's process-level switches, the torch.utils.data path (inference mode,
# deterministic algorithms, print options), torch.special, torch.autograd.functional and
# anomaly detection, under their PyTorch names.
from nanotorch import special, utils  # noqa: E402
from nanotorch.autograd import functional as _autograd_functional  # noqa: E402, F401
from nanotorch.autograd.anomaly_mode import (  # noqa: E402
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from nanotorch.autograd.grad_mode import inference_mode, is_inference_mode_enabled  # noqa: E402
from nanotorch.determinism import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled,
    use_deterministic_algorithms,
)
from nanotorch.printing import get_printoptions, set_printoptions  # noqa: E402
