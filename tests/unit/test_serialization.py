"""Saving and loading: round trips of tensors and nested structures, and the file layout.

Bad files live in test_serialization_bad_files.py, atomic writes in
test_serialization_atomic.py, ``map_location`` in test_serialization_map_location.py.
"""

from __future__ import annotations

import json
import math
import struct
from collections import OrderedDict

import numpy as np
import pytest

import nanotorch
from nanotorch.checkpoint import STRUCTURE_KEY

DTYPES = [
    nanotorch.float32,
    nanotorch.float64,
    nanotorch.int32,
    nanotorch.int64,
    nanotorch.bool,
]


def _host_values(dtype: nanotorch.DType) -> np.ndarray:
    """Awkward values of each dtype: signed zeros, infinities, NaN, subnormals, extremes."""
    if dtype.is_floating_point:
        info = np.finfo(dtype.name)
        values = [
            0.0,
            -0.0,
            1.5,
            -2.25,
            np.inf,
            -np.inf,
            np.nan,
            info.tiny / 2,
            info.max,
            info.min,
            info.eps,
            1 / 3,
        ]
        return np.array(values, dtype=dtype.name).reshape(3, 4)
    if dtype is nanotorch.bool:
        return np.array([[True, False, True], [False, False, True]])
    info = np.iinfo(dtype.name)
    return np.array([[0, -1, 1, info.min], [info.max, 7, -123456, 42]], dtype=dtype.name)


def _on(host: np.ndarray, device: nanotorch.Device) -> nanotorch.Tensor:
    return nanotorch.from_numpy(np.ascontiguousarray(host)).to(device)


def _host(t: nanotorch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _assert_same_tensor(got: nanotorch.Tensor, want: nanotorch.Tensor) -> None:
    assert isinstance(got, nanotorch.Tensor)
    assert got.dtype is want.dtype
    assert got.device == want.device
    assert got.shape == want.shape
    # Bit-exact: compares NaN payloads and the sign of zero too.
    assert _host(got).tobytes() == _host(want).tobytes()


def _assert_same_structure(got, want, where="obj"):
    """Equal values of exactly the same Python types, recursively (NaN equals NaN)."""
    assert type(got) is type(want), f"{where}: {type(got).__name__} != {type(want).__name__}"
    if isinstance(want, nanotorch.Tensor):
        _assert_same_tensor(got, want)
    elif isinstance(want, dict):
        assert list(got.keys()) == list(want.keys()), where
        assert [type(k) for k in got] == [type(k) for k in want], where
        for key in want:
            _assert_same_structure(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same_structure(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), where
    elif isinstance(want, float):
        assert struct.pack("<d", got) == struct.pack("<d", want), where  # -0.0 too
    else:
        assert got == want, where


def _read_header(path) -> dict:
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n])


# ---------------------------------------------------------------- tensors on every device


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_save_load_tensor_round_trip_every_dtype_is_bit_exact(device, dtype, tmp_path):
    t = _on(_host_values(dtype), device)
    nanotorch.save(t, tmp_path / "t.safetensors")
    got = nanotorch.load(tmp_path / "t.safetensors")
    _assert_same_tensor(got, t)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1, 1, 1)], ids=str)
def test_save_load_zero_dim_and_empty_tensors(device, shape, tmp_path):
    size = int(np.prod(shape))
    t = _on(np.arange(size, dtype=np.float32).reshape(shape) + 0.5, device)
    nanotorch.save({"t": t}, tmp_path / "c.safetensors")
    _assert_same_tensor(nanotorch.load(tmp_path / "c.safetensors")["t"], t)


def test_save_non_contiguous_tensor_saves_logical_values(device, tmp_path):
    base = _on(np.arange(12, dtype=np.float64).reshape(3, 4), device)
    view = base.t()  # a transposed view: strides differ from a fresh (4, 3) array
    nanotorch.save({"view": view}, tmp_path / "c.safetensors")
    got = nanotorch.load(tmp_path / "c.safetensors")["view"]
    assert got.shape == (4, 3)
    np.testing.assert_array_equal(_host(got), np.arange(12.0).reshape(3, 4).T)


