"""The Ray engine: same build as the local one, dataset input, a worker dying mid-build.

Marked ``distributed``: run by ``make test-distributed`` (which installs the
extra), after the default suite. One local Ray with 2 CPUs serves the module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.build import build_index
from index.cli import main
from index.errors import CorpusError
from index.evaluate import load_questions
from index.search import IndexRetriever
from index.store import load_index

from .conftest import DEV_QUESTIONS, SEEDS
from .fakes import FakeEmbedder

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.distributed

from index.engines.ray_build import build_with_ray  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


def _rows(build: Path) -> list[dict]:
    return [json.loads(line) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]


def test_ray_build_equals_local_build_on_the_seeds(tmp_path: Path, fake_embedder: FakeEmbedder):
    local = build_index(SEEDS, tmp_path / "local", fake_embedder, progress=False)
    remote = build_with_ray(SEEDS, tmp_path / "ray", FakeEmbedder, workers=2)
    assert (remote.documents, remote.chunks, remote.sentences) == (local.documents, local.chunks, local.sentences)
    # The same passages with the same offsets, row for row.
    assert [(r["doc_id"], r["start"], r["end"], r["sentences"]) for r in _rows(remote.path)] == [
        (r["doc_id"], r["start"], r["end"], r["sentences"]) for r in _rows(local.path)
    ]
    manifests = [json.loads((p / "manifest.json").read_text()) for p in (local.path, remote.path)]
    assert manifests[0]["files"] == manifests[1]["files"]  # every file, vectors and BM25 included, byte for byte
    retrievers = [IndexRetriever(load_index(out), fake_embedder) for out in (tmp_path / "local", tmp_path / "ray")]
    for question in load_questions(DEV_QUESTIONS):
        first = [r.search(question.question, top_k=1).passages[:1] for r in retrievers]
        assert [(p.doc_id, p.start, p.end) for p in first[0]] == [(p.doc_id, p.start, p.end) for p in first[1]], question.id


def _dataset(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, doc in enumerate(sorted(SEEDS.glob("*.txt"))):
            text = doc.read_text(encoding="utf-8")
            row = {"id": f"a{i}", "text": text, "title": doc.stem, "publisher": "Seeds"}
            if i % 2:  # a field some rows lack: a columnar reader fills the gaps with NaN
                row["url"] = f"https://seeds.example/{i}"
            f.write(json.dumps(row) + "\n")
    return path


def test_ray_build_reads_a_jsonl_dataset_and_counts_every_article(tmp_path: Path, fake_embedder: FakeEmbedder):
    dataset = _dataset(tmp_path)
    remote = build_with_ray(dataset, tmp_path / "ray", FakeEmbedder, workers=1)
    local = build_index(dataset, tmp_path / "local", fake_embedder, progress=False)
    assert remote.documents == local.documents == len(dataset.read_text().splitlines())
    assert _rows(remote.path) == _rows(local.path)
    documents = json.loads((remote.path / "documents.json").read_text())
    assert {d["publisher"] for d in documents} == {"Seeds"}


def test_ray_build_refuses_a_row_without_text_and_keeps_the_previous_index(tmp_path: Path):
    out = tmp_path / "ray"
    first = build_with_ray(_dataset(tmp_path), out, FakeEmbedder, workers=1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_dataset(tmp_path).read_text() + json.dumps({"id": "empty", "text": " "}) + "\n")
    with pytest.raises(CorpusError, match="'empty'.*no text"):
        build_with_ray(bad, out, FakeEmbedder, workers=1)
    assert load_index(out).path == first.path
    assert not list((out / "builds").glob(".tmp-*"))


class CrashingEmbedder(FakeEmbedder):
    """Dies (the whole worker process) on its first encode in the whole build, as a killed worker would."""

    def __init__(self, marker: Path) -> None:
        super().__init__()
        self.marker = marker

    def encode(self, texts, *, batch_size=32):
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().encode(texts, batch_size=batch_size)


def test_a_worker_dying_mid_build_is_retried_and_no_article_is_lost(tmp_path: Path, fake_embedder: FakeEmbedder):
    from functools import partial

    marker = tmp_path / "crashed"
    remote = build_with_ray(SEEDS, tmp_path / "ray", partial(CrashingEmbedder, marker), workers=2)
    assert marker.exists()  # a worker really died
    local = build_index(SEEDS, tmp_path / "local", fake_embedder, progress=False)
    assert (remote.documents, remote.chunks) == (local.documents, local.chunks)
    assert _rows(remote.path) == _rows(local.path)


def test_cli_build_engine_ray_without_a_model_download(tmp_path: Path, capsys, monkeypatch):
    import index.embedding

    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: FakeEmbedder())
    assert main(["build", "--engine", "ray", "--workers", "1", "--corpus", str(SEEDS), "--out", str(tmp_path / "idx")]) == 0
    assert "Indexed 5 articles" in capsys.readouterr().err
    assert load_index(tmp_path / "idx").manifest["engine"] == "ray"
