"""The Russian test article (tests/data/ru_article) is a corpus the reader accepts, and its questions fit it."""

from __future__ import annotations

from pathlib import Path

from index.corpus import load_corpus
from index.evaluate import load_questions

RU_ARTICLE = Path(__file__).parent / "data" / "ru_article"


def test_ru_article_loads_with_its_source_and_its_gold_phrases_are_in_it():
    [doc] = load_corpus(RU_ARTICLE)
    assert doc.source.title.startswith("Правозащитники помогли") and doc.source.url.startswith("https://example.org/")
    assert 2500 <= len(doc.text) <= 4000 and "т. е." in doc.text and "ул. " in doc.text and "И. И. Петров" in doc.text
    questions = load_questions(RU_ARTICLE / "questions.jsonl")
    assert sorted(q.kind == "russian" for q in questions) == [False] * 3 + [True] * 3
    assert all(gold in doc.text for q in questions for gold in q.gold)
