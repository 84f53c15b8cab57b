"""``Module``: the base class of every layer and model.

A Module owns parameters, buffers and submodules, found by walking three ordered dicts; it
switches between training and evaluation behaviour; it moves all of its state between
devices and dtypes in place; and it saves and restores that state by name (``state_dict``).

Note [Module registration]
~~~~~~~~~~~~~~~~~~~~~~~~~~
Every Module keeps ``_parameters``, ``_buffers`` and ``_modules``, ordered dicts filled by
plain attribute assignment: ``__setattr__`` files a ``Parameter`` under ``_parameters`` and a
``Module`` under ``_modules``; a Tensor becomes a buffer only through ``register_buffer``
(after that, assigning a Tensor to the name replaces the buffer). Anything else, including a
plain Tensor, stays an ordinary attribute. Traversal (``parameters()``, ``state_dict()``,
``to()``) walks only these dicts, in assignment order, so the dotted names it yields
("encoder.0.weight") are the same as PyTorch's for the same model: a checkpoint's keys match
without any renaming table.

Note [State moves in place]
~~~~~~~~~~~~~~~~~~~~~~~~~~~
``Module.to(device | dtype)`` replaces the array inside each existing Parameter and buffer
rather than creating new tensors, so an optimizer built before the move keeps pointing at
the live parameters. Each device change is one counted copy through ``Tensor.to``
(``nanotorch.transfer_stats()``); gradients move with their parameters so nothing is left
behind on the old device. ``load_state_dict`` likewise copies values into the existing
tensors, moving each value to its parameter's device with an explicit, counted ``.to``.

Note [State-dict hooks]
~~~~~~~~~~~~~~~~~~~~~~~
PyTorch's four public state-dict hooks, called per module as the walk reaches it:

* ``register_state_dict_pre_hook``: ``hook(module, prefix, keep_vars)`` before the module
  saves its own entries;
* ``register_state_dict_post_hook``: ``hook(module, state_dict, prefix, local_metadata)``
  after the module and its children have saved theirs; it may change ``state_dict`` in place
  and must return None;
* ``register_load_state_dict_pre_hook``: ``hook(module, state_dict, prefix, local_metadata,
  strict, missing_keys, unexpected_keys, error_msgs)`` before anything is matched, parents
  before children, so a hook can rename the keys of an old layout; ``state_dict`` is the
  loader's own copy (the caller's dict is never changed) and ``strict`` is True, as PyTorch
  passes it;
* ``register_load_state_dict_post_hook``: ``hook(module, incompatible_keys)`` after the
  values are loaded, children before parents; it may edit the missing/unexpected key lists
  in place (to excuse keys) and must return None.

``local_metadata`` is an empty dict: nanotorch keeps no per-module version. Loading stays
all-or-nothing (checked, then copied) except for one case: when some module has a load
post-hook, the matching values are copied before the strict check, because the hooks run
after loading and may excuse the missing or unexpected keys that check would report, as in
PyTorch. Shape mismatches and errors a pre-hook records are still reported before anything
is copied.

Like the rest of the engine, this module imports no array library.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nanotorch.autograd.grad_mode import no_grad
from nanotorch.backend import Device
from nanotorch.dtypes import DType
from nanotorch.nn.hooks import HOOK_DICTS, RemovableHandle, add_hook, call_with_hooks
from nanotorch.nn.parameter import Buffer, Parameter, is_lazy
from nanotorch.tensor import Tensor, _parse_to_args

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _forward_unimplemented(self: Module, *args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(
        f'Module [{type(self).__name__}] is missing the required "forward" function; '
        "define forward(self, ...) in the subclass"
    )


def _check_name(kind: str, owner: Module, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name cannot be empty (got "")')
    if "." in name:
        raise KeyError(f'{kind} name cannot contain ".", got "{name}"')


class Module:
    """Base class of layers and models: subclass it, assign layers and ``Parameter``s as
    attributes in ``__init__`` (after ``super().__init__()``), and define ``forward``.

    >>> import nanotorch
    >>> from nanotorch import nn
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(2, 8)
    ...         self.out = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> model = TwoLayer()
    >>> [name for name, _ in model.named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    >>> model(nanotorch.zeros(5, 2)).shape
    (5, 1)
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        for name in HOOK_DICTS:
            object.__setattr__(self, name, OrderedDict())

    forward: Callable[..., Any] = _forward_unimplemented

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks") or d.get("_backward_hooks"):
            return call_with_hooks(self, args, kwargs)  # Note [Module hooks] in nn/hooks.py
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` (``hook(module, args, kwargs)`` with ``with_kwargs``)
        before each forward; a non-None return replaces the inputs. Note [Module hooks]."""
        return add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) after each forward; a non-None return replaces the output.
        ``always_call=True`` runs it (with output None) even when forward raises.

        >>> import nanotorch
        >>> from nanotorch import nn
        >>> layer = nn.Identity()
        >>> handle = layer.register_forward_hook(lambda mod, args, out: out * 2)
        >>> layer(nanotorch.tensor([1.0])).tolist()
        [2.0]
        >>> handle.remove()
        >>> layer(nanotorch.tensor([1.0])).tolist()
        [1.0]
        """
        return add_hook(self._forward_hooks, (hook, with_kwargs, always_call), prepend)

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict`` saves this module's
        entries (Note [State-dict hooks])."""
        return add_hook(self._state_dict_pre_hooks, hook, False)

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after this module and its
        children saved their entries; it edits ``state_dict`` in place and returns None
        (Note [State-dict hooks]).

        >>> from nanotorch import nn
        >>> lin = nn.Linear(2, 2)
        >>> def drop_bias(module, state_dict, prefix, local_metadata):
        ...     del state_dict[prefix + "bias"]
        >>> _ = lin.register_state_dict_post_hook(drop_bias)
        >>> list(lin.state_dict())
        ['weight']
        """
        return add_hook(self._state_dict_hooks, hook, False)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before ``load_state_dict`` matches keys (Note
        [State-dict hooks])."""
        return add_hook(self._load_state_dict_pre_hooks, hook, False)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loaded the
        values; it may edit ``incompatible_keys.missing_keys`` / ``.unexpected_keys`` in place
        and returns None (Note [State-dict hooks])."""
        return add_hook(self._load_state_dict_post_hooks, hook, False)

    def _hooks(self, name: str) -> list[Any]:
        # A module unpickled from before these hooks existed has no dict: no hooks.
        return list((self.__dict__.get(name) or {}).values())

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect to
        the module's positional tensor inputs are computed; a non-None return replaces
        ``grad_input``. Note [Module hooks]."""
        return add_hook(self._backward_hooks, (hook, False), prepend)

    # ------------------------------------------------------------------ registration
    def _dicts(self, attr: str) -> dict[str, Any]:
        store = self.__dict__.get(attr)
        if store is None:
            raise AttributeError(
                f"cannot assign to {type(self).__name__} before Module.__init__() call; call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        return store

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from every place it might be registered except the dict ``keep``
        (about to be written), where an existing entry keeps its position in the order."""
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                getattr(self, store).pop(name, None)
        self._non_persistent_buffers.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        self._dicts("_parameters")
        _check_name("parameter", self, name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' as parameter '{name}' "
                "(nn.Parameter or None expected); wrap it: nn.Parameter(tensor)"
            )
        self._forget(name, "_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not trained (running statistics, counters).

        Buffers move with ``to()``; persistent ones are saved in ``state_dict``."""
        self._dicts("_buffers")
        _check_name("buffer", self, name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' as buffer '{name}' "
                "(Tensor or None expected)"
            )
        self._forget(name, "_buffers")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child named ``name`` (what attribute assignment does)."""
        self._dicts("_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"Module.add_module: '{type(module).__name__}' is not a Module")
        _check_name("module", self, name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._forget(name, "_modules")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        # Note [Module registration]
        if isinstance(value, Parameter):
            if isinstance(getattr(type(self), name, None), property):
                # A parametrized tensor (nn/utils/parametrize.py) is a property; a Parameter
                # registered under its name would be hidden behind it.
                raise KeyError(
                    f"attribute '{name}' already exists: it is parametrized on "
                    f"{type(self).__name__}; assign a plain tensor (stored through "
                    "right_inverse), or call remove_parametrizations first"
                )
            self._dicts("_parameters")
            self._forget(name, "_parameters")
            self._parameters[name] = value
            return
        if isinstance(value, Buffer):  # nn.Buffer carries its own persistence
            self.register_buffer(name, value, persistent=value.persistent)
            return
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected); wrap it: nn.Parameter(tensor)"
                )
            params[name] = None
            return
        if isinstance(value, Module):
            self._dicts("_modules")
            self._forget(name, "_modules")
            self._modules[name] = value
            return
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = self.__dict__.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Called only when normal lookup fails: look in the registration dicts.
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            store = self.__dict__.get(key)
            if store is not None and name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        extra = list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(super().__dir__()) | set(extra))

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` ("" is the module itself)."""
        if target == "":
            return self
        mod: Module = self
        for item in target.split("."):
            child = mod._modules.get(item)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = child
        return mod

    def set_submodule(self, target: str, module: Module) -> None:
        """Replace (or add) the submodule at the dotted path ``target``."""
        if not isinstance(module, Module):
            raise TypeError(f"set_submodule: {type(module).__name__} is not a Module")
        if target == "":
            raise ValueError("set_submodule: target cannot be empty (the module itself)")
        owner_path, _, name = target.rpartition(".")
        self.get_submodule(owner_path).add_module(name, module)

    def _get_member(self, kind: str, store: str, target: str) -> Any:
        owner_path, _, name = target.rpartition(".")
        owner = self.get_submodule(owner_path)
        if name not in getattr(owner, store):
            raise AttributeError(f"{type(owner).__name__} has no {kind} `{name}`")
        return getattr(owner, store)[name]

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` ("layer.0.weight")."""
        return self._get_member("parameter", "_parameters", target)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` ("bn.running_mean")."""
        return self._get_member("buffer", "_buffers", target)

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, depth first; a module
        reachable under two names is yielded once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        # Tensors compare elementwise, so identity is tracked by id(), never by ``in``.
        seen: set[int] = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs in registration order; shared ones once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and grads
    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch's in-place ``Module.compile``: checks the arguments as
        ``nanotorch.compile`` does and leaves the module as it is (nanotorch has no
        compiler; nanotorch/compiler.py)."""
        from nanotorch.compiler import compile as _compile

        _compile(self, *args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant (Dropout drops, BatchNorm
        uses batch statistics); ``train(False)`` is ``eval()``. Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): training mode is expected to be boolean, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient tracking of every parameter on or off (freezing a model)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: set them to None (the default, which frees memory)
        or fill them with zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                grad = p.grad.detach() if p.grad.grad_fn is not None else p.grad
                grad.requires_grad_(False)
                with no_grad():
                    grad.zero_()
                p.grad = grad

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant and then on this module (custom initialisation).

        >>> from nanotorch import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        >>> _ = net.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
        >>> net[1].bias.tolist()
        [0.0]
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ devices and dtypes
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move every parameter, gradient and buffer to a device and/or cast the floating ones
        to a dtype, in place (Note [State moves in place]). Returns self.

        >>> import nanotorch
        >>> from nanotorch import nn
        >>> lin = nn.Linear(2, 2)
        >>> w = lin.weight
        >>> lin.to(nanotorch.float64).weight is w, w.dtype
        (True, nanotorch.float64)
        """
        device, dtype = _parse_to_args(args, dict(kwargs))
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype!r}"
            )
        self._move_state(device, dtype)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: int | str | Device | None = None) -> Module:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def float(self) -> Module:
        from nanotorch.dtypes import float32

        return self.to(float32)

    def double(self) -> Module:
        from nanotorch.dtypes import float64

        return self.to(float64)

    def half(self) -> Module:
        from nanotorch.dtypes import float16

        return self.to(float16)

    def _move_state(self, device: Device | None, dtype: DType | None) -> None:
        for _, p in self.named_parameters():
            _move_in_place(p, device, dtype)
            if p.grad is not None:
                p.grad = _moved(p.grad, device, dtype)
        for _, b in self.named_buffers():
            _move_in_place(b, device, dtype)

    # ------------------------------------------------------------------ state
    def state_dict(
        self,
        *,
        destination: dict[str, Tensor] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name (PyTorch's names and
        layouts, see Note [Module registration]). Values are detached tensors sharing memory
        with the module (``keep_vars=True``: the live tensors). State-dict hooks run as in
        PyTorch (Note [State-dict hooks])."""
        if destination is None:
            destination = OrderedDict()
        return self._collect_state(destination, prefix, keep_vars, hooks=True)  # type: ignore[return-value]

    def _collect_state(
        self, destination: dict[str, Any], prefix: str, keep_vars: bool, hooks: bool
    ) -> dict[str, Any]:
        if hooks:
            for hook in self._hooks("_state_dict_pre_hooks"):
                hook(self, prefix, keep_vars)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child._collect_state(destination, f"{prefix}{name}.", keep_vars, hooks)
        if hooks:
            for hook in self._hooks("_state_dict_hooks"):
                if hook(self, destination, prefix, {}) is not None:
                    raise RuntimeError(
                        f"state_dict post-hook must return None: {hook!r} on "
                        f"{type(self).__name__} returned a value; change the state_dict it is "
                        "given in place instead"
                    )
        return destination

    def _walk(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(prefix with a trailing dot, module) for this module and every descendant,
        parents first, shared modules once per place (the order loading visits them)."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._walk(f"{prefix}{name}.")

    def _run_load_post_hooks(self, keys: IncompatibleKeys) -> None:
        for _, child in self._modules.items():
            if child is not None:
                child._run_load_post_hooks(keys)
        for hook in self._hooks("_load_state_dict_post_hooks"):
            if hook(self, keys) is not None:
                from nanotorch.errors import ModuleStateError

                raise ModuleStateError(
                    "Hooks registered with register_load_state_dict_post_hook are not expected "
                    f"to return new values ({hook!r} on {type(self).__name__} did); edit "
                    "incompatible_keys.missing_keys / unexpected_keys in place instead"
                )

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Copy values by name into this module's existing parameters and buffers.

        Values may be Tensors on any device or host arrays (NumPy, nested lists): each is
        moved to its parameter's device with an explicit, counted ``.to`` and converted to its
        dtype (Note [State moves in place]). Shape mismatches always raise; with ``strict``
        (the default) missing and unexpected keys raise too, otherwise they are returned as
        ``(missing_keys, unexpected_keys)``. Everything is checked before anything is copied,
        so a failed load leaves the module unchanged.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to tensors, got "
                f"{type(state_dict).__name__}"
            )
        state_dict = OrderedDict(state_dict)  # hooks may edit it; never the caller's dict
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        walk = list(self._walk())
        for prefix, module in walk:
            for hook in module._hooks("_load_state_dict_pre_hooks"):
                hook(module, state_dict, prefix, {}, True, missing, unexpected, errors)
        own = self._collect_state(OrderedDict(), "", keep_vars=True, hooks=False)
        missing.extend(k for k in own if k not in state_dict)
        unexpected.extend(k for k in state_dict if k not in own)
        # Note [State-dict hooks]: post-hooks may excuse keys, so with any of them the key
        # check waits until after loading.
        post_hooks = any(m._hooks("_load_state_dict_post_hooks") for _, m in walk)
        if strict and not post_hooks:
            errors.extend(_key_errors(missing, unexpected))
        staged: list[tuple[Tensor, Tensor]] = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = _as_state_tensor(name, state_dict[name])
            if is_lazy(target):
                # A lazy module's placeholder takes the loaded shape (Note [Lazy modules]).
                staged.append((target, value))
                continue
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {name}: copying a param with shape {tuple(value.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}"
                )
                continue
            staged.append((target, value))
        if errors:
            self._load_failed(errors, loaded=False)
        with no_grad():
            for target, value in staged:
                if is_lazy(target):
                    target.materialize(value.shape)
                target.copy_(value.to(target.device))
        if post_hooks:
            self._run_load_post_hooks(IncompatibleKeys(missing, unexpected))
            if strict and (missing or unexpected):
                self._load_failed(_key_errors(missing, unexpected), loaded=True)
        return IncompatibleKeys(missing, unexpected)

    def _load_failed(self, errors: list[str], loaded: bool) -> None:
        hint = (
            "\n\tThe matching keys were loaded (a load post-hook is registered, Note "
            "[State-dict hooks])."
            if loaded
            else "\n\tNothing was loaded."
        ) + (
            " Rename the checkpoint's keys to the model's (model.state_dict().keys()), or pass "
            "strict=False to load the matching keys and get the missing and unexpected ones back."
        )
        raise RuntimeError(
            f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
            + "\n\t".join(errors)
            + hint
        )

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The module's own settings for ``repr`` (``in_features=3, ...``); override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _key_errors(missing: list[str], unexpected: list[str]) -> list[str]:
    errors = []
    if unexpected:
        errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected))
    if missing:
        errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
    return errors


def _moved(t: Tensor, device: Device | None, dtype: DType | None) -> Tensor:
    """``t`` on ``device`` with a floating ``t`` cast to ``dtype`` (integer state such as
    ``num_batches_tracked`` keeps its dtype, as in PyTorch)."""
    cast = dtype if dtype is not None and t.dtype.is_floating_point else None
    with no_grad():
        return t.to(device=device, dtype=cast)


def _move_in_place(t: Tensor, device: Device | None, dtype: DType | None) -> None:
    moved = _moved(t, device, dtype)
    if moved is t:
        return
    # Note [State moves in place]: the same Tensor object now holds the moved array.
    t._data, t._device, t._backend = moved._data, moved._device, moved._backend
    t._version += 1


def _as_state_tensor(name: str, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    from nanotorch.creation import as_tensor

    try:
        return as_tensor(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"load_state_dict: value for '{name}' is a {type(value).__name__}, which cannot be "
            f"read as a tensor ({exc})"
        ) from None


__all__ = ["IncompatibleKeys", "Module"]
