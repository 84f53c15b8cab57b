"""``nn.utils.parametrize``: make a parameter or buffer a function of other tensors.

``register_parametrization(module, "weight", P)`` replaces ``module.weight`` by ``P(original)``:
reading the attribute runs the parametrization, assigning to it runs ``P.right_inverse``
into the stored tensor(s). This module imports no array library.

Note [Parametrized attributes]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
The layout is PyTorch's, so checkpoints interchange: the tensor leaves the module's own
dicts and is kept by a ``ParametrizationList`` (a ModuleList of the parametrizations) under
``module.parametrizations[name]``, as ``original`` (or ``original0``, ``original1``, ... when
the first parametrization's ``right_inverse`` returns several tensors). ``state_dict`` then
names it ``parametrizations.<name>.original`` and a parametrization's own buffers
``parametrizations.<name>.<index>.<buffer>`` with no special casing: they are ordinary
registered members. The attribute itself becomes a property, and a property lives on a class,
so the module's class is swapped for a subclass made for it alone (``ParametrizedLinear``,
a subclass of ``Linear``, so ``isinstance`` still holds); removing the last parametrization
swaps the original class back. The stored tensor is the very Parameter object the module
had (its values replaced by ``right_inverse``'s), so an optimizer built earlier still updates
it, and ``remove_parametrizations`` puts that same object back.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.nn.container import ModuleDict, ModuleList
from nanotorch.nn.module import Module
from nanotorch.nn.parameter import Parameter
from nanotorch.tensor import Tensor

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "type_before_parametrizations",
]

# Note [Parametrization cache]: inside ``cached()`` each parametrized attribute is computed
# once and reused, keyed by (id(module), name); leaving the outermost context clears it.
_cache_depth = 0
_cache: dict[tuple[int, str], Tensor] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized attribute at most once inside the ``with`` block (e.g. a
    weight used at every step of a recurrent loop), instead of at every access.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> from nanotorch.nn.utils import parametrize
    >>> class Double(nn.Module):
    ...     def forward(self, x):
    ...         return 2 * x
    >>> m = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Double())
    >>> with parametrize.cached():
    ...     m.weight is m.weight
    True
    """
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _set_values(dest: Tensor, src: Tensor) -> None:
    """Make ``dest`` hold ``src``'s values, keeping the ``dest`` object (PyTorch's ``set_``):
    the array is replaced, so the shape may change (``unsafe`` parametrizations)."""
    src = src.detach()
    if src is dest:
        return
    if tuple(src.shape) == tuple(dest.shape) and src.dtype is dest.dtype:
        dest.copy_(src.to(dest.device))
        return
    dest._data, dest._device, dest._backend = src._data, src._device, src._backend
    dest._version += 1


def _register_tensor(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _describe(t: Tensor) -> str:
    return f"shape {tuple(t.shape)}, dtype {t.dtype.name}"


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the tensor(s) they start
    from (``original`` or ``original0``, ``original1``, ...). Calling it gives the
    parametrized value. Made by ``register_parametrization``."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList: needs at least one parametrization module")
        super().__init__(modules)
        self.unsafe = unsafe
        shape, dtype = tuple(original.shape), original.dtype
        with no_grad():
            new: Any = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError(
                "register_parametrization: right_inverse must return a Tensor or a sequence of "
                f"Tensors, got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype is not dtype or new.device != original.device:
                raise ValueError(
                    "register_parametrization: when right_inverse returns one tensor it may not "
                    f"change the dtype or device: the original is {dtype.name} on "
                    f"{original.device}, right_inverse gave {new.dtype.name} on {new.device}"
                )
            with no_grad():
                _set_values(original, new)
            _register_tensor(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError(
                        "register_parametrization: right_inverse must return Tensors, got "
                        f"element {i} of type {type(part).__name__}"
                    )
                part = part.detach()
                if isinstance(original, Parameter):
                    part = Parameter(part, original.requires_grad)
                _register_tensor(self, f"original{i}", part)
        if not self.unsafe:
            out = self()
            if not isinstance(out, Tensor):
                raise ValueError(
                    f"register_parametrization: a parametrization must return a Tensor, got "
                    f"{type(out).__name__}"
                )
            if out.dtype is not dtype or tuple(out.shape) != shape:
                raise ValueError(
                    "register_parametrization: the parametrization changes the tensor from "
                    f"shape {shape}, dtype {dtype.name} to {_describe(out)}; a "
                    "parametrization must keep both, or pass unsafe=True"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Store ``value`` by running the ``right_inverse`` of every parametrization,
        last to first (what assigning to the parametrized attribute does)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement "
                        "right_inverse, so the parametrized tensor cannot be assigned to"
                    )
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor) or value.dtype is not self.original.dtype:
                    raise ValueError(
                        "right_inverse must return a Tensor of the original's dtype "
                        f"{self.original.dtype.name}, got {type(value).__name__}"
                        + (f" {value.dtype.name}" if isinstance(value, Tensor) else "")
                    )
                _set_values(self.original, value)
            else:
                if not isinstance(value, Sequence) or len(value) != self.ntensors:
                    raise ValueError(
                        f"right_inverse must return a sequence of {self.ntensors} Tensors, got "
                        f"{type(value).__name__}"
                    )
                for i, part in enumerate(value):
                    _set_values(getattr(self, f"original{i}"), part)

    def forward(self) -> Tensor:  # type: ignore[override]
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in list(self)[1:]:
            x = module(x)
        return x


def _inject_class(module: Module) -> None:
    cls = module.__class__

    def __getstate__(self: Module) -> Any:
        raise RuntimeError(
            "a parametrized module cannot be pickled as a whole; save its state_dict() and "
            "register the parametrizations again when loading"
        )

    def __deepcopy__(self: Module, memo: dict[int, Any]) -> Module:
        # __getstate__ refuses pickling, and deepcopy would go through it: copy the
        # attributes directly instead (the class, with its properties, is shared).
        done = memo.get(id(self))
        if done is not None:
            return done
        twin = self.__class__.__new__(self.__class__)
        memo[id(self)] = twin
        twin.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return twin

    attrs = {"__getstate__": __getstate__}
    if not hasattr(cls, "__deepcopy__"):
        attrs["__deepcopy__"] = __deepcopy__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), attrs)


