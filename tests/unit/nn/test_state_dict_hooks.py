"""State-dict hooks (Note [State-dict hooks] in nn/module.py): loading stays all-or-nothing
unless a load post-hook is registered, the caller's dict is never changed by a pre-hook, and
a handle removes its hook."""

from __future__ import annotations

import pytest

import nanotorch as nt
from nanotorch import nn


def _with_extra_key() -> dict:
    sd = {k: v.clone() + 1 for k, v in nn.Linear(2, 2).state_dict().items()}
    sd["extra"] = nt.zeros(1)
    return sd


def test_strict_load_without_post_hooks_loads_nothing():
    lin = nn.Linear(2, 2)
    before = lin.weight.detach().clone()
    with pytest.raises(RuntimeError, match="(?s)Unexpected key.*extra.*Nothing was loaded"):
        lin.load_state_dict(_with_extra_key())
    assert bool((lin.weight == before).all())


def test_strict_load_with_a_post_hook_loads_the_matching_keys_first():
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_load_state_dict_post_hook(lambda m, keys: seen.append(list(keys.unexpected_keys)))
    sd = _with_extra_key()
    with pytest.raises(RuntimeError, match="(?s)extra.*matching keys were loaded"):
        lin.load_state_dict(sd)
    assert seen == [["extra"]]
    assert bool((lin.weight == sd["weight"]).all())


def test_load_pre_hook_edits_a_copy_and_handles_remove_hooks():
    lin = nn.Linear(2, 2)
    sd = {"w": nt.ones(2, 2), "bias": nt.zeros(2)}

    def rename(module, state_dict, prefix, *rest):
        state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")

    handle = lin.register_load_state_dict_pre_hook(rename)
    lin.load_state_dict(sd)
    assert list(sd) == ["w", "bias"]  # the caller's dict is untouched
    assert lin.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    handle.remove()
    with pytest.raises(RuntimeError, match="(?s)Missing key.*weight"):
        lin.load_state_dict(sd)
    calls = []
    handle = lin.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append(prefix))
    lin.state_dict()
    handle.remove()
    lin.state_dict()
    assert calls == [""]
