"""``nanotorch.nn.functional`` (imported as ``F``): the stateless form of every layer and loss.

Layers hold parameters and call these functions; the functions themselves live next to their
module classes (``nn/linear.py``, ``nn/dropout.py``, ``nn/loss.py``...) and are gathered
here, together with the activations, convolutions and pools of ``nanotorch.ops``, under
PyTorch's names.

Each layer family lists its functional ops in its own ``OPS`` (Note [Op registry] in
ops/__init__.py): this namespace and ``PUBLIC_OPS`` are derived from those lists, so a new
functional op is written once, in its family file, and the meta-test
``test_every_public_op_has_a_spec`` sees it at once. The core ops re-exported here are
specified with the core ops.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from nanotorch import ops as _ops
from nanotorch.nn.activation_ops import (  # noqa: F401 - re-exported (REEXPORTED)
    functional_log_softmax as log_softmax,
)
from nanotorch.nn.activation_ops import (  # noqa: F401 - re-exported (REEXPORTED)
    functional_softmax as softmax,
)
from nanotorch.ops import (  # noqa: F401 - re-exported (REEXPORTED)
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    gelu,
    leaky_relu,
    max_pool2d,
    one_hot,
    pad,
    relu,
    relu_,
    sigmoid,
    silu,
    softplus,
    tanh,
)

# The core ops PyTorch's ``torch.nn.functional`` also offers (softmax and log_softmax through
# wrappers with the functional signature, Note [Functional softmax signature]).
REEXPORTED = (
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "max_pool2d",
    "one_hot",
    "pad",
    "relu",
    "relu_",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
)

# Pools and convolutions of the op-breadth families (ops/pool_extra.py, ops/conv_extra.py).
from nanotorch.ops import (  # noqa: E402, F401 - re-exported (REEXPORTED)
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    avg_pool1d,
    avg_pool3d,
    conv3d,
    conv_transpose1d,
    max_pool1d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    pdist,
)

REEXPORTED += (
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool3d",
    "conv3d",
    "conv_transpose1d",
    "max_pool1d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "pdist",
)


def families() -> list[Any]:
    """The modules of ``nanotorch.nn`` that declare functional ``OPS``."""
    return _ops.families(importlib.import_module("nanotorch.nn"))


def public_ops() -> dict[str, Callable[..., Any]]:
    """Every functional op the layer families define, by name, read afresh each call."""
    return _ops.collect(families())[0]


_OPS, _ALIASES = _ops.collect(families())
globals().update(_OPS)
globals().update(_ALIASES)

# The functional ops nanotorch.nn defines itself (not the re-exported core ops).
PUBLIC_OPS: tuple[str, ...] = tuple(sorted(_OPS))

__all__ = sorted([*_OPS, *_ALIASES, *REEXPORTED])
