"""Writing a complete build from in-memory passages, vectors and BM25 indexes (the local engine)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..lexical import LexicalIndex
from ..lexical_stream import LexicalSpool
from ..models import Chunk, Document
from ..vectors import RECALL_TARGET, SENTENCE_RECALL_TARGET, write_vector_index
from .integrity import fsync_path, write_bytes, write_npy
from .layout import CHUNK_LEXICAL, CHUNK_OFFSETS, CHUNK_VECTORS, CHUNKS, DOCUMENTS, SENTENCE_COUNTS, SENTENCE_LEXICAL, SENTENCE_VECTORS
from .publish import Staging
from .rows import encode_row

__all__ = ["write_index", "write_faiss", "held_out", "held_out_rows", "write_lexical", "document_entry", "write_documents"]


def write_index(
    out_dir: Path,
    *,
    documents: list[Document],
    chunks: list[Chunk],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    chunk_lexical: LexicalIndex,
    sentence_lexical: LexicalIndex,
    manifest: dict[str, Any],
) -> Path:
    """Write a complete build beside the live one, then publish it. Returns the build folder."""
    with Staging(out_dir) as staging:
        folder = staging.path
        # Each set is the other's held-out queries when recall is measured: both are real text vectors.
        vector_index = {
            "chunks": write_faiss(folder / CHUNK_VECTORS, chunk_vectors, queries=sentence_vectors),
            "sentences": write_faiss(folder / SENTENCE_VECTORS, sentence_vectors, queries=chunk_vectors,
                                     recall_target=SENTENCE_RECALL_TARGET),
        }
        write_lexical(folder, chunk_lexical, sentence_lexical)
        rows = [encode_row(c) for c in chunks]
        write_bytes(folder / CHUNKS, b"".join(rows))
        write_npy(folder / CHUNK_OFFSETS, np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64))
        write_npy(folder / SENTENCE_COUNTS, np.array([len(c.sentences) for c in chunks], dtype=np.int32))
        paragraphs = {c.doc_id: c.paragraph_count for c in chunks}
        rows_of = _article_rows(chunks)
        entries = [document_entry(d, rows_of.get(d.doc_id, [0, 0]), paragraphs.get(d.doc_id, 0)) for d in documents]
        write_documents(folder / DOCUMENTS, entries)
        return staging.publish({
            **manifest,
            "index_type": vector_index["chunks"]["type"],
            "vector_index": vector_index,
            "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": int(sentence_vectors.shape[0])},
        })


def write_lexical(folder: Path, chunk_lexical: LexicalIndex | LexicalSpool, sentence_lexical: LexicalIndex | LexicalSpool) -> None:
    """Either an index in memory (the local engine) or one spooled as rows streamed in: both save bm25s's files."""
    for name, lexical in ((CHUNK_LEXICAL, chunk_lexical), (SENTENCE_LEXICAL, sentence_lexical)):
        (folder / name).mkdir()
        lexical.save(folder / name)
        for path in (folder / name).iterdir():
            fsync_path(path)


def document_entry(document: Document, chunk_rows: list[int], paragraph_count: int) -> dict[str, Any]:
    """One article of documents.json: source fields, hash, paragraph count and [first row, row count]."""
    return {
        "doc_id": document.doc_id, **asdict(document.source), "sha256": document.sha256,
        "paragraph_count": paragraph_count, "chunk_rows": chunk_rows,
    }


def write_documents(path: Path, entries: Iterable[dict[str, Any]]) -> None:
    """documents.json, one article at a time: the bytes ``json.dumps(list(entries), indent=1)`` gives, never all in memory.

    Dumping the whole list at once holds every entry and builds the whole text from small strings
    (with an indent, Python's encoder is the pure-Python one): in a 300k-passage streamed build
    (45k articles) that step raised the driver's peak by 100 MB; entry by entry, by 1 MB.
    """
    with open(path, "w", encoding="utf-8") as f:
        opening = "[\n"
        for entry in entries:
            # A newline in the text of an entry is always JSON's own: newlines inside strings are escaped.
            f.write(opening + " " + json.dumps(entry, ensure_ascii=False, indent=1).replace("\n", "\n "))
            opening = ",\n"
        f.write("[]" if opening == "[\n" else "\n]")
    fsync_path(path)


def _article_rows(chunks: list[Chunk]) -> dict[str, list[int]]:
    """Each article's [first row, row count]: its passages must be consecutive and in reading order."""
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        span = rows.setdefault(chunk.doc_id, [row, 0])
        if span[0] + span[1] != row or (span[1] and chunks[row - 1].start > chunk.start):
            raise ValueError(f"the passages of {chunk.doc_id} are not consecutive and in order")
        span[1] += 1
    return rows


def write_faiss(path: Path, vectors: np.ndarray, queries: np.ndarray, recall_target: float = RECALL_TARGET) -> dict[str, Any]:
    return write_vector_index(path, [vectors], held_out(queries), vectors.shape[1], recall_target).as_dict()


def held_out_rows(total: int, n: int = 200) -> np.ndarray:
    """Which rows of the other vector set serve as held-out queries when recall is measured."""
    return np.sort(np.random.default_rng(0).permutation(total)[:n])


def held_out(vectors: np.ndarray, n: int = 200) -> np.ndarray:
    return vectors[held_out_rows(len(vectors), n)]
