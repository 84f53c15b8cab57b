"""Bad files: every way a checkpoint can be broken ends in a CheckpointError naming the path.

Hand-made files exercise each check of the reader; a Hypothesis fuzz test feeds random bytes
and mutated valid files and accepts only success or CheckpointError.
"""

from __future__ import annotations

import json
import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nanotorch
from nanotorch.checkpoint import FORMAT_KEY, MAX_HEADER_BYTES, STRUCTURE_KEY

LOADERS = [nanotorch.load, nanotorch.load_safetensors]
LOADER_IDS = ["load", "load_safetensors"]


def _file(header: dict | bytes | str, data: bytes = b"", length: int | None = None) -> bytes:
    """A file in the safetensors layout with any header (bytes are used as they are)."""
    if isinstance(header, dict):
        header = json.dumps(header)
    if isinstance(header, str):
        header = header.encode()
    n = len(header) if length is None else length
    return struct.pack("<Q", n) + header + data


def _f32(offsets=(0, 8), shape=(2,), dtype="F32") -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def _checkpoint(structure, tensors: dict | None = None, data: bytes = b"", version="1") -> bytes:
    """A nanotorch checkpoint with a hand-written structure."""
    header = {"__metadata__": {FORMAT_KEY: version, STRUCTURE_KEY: json.dumps(structure)}}
    header.update(tensors or {})
    return _file(header, data)


def _ref(name="a", device="cpu", requires_grad=False) -> dict:
    return {"tensor": name, "device": device, "requires_grad": requires_grad}


# ---------------------------------------------------------------- files that are not there


@pytest.mark.parametrize("loader", LOADERS, ids=LOADER_IDS)
def test_load_missing_file_names_it(loader, tmp_path):
    with pytest.raises(nanotorch.CheckpointError, match=r"nothere\.st.*no such file"):
        loader(tmp_path / "nothere.st")


@pytest.mark.parametrize("loader", LOADERS, ids=LOADER_IDS)
def test_load_directory_says_it_is_a_directory(loader, tmp_path):
    (tmp_path / "ckpt").mkdir()
    with pytest.raises(nanotorch.CheckpointError, match=r"ckpt.*is a directory"):
        loader(tmp_path / "ckpt")


# ---------------------------------------------------------------- the byte layout

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40)
TEXT = b"epoch,loss\n1,0.5\n2,0.25\n"
# What torch.save-style pickles start with (protocol 4: an empty dict), written out by hand.
PICKLE = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00}\x94."

