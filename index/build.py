"""Corpus folder → chunks → vectors → a new build in the index folder."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .chunking import ChunkSettings, chunk_corpus
from .corpus import corpus_fingerprint, load_corpus
from .embedding import Embedder
from .errors import QAError
from .lexical import LexicalIndex
from .models import Document
from .store import read_manifest, write_index

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

    def __str__(self) -> str:
        return (
            f"Indexed {self.documents} articles as {self.chunks} passages "
            f"({self.sentences} sentences) in {self.seconds:.1f} s → {self.path}"
        )


def chunk_settings_for(embedder: Embedder) -> ChunkSettings:
    default = ChunkSettings()
    # Two tokens of the window go to the model's [CLS] and [SEP].
    return ChunkSettings(max_tokens=min(default.max_tokens, embedder.max_tokens - 2), min_tokens=default.min_tokens)


def build_index(
    corpus_dir: Path,
    out_dir: Path,
    embedder: Embedder,
    *,
    progress: bool | None = None,
    batch_size: int = BATCH_SIZE,
    documents: list[Document] | None = None,
) -> BuildReport:
    """Build and publish a new index; ``documents`` saves reloading a corpus the caller already checked."""
    started = time.perf_counter()
    fingerprint = corpus_fingerprint(corpus_dir)
    documents = documents if documents is not None else load_corpus(corpus_dir)
    settings = chunk_settings_for(embedder)
    chunks = chunk_corpus(documents, settings, embedder.count_tokens)
    texts = {d.doc_id: d.text for d in documents}
    sentences = [texts[c.doc_id][s.start : s.end] for c in chunks for s in c.sentences]
    show = sys.stderr.isatty() if progress is None else progress
    chunk_lexical = LexicalIndex.build([c.text for c in chunks])
    sentence_lexical = LexicalIndex.build(sentences)
    vectors = encode_in_batches(embedder, [c.text for c in chunks] + sentences, batch_size=batch_size, progress=show)
    manifest = {
        "model": embedder.name,
        "dimension": embedder.dimension,
        "metric": "inner_product",
        "normalized": True,
        "index_type": "flat",
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
    report = BuildReport(path, len(documents), len(chunks), len(sentences), time.perf_counter() - started)
    logger.info("%s", report)
    return report


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
    if manifest.get("corpus") != corpus_fingerprint(corpus_dir):
        return "the corpus has changed since it was built"
    return ""
