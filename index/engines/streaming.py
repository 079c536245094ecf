"""A build written article by article as embedded results arrive, never holding all vectors.

Passage rows go straight to chunks.jsonl; vectors are spooled to ``.npy``
shards in a scratch folder beside the staging one, and the FAISS indexes are
built from the shards mapped from disk, one shard in memory at a time. What
is published is the same build folder the local engine writes.
"""

from __future__ import annotations

import json
import shutil
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..language import DEFAULT_LANGUAGE
from ..lexical import tokenize
from ..lexical_stream import RUN_TOKENS, LexicalSpool
from ..models import Chunk, Document
from ..store.integrity import fsync_path, write_npy
from ..store.layout import CHUNK_OFFSETS, CHUNK_VECTORS, CHUNKS, DOCUMENTS, SENTENCE_COUNTS, SENTENCE_VECTORS, STAGING_PREFIX
from ..store.publish import Staging
from ..store.rows import encode_row
from ..store.write import document_entry, held_out_rows, write_documents, write_lexical
from ..vectors import RECALL_TARGET, SENTENCE_RECALL_TARGET, gather_rows, write_vector_index

__all__ = ["StreamingBuild", "SHARD_ROWS"]

SHARD_ROWS = 16_384  # 24 MB of float32 at 384 dimensions: the most a spool holds in memory


class _ShardSpool:
    """Rows appended in order, flushed to numbered .npy files every ``SHARD_ROWS``."""

    def __init__(self, folder: Path, name: str, dimension: int, shard_rows: int) -> None:
        self.folder, self.name, self.dimension, self.shard_rows = folder, name, dimension, shard_rows
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self.files: list[Path] = []
        self.rows = 0

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self._pending.append(vectors)
            self._pending_rows += len(vectors)
            self.rows += len(vectors)
        if self._pending_rows >= self.shard_rows:
            self.flush()

    def flush(self) -> None:
        if self._pending_rows:
            path = self.folder / f"{self.name}-{len(self.files):05d}.npy"
            np.save(path, np.concatenate(self._pending).astype(np.float32, copy=False), allow_pickle=False)
            self.files.append(path)
            self._pending, self._pending_rows = [], 0

    def parts(self) -> _Shards:
        self.flush()
        return _Shards(self.files)


class _Shards(Sequence[np.ndarray]):
    """The shards, each mapped afresh when asked for and unmapped when dropped.

    Holding every map open kept each page read in the driver's RSS: 0.99 GB
    more at 100k passages, instead of one shard's worth.
    """

    def __init__(self, files: list[Path]) -> None:
        self.files = files

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return np.load(self.files[i], mmap_mode="r", allow_pickle=False)


class StreamingBuild:
    def __init__(self, staging: Staging, dimension: int, shard_rows: int = SHARD_ROWS, run_tokens: int = RUN_TOKENS) -> None:
        self.staging, self.dimension = staging, dimension
        self.scratch = staging.builds / f"{STAGING_PREFIX}shards-{staging.build_id}"  # ends in the pid, like staging
        self.scratch.mkdir()
        self._rows = open(staging.path / CHUNKS, "wb")
        self._offsets = array("q", [0])
        self._counts = array("i")
        # Each article's documents.json entry waits on disk, a JSON line each, until publish.
        self._documents = open(self.scratch / "documents.jsonl", "w", encoding="utf-8")
        self._seen: set[str] = set()
        vocabulary: dict[str, int] = {}  # shared: the passages' and sentences' words are mostly the same
        self.chunk_lexical = LexicalSpool(self.scratch, "bm25-chunks", vocabulary, run_tokens=run_tokens)
        self.sentence_lexical = LexicalSpool(self.scratch, "bm25-sentences", vocabulary, run_tokens=run_tokens)
        self.chunk_vectors = _ShardSpool(self.scratch, "chunks", dimension, shard_rows)
        self.sentence_vectors = _ShardSpool(self.scratch, "sentences", dimension, shard_rows)

    @property
    def articles(self) -> int:
        return len(self._seen)

    @property
    def passages(self) -> int:
        return len(self._counts)

    def add(self, document: Document, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """One article: its passage rows in reading order, then vectors for its passages and their sentences."""
        if document.doc_id in self._seen:
            raise ValueError(f"the article {document.doc_id} arrived twice")
        self._seen.add(document.doc_id)
        sentences = sum(len(c.sentences) for c in chunks)
        if vectors.shape != (len(chunks) + sentences, self.dimension):
            raise ValueError(f"{document.doc_id}: {vectors.shape[0]} vectors for {len(chunks)} passages and {sentences} sentences")
        first = self.passages
        for chunk in chunks:
            row = encode_row(chunk)
            self._rows.write(row)
            self._offsets.append(self._offsets[-1] + len(row))
            self._counts.append(len(chunk.sentences))
        paragraphs = chunks[0].paragraph_count if chunks else 0
        entry = document_entry(document, [first, len(chunks)] if chunks else [0, 0], paragraphs)
        self._documents.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.chunk_vectors.add(vectors[: len(chunks)])
        self.sentence_vectors.add(vectors[len(chunks) :])
        # Words become ids and spooled postings at once (index/lexical_stream.py): no row's strings are kept.
        language = document.source.language or DEFAULT_LANGUAGE
        sentences = [document.text[s.start : s.end] for c in chunks for s in c.sentences]
        self.chunk_lexical.add(tokenize([c.text for c in chunks], [language] * len(chunks)))
        self.sentence_lexical.add(tokenize(sentences, [language] * len(sentences)))

    def publish(self, manifest: dict[str, Any]) -> Path:
        folder = self.staging.path
        try:
            self._rows.flush()
            self._rows.close()
            fsync_path(folder / CHUNKS)
            write_npy(folder / CHUNK_OFFSETS, np.frombuffer(self._offsets, dtype=np.int64))
            write_npy(folder / SENTENCE_COUNTS, np.frombuffer(self._counts, dtype=np.int32))
            self._documents.close()
            with open(self._documents.name, encoding="utf-8") as spooled:
                write_documents(folder / DOCUMENTS, (json.loads(line) for line in spooled))
            write_lexical(folder, self.chunk_lexical, self.sentence_lexical)
            self.chunk_lexical.discard()
            self.sentence_lexical.discard()
            chunk_parts, sentence_parts = self.chunk_vectors.parts(), self.sentence_vectors.parts()
            vector_index = {
                "chunks": self._write_vectors(folder / CHUNK_VECTORS, chunk_parts, sentence_parts),
                "sentences": self._write_vectors(folder / SENTENCE_VECTORS, sentence_parts, chunk_parts, SENTENCE_RECALL_TARGET),
            }
        finally:
            self.discard_scratch()
        return self.staging.publish({
            **manifest,
            "index_type": vector_index["chunks"]["type"],
            "vector_index": vector_index,
            "counts": {"documents": self.articles, "chunks": self.passages, "sentences": self.sentence_vectors.rows},
        })

    def _write_vectors(
        self, path: Path, parts: Sequence[np.ndarray], other: Sequence[np.ndarray], recall_target: float = RECALL_TARGET
    ) -> dict[str, Any]:
        # The same held-out queries as the local engine picks: the same vectors give the same index.
        total = sum(len(p) for p in other)
        queries = gather_rows(other, held_out_rows(total)) if total else None
        return write_vector_index(path, parts, queries, self.dimension, recall_target).as_dict()

    def discard_scratch(self) -> None:
        for f in (self._rows, self._documents):
            if not f.closed:
                f.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
