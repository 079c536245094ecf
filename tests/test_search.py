from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from pathlib import Path

from index.batching import QuestionEncoder
from index.build import build_index
from index.evaluate import evaluate, fold, load_questions
from index.search import IndexRetriever
from index.store import load_index
from index.tune import is_holdout

from .conftest import DEV_QUESTIONS, SEEDS, seed_texts
from .fakes import FAKE_SETTINGS, FakeEmbedder, SlowEmbedder


def _doc_text(doc_id: str) -> str:
    return seed_texts()[doc_id]


def _check_passages(answer, read=_doc_text) -> None:
    for rank, p in enumerate(answer.passages, 1):
        assert p.rank == rank
        text = read(p.doc_id)
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
    every = len(fake_retriever.index.chunks)
    assert len(fake_retriever.search("gay men Chechnya", top_k=every).passages) == every  # the whole corpus


_WIRE = {
    "a.txt": "Wire one.\n\nA spokesman for the governor said that nobody had been detained in the region.\n\n"
             "The weather in the valley was mild all week, farmers said.",
    "b.txt": "Wire two.\n\nNobody had been detained in the region, a spokesman for the governor said on Monday.\n\n"
             "A bridge over the river was closed for repairs.",
    "c.txt": "Wire three.\n\nThe governor's spokesman said nobody had been detained in the region at all.\n\n"
             "Schools reopened after the holiday.",
    "d.txt": "Wire four.\n\nHuman rights groups said dozens had been detained and asked for an inquiry.\n\n"
             "The football season ended early.",
}


def _wire_retriever(tmp_path: Path, fake_embedder: FakeEmbedder) -> IndexRetriever:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in _WIRE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index", fake_embedder, progress=False)
    return IndexRetriever(load_index(tmp_path / "index"), fake_embedder, FAKE_SETTINGS)


def test_the_same_fact_from_several_articles_is_shown_once_with_its_other_sources(tmp_path: Path, fake_embedder):
    retriever = _wire_retriever(tmp_path, fake_embedder)
    answer = retriever.search("What did the governor's spokesman say about people detained?", top_k=3)
    _check_passages(answer, read=_WIRE.__getitem__)
    first = answer.passages[0]
    assert "spokesman" in first.highlight
    others = {p.doc_id for p in first.corroborations}
    assert others == {"a.txt", "b.txt", "c.txt"} - {first.doc_id}
    for p in first.corroborations:
        assert "spokesman" in p.highlight and p.doc_id != first.doc_id
        assert _WIRE[p.doc_id][p.start : p.end] == p.text
    # The copies do not take up the other places in the answer.
    assert not any("spokesman" in p.highlight for p in answer.passages[1:])
    # A different claim about the same subject is not merged into it.
    assert "d.txt" not in others


def test_baseline_modes_rank_by_one_signal(fake_retriever: IndexRetriever):
    question = "Rainbow Railroad smuggle people out of the region"
    bm25 = fake_retriever.with_settings(mode="bm25").search(question, top_k=5)
    dense = fake_retriever.with_settings(mode="dense").search(question, top_k=5)
    assert "Rainbow Railroad" in bm25.passages[0].text
    for answer in (bm25, dense):
        _check_passages(answer)


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


@pytest.mark.parametrize(
    "question",
    [
        "What is the population of Brazil?",
        "How do I bake sourdough bread?",
    ],
)
def test_search_real_model_declines_what_the_corpus_does_not_cover(real_retriever: IndexRetriever, question: str):
    assert not real_retriever.search(question).answered


def _holdout_questions():
    files = (DEV_QUESTIONS, DEV_QUESTIONS.with_name("dev_questions_more.jsonl"))
    return [q for f in files for q in load_questions(f) if is_holdout(q.id)]


def test_search_real_model_holds_up_on_questions_tuning_never_saw(real_retriever: IndexRetriever):
    """Regression guard on the fixed fifth of the questions that `index tune` never reads."""
    questions = _holdout_questions()
    assert len(questions) >= 20
    ours = evaluate(real_retriever, questions)
    bm25 = evaluate(real_retriever.with_settings(mode="bm25"), questions)
    # Measured at release on these 25: ours hit@1 0.65, hit@5 0.83, 3 of 23 answerable and both absent
    # questions declined; BM25 alone hit@1 0.52 and hit@5 0.74 on the same passages.
    assert ours.hit_at(1) >= 0.6, ours.as_dict()
    assert ours.hit_at(5) >= 0.8, ours.as_dict()
    assert ours.hit_at(1) > bm25.hit_at(1) and ours.mrr > bm25.mrr, (ours.as_dict(), bm25.as_dict())
    assert ours.wrongly_declined <= 3 and ours.absent_declined == ours.absent, ours.as_dict()


def test_search_real_model_corroborates_a_quote_carried_by_several_articles(real_retriever: IndexRetriever):
    # Three of the articles quote "You cannot arrest or repress people who just don't exist".
    answer = real_retriever.search("What did Kadyrov's spokesman say about arresting gay people?", top_k=5)
    quoting = [p for p in answer.passages if "arrest or repress" in p.text]
    assert len(quoting) == 1, [p.highlight for p in answer.passages]
    assert len({quoting[0].doc_id, *(p.doc_id for p in quoting[0].corroborations)}) >= 3


def test_fold_matches_curly_quotes_dashes_and_space():
    assert fold("It’s  “ten”\u00a0men — or so") == fold("it's \"TEN\" men - or so")


def test_search_passage_at_finds_every_answer_passage_again(fake_retriever: IndexRetriever):
    for p in fake_retriever.search("Rainbow Railroad smuggle people out of the region", top_k=5).passages:
        again = fake_retriever.passage_at(p.doc_id, p.start, p.end, (p.highlight_start, p.highlight_end))
        assert again is not None
        assert (again.text, again.highlight, again.location) == (p.text, p.highlight, p.location)
        _check_passages(type("A", (), {"passages": [again]})())


def test_search_passage_at_refuses_offsets_that_mark_no_passage(fake_retriever: IndexRetriever):
    p = fake_retriever.search("Rainbow Railroad", top_k=1).passages[0]
    assert fake_retriever.passage_at("no-such-article.txt", p.start, p.end) is None
    assert fake_retriever.passage_at(p.doc_id, p.start + 1, p.end) is None  # mid-sentence
    assert fake_retriever.passage_at(p.doc_id, p.start, p.end, (p.start, p.start + 3)) is None  # not a sentence
    assert fake_retriever.passage_at(p.doc_id, p.end, p.start) is None
    assert fake_retriever.passage_at(p.doc_id, 10**8, 10**8 + 5) is None
    first = fake_retriever.passage_at(p.doc_id, p.start, p.end)
    assert first is not None and p.text.startswith(first.highlight)  # the first sentence by default


def test_search_surrounding_gives_neighbours_in_reading_order(fake_retriever: IndexRetriever):
    p = fake_retriever.search("Rainbow Railroad", top_k=1).passages[0]
    around = fake_retriever.surrounding(p.doc_id, p.start, p.end, radius=1)
    assert 2 <= len(around) <= 3
    assert [a.start for a in around] == sorted(a.start for a in around)
    assert any(a.start == p.start and a.end == p.end for a in around)
    assert all(a.doc_id == p.doc_id and a.highlight == "" for a in around)
    text = _doc_text(p.doc_id)
    assert all(text[a.start : a.end] == a.text for a in around)
    assert fake_retriever.surrounding("no-such-article.txt", 0, 1) == []

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
