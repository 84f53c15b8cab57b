"""A Shakespeare corpus shipped with nanotorch, a character tokenizer and block datasets.

``files/shakespeare.txt.gz`` holds about 1.09 million characters of eight plays (speaker
names and verse lines, no stage directions), prepared at development time by
``scripts/prepare_shakespeare.py``; its source, licence and public-domain status are in
``files/README.md``. It ships inside the package, so the language-model scenarios work
offline and nothing is downloaded at run time.

A language model reads the text as integers: ``CharTokenizer`` maps each distinct character
of the corpus to its rank in sorted order. Training draws random windows of ``block_size``
characters (``RandomBlocks``, Note [Random blocks]); validation reads a fixed set of windows
from the held-out tail of the text (``fixed_blocks``).

Host-side: NumPy and the standard library; must not import ``nn`` or ``optim``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import numpy as np

from nanotorch.creation import randint
from nanotorch.data.dataset import Dataset, TensorDataset
from nanotorch.random import Generator, default_generator

SHAKESPEARE_FILE = "shakespeare.txt.gz"


@lru_cache(maxsize=1)
def load_shakespeare() -> str:
    """The whole corpus as one string (read once, then cached).

    >>> load_shakespeare().splitlines()[:2]
    ['BERNARDO:', "Who's there?"]
    """
    path = resources.files("nanotorch.data") / "files" / SHAKESPEARE_FILE
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii", newline="") as f:
        return f.read()


class UnknownCharacterError(ValueError):
    """Text holds a character the tokenizer's vocabulary lacks."""


class CharTokenizer:
    """Characters to integers and back: the vocabulary is the sorted distinct characters.

    ``chars`` (a string) is all a tokenizer is, so saving it with a checkpoint is enough to
    decode that model's samples later.

    >>> tok = CharTokenizer.from_text("hello")
    >>> tok.chars, tok.encode("hole").tolist(), tok.decode([3, 1, 2])
    ('ehlo', [1, 3, 2, 0], 'ohl')
    """

    def __init__(self, chars: str) -> None:
        if not isinstance(chars, str) or not chars:
            raise ValueError(f"CharTokenizer: chars must be a non-empty string, got {chars!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer: chars must not repeat a character")
        self.chars = chars
        self._index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        return cls("".join(sorted(set(text))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """``text`` as an int64 array of token ids; an unknown character is an error."""
        unknown = sorted(set(text) - self._index.keys())
        if unknown:
            raise UnknownCharacterError(
                f"CharTokenizer.encode: {''.join(unknown)!r} not in the vocabulary of "
                f"{self.vocab_size} characters ({self.chars!r}); use only those characters"
            )
        return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


def split_tokens(tokens: np.ndarray, train_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """A contiguous split: the first ``train_fraction`` of the text trains, the rest
    validates. Contiguous, not shuffled: shuffled windows would overlap across the two
    sides, and the model would be validated on text it trained on."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"split_tokens: train_fraction must be in (0, 1), got {train_fraction}")
    cut = int(len(tokens) * train_fraction)
    return tokens[:cut], tokens[cut:]


def _check_block(owner: str, tokens: np.ndarray, block_size: int) -> None:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"{owner}: block_size must be a positive int, got {block_size!r}")
    if len(tokens) < block_size + 1:
        raise ValueError(
            f"{owner}: {len(tokens)} tokens cannot hold a block of {block_size} plus its "
            f"next-token targets; use a block_size below {len(tokens)}"
        )


def _windows(tokens: np.ndarray, starts: np.ndarray, block_size: int) -> tuple[np.ndarray, ...]:
    rows = starts[:, None] + np.arange(block_size + 1)[None, :]
    chunk = tokens[rows]
    return chunk[:, :-1], chunk[:, 1:]


# Note [Random blocks]
# ~~~~~~~~~~~~~~~~~~~~
# A character model trains on windows cut at random places, a fresh draw for every batch
# (nanoGPT's get_batch): there are a million possible windows, and visiting them in a
# shuffled order would make one "epoch" tens of thousands of steps. ``RandomBlocks`` is
# therefore a sampling dataset: its length is the number of windows in one epoch of the fit
# loop (so an epoch is ``len // batch_size`` steps), and each request for rows returns that
# many fresh windows; the row numbers themselves only say how many. The starts come from a
# nanotorch ``Generator``: the one given, else the default cpu generator, whose state a
# checkpoint saves, so a seeded run repeats and a resumed run continues exactly.


class RandomBlocks(Dataset):
    """Random windows of ``block_size`` tokens and their next-token targets (Note [Random
    blocks]): ``get_batch(rows)`` returns ``(inputs, targets)``, both int64
    ``(len(rows), block_size)``, with ``targets[:, t] == tokens[start + t + 1]``.

    >>> ds = RandomBlocks(np.arange(100), block_size=4, length=8)
    >>> x, y = ds.get_batch(np.arange(2))
    >>> x.shape, bool((y == x + 1).all())
    ((2, 4), True)
    """

    def __init__(
        self,
        tokens: np.ndarray,
        block_size: int,
        length: int,
        *,
        generator: Generator | None = None,
    ) -> None:
        _check_block("RandomBlocks", tokens, block_size)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"RandomBlocks: length must be a positive int, got {length!r}")
        self.tokens = np.asarray(tokens, dtype=np.int64)
        self.block_size = block_size
        self.length = length
        self.generator = generator

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.get_batch(np.array([index]))
        return x[0], y[0]

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        # Looked up at each draw, so a restored default generator state is the one used.
        gen = self.generator if self.generator is not None else default_generator("cpu")
        high = len(self.tokens) - self.block_size
        starts = randint(0, high, (len(indices),), generator=gen).numpy()
        return _windows(self.tokens, starts, self.block_size)


def fixed_blocks(tokens: np.ndarray, block_size: int, n: int, seed: int) -> TensorDataset:
    """``n`` windows at starts drawn once from ``Generator(seed)``: the same windows every
    time (a validation set whose loss can be compared across epochs and runs)."""
    _check_block("fixed_blocks", tokens, block_size)
    tokens = np.asarray(tokens, dtype=np.int64)
    gen = Generator().manual_seed(seed)
    starts = randint(0, len(tokens) - block_size, (n,), generator=gen).numpy()
    return TensorDataset(*_windows(tokens, starts, block_size))


__all__ = [
    "CharTokenizer",
    "RandomBlocks",
    "SHAKESPEARE_FILE",
    "UnknownCharacterError",
    "fixed_blocks",
    "load_shakespeare",
    "split_tokens",
]
