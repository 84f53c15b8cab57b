"""Every dataset nanotorch ships or knows how to load, in one namespace.

``from nanotorch.data import datasets``: synthetic makers (``make_linear``, ``make_sine``,
``make_xor``, ``make_moons``, ``make_circles``, ``make_spirals``, ``make_blobs``), the packaged
UCI digits (``load_digits``) and Fashion-MNIST (``FashionMNIST``).
"""

from nanotorch.data.digits import load_digits
from nanotorch.data.fashion_mnist import FashionMNIST
from nanotorch.data.synthetic import (
    make_blobs,
    make_circles,
    make_linear,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
)

__all__ = [
    "FashionMNIST",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_linear",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_xor",
]
