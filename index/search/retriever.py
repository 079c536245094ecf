"""IndexRetriever: a question → an Answer, over one loaded index and its model."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from ..batching import QuestionEncoder
from ..embedding import Embedder
from ..language import DEFAULT_LANGUAGE, detect_language
from ..lexical import words as content_words
from ..models import Answer, Passage, SourceInfo
from ..store import StoredIndex
from . import lookup
from .fusion import confidence, rank_scores
from .grouping import group_same_facts
from .settings import SearchSettings
from .signals import Candidates, gather

__all__ = ["IndexRetriever"]


class IndexRetriever:
    """Hybrid retrieval over a loaded index. Safe to call from several threads."""

    def __init__(self, index: StoredIndex, embedder: Embedder, settings: SearchSettings = SearchSettings()) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._questions = QuestionEncoder(embedder)
        self._weighted = frozenset(name for name, w in settings.weights if w)
        # Fixed for the life of a loaded index; every reply that declines needs it.
        self._sources = [SourceInfo(doc_id=m.doc_id, source=m.source) for m in index.documents.values()]
        # What an unsure detection of a question's language falls back to: the articles' most common language.
        languages = Counter(m.source.language or DEFAULT_LANGUAGE for m in index.documents.values())
        self._main_language = languages.most_common(1)[0][0] if languages else DEFAULT_LANGUAGE

    def with_settings(self, **changes) -> IndexRetriever:
        """The same index and model with other settings, e.g. a baseline mode; shares the question queue."""
        other = IndexRetriever(self.index, self.embedder, replace(self.settings, **changes))
        other._questions = self._questions
        return other

    def with_index(self, index: StoredIndex) -> IndexRetriever:
        """Another index searched with the same model and its one queue (a hot reload must not add a second)."""
        other = IndexRetriever(index, self.embedder, self.settings)
        other._questions = self._questions
        return other

    def sources(self) -> list[SourceInfo]:
        return list(self._sources)

    def candidates(self, question: str, top_k: int = 0, every_signal: bool = False) -> Candidates:
        """Every proposed passage with its signals: what ranking and tuning both start from.

        Signals the settings give no weight are left at zero unless ``every_signal`` (tuning weighs them all).
        """
        query = self._questions.encode(question)
        language = detect_language(question, self._main_language)
        words = content_words(question, language)
        k = max(self.settings.candidates, top_k)
        used = None if every_signal else self._weighted
        return gather(self.index, question, query, words, k, self.settings.highlight_lexical, language, used)

    def search(self, question: str, top_k: int = 3) -> Answer:
        question = question.strip()
        if not question or not self.index.chunks:
            return Answer(question=question, answered=False)
        found = self.candidates(question, top_k)
        if not len(found):
            return Answer(question=question, answered=False)
        s = self.settings
        scores = rank_scores(found, s.mode, s.weights)
        order = sorted(range(len(found)), key=lambda i: (-scores[i], int(found.rows[i])))  # ties keep corpus order
        kept = group_same_facts(
            self.index, order, found.best, found.best_vectors, found.rows,
            top_k, s.same_fact_pool, s.same_fact_cosine, s.same_fact_words,
        )
        passages = [
            self._passage(found, i, rank, scores, tuple(self._passage(found, o, rank, scores) for o in others))
            for rank, (i, others) in enumerate(kept, 1)
        ]
        sure = confidence(found.features[order[0]], s.decline, found.crosslingual)
        return Answer(question=question, answered=sure >= s.min_confidence, passages=passages, confidence=round(sure, 4))

    def _passage(self, found: Candidates, i: int, rank: int, scores: np.ndarray, others: tuple[Passage, ...] = ()) -> Passage:
        chunk = self.index.chunks[int(found.rows[i])]
        span = chunk.sentences[int(found.best[i])]
        return lookup.slice_passage(
            self.index, chunk, chunk.start, chunk.end, (span.start, span.end),
            rank=rank, score=round(float(scores[i]), 4), corroborations=others,
        )

    def passage_at(self, doc_id: str, start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage | None:
        return lookup.passage_at(self.index, doc_id, start, end, highlight)

    def surrounding(self, doc_id: str, start: int, end: int, radius: int = 1) -> list[Passage]:
        return lookup.surrounding(self.index, doc_id, start, end, radius)
