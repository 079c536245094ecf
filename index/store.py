"""The index on disk: a folder per build, and a ``current`` link swapped atomically.

    DIR/
      current -> builds/<build id>     the build readers load
      builds/<build id>/
        manifest.json                  format, model, dimension, metric, settings, hashes
        chunks.faiss                   one unit vector per passage (inner product = cosine);
                                       exact or IVF-SQ8 by size, see index/vectors.py
        sentences.faiss                one unit vector per sentence, passages' sentences in order
        chunks.jsonl                   passage text, offsets and sentence spans, one JSON line each,
                                       parsed only when a passage is used (ChunkTable)
        chunk_offsets.npy              byte offset of each line of chunks.jsonl, and its end
        sentence_counts.npy            sentences per passage, to map sentence rows to passages
        documents.json                 each article's source metadata
        bm25_chunks/, bm25_sentences/  BM25 sparse indexes (bm25s: .npy arrays and JSON)

A build is written beside the live one and published by replacing the
``current`` symlink, a single rename: a crash, Ctrl-C or kill at any point
leaves the previous build loadable. Nothing here is pickled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import IndexCorrupt, IndexMismatch, IndexNotFound
from .lexical import LexicalIndex
from .models import Chunk, Document, Source, Span
from .vectors import build_vector_index, read_vector_index

__all__ = ["FORMAT_VERSION", "StoredIndex", "check_compatible", "write_index", "load_index", "read_manifest", "resolve_build", "verify_build"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: BM25 beside the vectors; 3: row maps, size-chosen vector indexes, article row ranges
MANIFEST = "manifest.json"
CHUNK_VECTORS = "chunks.faiss"
SENTENCE_VECTORS = "sentences.faiss"
CHUNKS = "chunks.jsonl"
SENTENCE_COUNTS = "sentence_counts.npy"
CHUNK_OFFSETS = "chunk_offsets.npy"
DOCUMENTS = "documents.json"
CHUNK_LEXICAL = "bm25_chunks"
SENTENCE_LEXICAL = "bm25_sentences"
# Files every build has; the manifest also lists (and checks) each file of the BM25 folders.
DATA_FILES = (CHUNK_VECTORS, SENTENCE_VECTORS, CHUNKS, DOCUMENTS)
_KEEP_BUILDS = 2  # the live one, and the one a reader may still be loading
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    source: Source
    paragraph_count: int
    # The article's passages are rows first_chunk … first_chunk + chunk_count - 1, in reading order.
    first_chunk: int = 0
    chunk_count: int = 0

    @property
    def chunk_rows(self) -> range:
        return range(self.first_chunk, self.first_chunk + self.chunk_count)


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
        return _chunk_from_row(json.loads(self._data[self._starts[row] : self._ends[row]]))


@dataclass
class StoredIndex:
    path: Path  # the build folder this was loaded from
    manifest: dict[str, Any]
    chunks: Sequence[Chunk]
    documents: dict[str, DocumentMeta]
    chunk_vectors: faiss.Index
    sentence_vectors: faiss.Index
    sentence_owner: np.ndarray  # sentence row → chunk row
    chunk_first_sentence: np.ndarray  # chunk row → its first sentence row
    sentence_counts: np.ndarray  # chunk row → how many sentences it has
    chunk_lexical: LexicalIndex
    sentence_lexical: LexicalIndex

    @property
    def model(self) -> str:
        return self.manifest["model"]


def _build_id() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond:06d}Z-{os.getpid()}"


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
    out_dir = Path(out_dir)
    builds = out_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(builds)
    build_id = _build_id()
    staging = builds / f".tmp-{build_id}"
    staging.mkdir()

    # Each set is the other's held-out queries when recall is measured: both are real text vectors.
    vector_index = {
        "chunks": _write_faiss(staging / CHUNK_VECTORS, chunk_vectors, queries=sentence_vectors),
        "sentences": _write_faiss(staging / SENTENCE_VECTORS, sentence_vectors, queries=chunk_vectors),
    }
    for name, lexical in ((CHUNK_LEXICAL, chunk_lexical), (SENTENCE_LEXICAL, sentence_lexical)):
        (staging / name).mkdir()
        lexical.save(staging / name)
        for path in (staging / name).iterdir():
            _fsync(path)
    rows = [(json.dumps(_chunk_row(c), ensure_ascii=False) + "\n").encode("utf-8") for c in chunks]
    _write_bytes(staging / CHUNKS, b"".join(rows))
    _write_npy(staging / CHUNK_OFFSETS, np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64))
    _write_npy(staging / SENTENCE_COUNTS, np.array([len(c.sentences) for c in chunks], dtype=np.int32))
    paragraphs = {c.doc_id: c.paragraph_count for c in chunks}
    rows = _article_rows(chunks)
    docs = [
        {
            "doc_id": d.doc_id, **asdict(d.source), "sha256": d.sha256,
            "paragraph_count": paragraphs.get(d.doc_id, 0), "chunk_rows": rows.get(d.doc_id, [0, 0]),
        }
        for d in documents
    ]
    _write_text(staging / DOCUMENTS, json.dumps(docs, ensure_ascii=False, indent=1))

    manifest = {
        "format_version": FORMAT_VERSION,
        **manifest,
        "index_type": vector_index["chunks"]["type"],
        "vector_index": vector_index,
        "build_id": build_id,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": int(sentence_vectors.shape[0])},
        "files": {
            path.relative_to(staging).as_posix(): sha256_file(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        },
    }
    # The manifest goes last: a folder without one is never a build.
    _write_text(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))

    final = builds / build_id
    os.rename(staging, final)
    _fsync_dir(builds)
    link = out_dir / f".current-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    os.symlink(Path("builds") / build_id, link)
    os.replace(link, out_dir / "current")
    _fsync_dir(out_dir)
    _prune(builds, keep=_KEEP_BUILDS)
    return final


def _article_rows(chunks: list[Chunk]) -> dict[str, list[int]]:
    """Each article's [first row, row count]: its passages must be consecutive and in reading order."""
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        span = rows.setdefault(chunk.doc_id, [row, 0])
        if span[0] + span[1] != row or (span[1] and chunks[row - 1].start > chunk.start):
            raise ValueError(f"the passages of {chunk.doc_id} are not consecutive and in order")
        span[1] += 1
    return rows


