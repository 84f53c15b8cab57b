"""``Optimizer``: the machinery every learning rule shares, so a rule is one method.

The base class owns everything that is not the learning rule itself: parameter groups and the
defaults merged into them, argument checking, the per-parameter state dictionary (created
lazily on a parameter's first step, on its device), ``zero_grad``, the ``step`` loop run
under ``no_grad``, ``maximize``, and saving/loading with ``state_dict``. A subclass gives its
hyperparameter defaults to ``__init__`` and implements

* ``update(param, grad, state, group)`` -- change ``param`` in place for one step, and
* optionally ``init_state(param, group)`` -- the state a parameter starts with, and
  ``validate_group(group)`` -- reject bad hyperparameters with a clear error.

Like everything in the engine, this module imports no array library: state tensors are made
with nanotorch's own creation functions, so they live on the parameter's device.

Note [Optimizer state]
~~~~~~~~~~~~~~~~~~~~~~
* State is a dict per parameter, keyed by the parameter itself (Tensors hash by identity).
  It is created on the first ``step`` in which the parameter has a gradient, by
  ``init_state``, so it is made where the parameter lives, with its dtype, and an optimizer
  step never copies anything between devices.
* Step counters (``state["step"]``) are Python ints, not 0-d tensors. A bias correction such
  as ``1 - beta ** step`` is then computed on the host from a host number, so nothing has to
  be read back from the device every step (reading a device scalar is a synchronisation).
  ``load_state_dict`` also accepts a 0-d tensor step, as written by frameworks that store one.
  Other per-parameter scalars a rule computes on the host (ASGD's ``eta`` and ``mu``) are
  Python floats for the same reason; a float in ``init_state``'s template tells
  ``load_state_dict`` to accept a number or a one-element tensor there.

Note [One check for constructor and load]
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
A hyperparameter can enter an optimizer two ways: through the constructor (or
``add_param_group``) and through ``load_state_dict`` (a checkpoint, perhaps hand-edited or
from another program). Both go through one function, ``_validate``: the types first (a Python
number, a bool, a pair of betas), so a string never reaches a comparison and fails with a
raw ``'<' not supported``, then the ranges the rule needs. ``load_state_dict`` checks the
whole structure, every group and every state entry (a step counter must be a non-negative
int: Adam divides by ``1 - beta ** step``) before it changes anything, so a refused load
leaves the optimizer exactly as it was.
* Rules update with in-place tensor methods (``mul_``, ``add_``, ``addcmul_``, ``addcdiv_``,
  ``lerp_``, ``copy_``) so a step allocates little; they never modify ``grad`` in place,
  because it is the user's ``param.grad``. They call the functions below (``add_scaled_``,
  ``lerp_``, ``addcmul_``, ``addcdiv_``, ``sqrt``) for updates of whole weights: the same
  values as the Tensor methods, without a temporary the size of the weight on the cpu. Each
  such temporary was a fresh block of memory, faulted in again on every step (Note [Buffer
  pool] in backend/pool.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from nanotorch.autograd.grad_mode import enable_grad, no_grad
from nanotorch.backend import quiet as _quiet
from nanotorch.tensor import Tensor

ParamGroup = dict[str, Any]
State = dict[str, Any]


# The in-place updates rules make on large tensors, as functions: each gives the values of
# the Tensor method it names, to the bit, but on the cpu it runs slice by slice without a
# temporary the size of the weight (Note [Updates by slices] in backend/numpy_backend.py).
# Anything but the plain case (operands of another dtype, device or shape) goes through the
# Tensor method and its checks.
def _plain(target: Tensor, *others: Tensor) -> bool:
    if target._backend.pool is None or target._view is not None:
        return False  # a view writes through its root (Note [In-place on views])
    dtype, shape = target._data.dtype, target._data.shape
    for o in others:
        if (
            not isinstance(o, Tensor)
            or o._device is not target._device
            or o._data.dtype != dtype
            or o._data.shape != shape
        ):
            return False
    target._check_inplace("an optimizer update")
    return True


def add_scaled_(target: Tensor, other: Tensor, alpha: float) -> Tensor:
    """``target.add_(other, alpha=alpha)``."""
    if not _plain(target, other):
        return target.add_(other, alpha=alpha)
    target._backend.add_scaled_(target._data, other._data, alpha)
    target._version += 1
    return target


def lerp_(target: Tensor, end: Tensor, weight: float) -> Tensor:
    """``target.lerp_(end, weight)``."""
    if not _plain(target, end):
        return target.lerp_(end, weight)
    target._backend.lerp_(target._data, end._data, weight)
    target._version += 1
    return target


def addcmul_(target: Tensor, a: Tensor, b: Tensor, value: float = 1) -> Tensor:
    """``target.addcmul_(a, b, value=value)``."""
    if not _plain(target, a, b):
        return target.addcmul_(a, b, value=value)
    target._backend.addcmul_(target._data, a._data, b._data, value)
    target._version += 1
    return target


def addcdiv_(target: Tensor, a: Tensor, b: Tensor, value: float = 1) -> Tensor:
    """``target.addcdiv_(a, b, value=value)``."""
    if not _plain(target, a, b):
        return target.addcdiv_(a, b, value=value)
    target._backend.addcdiv_(target._data, a._data, b._data, value)
    target._version += 1
    return target


def sqrt(t: Tensor) -> Tensor:
    """``t.sqrt()`` for a tensor that records no graph (optimizer state), into a buffer the
    cpu backend keeps between steps."""
    if t._backend.pool is None or t._requires_grad:
        return t.sqrt()
    return Tensor._make(t._backend.sqrt(t._data), t._device, t._backend)


class Optimizer:
    """Base class of every optimizer: holds parameter groups and per-parameter state.

    ``params`` is an iterable of tensors, or of dicts each holding ``"params"`` and any
    per-group hyperparameters; ``defaults`` fills in the hyperparameters a group leaves out.

    >>> import nanotorch
    >>> from nanotorch.optim import SGD
    >>> w = nanotorch.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.0, 0.0]
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, State] = {}
        self.param_groups: list[ParamGroup] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or of dicts, got a "
                "Tensor; wrap a single parameter in a list: [p]"
            )
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset, str, bytes)) or not isinstance(params, Iterable):
            # A set's order changes from run to run, so state_dict indices would not be stable.
            raise TypeError(
                f"{self._name}: params argument given to the optimizer should be an iterable "
                f"of Tensors or dicts, but got {type(params).__name__}; pass a list, e.g. "
                "model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{self._name}: got an empty parameter list; pass the tensors to optimize, "
                "e.g. model.parameters()"
            )
        # Check the defaults themselves first, so a bad constructor argument is reported even
        # when every group overrides it.
        self._validate(dict(self.defaults), None)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for i, group in enumerate(groups):
            if not isinstance(group, dict):
                raise TypeError(
                    f"{self._name}: parameter group {i} is a {type(group).__name__}; either "
                    "every element of params is a dict or none is"
                )
            self._add_group(group, i)

    # ------------------------------------------------------------------ the rule's hooks
    def init_state(self, param: Tensor, group: ParamGroup) -> State:
        """The state ``param`` starts with (called on its first step, under no_grad).

        Make tensors with ``zeros_like(param)`` / ``full_like(param, v)`` so they share the
        parameter's device and dtype. The default is no state."""
        return {}

    def update(self, param: Tensor, grad: Tensor, state: State, group: ParamGroup) -> None:
        """Apply one step of the rule to ``param`` in place (called under no_grad).

        ``grad`` is already negated when ``group["maximize"]`` is true; do not modify it in
        place (it is the user's ``param.grad``)."""
        raise NotImplementedError(
            f"{self._name} must implement update(param, grad, state, group): the learning "
            "rule that changes param in place"
        )

    def validate_group(self, group: ParamGroup, index: int | None) -> None:
        """Raise ValueError for a hyperparameter out of range. ``index`` is the group's
        position (None while checking the constructor's defaults); pass it to ``_fail``."""

    # ------------------------------------------------------------------ helpers for rules
    @property
    def _name(self) -> str:
        return type(self).__name__

    def _fail(self, what: str, fix: str, index: int | None) -> None:
        where = "" if index is None else f" (parameter group {index})"
        raise ValueError(f"{self._name}: {what}{where}; {fix}")

    def _validate(self, group: ParamGroup, index: int | None) -> None:
        """The one check of a group's hyperparameters, used by the constructor,
        ``add_param_group`` and ``load_state_dict`` (Note [One check for constructor and
        load]): the options every optimizer has, then the rule's own ``validate_group``."""
        if "maximize" in group:
            self._check_bool(group, "maximize", index)
        self.validate_group(group, index)

    def _check_number(self, name: str, value: Any, index: int | None, example: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            where = "" if index is None else f" (parameter group {index})"
            raise TypeError(
                f"{self._name}: {name} must be a Python number, got {type(value).__name__} "
                f"{value!r}{where}; pass e.g. {example}"
            )

    def _check_bool(self, group: ParamGroup, name: str, index: int | None) -> None:
        value = group[name]
        if not isinstance(value, bool):
            where = "" if index is None else f" (parameter group {index})"
            raise TypeError(
                f"{self._name}: {name} must be a bool, got {type(value).__name__} "
                f"{value!r}{where}; pass {name}=True or {name}=False"
            )

    def _check_lr(self, group: ParamGroup, index: int | None) -> None:
        lr = group["lr"]
        self._check_number("lr", lr, index, "lr=1e-3")
        if not 0 <= lr < math.inf:  # also catches nan
            self._fail(
                f"invalid learning rate lr={lr}",
                "lr must be >= 0 and finite, e.g. lr=1e-3",
                index,
            )

    def _check_non_negative(self, group: ParamGroup, name: str, index: int | None) -> None:
        value = group[name]
        self._check_number(name, value, index, f"{name}=0.0")
        if not 0 <= value < math.inf:  # also catches nan
            self._fail(f"invalid {name}={value}", f"{name} must be >= 0 and finite", index)

    def _check_betas(self, group: ParamGroup, index: int | None) -> None:
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            self._fail(
                f"invalid betas={betas!r}", "betas must be a pair, e.g. betas=(0.9, 0.999)", index
            )
        for i, beta in enumerate(betas):
            self._check_number(f"betas[{i}]", beta, index, "betas=(0.9, 0.999)")
            if not 0.0 <= beta < 1.0:
                self._fail(
                    f"invalid beta parameter at index {i}: betas[{i}]={beta}",
                    "each beta must be in [0, 1), e.g. betas=(0.9, 0.999)",
                    index,
                )

    def _check_adam_family(self, group: ParamGroup, index: int | None) -> None:
        """The checks every Adam-family rule (Adam, Adamax, NAdam, RAdam) shares: lr, eps,
        betas and weight_decay, in that order (so the first bad one is the one reported)."""
        self._check_lr(group, index)
        self._check_non_negative(group, "eps", index)
        self._check_betas(group, index)
        self._check_non_negative(group, "weight_decay", index)

    @staticmethod
    def _apply_weight_decay(param: Tensor, grad: Tensor, group: ParamGroup) -> Tensor:
        """Weight decay for rules with a ``decoupled_weight_decay`` flag: decoupled (AdamW's
        p <- p * (1 - lr * lambda), in place) or L2 (g <- g + lambda * p, a new gradient, since
        ``grad`` is the user's). Returns the gradient the rule steps with."""
        wd = group["weight_decay"]
        if wd != 0 and group["decoupled_weight_decay"]:
            param.mul_(1 - group["lr"] * wd)
        elif wd != 0:
            grad = grad.add(param, alpha=wd)
        return grad

    @staticmethod
    def _adam_moments(
        state: State, grad: Tensor, beta1: float, beta2: float
    ) -> tuple[Tensor, Tensor]:
        """Adam's moment updates in place, m <- beta1 m + (1 - beta1) g and
        v <- beta2 v + (1 - beta2) g^2, for the rules built on them (NAdam, RAdam);
        returns (m, v)."""
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        return exp_avg, exp_avg_sq

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group of parameters (e.g. layers unfrozen during fine-tuning); hyperparameters
        it leaves out come from the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{self._name}: add_param_group takes a dict, got "
                f"{type(param_group).__name__}; pass {{'params': [...], 'lr': ...}}"
            )
        self._add_group(param_group, len(self.param_groups))

    def _add_group(self, param_group: ParamGroup, index: int) -> None:
        if "params" not in param_group:
            raise ValueError(
                f"{self._name}: parameter group {index} has no 'params' key; pass "
                "{'params': [tensors], ...}"
            )
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{self._name}: parameter group {index} holds a set, whose order changes from "
                "run to run; pass a list so state_dict indices are stable"
            )
        params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(params):
            label = f"parameter {i} of the new group"
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: {label} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: {label} is a non-leaf tensor (made by an op), which an "
                    "optimizer cannot update; optimize a leaf such as x.detach()."
                    "requires_grad_() instead"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{self._name}: {label} does not require grad, so it would never get a "
                    "gradient; call p.requires_grad_() first or leave it out"
                )
            if id(p) in seen:
                raise ValueError(
                    f"{self._name}: {label} appears more than once in the group; list each "
                    "parameter once"
                )
            seen.add(id(p))
        for g, existing in enumerate(self.param_groups):
            held = {id(q) for q in existing["params"]}
            for i, p in enumerate(params):
                if id(p) in held:
                    raise ValueError(
                        f"{self._name}: parameter {i} of the new group is already in group "
                        f"{g}; a parameter can belong to one group only"
                    )
        group = dict(param_group)
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate(group, index)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: drop it (default, frees memory and lets
        ``step`` skip the parameter) or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    elif p.grad.requires_grad:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        ``closure`` re-evaluates the model and calls backward; it runs with grad enabled. The
        updates run under ``no_grad``: they are not part of any model's computation, so they
        must record no graph (and in-place updates of tensors that require grad are only
        allowed there, Note [In-place updates] in tensor.py)."""
        loss = None
        if closure is not None and not callable(closure):
            raise TypeError(
                f"{self._name}.step: closure must be callable (it re-evaluates the loss), got "
                f"{type(closure).__name__}"
            )
        if closure is not None:
            with enable_grad():
                loss = closure()
        # NumPy's floating-point reports are off, as in every op: a nan gradient gives nan
        # weights silently, as in PyTorch (Note [Quiet floating point] in backend/quiet.py).
        token = _quiet.enter(_quiet.QUIET)
        try:
            self._update_all()
        finally:
            _quiet.leave(token)
        return loss

    def _update_all(self) -> None:
        with no_grad():
            for group in self.param_groups:
                maximize = group.get("maximize", False)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = self.init_state(p, group)
                    grad = -p.grad if maximize else p.grad
                    self.update(p, grad, state, group)

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are named by their position across all groups in order, so the dict can
        be loaded into a new optimizer built over the same parameters. State tensors are the
        live buffers, not copies (save them, or let ``load_state_dict`` copy them)."""
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index_of[id(p)] = len(index_of)
                packed["params"].append(index_of[id(p)])
            groups.append(packed)
        # A parameter whose rule keeps no state (plain SGD) is left out, as PyTorch does.
        state = {index_of[id(p)]: dict(s) for p, s in self.state.items() if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what ``state_dict`` returned: hyperparameters per group, and per-parameter
        state copied onto each parameter's device (an explicit ``.to``) in its dtype.

        The saved groups must match this optimizer's: the same number of groups and of
        parameters in each, and state tensors shaped like the state this rule creates. The
        hyperparameters are checked as the constructor checks them, and everything is checked
        before anything changes (Note [One check for constructor and load])."""
        saved_groups = self._check_layout(state_dict)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name}: the loaded state dict has {len(saved_groups)} parameter "
                f"group(s) but this optimizer has {len(self.param_groups)}; build the "
                "optimizer with the same groups as the one that was saved"
            )
        param_at: dict[int, tuple[Tensor, ParamGroup]] = {}
        new_groups: list[ParamGroup] = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{self._name}: parameter group {g} of the loaded state dict has "
                    f"{len(saved['params'])} parameter(s) but this optimizer's has "
                    f"{len(group['params'])}; build the optimizer over the same parameters"
                )
            merged = dict(group)
            merged.update({k: v for k, v in saved.items() if k != "params"})
            self._validate(merged, g)
            new_groups.append(merged)
            for index, p in zip(saved["params"], group["params"], strict=True):
                param_at[index] = (p, merged)
        new_state: dict[Tensor, State] = {}
        with no_grad():
            for index, saved_state in state_dict["state"].items():
                if index not in param_at:
                    raise ValueError(
                        f"{self._name}: the loaded state dict has state for parameter {index}, "
                        "which no parameter group lists"
                    )
                if not isinstance(saved_state, dict):
                    raise TypeError(
                        f"{self._name}: load_state_dict: the state of parameter {index} must be "
                        f"a dict, got {type(saved_state).__name__}"
                    )
                p, group = param_at[index]
                new_state[p] = self._load_param_state(index, p, group, saved_state)
        # Everything checked: only now change the optimizer.
        self.state = new_state
        for group, merged in zip(self.param_groups, new_groups, strict=True):
            group.update(merged)

    def _check_layout(self, state_dict: Any) -> list[ParamGroup]:
        """The saved groups, after checking the dict has the shape ``state_dict`` gives."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(
                f"{self._name}: load_state_dict expects a dict with keys 'state' and "
                "'param_groups', as returned by state_dict()"
            )
        groups, state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)):
            raise TypeError(
                f"{self._name}: load_state_dict: 'param_groups' must be a list, got "
                f"{type(groups).__name__}"
            )
        if not isinstance(state, dict):
            raise TypeError(
                f"{self._name}: load_state_dict: 'state' must be a dict, got {type(state).__name__}"
            )
        for g, group in enumerate(groups):
            if not isinstance(group, dict):
                raise TypeError(
                    f"{self._name}: load_state_dict: parameter group {g} must be a dict, got "
                    f"{type(group).__name__}"
                )
            if "params" not in group:
                raise ValueError(
                    f"{self._name}: load_state_dict: parameter group {g} has no 'params'; "
                    "load a state dict saved by state_dict()"
                )
            params = group["params"]
            if not isinstance(params, (list, tuple)):
                raise TypeError(
                    f"{self._name}: load_state_dict: parameter group {g}'s 'params' must be a "
                    f"list of parameter indices, got {type(params).__name__} {params!r}"
                )
            for i in params:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise TypeError(
                        f"{self._name}: load_state_dict: parameter group {g}'s 'params' must "
                        f"hold int parameter indices, got {i!r}"
                    )
        return list(groups)

    def _load_param_state(self, index: int, p: Tensor, group: ParamGroup, saved: State) -> State:
        template = self.init_state(p, group)
        missing = sorted(set(template) - set(saved))
        extra = sorted(set(saved) - set(template))
        if missing or extra:
            raise ValueError(
                f"{self._name}: state of parameter {index} has keys {sorted(saved)} but this "
                f"optimizer keeps {sorted(template)} (missing {missing}, unexpected {extra}); "
                "load a state dict saved by the same optimizer with the same options"
            )
        loaded: State = {}
        for key, value in saved.items():
            want = template[key]
            where = f"{self._name}: state {key!r} of parameter {index}"
            if isinstance(want, int) and not isinstance(want, bool):
                loaded[key] = self._load_counter(where, key, value)
            elif isinstance(want, float):
                loaded[key] = self._load_host_float(where, value)
            elif isinstance(value, Tensor):
                shape = want.shape if isinstance(want, Tensor) else p.shape
                if value.shape != shape:
                    raise ValueError(
                        f"{where} has shape {value.shape} but the parameter needs {shape}; the "
                        "state dict belongs to different parameters"
                    )
                moved = value.to(p.device)
                if moved.dtype.is_floating_point:
                    moved = moved.to(p.dtype)
                # Always a buffer of our own: ``.to`` returns its input when nothing changes,
                # so without the clone this optimizer would update the state dict's tensor
                # in place, and two optimizers loaded from one state dict would share it.
                loaded[key] = moved.clone()
            elif value is None and want is None:
                loaded[key] = None
            else:
                raise TypeError(
                    f"{where} must be a Tensor, got {type(value).__name__}; load a state dict "
                    "saved by the same optimizer"
                )
        return loaded

    @staticmethod
    def _load_counter(where: str, key: str, value: Any) -> int:
        """A step counter: a non-negative int, or a 0-d tensor holding one (Note [Optimizer
        state])."""
        if isinstance(value, Tensor) and value.ndim == 0:
            number = value.item()
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            value = number
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{where}: {key} must be a non-negative int, got {type(value).__name__} {value!r}"
            )
        if value < 0:
            raise ValueError(f"{where}: {key} must be a non-negative int, got {value}")
        return value

    @staticmethod
    def _load_host_float(where: str, value: Any) -> float:
        """A scalar a rule keeps as a Python float (ASGD's eta and mu): a number, or a
        one-element tensor holding one, as frameworks that keep such scalars on the device
        save them."""
        if isinstance(value, Tensor):
            if value.numel() != 1:
                raise ValueError(
                    f"{where} must be a number or a one-element tensor, got shape {value.shape}"
                )
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{where} must be a number, got {type(value).__name__} {value!r}")
        return float(value)

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
