from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.batching import QuestionEncoder
from index.evaluate import evaluate, fold, load_questions
from index.search import IndexRetriever

from .conftest import DEV_QUESTIONS, SEEDS
from .fakes import FakeEmbedder, SlowEmbedder


def _doc_text(doc_id: str) -> str:
    return (SEEDS / doc_id).read_text(encoding="utf-8")


def _check_passages(answer) -> None:
    for rank, p in enumerate(answer.passages, 1):
        assert p.rank == rank
        text = _doc_text(p.doc_id)
        assert text[p.start : p.end] == p.text
        assert text[p.highlight_start : p.highlight_end] == p.highlight
        assert p.start <= p.highlight_start < p.highlight_end <= p.end
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)


def test_search_fake_finds_passage_sharing_words(fake_retriever: IndexRetriever):
    answer = fake_retriever.search("Rainbow Railroad smuggle people out of the region", top_k=3)
    _check_passages(answer)
    assert "Rainbow Railroad" in answer.passages[0].text


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_search_blank_question_is_not_answered(fake_retriever: IndexRetriever, question: str):
    answer = fake_retriever.search(question)
    assert not answer.answered and answer.passages == []


def test_search_top_k_bounds_the_passages(fake_retriever: IndexRetriever):
    assert len(fake_retriever.search("gay men Chechnya", top_k=1).passages) == 1
    assert len(fake_retriever.search("gay men Chechnya", top_k=7).passages) == 7
    assert len(fake_retriever.search("gay men Chechnya", top_k=60).passages) == 60  # beyond the candidate pool


def test_sources_lists_every_article(fake_retriever: IndexRetriever):
    assert len(fake_retriever.sources()) == 5


# --- the real bundled model on the real seeds ------------------------------------------


def test_search_real_model_how_many_detained(real_retriever: IndexRetriever):
    answer = real_retriever.search("How many men were detained?", top_k=5)
    assert answer.answered
    _check_passages(answer)
    assert any("100" in p.text for p in answer.passages[:3])
    meta = {s.doc_id: s.source for s in real_retriever.sources()}
    for p in answer.passages:
        assert (p.title, p.url) == (meta[p.doc_id].title, meta[p.doc_id].url)


def test_search_real_model_who_denied(real_retriever: IndexRetriever):
    answer = real_retriever.search("Who denied the reports?", top_k=3)
    assert answer.answered
    assert "denied" in answer.passages[0].highlight


@pytest.mark.parametrize("question", ["What is the population of Brazil?", "How do I bake sourdough bread?"])
def test_search_real_model_declines_what_the_corpus_does_not_cover(real_retriever: IndexRetriever, question: str):
    assert not real_retriever.search(question).answered


def test_search_real_model_dev_set_floor(real_retriever: IndexRetriever):
    """Regression guard: retrieval must not fall below what the first release measured."""
    report = evaluate(real_retriever, load_questions(DEV_QUESTIONS))
    assert report.hit_at(5) >= 0.90, report.as_dict()
    assert report.absent_declined == report.absent, report.as_dict()


def test_fold_matches_curly_quotes_dashes_and_space():
    assert fold("It’s  “ten”\u00a0men — or so") == fold("it's \"TEN\" men - or so")



def _ranking(answer) -> list[tuple[str, int]]:
    return [(p.doc_id, p.start) for p in answer.passages]


def test_search_from_many_threads_matches_one_at_a_time(fake_retriever):
    questions = ["Rainbow Railroad", "Who denied the reports?", "How many men were detained?", "Kadyrov spokesman"] * 5
    alone = [_ranking(fake_retriever.search(q)) for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = [_ranking(a) for a in pool.map(fake_retriever.search, questions)]
    assert together == alone


def test_question_encoder_batches_questions_that_wait(tmp_path):
    embedder = SlowEmbedder(tmp_path / "started", delay=0.2)
    encoder = QuestionEncoder(embedder)
    questions = [f"question number {i}" for i in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        vectors = list(pool.map(encoder.encode, questions))
    assert embedder.calls < len(questions)  # later arrivals rode along in one call
    np.testing.assert_allclose(np.vstack(vectors), FakeEmbedder().encode(questions), atol=1e-6)
