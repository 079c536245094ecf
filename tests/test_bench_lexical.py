"""`python -m index.bench_lexical`: both BM25 writers measured on the same synthetic rows, at a size tests can afford."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.bench_lexical import PASSAGE_WORDS, _articles, _sentences, format_lexical_table, run_lexical_bench


def test_synthetic_articles_are_passages_of_a_hundred_words_in_four_sentences():
    articles = list(_articles(12, seed=1))
    passages = [p for a in articles for p in a]
    assert len(passages) == 12 and all(len(p) == PASSAGE_WORDS for p in passages)
    assert [len(s) for s in _sentences(articles[0])] == [25] * 4 * len(articles[0])
    assert passages == [p for a in _articles(12, seed=1) for p in a]  # seeded: both writers read the same rows


@pytest.mark.slow  # two child processes, each drawing the 200,000-word list: ~10 s
def test_both_writers_are_measured_side_by_side_and_give_the_same_scores(tmp_path: Path):
    result = run_lexical_bench((300,), work_dir=tmp_path, log=lambda _: None)
    size = result["sizes"][0]
    assert size["passages"] == 300 and size["same_scores"] is True
    assert size["lists_index_mb"] == size["spool_index_mb"] > 0
    assert size["lists_growth_mb"] >= 0 and size["spool_publish_s"] >= 0
    assert "300" in format_lexical_table(result)
    assert not list(tmp_path.iterdir())  # each build is removed once compared
