"""Question → ranked passages, and whether the corpus answers the question at all.

Retrieval is small-to-big: every sentence is embedded on its own as well as
inside its passage, so a single sentence that answers the question lifts the
passage that holds it, and that sentence becomes the highlight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .batching import QuestionEncoder
from .embedding import Embedder
from .models import Answer, Passage, SourceInfo
from .store import StoredIndex

__all__ = ["Retriever", "IndexRetriever", "SearchSettings"]


class Retriever(Protocol):
    """What the bot and the CLI need from retrieval, and nothing about how it is done."""

    def search(self, question: str, top_k: int = 3) -> Answer: ...

    def sources(self) -> list[SourceInfo]: ...


@dataclass(frozen=True)
class SearchSettings:
    # Below this cosine similarity between the question and the best passage or
    # sentence, the corpus is taken not to cover the question.
    min_score: float = 0.25
    # Share of a passage's score that comes from its best sentence; the rest from the whole passage.
    sentence_weight: float = 0.5
    # How many passages and sentences the vector search proposes before re-scoring.
    candidates: int = 40


class IndexRetriever:
    """Dense retrieval over a loaded index. Safe to call from several threads."""

    def __init__(self, index: StoredIndex, embedder: Embedder, settings: SearchSettings = SearchSettings()) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._questions = QuestionEncoder(embedder)
        # Fixed for the life of a loaded index; every reply that declines needs it.
        self._sources = [SourceInfo(doc_id=m.doc_id, source=m.source) for m in index.documents.values()]

    def sources(self) -> list[SourceInfo]:
        return list(self._sources)

    def search(self, question: str, top_k: int = 3) -> Answer:
        question = question.strip()
        if not question or not self.index.chunks:
            return Answer(question=question, answered=False)
        query = self._questions.encode(question)
        rows, chunk_scores, sentence_scores = self._candidates(query, max(self.settings.candidates, top_k))
        scored = []
        for row in rows:
            sentences = sentence_scores[row]
            best = int(np.argmax(sentences))
            w = self.settings.sentence_weight
            score = w * float(sentences[best]) + (1 - w) * chunk_scores[row]
            scored.append((score, row, best))
        scored.sort(key=lambda t: (-t[0], t[1]))
        passages = [self._passage(rank, score, row, best) for rank, (score, row, best) in enumerate(scored[:top_k], 1)]
        answered = bool(passages) and passages[0].score >= self.settings.min_score
        return Answer(question=question, answered=answered, passages=passages)

    def _candidates(self, query: np.ndarray, k: int) -> tuple[list[int], dict[int, float], dict[int, np.ndarray]]:
        """Passages proposed by either vector index, with their passage and per-sentence scores."""
        idx = self.index
        q = query.reshape(1, -1)
        k_chunks = min(k, idx.chunk_vectors.ntotal)
        k_sentences = min(k, idx.sentence_vectors.ntotal)
        c_scores, c_rows = idx.chunk_vectors.search(q, k_chunks)
        _, s_rows = idx.sentence_vectors.search(q, k_sentences)
        rows = sorted({int(r) for r in c_rows[0] if r >= 0} | {int(idx.sentence_owner[r]) for r in s_rows[0] if r >= 0})
        chunk_scores = {int(r): float(s) for r, s in zip(c_rows[0], c_scores[0]) if r >= 0}
        missing = [r for r in rows if r not in chunk_scores]
        if missing:
            vectors = idx.chunk_vectors.reconstruct_batch(np.array(missing, dtype=np.int64))
            chunk_scores.update(zip(missing, (vectors @ query).tolist()))
        sentence_scores = {}
        for r in rows:
            first = int(idx.chunk_first_sentence[r])
            ids = np.arange(first, first + len(idx.chunks[r].sentences), dtype=np.int64)
            sentence_scores[r] = idx.sentence_vectors.reconstruct_batch(ids) @ query
        return rows, chunk_scores, sentence_scores

    def _passage(self, rank: int, score: float, row: int, best: int) -> Passage:
        chunk = self.index.chunks[row]
        source = self.index.documents[chunk.doc_id].source
        span = chunk.sentences[best]
        offset = chunk.start
        return Passage(
            rank=rank,
            score=round(score, 4),
            doc_id=chunk.doc_id,
            title=source.title,
            publisher=source.publisher,
            url=source.url,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            highlight=chunk.text[span.start - offset : span.end - offset],
            highlight_start=span.start,
            highlight_end=span.end,
            paragraph_first=chunk.paragraph_first,
            paragraph_last=chunk.paragraph_last,
            paragraph_count=chunk.paragraph_count,
        )

