"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``; ``ParameterList`` and
``ParameterDict`` for parameters.

Each stores its modules as registered children (Note [Module registration] in
nn/module.py), so parameters inside a list or dict are found by ``parameters()``, moved by
``to()`` and named in ``state_dict`` ("0.weight", "head.bias") exactly as in PyTorch. A plain
Python list of layers would hide them from all three.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Self

from nanotorch.nn.activation import ReLU
from nanotorch.nn.linear import Linear, linear_relu
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.tensor import Tensor


# Note [Linear and ReLU fused]
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# Nearly every MLP is a Sequential of Linear, ReLU, Linear, ReLU, ... A Linear followed by a
# ReLU is run as one op, ``LinearRelu`` (ops/matmul.py): the ReLU happens in place on the
# fresh product, and the pair records one node instead of two, so a training step saves a
# module call, a dispatch, a Tensor and a backward node per pair, and the product's memory.
# Values and gradients are the same to the bit (tests/unit/test_linear_relu_fusion.py).
# Only the output's ``grad_fn`` tells (``LinearReluBackward``; PyTorch shows the ReLU's),
# so anything else a user could see keeps the two calls: a hook on either module, a
# subclass of either, a ``forward`` replaced on the instance, or an input that is not a
# Tensor. Called outside a Sequential, or in another order, the modules run as written.
def _plain_call(module: Module) -> bool:
    d = module.__dict__
    return not (
        d.get("_forward_pre_hooks")
        or d.get("_forward_hooks")
        or d.get("_backward_hooks")
        or "forward" in d
    )


def _index(container: Module, idx: int) -> int:
    n = len(container)  # type: ignore[arg-type]
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise TypeError(
            f"{type(container).__name__} indices must be integers or slices, got {idx!r}"
        )
    if not -n <= idx < n:
        raise IndexError(
            f"index {idx} is out of range for {type(container).__name__} of length {n}"
        )
    return idx % n


class _ModuleSequence(Module):
    """What ``Sequential`` and ``ModuleList`` share: children named "0".."n-1" in order.

    Deleting or inserting renumbers the children, as PyTorch does, so the names (and the
    ``state_dict`` keys built from them) never have gaps.
    """

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def _insert(self, index: int, module: Module) -> None:
        values = list(self._modules.values())
        values.insert(index, module)
        self._renumber(values)

    def __delitem__(self, idx: int | slice) -> None:
        values = list(self._modules.values())
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[_index(self, idx)]
        self._renumber(values)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Self:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        for m in modules:
            self.append(m)
        return self


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``forward(x)`` is ``m_n(...m_1(x))``.

    Children are named "0", "1", ... (or by the keys of an ``OrderedDict``).

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> mlp = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    >>> mlp(nanotorch.zeros(4, 2)).shape, len(mlp), type(mlp[1]).__name__
    ((4, 1), 3, 'Tanh')
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:  # noqa: A002 - PyTorch's name
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            module = modules[i]
            # Note [Linear and ReLU fused]
            if (
                type(module) is Linear
                and i + 1 < n
                and type(modules[i + 1]) is ReLU
                and isinstance(input, Tensor)
                and _plain_call(module)
                and _plain_call(modules[i + 1])
            ):
                input = linear_relu(input, module.weight, module.bias)
                i += 2
                continue
            input = module(input)
            i += 1
        return input

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            # A slice keeps the children's names, as in PyTorch ("1", "2" for seq[1:]).
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(self, idx)]
        self.add_module(key, module)

    def insert(self, index: int, module: Module) -> Sequential:
        # Checked before _insert, which renumbers from scratch and must not stop half-way.
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: '{type(module).__name__}' is not a Module")
        self._insert(index, module)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (children "0", "1", ...).

    It has no ``forward``: iterate over it in the owner's ``forward``.

    >>> from nanotorch import nn
    >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    >>> len(blocks), len(list(blocks.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[_index(self, idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(self, idx)), module)

    def insert(self, index: int, module: Module) -> None:
        self._insert(index, module)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward: iterate over its modules in your own forward"
        )


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys.

    >>> from nanotorch import nn
    >>> heads = nn.ModuleDict({"cls": nn.Linear(8, 3), "box": nn.Linear(8, 4)})
    >>> [name for name, _ in heads.named_parameters()][:2]
    ['cls.weight', 'cls.bias']
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(key)
        return self._modules[key]  # type: ignore[return-value]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()  # type: ignore[return-value]

    def values(self) -> Iterable[Module]:
        return self._modules.values()  # type: ignore[return-value]

    def pop(self, key: str) -> Module:
        module = self[key]
        del self._modules[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in items:
            self[key] = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleDict has no forward: pick modules by key in your own forward"
        )


def _as_parameter(owner: str, value: Any) -> Parameter:
    """A Parameter as is; a plain Tensor wrapped into one (as PyTorch's containers do)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(
        f"{owner} holds Parameters (or Tensors, which become Parameters), got "
        f"{type(value).__name__}; wrap it: nn.Parameter(nanotorch.tensor(value))"
    )


class ParameterList(Module):
    """A list of parameters registered as "0".."n-1", so ``parameters()``, ``to()`` and
    ``state_dict`` ("plist.0") see them, as PyTorch names them.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> plist = nn.ParameterList([nn.Parameter(nanotorch.zeros(2)), nanotorch.ones(3)])
    >>> [name for name, _ in plist.named_parameters()], type(plist[1]).__name__
    (['0', '1'], 'Parameter')
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(idx, slice):
            return ParameterList(values[idx])
        return values[_index(self, idx)]

    def __setitem__(self, idx: int, value: Any) -> None:
        self.register_parameter(str(_index(self, idx)), _as_parameter("ParameterList", value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parameters.values())

    def append(self, value: Any) -> Self:
        self.register_parameter(str(len(self)), _as_parameter("ParameterList", value))
        return self

    def extend(self, values: Iterable[Any]) -> Self:
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(
            f"({i}): Parameter containing: [{p.dtype.name} of size {tuple(p.shape)}]"
            for i, p in enumerate(self)
        )


class ParameterDict(Module):
    """Parameters by name, in insertion order, registered under their keys.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> pdict = nn.ParameterDict({"scale": nanotorch.ones(2)})
    >>> list(pdict.state_dict())
    ['scale']
    """

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._parameters:
            raise KeyError(key)
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _as_parameter("ParameterDict", value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        return self._parameters.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._parameters.items()

    def values(self) -> Iterable[Any]:
        return self._parameters.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, value in pairs:
            self[key] = value


__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]
