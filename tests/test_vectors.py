"""The vector index chosen by size, written to disk and read back memory-mapped."""

from __future__ import annotations

import resource
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.refined import RefinedIndex, rescoring_path
from index.vectors import FLAT_MAX, RECALL_TARGET, read_vector_index, recall_at_k, write_vector_index


def _clustered(n: int, seed: int, dim: int = 32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, dim))
    v = centres[rng.integers(0, 50, n)] + rng.normal(scale=0.3, size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_vectors_small_sets_stay_exact(tmp_path: Path):
    info = write_vector_index(tmp_path / "v.faiss", [_clustered(500, 0)])
    assert (info.type, info.recall_at_10) == ("flat", 1.0)
    assert isinstance(read_vector_index(tmp_path / "v.faiss", info.as_dict()), faiss.IndexFlatIP)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, Path, dict]:
    vectors = _clustered(FLAT_MAX + 5_000, 1)
    path = tmp_path_factory.mktemp("ivf") / "v.faiss"
    info = write_vector_index(path, np.array_split(vectors, 3), queries=_clustered(200, 2))
    return vectors, path, info.as_dict()


def test_vectors_large_sets_keep_little_in_memory_and_meet_the_recall_target(large):
    vectors, path, info = large
    assert info["type"] == "ivf_rescored" and info["nprobe"] >= 1 and info["k_factor"] >= 1
    assert info["recall_at_10"] >= RECALL_TARGET
    # What a search scans stays in memory: PQ code and id, a fraction of float32.
    assert info["bytes_per_vector"] <= vectors.shape[1] * 4 / 4
    assert path.stat().st_size < vectors.nbytes / 4
    # The codes live in one lists file beside the index; the parts and rejected attempts are gone.
    assert sorted(f.name for f in path.parent.iterdir()) == sorted([path.name, rescoring_path(path).name, f"v.{info['codes']}.ivfdata"])
    # The rescoring file is every vector in float16, in row order.
    assert np.array_equal(np.load(rescoring_path(path), mmap_mode="r"), vectors.astype(np.float16))


def test_vectors_read_back_mapped_with_their_settings_and_rows(large):
    vectors, path, info = large
    index = read_vector_index(path, info)
    assert isinstance(index, RefinedIndex) and (index.nprobe, index.k_factor) == (info["nprobe"], info["k_factor"])
    assert index.ntotal == len(vectors)
    rows = np.array([0, 17, len(vectors) - 1])
    assert np.abs(index.reconstruct_batch(rows) - vectors[rows]).max() < 2e-3  # float16, not 8-bit codes
    queries = _clustered(100, 3)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    want_scores, want_rows = exact.search(queries, 10)
    scores, found = index.search(queries, 10)
    assert recall_at_k(found, want_rows) >= 0.9
    # Rescored rows carry their float16 cosine, best first.
    assert np.all(np.diff(scores, axis=1) <= 0)
    assert np.allclose(scores[:, 0], want_scores[:, 0], atol=2e-3) or recall_at_k(found[:, :1], want_rows[:, :1]) < 1


def test_vectors_from_parts_equal_the_index_from_one_array(tmp_path: Path):
    vectors = _clustered(FLAT_MAX + 500, 4, dim=16)
    queries = _clustered(50, 5, dim=16)
    whole = write_vector_index(tmp_path / "whole.faiss", [vectors], queries)
    parts = write_vector_index(tmp_path / "parts.faiss", np.array_split(vectors, 4), queries)
    assert whole == parts
    a, b = read_vector_index(tmp_path / "whole.faiss", whole.as_dict()), read_vector_index(tmp_path / "parts.faiss", parts.as_dict())
    assert np.array_equal(a.search(queries, 10)[1], b.search(queries, 10)[1])


def test_vectors_loading_does_not_read_the_codes(tmp_path: Path):
    """Start-up maps both files: the resident memory added is far below their size."""
    vectors = _clustered(60_000, 6)
    path = tmp_path / "v.faiss"
    info = write_vector_index(path, [vectors], _clustered(100, 7))
    size = sum(f.stat().st_size for f in tmp_path.iterdir())
    before = _rss_bytes()
    index = read_vector_index(path, info.as_dict())
    assert _rss_bytes() - before < size / 4
    assert index.ntotal == len(vectors)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
