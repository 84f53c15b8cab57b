"""The nested Python structure of a checkpoint, as standard JSON (no pickle, no code).

``save`` accepts what model and optimizer state dicts, RNG states and training loops hold:
dicts and OrderedDicts (keys: str, int, float, bool, None, or tuples of those), lists,
tuples, str, int (any size), float (inf and nan too), bool, None and Tensors. Each becomes a
JSON value; tensors become references by name to entries in the safetensors header.

Note [Structure encoding]
~~~~~~~~~~~~~~~~~~~~~~~~~
JSON has no tuples, no non-string keys, no inf/nan and no tensors, so anything beyond JSON's
own types is an object with one tag key::

    [a, b]              list, as is            (a, b)        {"tuple": [a, b]}
    {k: v}              {"dict": [[k, v]]}     OrderedDict   {"odict": [[k, v]]}
    inf, -inf, nan      {"float": "inf"}       Tensor        {"tensor": name, "device": "cpu",
                                                              "requires_grad": false}

Every dict is tagged, even one with string keys, so an untagged JSON object never appears and
a user dict that happens to look like a tag (``{"tensor": "x"}``) cannot be misread. Python's
``json`` writes and reads integers exactly at any size (RNG states hold 128-bit ones), and
writes floats in their shortest round-tripping form, so every value comes back bit for bit.
Types that would come back as something else (a namedtuple as a tuple, a defaultdict as a
dict, a NumPy scalar as a float) are refused with a hint instead of silently changed.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from nanotorch.checkpoint.layout import METADATA, fail
from nanotorch.tensor import Tensor

# Containers may nest this deep. It keeps the JSON far inside what ``json`` can parse (each
# level is at most three JSON levels) and Python's recursion limit, so whatever saves loads.
MAX_DEPTH = 100
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, eq=False)
class TensorRef:
    """A tensor named by the structure; ``load`` swaps in the real tensor."""

    name: str
    device: str
    requires_grad: bool
    where: str


def _where(where: str, key: Any) -> str:
    return f"{where}[{key!r}]"


# ---------------------------------------------------------------------------- encoding


class Encoder:
    """Turns a Python object into JSON-ready data and collects its tensors (in order)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.tensors: list[tuple[str, Tensor]] = []
        self._names: set[str] = {METADATA}  # the format reserves this key
        self._active: set[int] = set()  # containers on the current path, to spot cycles

    def encode(
        self, obj: Any, where: str = "obj", parts: tuple[str, ...] = (), depth: int = 0
    ) -> Any:
        if obj is None or type(obj) is bool:
            return obj
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            value = float(obj)
            if math.isnan(value):
                return {"float": "nan"}
            if math.isinf(value):
                return {"float": "inf" if value > 0 else "-inf"}
            return value
        if isinstance(obj, Tensor):
            return self._tensor(obj, parts)
        if type(obj) not in (list, tuple, dict, OrderedDict):
            self._refuse(obj, where)
        if depth >= MAX_DEPTH:
            raise ValueError(
                f"{self.path}: {where} is nested more than {MAX_DEPTH} levels "
                "deep; flatten the structure"
            )
        if id(obj) in self._active:
            raise ValueError(
                f"{self.path}: {where} contains itself (a reference cycle); checkpoints hold trees"
            )
        self._active.add(id(obj))
        try:
            if isinstance(obj, dict):
                pairs = []
                for key, value in obj.items():
                    self._check_key(key, where)
                    pairs.append(
                        [
                            self.encode(key, where, (), depth + 1),
                            self.encode(value, _where(where, key), (*parts, str(key)), depth + 1),
                        ]
                    )
                return {"odict" if type(obj) is OrderedDict else "dict": pairs}
            items = [
                self.encode(v, _where(where, i), (*parts, str(i)), depth + 1)
                for i, v in enumerate(obj)
            ]
            return items if type(obj) is list else {"tuple": items}
        finally:
            self._active.discard(id(obj))

    def _tensor(self, t: Tensor, parts: tuple[str, ...]) -> dict[str, Any]:
        # Names follow the path (``optim.state.0.exp_avg``) so other tools show something
        # readable; a clash gets ``#2``, ``#3``... (the structure, not the name, places it).
        base = ".".join(parts) if parts else "tensor"
        name, n = base, 1
        while name in self._names:
            n += 1
            name = f"{base}#{n}"
        self._names.add(name)
        self.tensors.append((name, t))
        return {"tensor": name, "device": str(t.device), "requires_grad": t.requires_grad}

    def _check_key(self, key: Any, where: str) -> None:
        ok = isinstance(key, _SCALARS) or (
            type(key) is tuple and all(isinstance(k, _SCALARS) for k in key)
        )
        if not ok:
            raise TypeError(
                f"{self.path}: {where} has a key of type {type(key).__name__} ({key!r}); "
                "checkpoint dict keys must be str, int, float, bool, None or tuples of those"
            )

    def _refuse(self, obj: Any, where: str) -> None:
        kind = type(obj).__name__
        if isinstance(obj, (list, tuple, dict)):
            hint = "convert it to a plain list, tuple or dict first (its type would be lost)"
        elif hasattr(obj, "item") and hasattr(obj, "dtype"):
            hint = "convert it with float() or int(), or make it a tensor"
        else:
            hint = (
                "checkpoints hold tensors, numbers, strings, bool, None and lists, tuples "
                "and dicts of them; store the object's state_dict() instead"
            )
        raise TypeError(f"{self.path}: cannot save {where} of type {kind}; {hint}")


