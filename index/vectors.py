"""The FAISS index for one vector set, chosen by its size, and read back memory-mapped.

Vectors are unit length, so inner product is cosine similarity throughout.

- Up to ``FLAT_MAX`` vectors: ``IndexFlatIP``, exact. At 20k × 384 a query scans
  30 MB, about 2 ms here, and there is nothing to tune or to get wrong.
- Above it: ``IndexIVFScalarQuantizer`` with 8-bit codes (IVF-SQ8). A vector
  costs 384 bytes of code plus an 8-byte id, 0.39 GB per million instead of
  1.5 GB as float32; HNSW would add 256 bytes of graph per vector at M=32 and
  still need the floats or a quantiser. ``nprobe`` is the smallest of
  ``NPROBE_STEPS`` whose recall@10 against exact search, measured at build time
  on held-out query vectors, reaches ``RECALL_TARGET``.

Rescoring needs single vectors back (``reconstruct_batch``), so IVF indexes are
written with a direct map; reconstructed vectors are the 8-bit approximations.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

__all__ = [
    "FLAT_MAX",
    "RECALL_TARGET",
    "IndexInfo",
    "build_vector_index",
    "build_vector_index_from_parts",
    "gather_rows",
    "read_vector_index",
    "recall_at_k",
    "set_search_threads",
]

logger = logging.getLogger(__name__)

FLAT_MAX = 20_000
RECALL_TARGET = 0.95
NPROBE_STEPS = (4, 8, 16, 32, 64, 128, 256)
RECALL_QUERIES = 200  # held-out vectors used to measure recall at build time
_TRAIN_PER_LIST = 40  # FAISS warns under 39 training points per list
_SEED = 1234


@dataclass(frozen=True)
class IndexInfo:
    """What was built, recorded in the manifest so the reader can set it up the same way."""

    type: str  # "flat" or "ivf_sq8"
    vectors: int
    recall_at_10: float  # against exact search on held-out vectors; 1.0 for flat
    nlist: int = 0
    nprobe: int = 0
    bytes_per_vector: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def nlist_for(n: int) -> int:
    """About √n lists, as a power of two between 64 and 1024: ~1000 vectors a list at 1M."""
    return int(min(1024, max(64, 2 ** round(math.log2(max(1.0, math.sqrt(n)))))))


def build_vector_index(vectors: np.ndarray, queries: np.ndarray | None = None) -> tuple[faiss.Index, IndexInfo]:
    """An index over ``vectors``; ``queries`` (held out, not indexed) measure recall for the ANN case."""
    return build_vector_index_from_parts([np.ascontiguousarray(vectors, dtype=np.float32)], queries)


def build_vector_index_from_parts(
    parts: Sequence[np.ndarray], queries: np.ndarray | None = None, dimension: int | None = None
) -> tuple[faiss.Index, IndexInfo]:
    """The same index over the rows of ``parts`` in order (e.g. shards mapped from disk), one part in memory at a time."""
    n = sum(len(p) for p in parts)
    dim = parts[0].shape[1] if parts else int(dimension or 0)
    if n <= FLAT_MAX:
        index = faiss.IndexFlatIP(dim)
        for part in parts:
            index.add(np.ascontiguousarray(part, dtype=np.float32))
        return index, IndexInfo(type="flat", vectors=n, recall_at_10=1.0, bytes_per_vector=4 * dim)

    nlist = nlist_for(n)
    rng = np.random.default_rng(_SEED)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    index.train(gather_rows(parts, np.sort(rng.choice(n, size=min(n, nlist * _TRAIN_PER_LIST), replace=False))))
    for part in parts:
        index.add(np.ascontiguousarray(part, dtype=np.float32))
    index.make_direct_map()  # rows can be reconstructed by id for rescoring

    if queries is None or len(queries) == 0:
        # No other vectors to ask with: indexed rows plus noise stand in for held-out ones.
        picked = gather_rows(parts, rng.choice(n, size=min(n, RECALL_QUERIES), replace=False))
        queries = picked + rng.normal(scale=0.02, size=picked.shape).astype(np.float32)
    queries = np.ascontiguousarray(queries[:RECALL_QUERIES], dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = _exact_top(parts, queries, 10)
    recall = 0.0
    for nprobe in NPROBE_STEPS:
        if nprobe > nlist:
            break
        index.nprobe = nprobe
        recall = recall_at_k(index.search(queries, 10)[1], exact)
        if recall >= RECALL_TARGET:
            break
    logger.info("IVF-SQ8 over %d vectors: nlist %d, nprobe %d, recall@10 %.3f", n, nlist, index.nprobe, recall)
    return index, IndexInfo(
        type="ivf_sq8", vectors=n, recall_at_10=round(recall, 4), nlist=nlist, nprobe=index.nprobe,
        bytes_per_vector=index.sa_code_size() + 8,
    )


def gather_rows(parts: Sequence[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """Rows by global number across ``parts``, in the order asked; keeps their order of appearance for equal input."""
    bounds = np.cumsum([0] + [len(p) for p in parts])
    rows = np.asarray(rows, dtype=np.int64)
    which = np.searchsorted(bounds, rows, side="right") - 1
    out = np.empty((len(rows), parts[0].shape[1]), dtype=np.float32)
    for i, part in enumerate(parts):
        mine = which == i
        if mine.any():
            out[mine] = part[rows[mine] - bounds[i]]
    return out


def _exact_top(parts: Sequence[np.ndarray], queries: np.ndarray, k: int) -> np.ndarray:
    """Exact top-k ids over all parts: each part scanned in place (faiss.knn, no copy), the per-part tops merged."""
    scores, ids, base = [], [], 0
    for part in parts:
        d, i = faiss.knn(queries, np.ascontiguousarray(part, dtype=np.float32), min(k, len(part)), metric=faiss.METRIC_INNER_PRODUCT)
        scores.append(d)
        ids.append(np.where(i >= 0, i + base, -1))
        base += len(part)
    scores, ids = np.concatenate(scores, axis=1), np.concatenate(ids, axis=1)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(ids, top, axis=1)


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k that the approximate search also returned."""
    k = exact.shape[1]
    hits = sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact))
    return hits / (k * len(exact)) if len(exact) else 1.0


def read_vector_index(path: Path, info: dict | None = None) -> faiss.Index:
    """Read an index memory-mapped, so start-up maps the file instead of reading it all."""
    try:
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        # Not every index type can be mapped; reading it whole is still correct.
        index = faiss.read_index(str(path))
    if info and info.get("nprobe"):
        faiss.extract_index_ivf(index).nprobe = int(info["nprobe"])
    return index


def set_search_threads(threads: int) -> None:
    """FAISS threads per search call. One query is bound by memory bandwidth: extra threads only add overhead."""
    faiss.omp_set_num_threads(max(1, threads))
