from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import build_index, is_stale
from index.errors import IndexMismatch, IndexNotFound
from index.store import load_index, read_manifest

from .conftest import ROOT, SEEDS
from .fakes import FakeEmbedder


def test_build_writes_manifest_and_json_metadata(tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    build = (tmp_path / "current").resolve()
    assert build == report.path
    assert sorted(p.name for p in build.iterdir()) == [
        "bm25_chunks", "bm25_sentences", "chunk_offsets.npy", "chunks.faiss", "chunks.jsonl", "documents.json", "manifest.json",
        "sentence_counts.npy", "sentences.faiss",
    ]
    manifest = read_manifest(tmp_path)
    # Every file of the build is listed with its hash, the BM25 arrays included; no pickle anywhere.
    files = {p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    assert "bm25_sentences/data.csc.index.npy" in files
    assert not any(name.endswith((".pkl", ".pickle")) for name in files)
    assert manifest["model"] == fake_embedder.name
    assert manifest["dimension"] == fake_embedder.dimension
    assert (manifest["metric"], manifest["normalized"]) == ("inner_product", True)
    assert manifest["chunking"]["max_tokens"] > 0
    assert set(manifest["corpus"]) == {p.name for p in SEEDS.iterdir()}
    assert manifest["counts"]["chunks"] == report.chunks
    assert manifest["built_at"]
    rows = [json.loads(line) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == report.chunks
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    assert all(texts[r["doc_id"]][r["start"] : r["end"]] == r["text"] for r in rows)


def test_load_index_reads_passages_on_demand_equal_to_the_built_ones(corpus: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    from index.build import chunk_settings_for
    from index.chunking import chunk_corpus
    from index.corpus import load_corpus

    build_index(corpus, tmp_path, fake_embedder, progress=False)
    index = load_index(tmp_path)
    built = chunk_corpus(load_corpus(corpus), chunk_settings_for(fake_embedder), fake_embedder.count_tokens)
    assert list(index.chunks) == built
    assert index.chunks[-1] == built[-1] and index.chunks[1:3] == built[1:3]
    with pytest.raises(IndexError):
        index.chunks[len(built)]


def test_load_index_refuses_passages_that_do_not_match_their_counts(tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    rows = (report.path / "chunks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (report.path / "chunks.jsonl").write_text("".join(rows[:-1]), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="(damaged|inconsistent).*Rebuild it with"):
        load_index(tmp_path)


def test_load_index_missing_says_what_to_run(tmp_path: Path):
    with pytest.raises(IndexNotFound, match="python -m index build"):
        load_index(tmp_path / "nothing")


def test_load_index_refuses_another_model(fake_index_dir: Path):
    with pytest.raises(IndexMismatch, match=r"built with the model 'fake-hash-64'.*python -m index build"):
        load_index(fake_index_dir, model="all-MiniLM-L6-v2")


def test_load_index_refuses_another_dimension(fake_index_dir: Path):
    with pytest.raises(IndexMismatch, match="64-dimensional"):
        load_index(fake_index_dir, model="fake-hash-64", dimension=384)


def test_load_index_refuses_a_truncated_vector_file(tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    vectors = report.path / "chunks.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexMismatch, match="Rebuild it with"):
        load_index(tmp_path)


def test_rebuild_swaps_current_and_keeps_one_previous_build(tmp_path: Path, fake_embedder: FakeEmbedder):
    paths = [build_index(SEEDS, tmp_path, fake_embedder, progress=False).path for _ in range(3)]
    assert (tmp_path / "current").resolve() == paths[-1]
    assert sorted(p for p in (tmp_path / "builds").iterdir()) == paths[1:]


def test_is_stale_follows_corpus_and_model(corpus: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    out = tmp_path / "idx"
    assert is_stale(corpus, out, fake_embedder.name)
    build_index(corpus, out, fake_embedder, progress=False)
    assert is_stale(corpus, out, fake_embedder.name) == ""
    assert "another model" in is_stale(corpus, out, "other-model")
    (corpus / "new.txt").write_text("A new article arrived.", encoding="utf-8")
    assert "changed" in is_stale(corpus, out, fake_embedder.name)


_SLOW_BUILD = """
import sys
from pathlib import Path
from index.build import build_index
from tests.fakes import SlowEmbedder
build_index(Path(sys.argv[1]), Path(sys.argv[2]), SlowEmbedder(Path(sys.argv[3])), progress=False, batch_size=4)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_rebuild_leaves_previous_index_loadable(tmp_path: Path, fake_embedder: FakeEmbedder, sig: int):
    out = tmp_path / "idx"
    first = build_index(SEEDS, out, fake_embedder, progress=False)
    shutil.rmtree(out / "embeddings")  # so the next build has encoding to do, and can be killed during it
    flag = tmp_path / "started"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, str(SEEDS), str(out), str(flag)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None, "the build ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    index = load_index(out, model=fake_embedder.name)
    assert index.path == first.path
    assert len(index.chunks) == first.chunks
    # The next build clears what the killed one left behind.
    build_index(SEEDS, out, fake_embedder, progress=False)
    assert not list((out / "builds").glob(".tmp-*"))
    assert not list((out / "embeddings").glob(".tmp-*"))
