"""Passage rows: one JSON line per passage in chunks.jsonl, read back lazily by row number."""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..models import Chunk, Span

__all__ = ["ChunkTable", "encode_row", "decode_row"]


class ChunkTable(Sequence[Chunk]):
    """The passages of a build, read from chunks.jsonl row by row when asked for.

    Parsing every row up front took 29 s and about 2 GB at a million passages;
    a question touches a few dozen rows. Row offsets are stored at build time so
    that opening the table does not read the whole file.
    """

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != size:
            raise ValueError(f"{path.name} does not match its row offsets")
        self._starts, self._ends = offsets[:-1], offsets[1:] - 1  # each row ends with a newline
        # Ranking reads the same few dozen candidates several times per question.
        self._parse = lru_cache(maxsize=4096)(self._parse_row)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self._parse(int(row))

    def _parse_row(self, row: int) -> Chunk:
        return decode_row(json.loads(self._data[self._starts[row] : self._ends[row]]))


def encode_row(chunk: Chunk) -> bytes:
    """One line of chunks.jsonl, newline included."""
    row = {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "sentences": [[s.start, s.end] for s in chunk.sentences],
        "paragraphs": [chunk.paragraph_first, chunk.paragraph_last, chunk.paragraph_count],
    }
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def decode_row(row: dict[str, Any]) -> Chunk:
    first, last, count = row["paragraphs"]
    return Chunk(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        start=row["start"],
        end=row["end"],
        text=row["text"],
        sentences=tuple(Span(s, e) for s, e in row["sentences"]),
        paragraph_first=first,
        paragraph_last=last,
        paragraph_count=count,
    )