def _inject_property(module: Module, name: str) -> None:
    def get(self: Module) -> Tensor:
        parametrization = self.parametrizations[name]
        if not _cache_depth:
            return parametrization()
        key = (id(self), name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = parametrization()
        return value

    def set_(self: Module, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)

    setattr(module.__class__, name, property(get, set_))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` (Note [Parametrized
    attributes]). A second registration on the same name chains after the first. Unless
    ``unsafe``, the parametrization must keep the tensor's shape and dtype (checked once,
    here). ``parametrization.right_inverse``, when present, maps a value back to what is
    stored (run now on the current value, and on every assignment). Returns ``module``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> from nanotorch.nn.utils import parametrize
    >>> class Symmetric(nn.Module):
    ...     def forward(self, x):
    ...         return x.triu() + x.triu(1).T
    >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    >>> bool((m.weight == m.weight.T).all()), list(m.state_dict())
    (True, ['bias', 'parametrizations.weight.original'])
    """
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"register_parametrization: the parametrization must be an nn.Module, got "
            f"{type(parametrization).__name__}"
        )
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            out = parametrization(current)
            if not isinstance(out, Tensor):
                raise ValueError(
                    "register_parametrization: a parametrization must return a Tensor, got "
                    f"{type(out).__name__}"
                )
            if out.dtype is not current.dtype or tuple(out.shape) != tuple(current.shape):
                raise ValueError(
                    f"register_parametrization: the parametrization changes {tensor_name} from "
                    f"{_describe(current)} to {_describe(out)}; a parametrization must keep "
                    "both, or pass unsafe=True"
                )
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        chain.unsafe = chain.unsafe or unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"register_parametrization: {type(module).__name__} has no parameter, buffer or "
            f"parametrized tensor named '{tensor_name}'; it has parameters "
            f"{list(module._parameters)} and buffers {list(module._buffers)}"
        )
    original = getattr(module, tensor_name)
    chain = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = chain
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization on ``tensor_name`` (on any tensor if None)."""
    chains = module._modules.get("parametrizations")
    if not isinstance(chains, ModuleDict):
        return False
    return len(chains) > 0 if tensor_name is None else tensor_name in chains


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: the attribute becomes a plain
    parameter (or buffer) again, holding its current parametrized value
    (``leave_parametrized=True``) or the stored ``original`` (only possible when there is
    one). The original Parameter object is kept. Returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(
            f"remove_parametrizations: {type(module).__name__} has no parametrization on "
            f"'{tensor_name}'"
        )
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
                _set_values(original, value)
    else:
        if not leave_parametrized:
            raise ValueError(
                f"remove_parametrizations: cannot use leave_parametrized=False on "
                f"'{tensor_name}', which is parametrized by several tensors (there is no single "
                "original to restore); pass leave_parametrized=True"
            )
        with no_grad():
            value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if chain.original0.requires_grad else value.detach()
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_tensor(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before any parametrization was registered on it."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)
