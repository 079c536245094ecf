"""The streaming writer (what the Ray engine feeds) and dataset input, without Ray."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.articles import load_articles
from index.build import build_index, chunk_settings_for
from index.chunking import chunk_document
from index.engines.streaming import StreamingBuild
from index.errors import CorpusError
from index.chunking import embedding_texts
from index.store import Staging, load_index

from .conftest import SEEDS
from .fakes import FakeEmbedder


def _files(build: Path) -> dict[str, str]:
    return json.loads((build / "manifest.json").read_text())["files"]


def test_streaming_build_in_small_shards_equals_the_local_build(tmp_path: Path, fake_embedder: FakeEmbedder):
    local = build_index(SEEDS, tmp_path / "local", fake_embedder, progress=False)
    staging = Staging(tmp_path / "streamed")
    # Several vector shards, some within one article, and several BM25 runs.
    writer = StreamingBuild(staging, fake_embedder.dimension, shard_rows=3, run_tokens=200)
    for document in load_articles(SEEDS):
        chunks = chunk_document(document, chunk_settings_for(fake_embedder), fake_embedder.count_tokens)
        writer.add(document, chunks, fake_embedder.encode(embedding_texts(document, chunks)))
    assert len(writer.chunk_vectors.files) > 2
    assert len(writer.chunk_lexical.runs) > 2 and len(writer.sentence_lexical.runs) > 2
    path = writer.publish({"model": fake_embedder.name, "dimension": fake_embedder.dimension})
    assert _files(path) == _files(local.path)
    assert not list((tmp_path / "streamed" / "builds").glob(".tmp-*"))  # staging and shards both gone
    assert len(load_index(tmp_path / "streamed").chunks) == local.chunks


def test_jsonl_dataset_builds_with_the_local_engine(tmp_path: Path, fake_embedder: FakeEmbedder):
    dataset = tmp_path / "articles.jsonl"
    rows = [{"id": "x1", "text": "Police detained two men. They were released later.", "title": "One", "url": "https://a.example/1"},
            {"id": "x2", "text": "A court in Grozny heard the case on Monday.", "published": "2017-05-01"}]
    dataset.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = build_index(dataset, tmp_path / "idx", fake_embedder, progress=False)
    index = load_index(tmp_path / "idx")
    assert report.documents == 2
    assert index.documents["x1"].source.url == "https://a.example/1"
    assert index.documents["x2"].source.title == "x2"  # no title: the id, never an invented one


@pytest.mark.parametrize("row, says", [
    ({"text": "no id"}, "no id"),
    ({"id": "a", "text": ""}, "'a'.*no text"),
    ({"id": "a", "text": "t", "title": 5}, "'a'.*title that is not text"),
])
def test_dataset_rows_are_checked_and_named(tmp_path: Path, row: dict, says: str):
    dataset = tmp_path / "articles.jsonl"
    dataset.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=says):
        load_articles(dataset)


def test_dataset_with_a_repeated_id_is_refused(tmp_path: Path):
    dataset = tmp_path / "articles.jsonl"
    dataset.write_text('{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="appears twice"):
        load_articles(dataset)
