"""Passage rows: one JSON line per passage in chunks.jsonl, read back lazily by row number."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorrupt
from ..models import Chunk, Span

__all__ = ["ChunkTable", "encode_row", "decode_row"]


class ChunkTable(Sequence[Chunk]):
    """The passages of a build, read from chunks.jsonl row by row when asked for.

    Parsing every row up front took 29 s and about 2 GB at a million passages;
    a question touches a few dozen rows. Row offsets are stored at build time so
    that opening the table does not read the whole file.
    """

    def __init__(self, path: Path, offsets: np.ndarray, rebuild: str = "python -m index build") -> None:
        # Rows are read with pread, not from a memory map: a file truncated under a running
        # reader then gives a short read, reported below, instead of a SIGBUS that kills the process.
        self._path, self._rebuild = Path(path), rebuild
        self._file = open(path, "rb")
        size = os.fstat(self._file.fileno()).st_size
        if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != size:
            self._file.close()
            raise ValueError(f"{self._path.name} does not match its row offsets")
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
        start, end = int(self._starts[row]), int(self._ends[row])
        data = os.pread(self._file.fileno(), end - start, start)
        try:
            if len(data) != end - start:
                raise ValueError(f"the file ends {end - len(data) - start} bytes early")
            return decode_row(json.loads(data))
        except (ValueError, KeyError, TypeError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise IndexCorrupt(
                f"Passage row {row} of {self._path} cannot be read ({exc}): the file was changed after the build "
                f"was published. Published builds must never be edited; rebuild the index with: {self._rebuild}"
            ) from None


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
