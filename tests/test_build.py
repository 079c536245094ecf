"""Incremental builds: only new or changed articles are embedded again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.build import build_index
from index.store import load_index

from .fakes import FakeEmbedder


def _vectors(out: Path, embedder: FakeEmbedder) -> np.ndarray:
    index = load_index(out, model=embedder.name, dimension=embedder.dimension)
    return index.chunk_vectors.reconstruct_n(0, index.chunk_vectors.ntotal)


def test_build_unchanged_corpus_embeds_nothing(corpus: Path, tmp_path: Path):
    embedder = FakeEmbedder()
    first = build_index(corpus, tmp_path / "index", embedder, progress=False)
    calls = embedder.calls
    second = build_index(corpus, tmp_path / "index", embedder, progress=False)
    assert first.encoded_documents == first.documents > 0
    assert second.encoded_documents == 0 and second.encoded_texts == 0
    assert embedder.calls == calls
    assert (second.chunks, second.sentences) == (first.chunks, first.sentences)


def test_build_reembeds_only_changed_and_drops_removed(corpus: Path, tmp_path: Path):
    embedder = FakeEmbedder()
    out = tmp_path / "index"
    build_index(corpus, out, embedder, progress=False)
    articles = sorted(corpus.glob("*.txt"))
    changed, removed = articles[0], articles[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA new closing paragraph about Rainbow Railroad.\n", encoding="utf-8")
    removed.unlink()
    report = build_index(corpus, out, embedder, progress=False)
    assert report.encoded_documents == 1
    assert len(list((out / "embeddings").glob("*.npy"))) == report.documents
    # The incremental result is the one a build from nothing gives.
    fresh = tmp_path / "fresh"
    build_index(corpus, fresh, FakeEmbedder(), progress=False)
    np.testing.assert_allclose(_vectors(out, embedder), _vectors(fresh, embedder), atol=1e-6)


def test_build_ignores_a_damaged_cache_entry(corpus: Path, tmp_path: Path):
    embedder = FakeEmbedder()
    out = tmp_path / "index"
    build_index(corpus, out, embedder, progress=False)
    entry = next((out / "embeddings").glob("*.npy"))
    entry.write_bytes(b"not an array")
    report = build_index(corpus, out, embedder, progress=False)
    assert report.encoded_documents == 1
