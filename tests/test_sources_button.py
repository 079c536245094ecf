"""The Sources button against real same-fact grouping: two articles that report one fact in the same words."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.build import build_index

from index.search import IndexRetriever
from index.store import load_index

from .botapi import FakeBotAPI
from .botrun import bot_running
from .fakes import FAKE_SETTINGS, FakeEmbedder

SHARED = "The shelter at Lake Quillimore took in forty zebras during the March floods."
ARTICLES = {
    "herald.txt": f"Floods at Lake Quillimore\n\n{SHARED} Volunteers from the valley brought hay by boat.",
    "gazette.txt": f"Valley news in brief\n\nThe bakery on Mill Street reopened on Monday. {SHARED}",
    "bulletin.txt": "Orchard report\n\nApple growers in the north expect a late harvest after a cold spring.",
}
SOURCES = """
["herald.txt"]
title = "Floods at Lake Quillimore"
publisher = "Quillimore Herald"
url = "https://herald.example.org/floods"

["gazette.txt"]
title = "Valley news in brief"
publisher = "Valley Gazette"
url = "https://gazette.example.org/brief"

["bulletin.txt"]
title = "Orchard report"
publisher = "Farm Bulletin"
"""
QUESTION = "How many zebras did the shelter at Lake Quillimore take in during the floods?"


@pytest.fixture(scope="module")
def grouping_retriever(tmp_path_factory: pytest.TempPathFactory) -> IndexRetriever:
    corpus = tmp_path_factory.mktemp("same-fact-corpus")
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "sources.toml").write_text(SOURCES, encoding="utf-8")
    out = tmp_path_factory.mktemp("same-fact-index")
    embedder = FakeEmbedder()
    build_index(corpus, out, embedder, progress=False)
    return IndexRetriever(load_index(out, model=embedder.name, dimension=embedder.dimension), embedder, FAKE_SETTINGS)


def test_real_search_groups_the_same_fact_from_two_articles(grouping_retriever: IndexRetriever):
    answer = grouping_retriever.search(QUESTION, 3)
    top = answer.passages[0]
    assert answer.answered
    assert [other.doc_id for other in top.corroborations] == [({"herald.txt", "gazette.txt"} - {top.doc_id}).pop()]
    assert SHARED in top.corroborations[0].highlight
    assert all(p.doc_id != top.corroborations[0].doc_id for p in answer.passages)  # grouped, not listed twice


def test_sources_button_shows_the_other_report_found_by_real_grouping(api: FakeBotAPI, grouping_retriever: IndexRetriever):
    with bot_running(api, grouping_retriever):
        asked = api.user_says(QUESTION)
        answer = api.wait_for(lambda: api.replies_to(asked))
        [data] = [b["callback_data"] for b in api.buttons(answer[-1]) if b["text"] == "Sources"]
        pressed = api.press(answer[-1], data)
        api.wait_for(lambda: pressed in api.callback_answers)
        [sources] = api.wait_for(lambda: api.sent_after(answer[-1]["message_id"]))
    first, *_ = sources["text"].split("\n\n2.")  # the top passage's block, before the second passage's
    reports = {"Quillimore Herald", "Valley Gazette"}
    assert sources["text"].startswith("Who reports what this answer quotes")
    assert all(publisher in first for publisher in reports)  # the top passage's article and the other report
    assert "• " in first and SHARED in first
    assert "No other article in the collection reports this passage." not in first
    assert "#:~:text=" in sources["html"]
    assert api.rejected == []
