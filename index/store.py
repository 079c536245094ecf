"""The index on disk: a folder per build, and a ``current`` link swapped atomically.

    DIR/
      current -> builds/<build id>     the build readers load
      builds/<build id>/
        manifest.json                  format, model, dimension, metric, settings, hashes
        chunks.faiss                   one unit vector per passage (inner product = cosine)
        sentences.faiss                one unit vector per sentence, passages' sentences in order
        chunks.jsonl                   passage text, offsets and sentence spans
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
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import IndexCorrupt, IndexMismatch, IndexNotFound
from .lexical import LexicalIndex
from .models import Chunk, Document, Source, Span

__all__ = ["FORMAT_VERSION", "StoredIndex", "check_compatible", "write_index", "load_index", "read_manifest", "resolve_build", "verify_build"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: BM25 indexes beside the vectors
MANIFEST = "manifest.json"
CHUNK_VECTORS = "chunks.faiss"
SENTENCE_VECTORS = "sentences.faiss"
CHUNKS = "chunks.jsonl"
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


@dataclass
class StoredIndex:
    path: Path  # the build folder this was loaded from
    manifest: dict[str, Any]
    chunks: list[Chunk]
    documents: dict[str, DocumentMeta]
    chunk_vectors: faiss.Index
    sentence_vectors: faiss.Index
    sentence_owner: np.ndarray  # sentence row → chunk row
    chunk_first_sentence: np.ndarray  # chunk row → its first sentence row
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

    _write_faiss(staging / CHUNK_VECTORS, chunk_vectors)
    _write_faiss(staging / SENTENCE_VECTORS, sentence_vectors)
    for name, lexical in ((CHUNK_LEXICAL, chunk_lexical), (SENTENCE_LEXICAL, sentence_lexical)):
        (staging / name).mkdir()
        lexical.save(staging / name)
        for path in (staging / name).iterdir():
            _fsync(path)
    _write_text(staging / CHUNKS, "".join(json.dumps(_chunk_row(c), ensure_ascii=False) + "\n" for c in chunks))
    paragraphs = {c.doc_id: c.paragraph_count for c in chunks}
    docs = [
        {"doc_id": d.doc_id, **asdict(d.source), "sha256": d.sha256, "paragraph_count": paragraphs.get(d.doc_id, 0)}
        for d in documents
    ]
    _write_text(staging / DOCUMENTS, json.dumps(docs, ensure_ascii=False, indent=1))

    manifest = {
        "format_version": FORMAT_VERSION,
        **manifest,
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


def _write_faiss(path: Path, vectors: np.ndarray) -> None:
    # Exact search: vectors are unit length, so inner product is cosine similarity.
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))
    _fsync(path)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
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


def _pid_alive(pid: int) -> bool:
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
        if not _pid_alive(pid):
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
        chunks = [_chunk_from_row(json.loads(line)) for line in (build / CHUNKS).read_text(encoding="utf-8").splitlines()]
        documents = {
            row["doc_id"]: DocumentMeta(
                doc_id=row["doc_id"],
                source=Source(**{k: row.get(k, "") for k in ("title", "publisher", "author", "url", "published")}),
                paragraph_count=row["paragraph_count"],
            )
            for row in json.loads((build / DOCUMENTS).read_text(encoding="utf-8"))
        }
        chunk_vectors = faiss.read_index(str(build / CHUNK_VECTORS))
        sentence_vectors = faiss.read_index(str(build / SENTENCE_VECTORS))
        chunk_lexical = LexicalIndex.load(build / CHUNK_LEXICAL)
        sentence_lexical = LexicalIndex.load(build / SENTENCE_LEXICAL)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(
            f"The index at {build} is damaged ({type(exc).__name__}: {exc}). Rebuild it with: {rebuild}"
        ) from exc
    counts = [len(c.sentences) for c in chunks]
    owner = np.repeat(np.arange(len(chunks), dtype=np.int64), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if chunks else np.zeros(0, np.int64)
    _check_counts(build, manifest, rebuild, {
        CHUNK_VECTORS: (chunk_vectors.ntotal, "passage vectors", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_VECTORS: (sentence_vectors.ntotal, "sentence vectors", len(owner), f"sentences in {CHUNKS}"),
        CHUNK_LEXICAL: (chunk_lexical.rows, "BM25 passage rows", len(chunks), f"passages in {CHUNKS}"),
        SENTENCE_LEXICAL: (sentence_lexical.rows, "BM25 sentence rows", len(owner), f"sentences in {CHUNKS}"),
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
