from __future__ import annotations

from pathlib import Path

import numpy as np

from index.lexical import LexicalIndex, words


def test_words_are_lowercased_stemmed_and_without_stop_words():
    assert words("The men, DETAINED and the detaining of them") == ["men", "detain", "detain", "them"]


def test_scores_favour_the_row_with_the_rare_word(tmp_path: Path):
    index = LexicalIndex.build(["men were detained in Argun", "men were released", "nothing here"])
    scores = index.scores(words("Where were the men detained?"))
    assert scores.shape == (3,)
    assert scores.argmax() == 0 and scores[2] == 0


def test_unknown_or_no_words_score_zero_everywhere():
    index = LexicalIndex.build(["men were detained", "men were released"])
    assert not index.scores(words("lasagna recipe")).any()
    assert not index.scores([]).any()


def test_empty_corpus_text_builds_an_index_that_matches_nothing():
    index = LexicalIndex.build(["", "the a of"])
    assert index.rows == 2 and not index.scores(["men"]).any()


def test_save_and_load_round_trip_without_pickle(tmp_path: Path):
    texts = ["men were detained in Argun", "a spokesman denied the reports", "men were released"]
    LexicalIndex.build(texts).save(tmp_path)
    # bm25s's own format: numpy arrays and JSON, which load with pickle refused.
    for npy in tmp_path.glob("*.npy"):
        np.load(npy, allow_pickle=False)
    loaded = LexicalIndex.load(tmp_path, mmap=True)
    question = words("who denied the reports")
    np.testing.assert_allclose(loaded.scores(question), LexicalIndex.build(texts).scores(question))


def test_coverage_weighs_rare_words_more():
    index = LexicalIndex.build(["gay men detained in Chechnya", "gay men in Chechnya", "gay men released in Chechnya"])
    question = words("gay men detained")
    full, common_only = index.coverage(question, [words("gay men detained"), words("gay men")])
    assert full == 1.0
    # "detained" occurs in one row of three, "gay" and "men" in all: losing it costs more than a third.
    assert common_only < 2 / 3
    assert index.coverage(words("population of Brazil"), [words("gay men in Chechnya")])[0] == 0.0