LAYOUT_CASES = {
    "empty": (b"", r"empty"),
    "shorter-than-length": (b"\x01\x02\x03", r"3 bytes.*too short"),
    "png": (PNG, r"header length \d+.*larger than.*not a (safetensors|checkpoint)"),
    "zip": (ZIP, r"is a zip archive \(what torch\.save writes\).*never unpickles.*any code"),
    "pickle": (PICKLE, r"is a Python pickle.*never unpickles.*any code"),
    "pickle-protocol-2": (b"\x80\x02}q\x00." + bytes(8), r"is a Python pickle"),
    "npy": (b"\x93NUMPY\x01\x00" + bytes(40), r"is a NumPy \.npy file.*from_numpy"),
    "text": (TEXT, r"header length \d+.*larger than.*not a (safetensors|checkpoint)"),
    "length-absurd": (struct.pack("<Q", 2**64 - 1) + b"{}", r"header length.*larger than"),
    "length-past-end": (_file("{}", length=50), r"header length 50.*larger than"),
    "length-zero": (_file(b""), r"header.*empty"),
    "not-json": (_file("{not json}"), r"header is not valid JSON"),
    "not-utf8": (_file(b'{"\xff\xfe": 1}'), r"header is not UTF-8"),
    "not-object": (_file("[1, 2]"), r"header must be a JSON object"),
    "nan-literal": (_file('{"a": NaN}'), r"header is not valid JSON"),
    "deep-json": (_file('{"a":' + "[" * 3000 + "]" * 3000 + "}"), r"header.*nested too deep"),
    "duplicate-key": (
        _file(f'{{"a": {json.dumps(_f32())}, "a": {json.dumps(_f32())}}}', bytes(8)),
        r"duplicate key 'a'",
    ),
    "metadata-not-object": (_file({"__metadata__": [1]}), r"__metadata__.*strings to strings"),
    "metadata-value-not-str": (
        _file({"__metadata__": {"k": 1}}),
        r"__metadata__.*strings to strings",
    ),
    "entry-not-object": (_file({"a": 3}), r"tensor 'a'.*dtype, shape and data_offsets"),
    "entry-missing-field": (
        _file({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)),
        r"tensor 'a'.*data_offsets",
    ),
    "dtype-unknown": (_file({"a": _f32(dtype="XYZ")}, bytes(8)), r"tensor 'a'.*dtype 'XYZ'"),
    "dtype-unsupported": (
        _file({"a": _f32(dtype="BF16", offsets=(0, 4))}, bytes(4)),
        r"tensor 'a'.*dtype 'BF16'.*F32",
    ),
    "dtype-not-str": (_file({"a": _f32(dtype=5)}, bytes(8)), r"tensor 'a'.*dtype 5"),
    "shape-negative": (_file({"a": _f32(shape=(-2,))}, bytes(8)), r"tensor 'a'.*shape"),
    "shape-bool": (_file({"a": _f32(shape=(True,), offsets=(0, 4))}, bytes(4)), r"'a'.*shape"),
    "shape-float": (_file({"a": _f32(shape=(2.0,))}, bytes(8)), r"tensor 'a'.*shape"),
    "shape-not-list": (
        _file({"a": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}}, bytes(8)),
        r"tensor 'a'.*shape",
    ),
    "shape-too-many-dims": (
        _file({"a": _f32(shape=(1,) * 100, offsets=(0, 4))}, bytes(4)),
        r"tensor 'a'.*100 dimensions",
    ),
    "shape-too-large-when-empty": (
        _file({"a": _f32(shape=(0, 2**40, 2**40), offsets=(0, 0))}),
        r"tensor 'a'.*too large",
    ),
    "offsets-not-pair": (_file({"a": _f32(offsets=(0,))}, bytes(8)), r"'a'.*data_offsets"),
    "offsets-not-int": (_file({"a": _f32(offsets=(0, "8"))}, bytes(8)), r"'a'.*data_offsets"),
    "offsets-negative": (_file({"a": _f32(offsets=(-8, 0))}, bytes(8)), r"'a'.*data_offsets"),
    "offsets-reversed": (_file({"a": _f32(offsets=(8, 0))}, bytes(8)), r"'a'.*data_offsets.*"),
    "shape-offsets-mismatch": (
        _file({"a": _f32(shape=(3,), offsets=(0, 8))}, bytes(8)),
        r"tensor 'a'.*\[3\].*12 bytes.*8",
    ),
    "offsets-out-of-bounds": (
        _file({"a": _f32(offsets=(0, 16), shape=(4,))}, bytes(8)),
        r"tensor 'a'.*beyond the end.*8 bytes.*truncated",
    ),
    "claims-more-than-file": (
        _file({"a": _f32(offsets=(0, 2**33), shape=(2**31,))}, bytes(64)),
        r"tensor 'a'.*beyond the end",
    ),
    "overlapping": (
        _file({"a": _f32(offsets=(0, 8)), "b": _f32(offsets=(4, 12))}, bytes(12)),
        r"tensors 'a' and 'b' overlap",
    ),
    "gap": (
        _file(
            {"a": _f32(offsets=(0, 4), shape=(1,)), "b": _f32(offsets=(8, 12), shape=(1,))},
            bytes(12),
        ),
        r"bytes 4 to 8.*no tensor",
    ),
    "trailing-bytes": (_file({"a": _f32()}, bytes(12)), r"4 bytes after the last tensor"),
    "bool-not-0-or-1": (
        # A whole checkpoint, so that load() gets as far as reading the data too.
        _checkpoint(_ref(), {"a": _f32(dtype="BOOL", shape=(2,), offsets=(0, 2))}, b"\x01\x02"),
        r"tensor 'a'.*BOOL.*0 and 1",
    ),
}


