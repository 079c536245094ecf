"""The vector index for one vector set, chosen by its size, written to disk and read back memory-mapped.

Vectors are unit length, so inner product is cosine similarity throughout.

- Up to ``FLAT_MAX`` vectors: ``IndexFlatIP``, exact. At 20k × 384 a query scans
  30 MB, about 2 ms here, and there is nothing to tune or to get wrong.
- Above it: an IVF with compact codes proposes rows, and their float16 vectors,
  memory-mapped from a second file, rescore them (index/refined.py). The codes
  are the smallest of PQ (one byte per 8 dimensions), SQ4 and SQ8 that reach
  ``RECALL_TARGET`` (recall@10 against exact search, on held-out query vectors,
  at build time) with the cheapest ``nprobe`` of ``NPROBE_STEPS`` and
  ``k_factor`` of ``K_FACTORS``. At 384 dimensions PQ holds 56 bytes a vector in
  memory with its id, SQ4 200, where IVF-SQ8 held 392; the scores search uses
  are float16 either way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from .refined import K_FACTORS, RefinedIndex, build_ivf, ivfdata_path, pq_spec, read_refined, rescoring_path, write_rescoring

__all__ = [
    "FLAT_MAX",
    "RECALL_TARGET",
    "SENTENCE_RECALL_TARGET",
    "IndexInfo",
    "write_vector_index",
    "gather_rows",
    "read_vector_index",
    "recall_at_k",
    "set_search_threads",
]

logger = logging.getLogger(__name__)

FLAT_MAX = 20_000
RECALL_TARGET = 0.95
# The sentence search is one of four that propose passages (index/search/signals.py), and every
# proposed passage's sentences are then scored from float16 vectors: it may miss a few more.
SENTENCE_RECALL_TARGET = 0.80
NPROBE_STEPS = (4, 8, 16, 32, 64, 128, 256)
RECALL_QUERIES = 200  # held-out vectors used to measure recall at build time
_TRAIN_PER_LIST = 40  # FAISS warns under 39 training points per list
_TRAIN_MIN = 10_240  # PQ's 256 codes per sub-vector want 40 points each
_SEED = 1234


@dataclass(frozen=True)
class IndexInfo:
    """What was built, recorded in the manifest so the reader can set it up the same way."""

    type: str  # "flat" or "ivf_rescored"
    vectors: int
    recall_at_10: float  # against exact search on held-out vectors; 1.0 for flat
    nlist: int = 0
    nprobe: int = 0
    codes: str = ""  # the IVF's codes, as a FAISS factory name ("PQ48", "SQ4", "SQ8")
    k_factor: int = 0  # the IVF proposes k × k_factor rows for the float16 vectors to rescore
    bytes_per_vector: int = 0  # held in memory to search: float32 for flat, code and id for ivf_rescored
    mapped_bytes_per_vector: int = 0  # the float16 rescoring file, read only where a question needs it

    def as_dict(self) -> dict:
        return asdict(self)


def nlist_for(n: int) -> int:
    """About √n lists, as a power of two between 64 and 4096: ~1000 vectors a list at 1M, ~2000 at 4M."""
    return int(min(4096, max(64, 2 ** round(math.log2(max(1.0, math.sqrt(n)))))))


def write_vector_index(
    path: Path, parts: Sequence[np.ndarray], queries: np.ndarray | None = None, dimension: int | None = None,
    recall_target: float = RECALL_TARGET,
) -> IndexInfo:
    """Write the index over the rows of ``parts`` in order (e.g. shards mapped from disk), one part in memory at a time.

    ``queries`` (held out, not indexed) measure recall in the IVF-PQ case.
    """
    n = sum(len(p) for p in parts)
    dim = parts[0].shape[1] if parts else int(dimension or 0)
    if n <= FLAT_MAX:
        index = faiss.IndexFlatIP(dim)
        for part in parts:
            index.add(np.ascontiguousarray(part, dtype=np.float32))
        _save(index, path)
        return IndexInfo(type="flat", vectors=n, recall_at_10=1.0, bytes_per_vector=4 * dim)

    nlist = nlist_for(n)
    rng = np.random.default_rng(_SEED)
    from .store.integrity import fsync_path

    write_rescoring(rescoring_path(path), parts, dim)
    fsync_path(rescoring_path(path))
    rescoring = np.load(rescoring_path(path), mmap_mode="r", allow_pickle=False)
    if queries is None or len(queries) == 0:
        # No other vectors to ask with: indexed rows plus noise stand in for held-out ones.
        picked = gather_rows(parts, rng.choice(n, size=min(n, RECALL_QUERIES), replace=False))
        queries = picked + rng.normal(scale=0.02, size=picked.shape).astype(np.float32)
    queries = np.ascontiguousarray(queries[:RECALL_QUERIES], dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = _exact_top(parts, queries, 10)
    train = gather_rows(parts, np.sort(rng.choice(n, size=min(n, max(_TRAIN_MIN, nlist * _TRAIN_PER_LIST)), replace=False)))
    # The smallest codes that reach the recall target once rescored: how well codes keep neighbours apart
    # depends on the vectors, so it is measured, not assumed.
    tried: list[str] = []
    for codes in (pq_spec(dim), "SQ4", "SQ8"):
        if tried:
            del ivf, index
            ivfdata_path(path, tried[-1]).unlink()  # a rejected attempt's lists
        ivf = build_ivf(parts, train, nlist, codes, path)
        tried.append(codes)
        index = RefinedIndex(ivf, rescoring, K_FACTORS[0])
        nprobe, k_factor, recall = _cheapest_setting(index, queries, exact, nlist, recall_target)
        logger.info("IVF%d,%s over %d vectors: nprobe %d, k_factor %d, recall@10 %.3f", nlist, codes, n, nprobe, k_factor, recall)
        if recall >= recall_target:
            break
    _save(ivf, path)
    fsync_path(ivfdata_path(path, codes))
    return IndexInfo(
        type="ivf_rescored", vectors=n, recall_at_10=round(recall, 4), nlist=nlist, nprobe=nprobe, k_factor=k_factor,
        codes=codes, bytes_per_vector=ivf.code_size + 8, mapped_bytes_per_vector=2 * dim,
    )


def _cheapest_setting(
    index: RefinedIndex, queries: np.ndarray, exact: np.ndarray, nlist: int, target: float
) -> tuple[int, int, float]:
    """The (nprobe, k_factor) with the fewest codes scanned plus rows rescored that reaches the recall target.

    If none does, the most thorough pair: the recall recorded in the manifest then says how far short it is.
    """
    ivf = faiss.extract_index_ivf(index.ivf)
    per_list = index.ntotal / nlist
    pairs = sorted(((p, f) for p in NPROBE_STEPS if p <= nlist for f in K_FACTORS),
                   key=lambda pf: pf[0] * per_list + 10 * pf[1] * 64)  # a rescored row costs ~64 scanned codes
    best = (0.0, pairs[-1])
    for nprobe, k_factor in pairs:
        ivf.nprobe, index.k_factor = nprobe, k_factor
        recall = recall_at_k(index.search(queries, 10)[1], exact)
        if recall >= target:
            return nprobe, k_factor, recall
        best = max(best, (recall, (nprobe, k_factor)))
    return best[1][0], best[1][1], best[0]


def _save(index: faiss.Index, path: Path) -> None:
    # The store imports this module, so its helpers are imported when writing.
    from .store.integrity import fsync_path
    from .store.publish import faiss_write_error

    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:
        raise faiss_write_error(path, exc) from exc
    fsync_path(path)


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


def read_vector_index(path: Path, info: dict | None = None) -> faiss.Index | RefinedIndex:
    """Read an index memory-mapped, so start-up maps the file instead of reading it all."""
    if info and info.get("type") == "ivf_rescored":
        return read_refined(path, info)
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        # Not every index type can be mapped; reading it whole is still correct.
        return faiss.read_index(str(path))


def set_search_threads(threads: int) -> None:
    """FAISS threads per search call. One query is bound by memory bandwidth: extra threads only add overhead."""
    faiss.omp_set_num_threads(max(1, threads))
