from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.build import build_index, is_stale
from index.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from index.store import load_index, read_manifest, sha256_file
from index.store.write import write_documents

from .conftest import ROOT, SEEDS, seed_texts
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
    texts = seed_texts()
    assert all(texts[r["doc_id"]][r["start"] : r["end"]] == r["text"] for r in rows)
    # Each article names its passages as one run of rows in reading order, so a link can find its
    # passage by bisection instead of reading every row.
    for doc in json.loads((build / "documents.json").read_text(encoding="utf-8")):
        first, count = doc["chunk_rows"]
        mine = [i for i, r in enumerate(rows) if r["doc_id"] == doc["doc_id"]]
        assert mine == list(range(first, first + count))
        assert [rows[i]["start"] for i in mine] == sorted(rows[i]["start"] for i in mine)


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
    with pytest.raises(IndexCorrupt, match="chunks.jsonl is (damaged|inconsistent).*Rebuild it with"):
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


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "damage", "says"),
    [
        ("chunks.faiss", _truncate, "holds 100 bytes"),
        ("sentences.faiss", _flip_a_byte, "checksum differs"),
        ("chunks.jsonl", _flip_a_byte, "checksum differs"),
        ("documents.json", Path.unlink, "cannot be read"),
        ("bm25_chunks/*", _flip_a_byte, "checksum differs"),
        ("bm25_sentences/*", Path.unlink, "cannot be read"),
    ],
)
def test_load_index_refuses_a_damaged_file_and_names_it(tmp_path: Path, fake_embedder: FakeEmbedder, name, damage, says):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    target = sorted(report.path.glob(name))[-1]
    damage(target)
    relative = target.relative_to(report.path).as_posix()
    with pytest.raises(IndexCorrupt, match=f"{relative}.*{says}.*Rebuild it with: python -m index build"):
        load_index(tmp_path)


def _rewrite_manifest(build: Path, change) -> None:
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_load_index_refuses_a_manifest_without_checksums(tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    _rewrite_manifest(report.path, lambda m: m.pop("files"))
    with pytest.raises(IndexCorrupt, match="manifest.json does not list the checksums"):
        load_index(tmp_path)


def test_load_index_refuses_vectors_and_rows_that_disagree(tmp_path: Path, fake_embedder: FakeEmbedder):
    """Checksums that match, but a passage vector missing: the count check catches it."""
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    path = report.path / "chunks.faiss"
    vectors = faiss.read_index(str(path))
    vectors.remove_ids(np.array([vectors.ntotal - 1], dtype=np.int64))
    faiss.write_index(vectors, str(path))
    _rewrite_manifest(report.path, lambda m: (m["files"].update({"chunks.faiss": sha256_file(path)}),
                                              m["sizes"].update({"chunks.faiss": path.stat().st_size})))
    n = report.chunks
    with pytest.raises(IndexCorrupt, match=rf"chunks.faiss is inconsistent: {n - 1} passage vectors for {n} passages"):
        load_index(tmp_path)


def test_files_over_the_hash_limit_are_checked_by_size_at_load_and_hashed_by_verify(
    tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
):
    """Start-up must not hash gigabytes; `index verify` still finds a flipped byte in them."""
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    _flip_a_byte(report.path / "sentences.faiss")
    monkeypatch.setattr("index.store.integrity.HASH_LIMIT_BYTES", 1024)
    load_index(tmp_path)  # same size: loads
    done = subprocess.run([sys.executable, "-m", "index", "verify", "--index", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "sentences.faiss is damaged: its checksum differs" in done.stderr
    _truncate(report.path / "sentences.faiss")
    with pytest.raises(IndexCorrupt, match="sentences.faiss is damaged: it holds 100 bytes"):
        load_index(tmp_path)


def test_damaged_index_is_one_line_without_traceback(tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    _flip_a_byte(report.path / "chunks.jsonl")
    env = {**os.environ, "INDEX_DIR": str(tmp_path), "EMBEDDING_MODEL": fake_embedder.name}
    done = subprocess.run([sys.executable, "-m", "bot", "--console"], cwd=ROOT, env=env, input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "chunks.jsonl is damaged" in error and "python -m index build" in error


def test_sha256_file_hashes_in_blocks_like_a_whole_read(tmp_path: Path):
    path = tmp_path / "big"
    path.write_bytes(os.urandom((1 << 20) * 2 + 12345))  # spans three blocks
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("entries", [
    [],
    [{"doc_id": "a", "title": None, "chunk_rows": [0, 3]}],
    # Escaped newlines and quotes, line and paragraph separators kept raw by ensure_ascii=False, nesting.
    [{"doc_id": "b\n\"c\"", "title": "Line\u2028sep\u2029 \x85 «Кадыров»", "nested": {"k": [1, {"x": []}]}}, {"doc_id": "d", "n": 1.5}],
])
def test_write_documents_streams_the_bytes_of_one_json_dump(tmp_path: Path, entries: list):
    path = tmp_path / "documents.json"
    write_documents(path, iter(entries))
    assert path.read_text(encoding="utf-8") == json.dumps(entries, ensure_ascii=False, indent=1)


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