def _chunk_row(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "sentences": [[s.start, s.end] for s in chunk.sentences],
        "paragraphs": [chunk.paragraph_first, chunk.paragraph_last, chunk.paragraph_count],
    }


def _write_faiss(path: Path, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    index, info = build_vector_index(vectors, _held_out(queries))
    faiss.write_index(index, str(path))
    _fsync(path)
    return info.as_dict()


def _held_out(vectors: np.ndarray, n: int = 200) -> np.ndarray:
    rows = np.random.default_rng(0).permutation(len(vectors))[:n]
    return vectors[np.sort(rows)]


def _write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems refuse to fsync a directory; the rename is still atomic
        pass


def sha256_file(path: Path) -> str:
    """Hash in fixed blocks, so checking a large (or memory-mapped) index never holds a second copy."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def verify_build(build: Path, manifest: dict[str, Any], index_dir: Path, rebuild: str) -> None:
    """Every data file the manifest lists is present and hashes to what was recorded at build time."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not set(DATA_FILES) <= set(files):
        raise IndexCorrupt(
            f"The index manifest {build / MANIFEST} does not list the checksums of {', '.join(DATA_FILES)}. "
            f"Rebuild it with: {rebuild}"
        )
    for name, expected in sorted(files.items()):
        path = build / name
        if Path(name).is_absolute() or ".." in Path(name).parts:  # a manifest must not point outside its build
            raise IndexCorrupt(f"The index manifest {build / MANIFEST} lists a file outside the build. Rebuild it with: {rebuild}")
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise IndexCorrupt(f"The index file {path} cannot be read ({exc.strerror}). Rebuild it with: {rebuild}") from None
        if actual != expected:
            raise IndexCorrupt(
                f"The index file {path} is damaged: its checksum differs from the one in {MANIFEST}. "
                f"Rebuild it with: {rebuild}"
            )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_abandoned(builds: Path) -> None:
    """Delete staging folders left by builds that were killed."""
    for path in builds.glob(".tmp-*"):
        try:
            pid = int(path.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not pid_alive(pid):
            logger.info("removing the unfinished build %s", path.name)
            shutil.rmtree(path, ignore_errors=True)


def _prune(builds: Path, keep: int) -> None:
    finished = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def resolve_build(index_dir: Path) -> Path:
    """The build folder that ``index_dir`` designates: itself if it holds a manifest, else ``current``."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST).is_file():
        return index_dir
    current = index_dir / "current"
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
        chunks = ChunkTable(build / CHUNKS, np.load(build / CHUNK_OFFSETS, allow_pickle=False))
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
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else np.zeros(0, np.int64)
    _check_counts(build, manifest, rebuild, {
        SENTENCE_COUNTS: (len(counts), "sentence counts", len(chunks), f"passages in {CHUNKS}"),
        CHUNK_VECTORS: (chunk_vectors.ntotal, "passage vectors", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_VECTORS: (sentence_vectors.ntotal, "sentence vectors", len(owner), f"sentences in {SENTENCE_COUNTS}"),
        CHUNK_LEXICAL: (chunk_lexical.rows, "BM25 passage rows", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_LEXICAL: (sentence_lexical.rows, "BM25 sentence rows", len(owner), f"sentences in {SENTENCE_COUNTS}"),
        CHUNKS: (len(chunks), f"passages in {CHUNKS}", (manifest.get("counts") or {}).get("chunks"), f"passages in {MANIFEST}"),
    })
    return StoredIndex(
        path=build,
        manifest=manifest,
        chunks=chunks,
        documents=documents,
        chunk_vectors=chunk_vectors,
        sentence_vectors=sentence_vectors,
        sentence_owner=owner,
        chunk_first_sentence=first,
        sentence_counts=counts,
        chunk_lexical=chunk_lexical,
        sentence_lexical=sentence_lexical,
    )


def _check_counts(build: Path, manifest: dict[str, Any], rebuild: str, checks: dict[str, tuple[Any, str, Any, str]]) -> None:
    """Vectors, BM25 rows and metadata rows must pair up one to one, and agree with the manifest."""
    for name, (got, what, expected, against) in checks.items():
        if got != expected:
            raise IndexCorrupt(
                f"The index file {build / name} is inconsistent: {got} {what} for {expected} {against}. "
                f"Rebuild it with: {rebuild}"
            )


def _chunk_from_row(row: dict[str, Any]) -> Chunk:
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
