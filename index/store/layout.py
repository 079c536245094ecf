"""What a build folder holds: file names, the format version, and per-article metadata.

    DIR/
      .lock                            held while a build publishes and prunes (index/store/publish.py)
      current -> builds/<build id>     the build readers load
      builds/<build id>/
        manifest.json                  format, model, dimension, metric, settings, hashes and sizes
        chunks.faiss                   one unit vector per passage (inner product = cosine);
                                       exact, or by size an IVF over compact codes, see index/vectors.py
        chunks.f16.npy                 with the IVF only: every passage vector in float16, memory-mapped to rescore
        sentences.faiss                one unit vector per sentence, passages' sentences in order
        sentences.f16.npy              as chunks.f16.npy
        chunks.jsonl                   passage text, offsets and sentence spans, one JSON line each,
                                       parsed only when a passage is used (index/store/rows.py)
        chunk_offsets.npy              byte offset of each line of chunks.jsonl, and its end
        sentence_counts.npy            sentences per passage, to map sentence rows to passages
        documents.json                 each article's source metadata
        bm25_chunks/, bm25_sentences/  BM25 sparse indexes (bm25s: .npy arrays and JSON)

A published build is immutable: nothing rewrites its files, and readers map them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Source

__all__ = [
    "FORMAT_VERSION", "MANIFEST", "CHUNK_VECTORS", "SENTENCE_VECTORS", "CHUNKS", "SENTENCE_COUNTS", "CHUNK_OFFSETS",
    "DOCUMENTS", "CHUNK_LEXICAL", "SENTENCE_LEXICAL", "DATA_FILES", "BUILDS", "CURRENT", "LOCK", "STAGING_PREFIX",
    "DocumentMeta",
]

FORMAT_VERSION = 4  # 2: BM25 beside the vectors; 3: row maps, size-chosen vector indexes, article row ranges;
# 4: IVF over compact codes rescored from float16 vectors, file sizes in the manifest
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
BUILDS = "builds"
CURRENT = "current"
LOCK = ".lock"
STAGING_PREFIX = ".tmp-"


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