def test_save_load_keeps_requires_grad(device, tmp_path):
    w = _on(np.ones((2, 2), np.float32), device).requires_grad_()
    n = _on(np.arange(3), device)
    nanotorch.save({"w": w, "n": n}, tmp_path / "c.safetensors")
    got = nanotorch.load(tmp_path / "c.safetensors")
    assert got["w"].requires_grad and got["w"].is_leaf
    assert not got["n"].requires_grad


def test_save_and_load_move_data_through_the_counted_path(device, tmp_path):
    t = _on(np.zeros((5, 2), np.float64), device)
    nanotorch.reset_transfer_stats()
    nanotorch.save({"t": t}, tmp_path / "c.safetensors")
    saved = nanotorch.transfer_stats().by_direction
    nanotorch.reset_transfer_stats()
    nanotorch.load(tmp_path / "c.safetensors")
    loaded = nanotorch.transfer_stats().by_direction
    if device.type == "cpu":
        assert saved == {} and loaded == {}
    else:
        assert saved == {f"{device}->cpu": {"count": 1, "bytes": 80}}
        assert loaded == {f"cpu->{device}": {"count": 1, "bytes": 80}}


def test_save_load_tensors_from_several_devices_come_back_on_each(tmp_path):
    cpu = nanotorch.arange(3)
    acc = nanotorch.arange(4).to("strict:1")
    nanotorch.save({"cpu": cpu, "acc": acc}, tmp_path / "c.safetensors")
    got = nanotorch.load(tmp_path / "c.safetensors")
    _assert_same_tensor(got["cpu"], cpu)
    _assert_same_tensor(got["acc"], acc)


def test_save_load_tensor_subclass_comes_back_as_a_plain_tensor(tmp_path):
    class Marked(nanotorch.Tensor):
        pass

    t = nanotorch.ones(2)
    marked = Marked._make(t._data, t.device, t._backend, True)
    nanotorch.save({"p": marked}, tmp_path / "c.safetensors")
    got = nanotorch.load(tmp_path / "c.safetensors")["p"]
    assert type(got) is nanotorch.Tensor and got.requires_grad and got.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- nested structures


def test_save_load_model_state_dict_keeps_names_order_and_mapping_type(device, tmp_path):
    sd = OrderedDict(
        [
            ("fc2.weight", _on(np.eye(2, dtype=np.float32), device)),
            ("fc1.bias", _on(np.zeros(2, np.float32), device)),
            ("fc1.weight", _on(np.ones((2, 3), np.float32), device)),
        ]
    )
    nanotorch.save(sd, tmp_path / "m.safetensors")
    _assert_same_structure(nanotorch.load(tmp_path / "m.safetensors"), sd)
    plain = dict(sd)
    nanotorch.save(plain, tmp_path / "d.safetensors")
    _assert_same_structure(nanotorch.load(tmp_path / "d.safetensors"), plain)


def test_save_load_optimizer_state_dict_keeps_int_keys_and_tuples(device, tmp_path):
    state = {
        "state": {
            0: {
                "step": 3,
                "exp_avg": _on(np.full(3, 0.1, np.float32), device),
                "exp_avg_sq": _on(np.full(3, 0.01, np.float32), device),
            },
            1: {"step": _on(np.array(3.0, np.float32), device), "momentum_buffer": None},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0.0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "params": [0, 1],
                "name": "body",
            },
        ],
    }
    nanotorch.save(state, tmp_path / "o.safetensors")
    got = nanotorch.load(tmp_path / "o.safetensors")
    _assert_same_structure(got, state)
    assert list(got["state"]) == [0, 1]
    assert got["param_groups"][0]["betas"] == (0.9, 0.999)


