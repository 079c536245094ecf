"""`index add` writes whole articles or nothing, and refuses misused options, with no server involved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from index.cli import main
from index.corpus import load_corpus
from index.ingest.bench import make_pages
from index.ingest.commands import add_sources

from .ingest_fixtures import PAGES


@pytest.mark.parametrize("failing_call", [1, 2], ids=["sources.toml", "text file"])
def test_add_cut_short_leaves_the_corpus_as_it_was(corpus, monkeypatch, failing_call):
    import index.ingest.corpus_writer as writer

    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    calls = []

    def crash(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise KeyboardInterrupt  # as a Ctrl-C or a kill would, mid-write
        os.rename(src, dst)

    monkeypatch.setattr(writer.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        add_sources(corpus, [str(PAGES / "court-ruling.html")])
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before  # no temp file left either


def test_add_killed_mid_run_leaves_only_whole_articles(tmp_path):
    """SIGKILL while a folder is being added: every article on disk is whole and listed, the rest absent."""

    make_pages(PAGES, tmp_path / "inbox", 60)
    corpus = tmp_path / "corpus"
    process = subprocess.Popen(
        [sys.executable, "-m", "index", "add", str(tmp_path / "inbox"), "--corpus", str(corpus), "--no-build"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    for _ in range(5):  # let a few articles land, then kill it in the middle of the next ones
        process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    documents = load_corpus(corpus)
    assert 5 <= len(documents) < 60
    listed = tomllib.loads((corpus / "sources.toml").read_text(encoding="utf-8"))
    for doc in documents:
        assert listed[doc.doc_id]["title"] and doc.source.title == listed[doc.doc_id]["title"]
        # Whole files only: each ends with the newline written last (the index reads it cleaned).
        assert (corpus / doc.doc_id).read_text(encoding="utf-8").endswith("\n") and "Dispatch number" in doc.text
    assert len(listed) - len(documents) <= 1  # at most the entry whose text had not landed yet


@pytest.mark.parametrize(("args", "message"), [
    (["a.html", "b.html", "--url", "https://x.example/a"], "exactly one file"),
    (["a.html", "--url", "ftp://x.example/a"], "not an http(s) address"),
])
def test_add_refuses_a_misused_url_option(tmp_path, capsys, args, message):
    assert main(["add", *args, "--corpus", str(tmp_path / "c"), "--no-build"]) == 2
    assert message in capsys.readouterr().err


def test_remove_unknown_article_is_an_error(corpus, capsys):
    assert main(["remove", "nope.txt", "--corpus", str(corpus), "--no-build"]) == 2
    assert "no article 'nope.txt'" in capsys.readouterr().err