# ---------------------------------------------------------------------------- decoding


class Decoder:
    """Turns checkpoint JSON back into Python objects with ``TensorRef`` placeholders.

    Nothing in the file is trusted: every tag, pair and key is checked, and problems are
    ``CheckpointError`` naming the file and the place in the structure.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.refs: list[TensorRef] = []

    def bad(self, where: str, problem: str) -> None:
        fail(self.path, f"the checkpoint structure is invalid at {where}: {problem}")

    def decode(self, node: Any, where: str = "obj", depth: int = 0) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if depth >= MAX_DEPTH:
            self.bad(where, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            return [self.decode(v, _where(where, i), depth + 1) for i, v in enumerate(node)]
        if not isinstance(node, dict):  # pragma: no cover - json yields no other types
            self.bad(where, f"unexpected {type(node).__name__}")
        tags = sorted(node)
        if tags == ["float"]:
            text = node["float"]
            value = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}.get(
                text if isinstance(text, str) else ""
            )
            if value is None:
                self.bad(where, f"float {node['float']!r} is not 'inf', '-inf' or 'nan'")
            return value
        if tags == ["tuple"]:
            if not isinstance(node["tuple"], list):
                self.bad(where, "a tuple must hold a list of items")
            return tuple(
                self.decode(v, _where(where, i), depth + 1) for i, v in enumerate(node["tuple"])
            )
        if tags in (["dict"], ["odict"]):
            return self._dict(node[tags[0]], tags[0], where, depth)
        if tags == ["device", "requires_grad", "tensor"]:
            return self._ref(node, where)
        if len(tags) == 1:
            self.bad(where, f"unknown tag {tags[0]!r}")
        self.bad(where, f"an object with keys {', '.join(map(repr, tags))} is no known tag")

    def _dict(self, pairs: Any, tag: str, where: str, depth: int) -> dict[Any, Any]:
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in pairs
        ):
            self.bad(where, f"a {tag} must hold a list of [key, value] pairs")
        out: dict[Any, Any] = OrderedDict() if tag == "odict" else {}
        for raw_key, raw_value in pairs:
            key = self.decode(raw_key, where, depth + 1)
            ok = isinstance(key, _SCALARS) or (
                type(key) is tuple and all(isinstance(k, _SCALARS) for k in key)
            )
            if not ok:
                self.bad(
                    where,
                    f"a dict key must be a scalar or a tuple of scalars, got {type(key).__name__}",
                )
            out[key] = self.decode(raw_value, _where(where, key), depth + 1)
        return out

    def _ref(self, node: dict[str, Any], where: str) -> TensorRef:
        if not isinstance(node["tensor"], str):
            self.bad(where, f"a tensor name must be a string, got {node['tensor']!r}")
        if not isinstance(node["device"], str):
            self.bad(where, f"a tensor device must be a string, got {node['device']!r}")
        if not isinstance(node["requires_grad"], bool):
            self.bad(where, f"requires_grad must be true or false, got {node['requires_grad']!r}")
        ref = TensorRef(node["tensor"], node["device"], node["requires_grad"], where)
        self.refs.append(ref)
        return ref


def fill(node: Any, tensors: dict[int, Tensor]) -> Any:
    """Replace each ``TensorRef`` (by identity) with its loaded tensor."""
    if isinstance(node, TensorRef):
        return tensors[id(node)]
    if isinstance(node, list):
        return [fill(v, tensors) for v in node]
    if isinstance(node, tuple):
        return tuple(fill(v, tensors) for v in node)
    if isinstance(node, dict):
        out = OrderedDict() if type(node) is OrderedDict else {}
        for k, v in node.items():
            out[k] = fill(v, tensors)
        return out
    return node
