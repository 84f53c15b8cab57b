"""``nanotorch.nn``: modules, parameters, layers, losses and initialisation.

``Module`` and ``Parameter`` are the building blocks (nn/module.py, nn/parameter.py); each
layer family has its own file with its functional form next to its module class;
``nanotorch.nn.functional`` gathers the functions and ``nanotorch.nn.init`` the initialisers.
Names, arguments, defaults and parameter layouts follow PyTorch, so model code and
checkpoints carry over.

The package sits above ``nanotorch.ops`` and imports no array library (DESIGN.md "Layers").
"""

from nanotorch.nn import functional, init, utils
from nanotorch.nn.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from nanotorch.nn.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from nanotorch.nn.dropout import (
    AlphaDropout,
    Dropout,
    Dropout1d,
    Dropout2d,
    Dropout3d,
    FeatureAlphaDropout,
)
from nanotorch.nn.flatten import Flatten, Unflatten
from nanotorch.nn.fold import Fold, Unfold
from nanotorch.nn.linear import Identity, Linear
from nanotorch.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from nanotorch.nn.module import Module
from nanotorch.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
)
from nanotorch.nn.parameter import Parameter
from nanotorch.nn.sparse import Embedding, EmbeddingBag

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "CrossEntropyLoss",
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "Embedding",
    "EmbeddingBag",
    "Flatten",
    "Fold",
    "GELU",
    "GroupNorm",
    "HuberLoss",
    "Identity",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "LocalResponseNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "RMSNorm",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Unflatten",
    "Unfold",
    "functional",
    "init",
]

# Convolution and pooling layers (nn/conv.py, nn/pooling.py).
from nanotorch.nn import conv as _conv  # noqa: E402
from nanotorch.nn import pooling as _pooling  # noqa: E402
from nanotorch.nn.conv import *  # noqa: E402, F403
from nanotorch.nn.pooling import *  # noqa: E402, F403

__all__ += [*_conv.__all__, *_pooling.__all__]

# More activations (nn/activation.py; functional forms in nn/activation_ops.py).
from nanotorch.nn.activation import (  # noqa: E402
    CELU,
    ELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    RReLU,
    Softmax2d,
    Softmin,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)

__all__ += [
    "CELU",
    "ELU",
    "GLU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LogSigmoid",
    "Mish",
    "PReLU",
    "ReLU6",
    "SELU",
    "Hardshrink",
    "RReLU",
    "Softmax2d",
    "Softmin",
    "Softshrink",
    "Softsign",
    "Tanhshrink",
    "Threshold",
]

# Padding layers (nn/padding.py).
from nanotorch.nn import padding as _padding  # noqa: E402
from nanotorch.nn.padding import *  # noqa: E402, F403

__all__ += _padding.__all__

# Resizing layers (nn/upsampling.py).
from nanotorch.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]

# Recurrent layers (nn/rnn.py).
from nanotorch.nn.rnn import (  # noqa: E402
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)

__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

# Attention and transformer layers (nn/attention.py, nn/transformer.py; the functional
# F.scaled_dot_product_attention in nn/attention_ops.py).
from nanotorch.nn.attention import MultiheadAttention  # noqa: E402
from nanotorch.nn.transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += [
    "MultiheadAttention",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

# Sub-pixel shuffles, distances and the bilinear map (nn/pixelshuffle.py, nn/distance.py,
# nn/linear.py).
from nanotorch.nn.distance import CosineSimilarity, PairwiseDistance  # noqa: E402
from nanotorch.nn.linear import Bilinear  # noqa: E402
from nanotorch.nn.pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: E402

__all__ += ["Bilinear", "CosineSimilarity", "PairwiseDistance", "PixelShuffle", "PixelUnshuffle"]

# Margin and likelihood losses (nn/loss_extra.py).
from nanotorch.nn import loss_extra as _loss_extra  # noqa: E402
from nanotorch.nn.loss_extra import (  # noqa: E402
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)

__all__ += [n for n in _loss_extra.__all__ if n[0].isupper()]

# Channel shuffling (nn/pixelshuffle.py).
from nanotorch.nn.pixelshuffle import ChannelShuffle  # noqa: E402

__all__ += ["ChannelShuffle"]

# Connectionist temporal classification (nn/ctc.py).
from nanotorch.nn.ctc import CTCLoss  # noqa: E402

__all__ += ["CTCLoss"]

# Lazy modules and their placeholders (nn/lazy.py, nn/parameter.py).
from nanotorch.nn import lazy as _lazy  # noqa: E402
from nanotorch.nn import parameter  # noqa: E402, F401
from nanotorch.nn.lazy import *  # noqa: E402, F403
from nanotorch.nn.parameter import Buffer, UninitializedBuffer, UninitializedParameter  # noqa: E402

__all__ += [n for n in _lazy.__all__ if n != "LazyModuleMixin"]
__all__ += ["Buffer", "UninitializedBuffer", "UninitializedParameter"]

# Adaptive softmax (nn/adaptive.py).
from nanotorch.nn.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: E402

__all__ += ["AdaptiveLogSoftmaxWithLoss"]

# Fractional max pooling (nn/fractional.py).
from nanotorch.nn.fractional import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: E402

__all__ += ["FractionalMaxPool2d", "FractionalMaxPool3d"]
