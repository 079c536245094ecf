"""Candidates for a question, and the signals read for each of them.

Four searches propose passages: the nearest passage vectors, the nearest
sentence vectors, and the best BM25 matches of passages and of sentences.
Every proposed passage then gets every signal, named in ``FEATURES``, so that
the ranking (fusion.py) and the tuning (index/tune.py) see the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..language import DEFAULT_LANGUAGE
from ..lexical import word_set
from ..store import StoredIndex
from .answer_type import holds_wanted_kind, wanted_kind

__all__ = ["FEATURES", "Candidates", "gather"]

FEATURES = (
    "dense_passage",  # cosine of the question with the passage
    "dense_sentence",  # cosine with the passage's best sentence
    "bm25_passage",
    "bm25_sentence",  # BM25 of the passage's best sentence
    "coverage",  # share of the question's telling words (idf-weighted) the passage contains
    "answer_type",  # 1 when the question wants a name, number, date or quote and the best sentence holds one
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}


@dataclass
class Candidates:
    """The proposed passages in corpus order, one row of ``features`` each."""

    rows: np.ndarray  # chunk rows
    features: np.ndarray  # (len(rows), len(FEATURES)) float64
    best: np.ndarray  # index within each passage of its highlighted sentence
    best_vectors: np.ndarray  # that sentence's vector, to compare highlights across articles
    # The question is in a language no candidate is written in: word signals say nothing about it.
    crosslingual: bool = False

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> np.ndarray:
        return self.features[:, COLUMN[name]]


def gather(
    index: StoredIndex, question: str, query: np.ndarray, words: list[str], k: int, highlight_lexical: float,
    language: str = DEFAULT_LANGUAGE, signals: frozenset[str] | None = None,
) -> Candidates:
    """Passages proposed by any of the four searches, with every signal read for each."""
    q = query.reshape(1, -1)
    _, c_rows = index.chunk_vectors.search(q, min(k, index.chunk_vectors.ntotal))
    _, s_rows = index.sentence_vectors.search(q, min(k, index.sentence_vectors.ntotal))
    chunk_bm25 = index.chunk_lexical.scores(words)
    sentence_bm25 = index.sentence_lexical.scores(words)
    rows = {int(r) for r in c_rows[0] if r >= 0}
    rows |= {int(r) for r in index.sentence_owner(s_rows[0][s_rows[0] >= 0])}
    rows |= {int(r) for r in _top_positive(chunk_bm25, k)}
    rows |= {int(r) for r in index.sentence_owner(_top_positive(sentence_bm25, k))}
    ordered = np.array(sorted(rows), dtype=np.int64)
    if not len(ordered):
        return Candidates(ordered, np.zeros((0, len(FEATURES))), ordered, np.zeros((0, len(query)), np.float32))
    chunk_cosines = index.chunk_vectors.reconstruct_batch(ordered) @ query
    # Every candidate's sentences in one read and one product: per-passage reads
    # dominated the search at a million passages.
    counts = index.sentence_counts[ordered]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    starts = bounds[:-1]
    sentence_rows = np.repeat(index.chunk_first_sentence[ordered] - starts, counts) + np.arange(bounds[-1], dtype=np.int64)
    vectors = index.sentence_vectors.reconstruct_batch(sentence_rows)
    cosines = vectors @ query
    bm25 = sentence_bm25[sentence_rows]
    # The highlight: the sentence with the best blend of its cosine and BM25, each scaled within its passage.
    segment = np.repeat(np.arange(len(ordered)), counts)
    w = highlight_lexical
    blended = (1 - w) * _scaled_within(cosines, starts, segment) + w * _scaled_within(bm25, starts, segment)
    best = np.lexsort((-blended, segment))[starts]  # first of the highest in each passage
    chunks = [index.chunks[int(r)] for r in ordered]
    features = np.zeros((len(ordered), len(FEATURES)))
    features[:, COLUMN["dense_passage"]] = chunk_cosines
    features[:, COLUMN["dense_sentence"]] = np.maximum.reduceat(cosines, starts)
    features[:, COLUMN["bm25_passage"]] = chunk_bm25[ordered]
    features[:, COLUMN["bm25_sentence"]] = np.maximum.reduceat(bm25, starts)
    languages = [index.documents[c.doc_id].source.language or DEFAULT_LANGUAGE for c in chunks]
    features[:, COLUMN["coverage"]] = index.chunk_lexical.coverage(
        words, [word_set(c.text, lang) for c, lang in zip(chunks, languages)]
    )
    # Read only when asked for (``signals``, None: all): the default weights leave answer type out.
    if (signals is None or "answer_type" in signals) and (kind := wanted_kind(question)):
        highlights = (_sentence(c, int(b - s)) for c, b, s in zip(chunks, best, starts))
        features[:, COLUMN["answer_type"]] = [holds_wanted_kind(h, kind, question) for h in highlights]
    return Candidates(ordered, features, best - starts, vectors[best], crosslingual=language not in set(languages))


def _sentence(chunk, i: int) -> str:
    span = chunk.sentences[i]
    return chunk.text[span.start - chunk.start : span.end - chunk.start]


def _top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores above zero (BM25 is zero where no question word occurs)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    matched = np.flatnonzero(scores > 0)  # usually far fewer than all rows
    if len(matched) <= k:
        return matched
    return matched[np.argpartition(-scores[matched], k - 1)[:k]]


def _scaled_within(x: np.ndarray, starts: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """``x`` scaled to [0, 1] within each run that begins at ``starts``; a constant run becomes 0."""
    low = np.minimum.reduceat(x, starts)[segment]
    span = np.maximum.reduceat(x, starts)[segment] - low
    return np.divide(x - low, span, out=np.zeros(len(x), dtype=np.float64), where=span > 0)
