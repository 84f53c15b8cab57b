"""Random numbers: ``Generator`` objects and the per-device default generators.

The array API standard has no random numbers, so each backend supplies a source (see
``backend/base.py``). A ``Generator`` pairs a device with such a source. ``manual_seed``
re-seeds the default generator of every device, so one call makes a whole run repeat;
functions that draw random numbers also take ``generator=`` for explicit control.
"""

from __future__ import annotations

import operator
import os
from typing import Any

from nanotorch.backend import Device, get_backend
from nanotorch.backend import device as _device
from nanotorch.errors import IntegerOverflowError

# PyTorch's default CPU seed; any fixed number gives reproducible runs out of the box.
DEFAULT_SEED = 67280421310721


def normalize_seed(seed: object, op: str = "manual_seed") -> int:
    """``seed`` as an unsigned 64-bit int, the way PyTorch reads it.

    PyTorch accepts any int that fits in 64 bits, signed or unsigned: [-2**63, 2**64 - 1].
    A negative seed is read as the two's-complement bit pattern, so ``-1`` is the same seed
    as ``2**64 - 1`` (and ``initial_seed()`` reports the unsigned value). Anything wider is
    refused rather than reduced, since two different seeds must never give one stream.
    """
    if isinstance(seed, bool) or not hasattr(type(seed), "__index__"):
        raise TypeError(f"{op}: seed must be an int, got {seed!r}")
    seed = operator.index(seed)  # NumPy integers too, as PyTorch accepts them
    if not -(2**63) <= seed < 2**64:
        raise IntegerOverflowError(
            f"{op}: seed {seed} is out of range; a seed must fit in 64 bits, "
            f"i.e. lie in [-2**63, 2**64 - 1]"
        )
    return seed % 2**64


class Generator:
    """A seeded stream of random numbers on one device.

    >>> import nanotorch
    >>> g = nanotorch.Generator().manual_seed(0)
    >>> a = nanotorch.rand(3, generator=g)
    >>> b = nanotorch.rand(3, generator=nanotorch.Generator().manual_seed(0))
    >>> a.tolist() == b.tolist()
    True
    """

    def __init__(self, device: str | Device = "cpu", seed: int | None = None) -> None:
        self.device = _device(device)
        self._seed = DEFAULT_SEED if seed is None else normalize_seed(seed, "Generator")
        self._source: Any = None

    @property
    def source(self) -> Any:
        if self._source is None:
            self._source = get_backend(self.device).random_source(self._seed)
        return self._source

    def manual_seed(self, seed: int) -> Generator:
        self._seed = normalize_seed(seed)
        self._source = None
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        """The stream's position, as JSON-friendly data (checkpoints save it)."""
        return {"device": str(self.device), "seed": self._seed, "state": self.source.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        self._seed = int(state["seed"])
        self._source = None
        self.source.set_state(state["state"])

    def __repr__(self) -> str:
        return f"Generator(device='{self.device}', seed={self._seed})"


_defaults: dict[Device, Generator] = {}
_default_seed = [DEFAULT_SEED]


def default_generator(device: str | Device = "cpu") -> Generator:
    dev = _device(device)
    gen = _defaults.get(dev)
    if gen is None:
        gen = _defaults[dev] = Generator(dev, _default_seed[0])
    return gen


def manual_seed(seed: int) -> Generator:
    """Seed the default generator of every device (existing and future ones); returns the
    cpu's default generator, as PyTorch does.

    >>> import nanotorch
    >>> _ = nanotorch.manual_seed(0); a = nanotorch.randn(2).tolist()
    >>> _ = nanotorch.manual_seed(0); a == nanotorch.randn(2).tolist()
    True
    """
    seed = normalize_seed(seed)
    _default_seed[0] = seed
    for gen in _defaults.values():
        gen.manual_seed(seed)
    return default_generator(_device("cpu"))


def seed() -> int:
    """Seed every device's default generator with a fresh 64-bit number from the operating
    system, and return it (``torch.seed``): a run that wants to be repeatable later can
    print it and pass it to ``manual_seed``."""
    fresh = int.from_bytes(os.urandom(8), "little")
    manual_seed(fresh)
    return fresh


def initial_seed() -> int:
    return _default_seed[0]


def resolve_generator(generator: Generator | None, device: Device, op: str) -> Generator:
    if generator is None:
        return default_generator(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}: generator must be a nanotorch.Generator, got {generator!r}")
    if generator.device != device:
        from nanotorch.errors import DeviceMismatchError

        raise DeviceMismatchError(
            f"{op}: generator is on {generator.device} but the result is on {device}; use "
            f"nanotorch.Generator('{device}')"
        )
    return generator


def get_rng_state(device: str | Device = "cpu") -> dict[str, Any]:
    return default_generator(device).get_state()


def set_rng_state(state: dict[str, Any], device: str | Device = "cpu") -> None:
    default_generator(device).set_state(state)
