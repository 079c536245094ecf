"""The vector index chosen by size, and read back memory-mapped."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.vectors import FLAT_MAX, RECALL_TARGET, build_vector_index, read_vector_index, recall_at_k


def _clustered(n: int, seed: int, dim: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim))
    v = centres[rng.integers(0, 50, n)] + rng.normal(scale=0.3, size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_vectors_small_sets_stay_exact():
    index, info = build_vector_index(_clustered(500, 0))
    assert isinstance(index, faiss.IndexFlatIP)
    assert (info.type, info.recall_at_10) == ("flat", 1.0)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, Path, dict]:
    vectors = _clustered(FLAT_MAX + 5_000, 1)
    index, info = build_vector_index(vectors, queries=_clustered(200, 2))
    path = tmp_path_factory.mktemp("ivf") / "v.faiss"
    faiss.write_index(index, str(path))
    return vectors, path, info.as_dict()


def test_vectors_large_sets_are_quantised_and_meet_the_recall_target(large):
    vectors, path, info = large
    assert info["type"] == "ivf_sq8" and info["nprobe"] >= 1
    assert info["recall_at_10"] >= RECALL_TARGET
    assert info["bytes_per_vector"] < vectors.shape[1] * 4 / 3  # at least 3× smaller than float32
    assert path.stat().st_size < vectors.nbytes / 3


def test_vectors_read_back_mapped_with_their_nprobe_and_rows(large):
    vectors, path, info = large
    index = read_vector_index(path, info)
    assert faiss.extract_index_ivf(index).nprobe == info["nprobe"]
    # Rescoring reads rows back by id: the 8-bit codes decode to within a small error.
    rows = np.array([0, 17, len(vectors) - 1])
    assert np.abs(index.reconstruct_batch(rows) - vectors[rows]).max() < 0.02
    queries = _clustered(100, 3)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    assert recall_at_k(index.search(queries, 10)[1], exact.search(queries, 10)[1]) >= 0.9