def test_load_of_a_torch_save_file_says_how_to_convert_it(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(nanotorch.CheckpointError) as info:
        nanotorch.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: is a zip archive (what torch.save writes)")
    assert "safetensors.torch.save_file" in message and "load_safetensors" in message


def test_load_header_length_that_starts_like_a_pickle_is_still_a_header(tmp_path):
    """A 640-byte header's length is 80 02 00 ... on disk, as a protocol-2 pickle starts."""
    header = json.dumps({"a": _f32()}).encode().ljust(0x0280)
    path = tmp_path / "ok.safetensors"
    path.write_bytes(_file(header, struct.pack("<2f", 1.5, 2.5)))
    assert path.read_bytes()[:2] == b"\x80\x02"
    assert nanotorch.load_safetensors(path)["a"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("save", "loader"),
    [(nanotorch.save, nanotorch.load), (nanotorch.save_safetensors, nanotorch.load_safetensors)],
    ids=LOADER_IDS,
)
def test_load_tensor_too_big_for_memory_is_a_checkpoint_error(save, loader, tmp_path, monkeypatch):
    """A file can be as large as its header claims (a sparse file costs no disk): running
    out of memory while reading a tensor names the file, the tensor and the bytes."""
    from nanotorch.checkpoint import layout

    path = tmp_path / "big.safetensors"
    save({"w": nanotorch.ones(4)}, path)

    def no_memory(nbytes):
        raise MemoryError

    monkeypatch.setattr(layout, "_buffer", no_memory)
    with pytest.raises(nanotorch.CheckpointError, match=r"big\.safetensors: tensor 'w' needs 16 b"):
        loader(path)


@pytest.mark.parametrize("weights_only", [True, False, None])
def test_load_accepts_weights_only_and_never_runs_code_either_way(weights_only, tmp_path):
    """PyTorch code passes ``weights_only``; a nanotorch checkpoint is JSON and tensors, so
    every value is as safe as ``True`` is in PyTorch, and a pickle is refused with each."""
    nanotorch.save({"w": nanotorch.ones(2)}, tmp_path / "ok.st")
    assert nanotorch.load(tmp_path / "ok.st", weights_only=weights_only)["w"].tolist() == [1, 1]
    (tmp_path / "evil.pt").write_bytes(PICKLE)
    with pytest.raises(nanotorch.CheckpointError, match="never unpickles"):
        nanotorch.load(tmp_path / "evil.pt", weights_only=weights_only)


def test_load_weights_only_must_be_a_bool(tmp_path):
    nanotorch.save({"w": nanotorch.ones(2)}, tmp_path / "ok.st")
    with pytest.raises(TypeError, match=r"load: weights_only must be True, False or None"):
        nanotorch.load(tmp_path / "ok.st", weights_only="yes")


@pytest.mark.parametrize("loader", LOADERS, ids=LOADER_IDS)
@pytest.mark.parametrize(("content", "match"), LAYOUT_CASES.values(), ids=LAYOUT_CASES.keys())
def test_load_broken_layout_raises_checkpoint_error(loader, content, match, tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)
    with pytest.raises(nanotorch.CheckpointError, match=rf"broken\.safetensors: .*{match}"):
        loader(path)


def test_load_accepts_header_order_different_from_offset_order(tmp_path):
    # The reference library writes tensors in its own order; offsets, not keys, place them.
    header = {"b": _f32(offsets=(8, 16)), "a": _f32(offsets=(0, 8))}
    path = tmp_path / "ok.safetensors"
    path.write_bytes(_file(header, struct.pack("<4f", 1, 2, 3, 4)))
    got = nanotorch.load_safetensors(path)
    assert list(got) == ["a", "b"]
    assert got["a"].tolist() == [1.0, 2.0] and got["b"].tolist() == [3.0, 4.0]


@pytest.mark.parametrize("loader", LOADERS, ids=LOADER_IDS)
def test_load_never_allocates_what_a_header_claims(loader, tmp_path):
    big_header = tmp_path / "a.st"
    big_header.write_bytes(_file("{}", length=MAX_HEADER_BYTES - 1))
    big_tensor = tmp_path / "b.st"
    big_tensor.write_bytes(_file({"a": _f32(offsets=(0, 2**36), shape=(2**34,))}, bytes(16)))
    tracemalloc.start()
    try:
        for path in (big_header, big_tensor):
            with pytest.raises(nanotorch.CheckpointError):
                loader(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_load_refuses_a_header_over_the_limit_without_reading_it(tmp_path):
    path = tmp_path / "huge.st"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{")
        f.truncate(MAX_HEADER_BYTES + 100)  # sparse: costs no disk and no time
    with pytest.raises(nanotorch.CheckpointError, match=r"huge\.st.*exceeds the limit"):
        nanotorch.load(path)


@pytest.mark.parametrize("loader", LOADERS, ids=LOADER_IDS)
def test_load_truncated_valid_file_at_every_cut_raises(loader, tmp_path):
    good = tmp_path / "good.st"
    nanotorch.save({"w": nanotorch.ones(3, 2), "b": nanotorch.zeros(2), "step": 4}, good)
    raw = good.read_bytes()
    cut = tmp_path / "cut.st"
    for size in range(len(raw)):
        cut.write_bytes(raw[:size])
        with pytest.raises(nanotorch.CheckpointError, match=r"cut\.st: "):
            loader(cut)


# ---------------------------------------------------------------- the nested structure

F32_A = {"a": _f32()}
STRUCTURE_CASES = {
    "future-version": (_checkpoint(1, version="7"), r"format version '7'.*newer"),
    "no-structure": (
        _file({"__metadata__": {FORMAT_KEY: "1"}}),
        r"no '" + STRUCTURE_KEY.replace(".", r"\.") + "'",
    ),
    "structure-not-json": (
        _file({"__metadata__": {FORMAT_KEY: "1", STRUCTURE_KEY: "{oops"}}),
        r"structure is not valid JSON",
    ),
    "structure-nan-literal": (
        _file({"__metadata__": {FORMAT_KEY: "1", STRUCTURE_KEY: "[NaN]"}}),
        r"structure is not valid JSON",
    ),
    "structure-too-deep": (
        _file({"__metadata__": {FORMAT_KEY: "1", STRUCTURE_KEY: "[" * 5000 + "]" * 5000}}),
        r"structure.*(nested|JSON)",
    ),
    "structure-huge-int": (
        _file({"__metadata__": {FORMAT_KEY: "1", STRUCTURE_KEY: "9" * 5000}}),
        r"structure is not valid JSON",
    ),
    "unknown-tag": (_checkpoint({"weird": 1}), r"structure.*obj.*unknown.*'weird'"),
    "tag-extra-key": (_checkpoint({"tuple": [], "x": 1}), r"structure.*obj.*'tuple', 'x'"),
    "tuple-not-list": (_checkpoint({"tuple": 3}), r"structure.*obj.*tuple.*list"),
    "dict-not-list": (_checkpoint({"dict": 3}), r"structure.*obj.*dict.*pairs"),
    "dict-bad-pair": (_checkpoint({"dict": [[1]]}), r"structure.*obj.*dict.*pairs"),
    "dict-unhashable-key": (_checkpoint({"dict": [[[1], 2]]}), r"structure.*obj.*key"),
    "dict-nested-bad": (
        _checkpoint({"dict": [["k", {"tuple": "no"}]]}),
        r"structure.*obj\['k'\].*tuple",
    ),
    "float-bad": (_checkpoint([{"float": "big"}]), r"structure.*obj\[0\].*float 'big'"),
    "float-not-str": (_checkpoint([{"float": [1]}]), r"structure.*obj\[0\].*float \[1\]"),
    "tensor-missing": (_checkpoint(_ref("nope")), r"tensor 'nope'.*not in the file"),
    "tensor-name-not-str": (
        _checkpoint(_ref(3), F32_A, bytes(8)),
        r"structure.*obj.*tensor.*name",
    ),
    "tensor-device-not-str": (
        _checkpoint(_ref(device=3), F32_A, bytes(8)),
        r"structure.*obj.*device",
    ),
    "tensor-requires-grad-not-bool": (
        _checkpoint(_ref(requires_grad="yes"), F32_A, bytes(8)),
        r"structure.*obj.*requires_grad",
    ),
    "int-tensor-requires-grad": (
        _checkpoint(_ref(requires_grad=True), {"a": _f32(dtype="I32")}, bytes(8)),
        r"tensor 'a'.*requires_grad.*I32",
    ),
}


@pytest.mark.parametrize(("content", "match"), STRUCTURE_CASES.values(), ids=STRUCTURE_CASES.keys())
def test_load_broken_structure_raises_checkpoint_error(content, match, tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)
    with pytest.raises(nanotorch.CheckpointError, match=rf"broken\.safetensors: .*{match}"):
        nanotorch.load(path)


def test_load_hand_written_structure_with_a_tensor_works(tmp_path):
    # The same helper builds a valid file, so the cases above fail for their stated reason.
    path = tmp_path / "ok.safetensors"
    path.write_bytes(_checkpoint({"tuple": [_ref(), 1]}, F32_A, struct.pack("<2f", 1.5, 2.5)))
    got = nanotorch.load(path)
    assert isinstance(got, tuple) and got[1] == 1 and got[0].tolist() == [1.5, 2.5]


# ---------------------------------------------------------------- fuzzing


def _outcome(path) -> None:
    """Load ``path`` both ways; only success or CheckpointError may come out."""
    for loader in LOADERS:
        try:
            loader(path)
        except nanotorch.CheckpointError as exc:
            assert str(path) in str(exc)


def _valid_files() -> list[bytes]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        a, b = Path(d) / "a", Path(d) / "b"
        nanotorch.save(
            {
                "model": {"w": nanotorch.ones(2, 2, requires_grad=True), "n": nanotorch.arange(3)},
                "optim": {
                    "state": {0: {"step": 2, "m": nanotorch.zeros(2).to("strict:1")}},
                    "param_groups": [{"betas": (0.9, 0.99), "eps": 1e-8, "x": None}],
                },
                "flags": nanotorch.tensor([True, False]),
                "e": nanotorch.zeros(0, 3).double(),
                "inf": float("inf"),
            },
            a,
        )
        nanotorch.save_safetensors(
            {"x": nanotorch.tensor(3, dtype=nanotorch.int32), "y": nanotorch.ones(3)}, b
        )
        return [a.read_bytes(), b.read_bytes()]


VALID = _valid_files()
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["F32", "BOOL", "cpu", "strict:1", "cuda:0", "a"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _replace(node, path, value):
    if not path:
        return value
    node[path[0]] = _replace(node[path[0]], path[1:], value)
    return node


@st.composite
def mutated_files(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(VALID)))
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "header", "structure"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(raw)
    if kind == "truncate":
        return bytes(raw[: draw(st.integers(0, len(raw) - 1))])
    if kind == "splice":
        i = draw(st.integers(0, len(raw)))
        j = draw(st.integers(i, min(len(raw), i + 16)))
        return bytes(raw[:i]) + draw(st.binary(max_size=16)) + bytes(raw[j:])
    (n,) = struct.unpack("<Q", raw[:8])
    header, data = json.loads(raw[8 : 8 + n]), bytes(raw[8 + n :])
    if kind == "structure" and STRUCTURE_KEY in header.get("__metadata__", {}):
        meta = header["__metadata__"]
        structure = json.loads(meta[STRUCTURE_KEY])
        path = draw(st.sampled_from(list(_paths(structure))))
        meta[STRUCTURE_KEY] = json.dumps(_replace(structure, path, draw(JSON_VALUES)))
    else:
        path = draw(st.sampled_from(list(_paths(header))[1:]))
        header = _replace(header, path, draw(JSON_VALUES))
    return _file(header, data)


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "fuzzed.safetensors"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=512) | st.binary(max_size=512).map(lambda b: _file(b[1:], b"")))
def test_load_of_random_bytes_only_raises_checkpoint_error(content, fuzz_path):
    fuzz_path.write_bytes(content)
    _outcome(fuzz_path)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutated_files())
def test_load_of_mutated_valid_files_only_raises_checkpoint_error(content, fuzz_path):
    fuzz_path.write_bytes(content)
    _outcome(fuzz_path)


def test_load_file_shrinking_while_being_read_raises(tmp_path):
    path = tmp_path / "shrinks.safetensors"
    # Bigger than the read buffer, so the second read really goes back to the file.
    nanotorch.save({"a": nanotorch.ones(10_000), "b": nanotorch.ones(10_000)}, path)

    def truncate_after_first(t, saved):
        with open(path, "r+b") as f:  # another process cutting the file short
            f.truncate(f.seek(0, 2) - 8)
        return t

    with pytest.raises(nanotorch.CheckpointError, match=r"shrinks\.safetensors: .*'b'.*ended"):
        nanotorch.load(path, map_location=truncate_after_first)
