"""Corpus folder → chunks → vectors → a new build in the index folder.

Vectors come from the per-document cache (index/vector_cache.py) where the
document, model, backend and chunk settings are unchanged; only the rest is
encoded, so rebuilding after adding one article costs about that article.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .chunking import ChunkSettings, chunk_corpus, embedding_texts
from .articles import articles_fingerprint, load_articles
from .embedding import Embedder
from .errors import QAError
from .lexical import LexicalIndex
from .models import Chunk, Document
from .store import check_writable, read_manifest, write_index
from .vector_cache import VectorCache, document_key

__all__ = ["BuildReport", "build_index", "is_stale", "encode_in_batches"]

logger = logging.getLogger(__name__)

BATCH_SIZE = 32


@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    chunks: int
    sentences: int
    seconds: float
    encoded_documents: int = 0  # documents whose vectors were not in the cache
    encoded_texts: int = 0

    def __str__(self) -> str:
        return (
            f"Indexed {self.documents} articles as {self.chunks} passages "
            f"({self.sentences} sentences) in {self.seconds:.1f} s, "
            f"{self.encoded_documents} of them (re-)embedded → {self.path}"
        )


def chunk_settings_for(embedder: Embedder) -> ChunkSettings:
    default = ChunkSettings()
    # Two tokens of the window go to the model's [CLS] and [SEP].
    return replace(default, max_tokens=min(default.max_tokens, embedder.max_tokens - 2))


def build_index(
    corpus_dir: Path,
    out_dir: Path,
    embedder: Embedder,
    *,
    progress: bool | None = None,
    batch_size: int = BATCH_SIZE,
    documents: list[Document] | None = None,
    chunking: ChunkSettings | None = None,
) -> BuildReport:
    """Build and publish a new index; ``documents`` saves reloading a corpus the caller already checked."""
    started = time.perf_counter()
    check_writable(out_dir)  # a read-only or full --out should fail now, not after every text is embedded
    fingerprint = articles_fingerprint(corpus_dir)
    documents = documents if documents is not None else load_articles(corpus_dir)
    settings = chunking or chunk_settings_for(embedder)
    chunks = chunk_corpus(documents, settings, embedder.count_tokens)
    show = sys.stderr.isatty() if progress is None else progress
    texts = {d.doc_id: d.text for d in documents}
    language = {d.doc_id: d.source.language for d in documents}
    chunk_lexical = LexicalIndex.build([c.text for c in chunks], [language[c.doc_id] for c in chunks])
    sentence_lexical = LexicalIndex.build(
        [texts[c.doc_id][s.start : s.end] for c in chunks for s in c.sentences],
        [language[c.doc_id] for c in chunks for _ in c.sentences],
    )
    recipe = {
        "model": embedder.name, "backend": getattr(embedder, "backend", ""), "chunking": asdict(settings),
        "prompts": list(getattr(embedder, "prompts", ("", ""))),
    }
    cache = VectorCache(Path(out_dir) / "embeddings")
    vectors, encoded_docs, encoded_texts = _cached_vectors(documents, chunks, embedder, cache, recipe, settings, batch_size, show)
    manifest = {
        "model": embedder.name,
        "backend": recipe["backend"],
        "prompts": recipe["prompts"],
        "dimension": embedder.dimension,
        "metric": "inner_product",
        "normalized": True,
        "chunking": asdict(settings),
        "corpus": fingerprint,
    }
    path = write_index(
        out_dir,
        documents=documents,
        chunks=chunks,
        chunk_vectors=vectors[: len(chunks)],
        sentence_vectors=vectors[len(chunks) :],
        chunk_lexical=chunk_lexical,
        sentence_lexical=sentence_lexical,
        manifest=manifest,
    )
    report = BuildReport(
        path, len(documents), len(chunks), len(vectors) - len(chunks), time.perf_counter() - started, encoded_docs, encoded_texts
    )
    logger.debug("%s", report)  # the CLI prints it; logging it too showed it twice
    return report


def _cached_vectors(
    documents: list[Document],
    chunks: list[Chunk],
    embedder: Embedder,
    cache: VectorCache,
    recipe: dict,
    settings: ChunkSettings,
    batch_size: int,
    progress: bool,
) -> tuple[np.ndarray, int, int]:
    """All passage rows then all sentence rows, in index order; encodes only documents the cache lacks."""
    chunk_rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        chunk_rows.setdefault(chunk.doc_id, []).append(row)
    sentence_base = np.concatenate([[0], np.cumsum([len(c.sentences) for c in chunks])]).astype(np.int64)
    n_chunks, n_sentences = len(chunks), int(sentence_base[-1])
    out = np.zeros((n_chunks + n_sentences, embedder.dimension), dtype=np.float32)

    keys: dict[str, str] = {}
    rows_of: dict[str, np.ndarray] = {}  # document → its rows in `out`: passages, then sentences
    missing: list[str] = []
    texts: list[str] = []  # what the cache lacks, in the order of `missing`'s rows
    for doc in documents:
        mine = chunk_rows.get(doc.doc_id, [])
        sentence_rows = [n_chunks + i for r in mine for i in range(sentence_base[r], sentence_base[r + 1])]
        rows_of[doc.doc_id] = np.array(mine + sentence_rows, dtype=np.int64)
        keys[doc.doc_id] = document_key(doc.text, recipe)
        cached = cache.get(keys[doc.doc_id], len(rows_of[doc.doc_id]), embedder.dimension)
        if cached is not None:
            out[rows_of[doc.doc_id]] = cached
            continue
        missing.append(doc.doc_id)
        texts += embedding_texts(doc, [chunks[r] for r in mine], settings)

    if missing:
        wanted = np.concatenate([rows_of[d] for d in missing])
        out[wanted] = encode_in_batches(embedder, texts, batch_size=batch_size, progress=progress)
        for doc_id in missing:
            cache.put(keys[doc_id], out[rows_of[doc_id]])
    dropped = cache.keep_only(set(keys.values()))
    logger.info("embedded %d of %d documents (%d dropped from the cache)", len(missing), len(documents), dropped)
    return out, len(missing), len(texts)


def encode_in_batches(embedder: Embedder, texts: Sequence[str], *, batch_size: int, progress: bool) -> np.ndarray:
    """Encode longest-first so each batch pads to similar lengths; return rows in input order."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), unit="text", desc="Embedding", file=sys.stderr)
    for begin in range(0, len(order), batch_size):
        rows = order[begin : begin + batch_size]
        out[rows] = embedder.encode([texts[i] for i in rows], batch_size=batch_size)
        if bar:
            bar.update(len(rows))
    if bar:
        bar.close()
    return out


def is_stale(corpus_dir: Path, out_dir: Path, model: str) -> str:
    """Why the index needs rebuilding, or an empty string when it is up to date."""
    try:
        manifest = read_manifest(out_dir)
    except QAError:
        return "there is no usable index yet"
    if manifest.get("model") != model:
        return f"it was built with another model ({manifest.get('model')})"
    if manifest.get("corpus") != articles_fingerprint(corpus_dir):
        return "the corpus has changed since it was built"
    return ""
