"""``nanotorch.nn.functional`` (imported as ``F``): the stateless form of every layer and loss.

Layers hold parameters and call these functions; the functions themselves live next to their
module classes (``nn/linear.py``, ``nn/dropout.py``, ``nn/loss.py``...) and are gathered
here, together with the activations of ``nanotorch.ops``, under PyTorch's names.

Note [Functional registry]
~~~~~~~~~~~~~~~~~~~~~~~~~~
``PUBLIC_OPS`` lists every public name defined by ``nanotorch.nn`` (not the re-exported core
ops, which ``nanotorch.ops.PUBLIC_OPS`` already lists). The meta-test
``test_every_public_op_has_a_spec`` (tests/unit/test_op_specs.py) reads it, so a new
functional op cannot ship without an OpSpec in ``tests/specs/``. A new family (convolution,
pooling) adds its import lines and a ``PUBLIC_OPS += (...)`` line at the end of this file.

Like the rest of the engine, this module imports no array library.
"""

# Every import below is a public re-export (listed in __all__ through PUBLIC_OPS).
# ruff: noqa: F401

from __future__ import annotations

from nanotorch.nn.dropout import dropout, dropout2d
from nanotorch.nn.linear import linear
from nanotorch.nn.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from nanotorch.nn.normalization import batch_norm, group_norm, layer_norm
from nanotorch.nn.sparse import embedding
from nanotorch.ops import (
    gelu,
    leaky_relu,
    log_softmax,
    one_hot,
    pad,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

# See Note [Functional registry].
PUBLIC_OPS: tuple[str, ...] = (
    # layers
    "linear",
    "dropout",
    "dropout2d",
    "embedding",
    "layer_norm",
    "batch_norm",
    "group_norm",
    # losses
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
)

__all__ = [
    *PUBLIC_OPS,
    "gelu",
    "leaky_relu",
    "log_softmax",
    "one_hot",
    "pad",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]

# Convolution and pooling are core ops (nanotorch/ops/conv.py, ops/pool.py, listed in
# nanotorch.ops.PUBLIC_OPS with their specs in tests/specs/conv_ops.py); F re-exports them
# under PyTorch's names.
from nanotorch.ops import (  # noqa: E402
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
)

__all__ += [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "max_pool2d",
]