def test_save_load_plain_python_values_exactly(tmp_path):
    obj = {
        "floats": [
            0.0,
            -0.0,
            1e-308,
            5e-324,
            1.7976931348623157e308,
            0.1,
            math.inf,
            -math.inf,
            math.nan,
        ],
        "ints": [0, -1, 2**63, -(2**100), 2**200 + 1, 10**300],
        "strings": ["", "plain", "ünïcødé ✓", 'quote " and \\ backslash', '{"json": 1}'],
        "flags": [True, False, None],
        "empty": [[], (), {}, OrderedDict()],
        "nested": ((1, (2.5, "three")), [[[None]]]),
        "keys": {"s": 1, 2: "two", -3: 3, 4.5: 4, True: 5, None: 6, (1, "a"): 7},
        "tag-like": {"tensor": "not a tensor", "dict": [["x", 1]], "float": "nan"},
    }
    nanotorch.save(obj, tmp_path / "v.safetensors")
    _assert_same_structure(nanotorch.load(tmp_path / "v.safetensors"), obj)


@pytest.mark.parametrize("top", [5, 2.5, "s", None, True, [1, 2], (1,)], ids=repr)
def test_save_load_top_level_non_dict_objects(top, tmp_path):
    nanotorch.save(top, tmp_path / "v.safetensors")
    _assert_same_structure(nanotorch.load(tmp_path / "v.safetensors"), top)


def test_save_load_generator_state_round_trips_big_ints(tmp_path):
    g = nanotorch.Generator().manual_seed(2**64 - 1)  # PCG64 state holds 128-bit ints
    nanotorch.rand(7, generator=g)
    state = g.get_state()
    nanotorch.save({"rng": state, "cpu_rng": nanotorch.get_rng_state()}, tmp_path / "r.st")
    got = nanotorch.load(tmp_path / "r.st")
    _assert_same_structure(got["rng"], state)
    restored = nanotorch.Generator()
    restored.set_state(got["rng"])
    assert nanotorch.rand(5, generator=restored).tolist() == nanotorch.rand(5, generator=g).tolist()


def test_save_shared_tensor_is_stored_twice_and_loads_as_two_tensors(tmp_path):
    t = nanotorch.arange(4)
    nanotorch.save({"a": t, "b": t}, tmp_path / "s.safetensors")
    got = nanotorch.load(tmp_path / "s.safetensors")
    assert got["a"] is not got["b"]
    assert got["a"].tolist() == got["b"].tolist() == [0, 1, 2, 3]
    assert sorted(k for k in _read_header(tmp_path / "s.safetensors") if k != "__metadata__") == [
        "a",
        "b",
    ]


# ---------------------------------------------------------------- the file layout


