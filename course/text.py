"""Real English text for the language models of lesson 10: Jane Austen's six completed novels.

Where the text comes from: Debian's package ``r-cran-janeaustenr`` (``apt-get install
r-cran-janeaustenr``; the full texts of Project Gutenberg's editions, packaged for R by Julia Silge,
MIT licence). It installs the novels as an R "lazy-load" database in
``/usr/lib/R/site-library/janeaustenr/data/``: an index ``Rdata.rdx`` (a gzip-compressed serialized R
list: name -> offset and length) and ``Rdata.rdb``, one zlib-compressed serialized R character vector
(the lines of a novel) per entry. This module reads that format itself (only the parts the index and
character vectors use), so neither R nor an R reader is needed at run time, and checks every novel
against the SHA-256 of its text. ``$COURSE_AUSTEN_DIR`` points to another copy of the ``data`` folder.

    corpus = load_austen()                 # all six novels, 4.0 million characters
    corpus = load_austen(["prideprejudice"])
    corpus.text, corpus.vocab, corpus.encode("Emma"), corpus.decode([...])
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course.data import DataError

__all__ = ["AUSTEN_NOVELS", "Corpus", "load_austen", "austen_dir", "read_rdb"]

DEBIAN_AUSTEN = Path("/usr/lib/R/site-library/janeaustenr/data")
HOW_TO_FIX = ("install Debian's package with `apt-get install --no-install-recommends r-cran-janeaustenr` "
              "(as root), or set COURSE_AUSTEN_DIR to a folder holding its Rdata.rdx and Rdata.rdb")
# name -> (title, number of lines, SHA-256 of the lines joined by "\n" as UTF-8), janeaustenr 1.0.0
AUSTEN_NOVELS = {
    "sensesensibility": ("Sense and Sensibility", 12624,
                         "0996d90842bbe8093f3b8142c1e77d1b20cff52d1d0615f3ed67733653e74e26"),
    "prideprejudice": ("Pride and Prejudice", 13030,
                         "2e44edaa4946d64ad541c68e0224f5d672f43bf3ce2a8a0b0637ad5e02fc6eb3"),
    "mansfieldpark": ("Mansfield Park", 15349,
                         "e0e9ef3863ea77f51f6070062ee0dd50ad9b933223880617629e4e4963ea40ff"),
    "emma": ("Emma", 16235,
                         "dd08b340a56ad4a0a00718d5682528a5a5886ae0aef91c9e0fa528074fa64b75"),
    "northangerabbey": ("Northanger Abbey", 7856,
                         "8618a5acf5be50cc6e9b7680c7469fb6012649ab08c709dfc63c6367989fd31d"),
    "persuasion": ("Persuasion", 8328,
                         "726513a6c18bb678427bcbcf7c72d0d20816a67c25b0471b26ddcabf3ebac140"),
}


class _RReader:
    """Enough of R's XDR serialization format for the index and character vectors."""

    def __init__(self, data):
        self.data, self.pos, self.symbols = data, 0, []

    def int(self):
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return value

    def header(self):
        if self.data[:2] != b"X\n":
            raise ValueError("not R's XDR serialization format")
        self.pos = 2
        version = self.int()
        self.pos += 8                                         # writer and minimal reader versions
        if version == 3:
            self.pos += 4 + self.int()                        # the native encoding's name
        return self

    def item(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & 512, flags & 1024
        if kind in (254, 242):                                # NULL, the empty environment
            return None
        if kind == 255:                                       # a reference to a symbol read before
            return self.symbols[(flags >> 8) - 1]
        if kind == 1:                                         # a symbol: its name follows
            name = self.item()
            self.symbols.append(name)
            return name
        if kind == 9:                                         # one string
            length = self.int()
            if length == -1:
                return None
            value = self.data[self.pos:self.pos + length].decode("utf-8")
            self.pos += length
            return value
        if kind == 2:                                         # a pairlist (attributes)
            if has_attr:
                self.item()
            tag = self.item() if has_tag else None
            head, tail = self.item(), self.item()
            return [(tag, head)] + (tail or [])
        length = self.int()
        if kind in (16, 19):                                  # character vector, list
            value = [self.item() for _ in range(length)]
        elif kind in (10, 13):                                # logical, integer
            value = list(struct.unpack_from(f">{length}i", self.data, self.pos))
            self.pos += 4 * length
        elif kind == 14:                                      # double
            value = list(struct.unpack_from(f">{length}d", self.data, self.pos))
            self.pos += 8 * length
        else:
            raise ValueError(f"R type {kind} is not supported by this reader")
        if has_attr:
            attributes = dict(self.item())
            if kind == 19 and "names" in attributes:
                return dict(zip(attributes["names"], value))
        return value


def read_rdb(folder, name):
    """The R object ``name`` of the lazy-load database ``folder/Rdata.rdx`` + ``Rdata.rdb``."""
    folder = Path(folder)
    index = _RReader(gzip.decompress((folder / "Rdata.rdx").read_bytes())).header().item()
    if name not in index["variables"]:
        raise KeyError(f"{name!r} is not in {folder / 'Rdata.rdx'}; it has {sorted(index['variables'])}")
    offset, length = index["variables"][name]
    with open(folder / "Rdata.rdb", "rb") as f:
        f.seek(offset)
        blob = f.read(length)
    return _RReader(zlib.decompress(blob[4:])).header().item()   # 4 bytes: the uncompressed length


def austen_dir():
    """The folder holding janeaustenr's Rdata.rdx and Rdata.rdb, or a DataError saying how to get it."""
    folder = Path(os.environ.get("COURSE_AUSTEN_DIR") or DEBIAN_AUSTEN)
    missing = [name for name in ("Rdata.rdx", "Rdata.rdb") if not (folder / name).is_file()]
    if missing:
        raise DataError(f"Jane Austen's novels: {', '.join(str(folder / m) for m in missing)} not found; {HOW_TO_FIX}")
    return folder


@dataclass
class Corpus:
    """A text and its character vocabulary.

    text : the whole text (novels joined by a blank line);  titles : the novels it holds
    vocab : the sorted distinct characters;  source : where it was read from
    """

    text: str
    titles: list
    source: str
    vocab: list = field(init=False)

    def __post_init__(self):
        self.vocab = sorted(set(self.text))
        self._index = {ch: i for i, ch in enumerate(self.vocab)}

    def encode(self, text):
        """Character ids (len(text),) int64; KeyError for a character outside the vocabulary."""
        return np.array([self._index[ch] for ch in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.vocab[int(i)] for i in ids)

    def __repr__(self):
        return f"Corpus({len(self.text):,} characters, {len(self.vocab)} distinct, {', '.join(self.titles)})"


def load_austen(novels=None, folder=None):
    """Jane Austen's novels as one text, each checked against its published line count and SHA-256.

    Parameters
    ----------
    novels : names from AUSTEN_NOVELS (default: all six, in the order of publication)
    folder : the janeaustenr ``data`` folder (default: COURSE_AUSTEN_DIR, else Debian's)

    Returns
    -------
    corpus : Corpus (lines of a novel joined by newlines, paragraphs by blank lines as in the book)

    Raises
    ------
    DataError : the package is missing, or a novel's text is truncated or changed
    """
    folder = austen_dir() if folder is None else Path(folder)
    names = list(AUSTEN_NOVELS) if novels is None else list(novels)
    texts = []
    for name in names:
        if name not in AUSTEN_NOVELS:
            raise KeyError(f"unknown novel {name!r}; choose from {', '.join(AUSTEN_NOVELS)}")
        title, num_lines, digest = AUSTEN_NOVELS[name]
        try:
            lines = read_rdb(folder, name)
        except (OSError, ValueError, KeyError, zlib.error, struct.error) as error:
            raise DataError(f"{title}: cannot read it from {folder} ({error}); {HOW_TO_FIX}") from error
        text = "\n".join(line or "" for line in lines)
        actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if len(lines) != num_lines or actual != digest:
            raise DataError(f"{title} in {folder / 'Rdata.rdb'}: expected {num_lines} lines with SHA-256 "
                            f"{digest}, got {len(lines)} lines with SHA-256 {actual}; {HOW_TO_FIX}")
        texts.append(text.strip())
    return Corpus("\n\n".join(texts), [AUSTEN_NOVELS[n][0] for n in names], str(folder))
