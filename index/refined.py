"""A large vector set: an IVF over compact codes proposes rows, their float16 vectors mapped from disk score them.

A million passages carry about four million sentence vectors. As IVF-SQ8 they
took 392 bytes each in memory, 1.9 GB in all. Here what must stay in memory to
search is the IVF: a PQ or SQ4 code and an 8-byte id per vector, and the coarse
centroids (index/vectors.py picks the codes). The exact scores come from a
second file, every vector in float16 in row order, memory-mapped: a question
reads only the rows it rescores and the sentences of its candidate passages.

``search`` asks the IVF for ``k × k_factor`` rows and keeps the ``k`` best by
their float16 cosine, so the final order is exact among the proposed rows.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

__all__ = ["K_FACTORS", "RefinedIndex", "rescoring_path", "write_rescoring", "pq_spec", "build_ivf", "ivfdata_path", "read_refined"]

logger = logging.getLogger(__name__)

K_FACTORS = (2, 4, 8, 16, 32)
RESCORING_SUFFIX = ".f16.npy"


def rescoring_path(index_path: Path) -> Path:
    """``chunks.faiss`` → ``chunks.f16.npy``: the float16 vectors beside the IVF-PQ file."""
    return index_path.with_name(index_path.stem + RESCORING_SUFFIX)


class RefinedIndex:
    """The FAISS calls search makes (``search``, ``reconstruct_batch``, ``ntotal``), answered from both files."""

    def __init__(self, ivf: faiss.Index, vectors: np.ndarray, k_factor: int) -> None:
        if ivf.ntotal != len(vectors):
            raise ValueError(f"{ivf.ntotal} IVF-PQ codes for {len(vectors)} float16 vectors")
        self.ivf, self.vectors, self.k_factor = ivf, vectors, k_factor
        self.d = vectors.shape[1]

    @property
    def ntotal(self) -> int:
        return int(self.ivf.ntotal)

    @property
    def nprobe(self) -> int:
        return int(faiss.extract_index_ivf(self.ivf).nprobe)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.d)
        _, proposed = self.ivf.search(queries, min(self.ntotal, k * self.k_factor))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, (query, found) in enumerate(zip(queries, proposed)):
            found = np.sort(found[found >= 0])  # in file order: the mapped pages are read forwards
            exact = self.reconstruct_batch(found) @ query
            top = np.lexsort((found, -exact))[:k]  # ties keep row order, as a flat index does
            scores[i, : len(top)], rows[i, : len(top)] = exact[top], found[top]
        return scores, rows

    def reconstruct_batch(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32)

    def reconstruct_n(self, start: int, n: int) -> np.ndarray:
        return np.asarray(self.vectors[start : start + n], dtype=np.float32)


def write_rescoring(path: Path, parts: Sequence[np.ndarray], dimension: int) -> None:
    """The float16 file, written part by part with plain writes: no more than one part is ever in memory."""
    n = sum(len(p) for p in parts)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False, "shape": (n, dimension)}
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for part in parts:
            f.write(np.ascontiguousarray(part, dtype=np.float16).tobytes())


def pq_spec(dimension: int) -> str:
    """Product quantisation at one byte per 8 dimensions (48 bytes at 384), on a sub-vector size that divides."""
    m = max(1, dimension // 8)
    while dimension % m:
        m -= 1
    return f"PQ{m}"


def build_ivf(parts: Sequence[np.ndarray], train: np.ndarray, nlist: int, codes: str, path: Path) -> faiss.Index:
    """IVF with ``codes`` (a FAISS factory name: "PQ48", "SQ4", "SQ8") over the rows of ``parts`` in order,
    so a row's id is its global row number; its lists are written to ``ivfdata_path(path, codes)``.

    Each part is encoded into a small IVF of its own and written to disk; the parts' lists are then merged
    into one on-disk file (FAISS ``OnDiskInvertedLists``), so the codes of the whole set are never in memory.
    """
    trained = faiss.index_factory(train.shape[1], f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
    trained.train(np.ascontiguousarray(train, dtype=np.float32))
    scratch = path.with_name(f".{path.stem}-{codes}-parts")
    scratch.mkdir(exist_ok=True)
    try:
        files, first = [], 0
        for i, part in enumerate(parts):
            shard = faiss.clone_index(trained)
            shard.add_with_ids(np.ascontiguousarray(part, dtype=np.float32), np.arange(first, first + len(part), dtype=np.int64))
            first += len(part)
            files.append(scratch / f"{i:05d}.faiss")
            faiss.write_index(shard, str(files[-1]))
            del shard
        # The parts stay open, mapped, until the merge has copied their lists. IO_FLAG_MMAP_IFC maps the
        # codes in place; plain IO_FLAG_MMAP read every part's codes into memory (0.8 GB of SQ4 codes
        # for 4M sentence vectors).
        shards = [faiss.read_index(str(f), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY) for f in files]
        lists = faiss.InvertedListsPtrVector()
        for shard in shards:
            lists.push_back(faiss.extract_index_ivf(shard).invlists)
        merged = faiss.OnDiskInvertedLists(nlist, trained.code_size, str(ivfdata_path(path, codes)))
        total = merged.merge_from_multiple(lists.data(), lists.size(), False)
        del lists, shards
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    trained.ntotal = faiss.extract_index_ivf(trained).ntotal = total
    faiss.extract_index_ivf(trained).replace_invlists(merged, True)
    merged.this.disown()  # the index owns it now
    return trained


def ivfdata_path(index_path: Path, codes: str) -> Path:
    """Where an IVF's lists live beside its index file; the codes are in the name, as several may be tried."""
    return index_path.with_name(f"{index_path.stem}.{codes}.ivfdata")


def read_refined(path: Path, info: dict) -> RefinedIndex:
    """Both files memory-mapped: start-up reads the centroids and codebooks, not the codes."""
    # The lists file is found beside the index file, wherever the build folder has moved since it was written.
    ivf = faiss.read_index(str(path), faiss.IO_FLAG_ONDISK_SAME_DIR | faiss.IO_FLAG_READ_ONLY)
    faiss.extract_index_ivf(ivf).nprobe = int(info["nprobe"])
    vectors = np.load(rescoring_path(path), mmap_mode="r", allow_pickle=False)
    return RefinedIndex(ivf, vectors, int(info["k_factor"]))
