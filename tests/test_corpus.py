from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index import corpus as corpus_module
from index.corpus import corpus_fingerprint, load_corpus
from index.errors import CorpusError

from .conftest import SEEDS


def test_load_corpus_seeds_take_metadata_from_sources_toml():
    docs = {d.doc_id: d for d in load_corpus(SEEDS)}
    assert sorted(docs) == [p.name for p in sorted(SEEDS.glob("*.txt"))]
    glxy = docs["002_c6844e9f196c398b.txt"].source
    assert glxy.title == "Anti gay pogroms continue in Chechnya"
    assert glxy.publisher == "glxy.eu"
    assert glxy.url == "https://glxy.eu/news/816-anti-gay-pogroms-continue-in-chechnya"
    assert glxy.published == "2017-04-28"
    vice = docs["001_13b6dd248fb1f0d6.txt"].source
    assert (vice.author, vice.url) == ("Matt Baume", "")  # no url is known: none is invented


def test_load_corpus_title_falls_back_to_headline_then_untitled_with_its_publisher():
    docs = {d.doc_id: d for d in load_corpus(SEEDS)}
    # 000's first line is a long sentence of the story, not a headline; its publisher is known.
    source = docs["000_746d7626044fb8bd.txt"].source
    assert (source.title, source.publisher) == ("Untitled article", "Blasting News")


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("Floods Close the Old Bridge", "Floods Close the Old Bridge"),
        ("The river rose two metres overnight and closed the bridge.", "notes"),
        ("Hi", "notes"),
    ],
)
def test_load_corpus_headline_rule(tmp_path: Path, first_line: str, title: str):
    (tmp_path / "notes.txt").write_text(f"{first_line}\n\nThe river rose two metres overnight.\n", encoding="utf-8")
    [doc] = load_corpus(tmp_path)
    assert doc.source.title == title
    assert doc.source.url == ""


def test_load_corpus_walks_subfolders_in_sorted_order(tmp_path: Path):
    for rel in ("b.md", "a/z.txt", "a/b.txt", "c.rst", ".hidden/x.txt"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Some words about a topic.", encoding="utf-8")
    assert [d.doc_id for d in load_corpus(tmp_path)] == ["a/b.txt", "a/z.txt", "b.md"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("latin1.txt", "Caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("blank.md", b"  \n\n\t ", "empty"),
        ("huge.txt", b"word " * 300, "larger than"),
    ],
)
def test_load_corpus_skips_bad_files_with_a_warning(tmp_path, monkeypatch, caplog, name, content, reason):
    monkeypatch.setattr(corpus_module, "MAX_DOCUMENT_BYTES", 1024)
    (tmp_path / "good.txt").write_text("A perfectly good article.", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        docs = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good.txt"]
    assert any(name in r.getMessage() and reason in r.getMessage() for r in caplog.records)


def test_load_corpus_empty_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="no readable"):
        load_corpus(tmp_path)


def test_load_corpus_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_load_corpus_broken_sources_toml_names_the_file(corpus: Path):
    (corpus / "sources.toml").write_text('["a.txt"\ntitle = ', encoding="utf-8")
    with pytest.raises(CorpusError, match="sources.toml is not valid TOML"):
        load_corpus(corpus)


def test_load_corpus_drops_non_web_urls(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Text of the article.", encoding="utf-8")
    (tmp_path / "sources.toml").write_text('["a.txt"]\nurl = "javascript:alert(1)"\n', encoding="utf-8")
    [doc] = load_corpus(tmp_path)
    assert doc.source.url == ""


def test_corpus_fingerprint_changes_with_metadata(corpus: Path):
    before = corpus_fingerprint(corpus)
    with open(corpus / "sources.toml", "a", encoding="utf-8") as f:
        f.write('\n["new.txt"]\npublisher = "Someone"\n')
    assert corpus_fingerprint(corpus) != before
