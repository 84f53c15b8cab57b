"""``nanotorch.nn``: modules, parameters, layers, losses and initialisation.

``Module`` and ``Parameter`` are the building blocks (nn/module.py, nn/parameter.py); each
layer family has its own file with its functional form next to its module class;
``nanotorch.nn.functional`` gathers the functions and ``nanotorch.nn.init`` the initialisers.
Names, arguments, defaults and parameter layouts follow PyTorch, so model code and
checkpoints carry over.

The package sits above ``nanotorch.ops`` and imports no array library (DESIGN.md "Layers").
"""

from nanotorch.nn import functional, init
from nanotorch.nn.activation import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    SiLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from nanotorch.nn.container import ModuleDict, ModuleList, Sequential
from nanotorch.nn.dropout import Dropout, Dropout2d
from nanotorch.nn.flatten import Flatten, Unflatten
from nanotorch.nn.linear import Identity, Linear
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter

__all__ = [
    "GELU", "Dropout", "Dropout2d", "Flatten", "Identity", "LeakyReLU", "Linear",
    "LogSoftmax", "Module", "ModuleDict", "ModuleList", "Parameter", "ReLU", "Sequential",
    "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh", "Unflatten", "functional", "init",
]

# Convolution and pooling layers (nn/conv.py, nn/pooling.py).
from nanotorch.nn.conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: E402
from nanotorch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: E402

__all__ += ["AdaptiveAvgPool2d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d"]
