"""``nanotorch.load(path, map_location=...)``: where loaded tensors are placed.

None keeps each tensor on the device it was saved from (and says so when that device is
missing here); a device or string sends every tensor there; a dict maps saved device strings;
a callable decides per tensor.
"""

from __future__ import annotations

import json
import struct

import pytest

import nanotorch


def _rewrite_saved_device(path, new_device: str, only: str | None = None) -> None:
    """Pretend the checkpoint came from another machine: its tensors (or just the one named
    ``only``) saved on ``new_device``."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header["__metadata__"]
    structure = json.loads(meta["nanotorch.structure"])

    def visit(node):
        if isinstance(node, list):
            return [visit(x) for x in node]
        if isinstance(node, dict):
            if "tensor" in node and only in (None, node["tensor"]):
                return {**node, "device": new_device}
            return {k: visit(v) for k, v in node.items()}
        return node

    meta["nanotorch.structure"] = json.dumps(visit(structure))
    new_header = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(new_header)) + new_header + raw[8 + n :])


@pytest.fixture
def mixed(tmp_path):
    """A checkpoint with one tensor saved from cpu and one from the stand-in accelerator."""
    path = tmp_path / "mixed.safetensors"
    nanotorch.save({"host": nanotorch.arange(3), "acc": nanotorch.ones(2).to("strict:1")}, path)
    return path


@pytest.mark.parametrize("as_device", [False, True], ids=["string", "Device"])
def test_load_map_location_device_sends_every_tensor_there(device, as_device, mixed):
    target = device if as_device else str(device)
    got = nanotorch.load(mixed, map_location=target)
    assert got["host"].device == device and got["acc"].device == device
    assert got["host"].tolist() == [0, 1, 2] and got["acc"].tolist() == [1.0, 1.0]


def test_load_accelerator_checkpoint_on_cpu_with_map_location_cpu(tmp_path):
    path = tmp_path / "acc.safetensors"
    w = nanotorch.randn(3, 2).to("strict:1")
    nanotorch.save({"w": w}, path)
    got = nanotorch.load(path, map_location="cpu")["w"]
    assert got.device == nanotorch.device("cpu")
    assert got.numpy().tobytes() == w.cpu().numpy().tobytes()


def test_load_map_location_dict_maps_by_saved_device_string(mixed):
    got = nanotorch.load(mixed, map_location={"strict:1": "cpu"})
    assert got["acc"].device == nanotorch.device("cpu")
    assert got["host"].device == nanotorch.device("cpu")  # unmapped: stays where saved
    got = nanotorch.load(mixed, map_location={"cpu": nanotorch.device("strict:0")})
    assert got["host"].device == nanotorch.device("strict:0")
    assert got["acc"].device == nanotorch.device("strict:1")


def test_load_map_location_dict_accepts_keys_without_index(tmp_path):
    path = tmp_path / "c.safetensors"
    nanotorch.save({"w": nanotorch.ones(1)}, path)
    _rewrite_saved_device(path, "cuda:0")
    got = nanotorch.load(path, map_location={"cuda": "cpu"})  # "cuda" means cuda:0
    assert got["w"].device == nanotorch.device("cpu")


def test_load_map_location_callable_gets_host_tensor_and_saved_device(mixed):
    calls = []

    def place(t, saved):
        calls.append((t.device, saved, t.tolist()))
        return t.to("strict:0") if saved == "strict:1" else t

    got = nanotorch.load(mixed, map_location=place)
    assert sorted(calls, key=lambda c: c[1]) == [
        (nanotorch.device("cpu"), "cpu", [0, 1, 2]),
        (nanotorch.device("cpu"), "strict:1", [1.0, 1.0]),
    ]
    assert got["acc"].device == nanotorch.device("strict:0")
    assert got["host"].device == nanotorch.device("cpu")


def test_load_map_location_callable_keeps_requires_grad(tmp_path):
    path = tmp_path / "c.safetensors"
    nanotorch.save({"w": nanotorch.ones(2, requires_grad=True)}, path)
    got = nanotorch.load(path, map_location=lambda t, saved: t.to("strict:1"))["w"]
    assert got.device == nanotorch.device("strict:1")
    assert got.requires_grad and got.is_leaf


def test_load_map_location_callable_must_return_a_tensor(mixed):
    with pytest.raises(TypeError, match=r"mixed\.safetensors.*map_location.*list"):
        nanotorch.load(mixed, map_location=lambda t, saved: t.tolist())


def test_load_missing_saved_device_names_it_and_suggests_map_location(tmp_path):
    path = tmp_path / "gpu.safetensors"
    nanotorch.save({"w": nanotorch.ones(2)}, path)
    _rewrite_saved_device(path, "cuda:99")  # no machine has a hundredth GPU
    with pytest.raises(
        nanotorch.CheckpointError,
        match=r"gpu\.safetensors.*'w'.*cuda:99.*not available.*map_location='cpu'",
    ):
        nanotorch.load(path)
    assert nanotorch.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_load_checks_every_device_before_reading_any_data(tmp_path, monkeypatch):
    from nanotorch.checkpoint import api

    path = tmp_path / "half.safetensors"
    nanotorch.save({"a": nanotorch.ones(1), "b": nanotorch.ones(1)}, path)
    # Only the second tensor's device is missing: nothing may be read before that is known.
    _rewrite_saved_device(path, "cuda:99", only="b")
    read = []
    monkeypatch.setattr(api, "_materialize", lambda *args: read.append(args))
    with pytest.raises(nanotorch.CheckpointError, match=r"'b'.*cuda:99"):
        nanotorch.load(path)
    assert read == []


def test_load_unknown_saved_device_kind_suggests_map_location(tmp_path):
    path = tmp_path / "tpu.safetensors"
    nanotorch.save({"w": nanotorch.ones(2)}, path)
    _rewrite_saved_device(path, "tpu:0")
    with pytest.raises(nanotorch.CheckpointError, match=r"tpu\.safetensors.*tpu:0.*map_location"):
        nanotorch.load(path)
    assert nanotorch.load(path, map_location={"tpu:0": "cpu"})["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "map_location", ["cuda:99", {"cpu": "cuda:99"}, "gpu"], ids=["str", "dict", "bad-kind"]
)
def test_load_map_location_unavailable_target_says_so(map_location, mixed):
    with pytest.raises(nanotorch.CheckpointError, match=r"mixed\.safetensors.*map_location"):
        nanotorch.load(mixed, map_location=map_location)


@pytest.mark.parametrize("map_location", [3, ["cpu"], {"cpu": 3}], ids=["int", "list", "value"])
def test_load_map_location_of_the_wrong_type_is_a_type_error(map_location, mixed):
    with pytest.raises(TypeError, match="map_location"):
        nanotorch.load(mixed, map_location=map_location)


def test_load_safetensors_unavailable_device_says_so(mixed):
    with pytest.raises(nanotorch.CheckpointError, match=r"mixed\.safetensors.*cuda:99"):
        nanotorch.load_safetensors(mixed, device="cuda:99")
