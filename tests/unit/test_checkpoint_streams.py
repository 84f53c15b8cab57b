"""``save``/``load`` with a file object (``io.BytesIO``, an open file), as ``torch.save``
and ``torch.load`` take one: the same bytes as a file on disk, written where the stream is."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nanotorch as nt
from nanotorch.errors import CheckpointError


def test_save_and_load_round_trip_through_bytesio():
    obj = {"w": nt.arange(6.0).reshape(2, 3), "step": 3, "betas": (0.9, 0.99)}
    buf = io.BytesIO()
    nt.save(obj, buf)
    buf.seek(0)
    back = nt.load(buf)
    assert back["w"].tolist() == obj["w"].tolist() and back["step"] == 3
    assert back["betas"] == (0.9, 0.99)


def test_a_stream_holds_the_same_bytes_as_a_file(tmp_path):
    sd = nt.nn.Linear(3, 2).state_dict()
    path = tmp_path / "m.safetensors"
    nt.save(sd, path)
    buf = io.BytesIO()
    nt.save(sd, buf)
    assert buf.getvalue() == path.read_bytes()
    with open(path, "rb") as f:
        back = nt.load(f, map_location="cpu")
    np.testing.assert_array_equal(back["weight"].numpy(), sd["weight"].numpy())


def test_load_reads_from_where_the_stream_is_and_names_it_in_errors():
    buf = io.BytesIO()
    buf.write(b"header!")  # the checkpoint goes where the stream stands
    nt.save({"a": nt.ones(1)}, buf)
    buf.seek(7)
    assert nt.load(buf)["a"].tolist() == [1.0]
    with pytest.raises(CheckpointError, match=r"BytesIO.*empty"):
        nt.load(io.BytesIO())


def test_a_stream_opened_for_text_is_refused():
    with pytest.raises(TypeError, match=r"save: .*binary"):
        nt.save({"a": nt.ones(1)}, io.StringIO())


def test_a_stream_open_the_wrong_way_is_refused_with_the_mode_to_use(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"x")
    with open(path, "rb") as f, pytest.raises(TypeError, match=r"save: .*x.bin is not open "
                                               r"for writing; open it with 'wb'"):  # fmt: skip
        nt.save({"a": nt.ones(1)}, f)
    with (
        open(tmp_path / "y.bin", "wb") as f,
        pytest.raises(TypeError, match=r"load: .*y.bin is not open for reading; open it with 'rb'"),
    ):
        nt.load(f)