def test_save_file_layout_is_safetensors_with_structure_in_metadata(tmp_path):
    nanotorch.save({"w": nanotorch.ones(2, 3), "step": 7}, tmp_path / "c.safetensors")
    raw = (tmp_path / "c.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0  # padded with spaces, as the reference writer does
    header = json.loads(raw[8 : 8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    json.loads(header["__metadata__"][STRUCTURE_KEY])  # standard JSON: no NaN/Infinity
    assert len(raw) == 8 + n + 24
    assert np.frombuffer(raw[8 + n :], "<f4").tolist() == [1.0] * 6


def test_save_tensor_names_follow_the_structure_paths(tmp_path):
    obj = {
        "model": {"fc.weight": nanotorch.ones(1)},
        "optim": {"state": {0: {"exp_avg": nanotorch.ones(1)}}},
        "pair": (nanotorch.ones(1), nanotorch.ones(1)),
        "model.fc.weight": nanotorch.ones(1),  # collides with the first path
        "__metadata__": nanotorch.ones(1),  # reserved by the format
    }
    nanotorch.save(obj, tmp_path / "c.safetensors")
    names = [k for k in _read_header(tmp_path / "c.safetensors") if k != "__metadata__"]
    assert sorted(names) == sorted(
        [
            "model.fc.weight",
            "optim.state.0.exp_avg",
            "pair.0",
            "pair.1",
            "model.fc.weight#2",
            "__metadata__#2",
        ]
    )
    _assert_same_structure(nanotorch.load(tmp_path / "c.safetensors"), obj)


def test_save_top_level_tensor_is_named_tensor(tmp_path):
    nanotorch.save(nanotorch.ones(1), tmp_path / "t.safetensors")
    assert [k for k in _read_header(tmp_path / "t.safetensors") if k != "__metadata__"] == [
        "tensor"
    ]


def test_save_file_is_readable_by_the_safetensors_library(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = {f"w_{d.name}": _on(_host_values(d), nanotorch.device("cpu")) for d in DTYPES}
    sd["scalar"] = nanotorch.tensor(3.5)
    sd["empty"] = nanotorch.zeros(0, 4)
    nanotorch.save({"model": sd, "epoch": 3}, tmp_path / "c.safetensors")
    arrays = st.load_file(str(tmp_path / "c.safetensors"))
    assert set(arrays) == {f"model.{k}" for k in sd}
    for name, t in sd.items():
        got = arrays[f"model.{name}"]
        assert got.dtype == t.numpy().dtype and got.shape == t.shape
        assert got.tobytes() == t.numpy().tobytes()


def test_save_safetensors_round_trip_keeps_order(device, tmp_path):
    tensors = {f"t{i}": _on(_host_values(d), device) for i, d in enumerate(DTYPES)}
    tensors = {"z": tensors.pop("t4"), **tensors}
    nanotorch.save_safetensors(tensors, tmp_path / "p.safetensors")
    got = nanotorch.load_safetensors(tmp_path / "p.safetensors", device=device)
    assert list(got) == list(tensors)
    for name, t in tensors.items():
        _assert_same_tensor(got[name], t)


def test_load_safetensors_defaults_to_cpu(tmp_path):
    nanotorch.save_safetensors({"a": nanotorch.ones(2).to("strict:1")}, tmp_path / "p.st")
    assert nanotorch.load_safetensors(tmp_path / "p.st")["a"].device == nanotorch.device("cpu")


def test_save_safetensors_is_readable_by_the_safetensors_library(device, tmp_path):
    st = pytest.importorskip("safetensors")
    tensors = {d.name: _on(_host_values(d), device) for d in DTYPES}
    nanotorch.save_safetensors(tensors, tmp_path / "p.safetensors", metadata={"who": "me"})
    with st.safe_open(str(tmp_path / "p.safetensors"), framework="numpy") as f:
        assert f.metadata() == {"who": "me"}
        for name, t in tensors.items():
            assert f.get_tensor(name).tobytes() == _host(t).tobytes()


def test_load_safetensors_reads_files_the_safetensors_library_wrote(device, tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {d.name: _host_values(d) for d in DTYPES}
    arrays["scalar"] = np.array(2.5, np.float64)
    arrays["empty"] = np.zeros((0, 3), np.int32)
    st.save_file(arrays, str(tmp_path / "lib.safetensors"), metadata={"format": "np"})
    got = nanotorch.load_safetensors(tmp_path / "lib.safetensors", device=device)
    assert set(got) == set(arrays)
    for name, a in arrays.items():
        assert got[name].device == device
        assert _host(got[name]).dtype == a.dtype and _host(got[name]).shape == a.shape
        assert _host(got[name]).tobytes() == a.tobytes()


def test_load_plain_safetensors_file_points_to_load_safetensors(tmp_path):
    nanotorch.save_safetensors({"a": nanotorch.ones(1)}, tmp_path / "p.safetensors")
    with pytest.raises(nanotorch.CheckpointError, match=r"p\.safetensors.*load_safetensors"):
        nanotorch.load(tmp_path / "p.safetensors")


def test_load_safetensors_reads_a_nanotorch_checkpoint_flat(tmp_path):
    nanotorch.save({"model": {"w": nanotorch.ones(2)}, "step": 1}, tmp_path / "c.st")
    got = nanotorch.load_safetensors(tmp_path / "c.st")
    assert list(got) == ["model.w"] and got["model.w"].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- what save refuses


@pytest.mark.parametrize(
    ("obj", "where", "what"),
    [
        ({"a": [1, object()]}, r"obj\['a'\]\[1\]", "object"),
        ({"a": np.float32(1.0)}, r"obj\['a'\]", "float32"),
        ({"a": {1, 2}}, r"obj\['a'\]", "set"),
        ({"a": b"bytes"}, r"obj\['a'\]", "bytes"),
        ({"a": {"b": lambda: 1}}, r"obj\['a'\]\['b'\]", "function"),
        ({("x", frozenset({1})): 1}, r"obj", "key"),
        ({nanotorch.ones(1): 1}, r"obj", "key"),
    ],
    ids=["object", "numpy-scalar", "set", "bytes", "lambda", "frozenset-in-key", "tensor-key"],
)
def test_save_refuses_unsupported_objects_naming_where(obj, where, what, tmp_path):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match=rf"bad\.safetensors.*{where}.*{what}"):
        nanotorch.save(obj, path)
    assert not path.exists()


def test_save_refuses_container_subclasses_that_would_not_come_back(tmp_path):
    from collections import defaultdict, namedtuple

    pair = namedtuple("Pair", "a b")
    for obj in (defaultdict(int), pair(1, 2)):
        with pytest.raises(TypeError, match="obj.*convert"):
            nanotorch.save(obj, tmp_path / "x.st")


def test_save_refuses_reference_cycles(tmp_path):
    cyclic: list = [1]
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match=r"x\.st.*obj\[1\].*cycle"):
        nanotorch.save(cyclic, tmp_path / "x.st")


def test_save_refuses_nesting_deeper_than_the_limit(tmp_path):
    from nanotorch.checkpoint import MAX_DEPTH

    deep: list = []  # one level
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    nanotorch.save(deep, tmp_path / "ok.st")  # exactly the limit is fine
    assert nanotorch.load(tmp_path / "ok.st") == deep
    with pytest.raises(ValueError, match=rf"x\.st.*nested more than {MAX_DEPTH}"):
        nanotorch.save([deep], tmp_path / "x.st")


@pytest.mark.parametrize(
    ("tensors", "metadata", "match"),
    [
        ({1: nanotorch.ones(1)}, None, "name 1.*str"),
        ({"__metadata__": nanotorch.ones(1)}, None, "__metadata__.*reserved"),
        ({"a": [1.0]}, None, "'a'.*Tensor"),
        ({"a": nanotorch.ones(1)}, {"k": 1}, "metadata.*'k'.*str"),
        ({"a": nanotorch.ones(1)}, {2: "v"}, "metadata.*2.*str"),
    ],
    ids=["int-name", "reserved-name", "not-a-tensor", "int-value", "int-key"],
)
def test_save_safetensors_validates_names_values_and_metadata(tensors, metadata, match, tmp_path):
    with pytest.raises((TypeError, ValueError), match=rf"p\.st.*{match}"):
        nanotorch.save_safetensors(tensors, tmp_path / "p.st", metadata=metadata)
    assert not (tmp_path / "p.st").exists()


def test_save_refuses_a_path_that_is_not_a_path():
    # A binary file object is taken (tests/unit/test_checkpoint_streams.py); anything else
    # that is neither a path nor a stream is refused.
    for bad in (3, None, b"ckpt.safetensors"):
        with pytest.raises(TypeError, match="path must be a str, an os.PathLike or a binary"):
            nanotorch.save({"a": 1}, bad)  # type: ignore[arg-type]


def test_checkpoint_code_never_imports_pickle():
    # Loading must never run code: no pickle-family module and no allow_pickle anywhere.
    import ast
    from pathlib import Path

    import nanotorch.checkpoint

    banned = {"pickle", "cPickle", "dill", "joblib", "cloudpickle", "marshal", "shelve"}
    files = sorted(Path(nanotorch.checkpoint.__file__).parent.glob("*.py"))
    assert len(files) >= 4
    for file in files:
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.keyword):
                names = {node.arg or ""}
            else:
                continue
            assert not names & (banned | {"allow_pickle"}), f"{file.name}: {names}"
