"""Finding the current build, refusing an incompatible or damaged one, and loading it memory-mapped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..errors import IndexCorrupt, IndexMismatch, IndexNotFound
from ..lexical import LexicalIndex
from ..models import Chunk, Source
from ..vectors import read_vector_index
from .integrity import verify_build
from .layout import (
    CHUNK_LEXICAL, CHUNK_OFFSETS, CHUNK_VECTORS, CHUNKS, CURRENT, DOCUMENTS, FORMAT_VERSION, MANIFEST, SENTENCE_COUNTS,
    SENTENCE_LEXICAL, SENTENCE_VECTORS, DocumentMeta,
)
from .rows import ChunkTable

__all__ = ["StoredIndex", "resolve_build", "read_manifest", "check_compatible", "load_index"]


@dataclass
class StoredIndex:
    path: Path  # the build folder this was loaded from
    manifest: dict[str, Any]
    chunks: Sequence[Chunk]
    documents: dict[str, DocumentMeta]
    chunk_vectors: faiss.Index
    sentence_vectors: faiss.Index
    chunk_first_sentence: np.ndarray  # chunk row → its first sentence row
    sentence_counts: np.ndarray  # chunk row → how many sentences it has
    chunk_lexical: LexicalIndex
    sentence_lexical: LexicalIndex

    @property
    def model(self) -> str:
        return self.manifest["model"]

    def sentence_owner(self, rows: np.ndarray) -> np.ndarray:
        """The passage row of each sentence row: a binary search, where a sentence → passage table
        would hold 8 bytes per sentence in memory (32 MB at a million passages)."""
        return np.searchsorted(self.chunk_first_sentence, np.asarray(rows, dtype=np.int64), side="right") - 1


def resolve_build(index_dir: Path) -> Path:
    """The build folder that ``index_dir`` designates: itself if it holds a manifest, else ``current``."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST).is_file():
        return index_dir
    current = index_dir / CURRENT
    if (current / MANIFEST).is_file():
        return current.resolve()
    raise IndexNotFound(f"No index found at {index_dir}. Build it with: python -m index build --out {index_dir}")


def read_manifest(index_dir: Path) -> dict[str, Any]:
    return _read_manifest(resolve_build(index_dir), index_dir)


def _read_manifest(build: Path, index_dir: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatch(
            f"The index manifest {build / MANIFEST} cannot be read ({exc}). "
            f"Rebuild it with: python -m index build --out {index_dir}"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"The index at {index_dir} has format {manifest.get('format_version') if isinstance(manifest, dict) else '?'}, "
            f"this program reads format {FORMAT_VERSION}. Rebuild it with: python -m index build --out {index_dir}"
        )
    return manifest


def _rebuild_hint(index_dir: Path, model: str | None) -> str:
    return f"python -m index build --out {index_dir}" + (f" --model {model}" if model else "")


def check_compatible(manifest: dict[str, Any], index_dir: Path, *, model: str | None = None, dimension: int | None = None) -> None:
    """Refuse an index whose vectors were made by another model or have another dimension."""
    rebuild = _rebuild_hint(index_dir, model)
    if model is not None and manifest.get("model") != model:
        raise IndexMismatch(
            f"The index at {index_dir} was built with the model {manifest.get('model')!r}, "
            f"but this run uses {model!r}. Rebuild it with: {rebuild} "
            f"(or set EMBEDDING_MODEL={manifest.get('model')})."
        )
    if dimension is not None and manifest.get("dimension") != dimension:
        raise IndexMismatch(
            f"The index at {index_dir} holds {manifest.get('dimension')}-dimensional vectors, "
            f"but the model makes {dimension}-dimensional ones. Rebuild it with: {rebuild}"
        )


def load_index(index_dir: Path, *, model: str | None = None, dimension: int | None = None) -> StoredIndex:
    """Load the current build, refusing one built for another model or dimension, or damaged in any file."""
    index_dir = Path(index_dir)
    build = resolve_build(index_dir)  # resolved once: a rebuild may swap `current` meanwhile
    manifest = _read_manifest(build, index_dir)
    check_compatible(manifest, index_dir, model=model, dimension=dimension)
    rebuild = _rebuild_hint(index_dir, model)
    verify_build(build, manifest, index_dir, rebuild)
    try:
        chunks = ChunkTable(build / CHUNKS, np.load(build / CHUNK_OFFSETS, allow_pickle=False), rebuild)
        counts = np.load(build / SENTENCE_COUNTS, allow_pickle=False).astype(np.int64)
        documents = {
            row["doc_id"]: DocumentMeta(
                doc_id=row["doc_id"],
                source=Source(**{k: row.get(k, "") for k in ("title", "publisher", "author", "url", "published", "language")}),
                paragraph_count=row["paragraph_count"],
                first_chunk=row["chunk_rows"][0],
                chunk_count=row["chunk_rows"][1],
            )
            for row in json.loads((build / DOCUMENTS).read_text(encoding="utf-8"))
        }
        kinds = manifest.get("vector_index", {})
        chunk_vectors = read_vector_index(build / CHUNK_VECTORS, kinds.get("chunks"))
        sentence_vectors = read_vector_index(build / SENTENCE_VECTORS, kinds.get("sentences"))
        # bm25s maps its arrays too: a question reads only its words' posting lists.
        chunk_lexical = LexicalIndex.load(build / CHUNK_LEXICAL, mmap=True)
        sentence_lexical = LexicalIndex.load(build / SENTENCE_LEXICAL, mmap=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(
            f"The index at {build} is damaged ({type(exc).__name__}: {exc}). Rebuild it with: {rebuild}"
        ) from exc
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else np.zeros(0, np.int64)
    _check_counts(build, rebuild, {
        SENTENCE_COUNTS: (len(counts), "sentence counts", len(chunks), f"passages in {CHUNKS}"),
        CHUNK_VECTORS: (chunk_vectors.ntotal, "passage vectors", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_VECTORS: (sentence_vectors.ntotal, "sentence vectors", int(counts.sum()), f"sentences in {SENTENCE_COUNTS}"),
        CHUNK_LEXICAL: (chunk_lexical.rows, "BM25 passage rows", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_LEXICAL: (sentence_lexical.rows, "BM25 sentence rows", int(counts.sum()), f"sentences in {SENTENCE_COUNTS}"),
        CHUNKS: (len(chunks), f"passages in {CHUNKS}", (manifest.get("counts") or {}).get("chunks"), f"passages in {MANIFEST}"),
    })
    return StoredIndex(
        path=build,
        manifest=manifest,
        chunks=chunks,
        documents=documents,
        chunk_vectors=chunk_vectors,
        sentence_vectors=sentence_vectors,
        chunk_first_sentence=first,
        sentence_counts=counts,
        chunk_lexical=chunk_lexical,
        sentence_lexical=sentence_lexical,
    )


def _check_counts(build: Path, rebuild: str, checks: dict[str, tuple[Any, str, Any, str]]) -> None:
    """Vectors, BM25 rows and metadata rows must pair up one to one, and agree with the manifest."""
    for name, (got, what, expected, against) in checks.items():
        if got != expected:
            raise IndexCorrupt(
                f"The index file {build / name} is inconsistent: {got} {what} for {expected} {against}. "
                f"Rebuild it with: {rebuild}"
            )
