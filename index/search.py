"""Question → ranked passages, and whether the corpus answers the question at all.

Ranking is hybrid and small-to-big. Four signals are read for every candidate
passage: the cosine of the question with the whole passage and with its best
sentence, and BM25 of the passage and of its best sentence. Each signal is
min-max normalised over the candidates, then they are blended with fixed weights,
so one sentence that matches the question in meaning or in rare words lifts the
passage that holds it, and that sentence becomes the highlight.

Whether to answer at all is a separate, absolute judgement: see ``confidence``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import numpy as np

from .batching import QuestionEncoder
from .embedding import Embedder
from .lexical import words as content_words
from .models import Answer, Chunk, Passage, SourceInfo
from .store import StoredIndex

__all__ = ["Retriever", "IndexRetriever", "SearchSettings", "Mode"]

Mode = Literal["hybrid", "dense", "bm25"]


class Retriever(Protocol):
    """What the bot and the CLI need from retrieval, and nothing about how it is done."""

    def search(self, question: str, top_k: int = 3) -> Answer: ...

    def sources(self) -> list[SourceInfo]: ...

    def passage_at(self, doc_id: str, start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage | None:
        """The passage at these offsets (as a deep link or a button names it), or None if they no longer mark one."""
        ...

    def surrounding(self, doc_id: str, start: int, end: int, radius: int = 1) -> list[Passage]:
        """The passages of the article from ``radius`` before to ``radius`` after the one at these offsets."""
        ...


@dataclass(frozen=True)
class SearchSettings:
    # "dense" and "bm25" rank by the passage's cosine or BM25 alone: the plain
    # baselines that `index eval` measures the hybrid against.
    mode: Mode = "hybrid"
    # Share of the blended score that comes from BM25; the rest from the vectors.
    # Chosen on the development questions (see README, "Retrieval").
    lexical_weight: float = 0.3
    # Share of each signal that comes from the passage's best sentence; the rest from the whole passage.
    sentence_weight: float = 0.7
    # The corpus is taken to answer a question when confidence reaches this; chosen
    # on the development questions with `index eval --calibrate`.
    min_confidence: float = 0.48
    # How many passages and sentences each of the four searches proposes. The blend is
    # normalised over this pool, so too small a pool squeezes the scores together.
    candidates: int = 100
    # Two highlighted sentences from different articles report the same thing when
    # their cosine and their share of content words both reach these.
    same_fact_cosine: float = 0.8
    same_fact_words: float = 0.3
    # Other reports of a fact are looked for among this many of the best candidates:
    # a sentence that says what the highlight says ranks close to it.
    same_fact_pool: int = 50


@dataclass
class _Candidate:
    row: int
    signals: np.ndarray  # passage cosine, best sentence cosine, passage BM25, best sentence BM25
    best: int  # index within the passage of the sentence that answers best
    best_cosine: float
    best_vector: np.ndarray  # that sentence's vector, to compare highlights across articles
    score: float = 0.0


class IndexRetriever:
    """Hybrid retrieval over a loaded index. Safe to call from several threads."""

    def __init__(self, index: StoredIndex, embedder: Embedder, settings: SearchSettings = SearchSettings()) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._questions = QuestionEncoder(embedder)
        # Fixed for the life of a loaded index; every reply that declines needs it.
        self._sources = [SourceInfo(doc_id=m.doc_id, source=m.source) for m in index.documents.values()]

    def with_settings(self, **changes) -> IndexRetriever:
        """The same index and model with other settings, e.g. a baseline mode."""
        return IndexRetriever(self.index, self.embedder, replace(self.settings, **changes))

    def with_index(self, index: StoredIndex) -> IndexRetriever:
        """Another index searched with the same model and its one queue (a hot reload must not add a second)."""
        other = IndexRetriever(index, self.embedder, self.settings)
        other._questions = self._questions
        return other

    def sources(self) -> list[SourceInfo]:
        return list(self._sources)

    def search(self, question: str, top_k: int = 3) -> Answer:
        question = question.strip()
        if not question or not self.index.chunks:
            return Answer(question=question, answered=False)
        query = self._questions.encode(question)
        words = content_words(question)
        candidates = self._candidates(query, words, max(self.settings.candidates, top_k))
        self._rank(candidates)
        kept = self._group_same_facts(candidates, top_k)
        passages = [self._passage(rank, c, others) for rank, (c, others) in enumerate(kept, 1)]
        confidence = self.confidence(words, candidates[0]) if candidates else 0.0
        answered = confidence >= self.settings.min_confidence
        return Answer(question=question, answered=answered, passages=passages, confidence=round(confidence, 4))

    def confidence(self, words: list[str], top: _Candidate) -> float:
        """How surely the corpus answers: the best sentence's cosine plus the share of the
        question's telling words that the top passage contains.

        Both are absolute, unlike the blended ranking score: a question about
        something the articles never mention is far from every sentence in meaning
        and finds few of its rarer words anywhere.
        """
        chunk = self.index.chunks[top.row]
        return top.best_cosine + self.index.chunk_lexical.coverage(words, content_words(chunk.text))

    def _candidates(self, query: np.ndarray, words: list[str], k: int) -> list[_Candidate]:
        """Passages proposed by any of the four searches, with all four signals read for each."""
        idx = self.index
        q = query.reshape(1, -1)
        _, c_rows = idx.chunk_vectors.search(q, min(k, idx.chunk_vectors.ntotal))
        _, s_rows = idx.sentence_vectors.search(q, min(k, idx.sentence_vectors.ntotal))
        chunk_bm25 = idx.chunk_lexical.scores(words)
        sentence_bm25 = idx.sentence_lexical.scores(words)
        rows = {int(r) for r in c_rows[0] if r >= 0}
        rows |= {int(idx.sentence_owner[r]) for r in s_rows[0] if r >= 0}
        rows |= {int(r) for r in _top_positive(chunk_bm25, k)}
        rows |= {int(idx.sentence_owner[r]) for r in _top_positive(sentence_bm25, k)}
        ordered = np.array(sorted(rows), dtype=np.int64)
        if not len(ordered):
            return []
        chunk_cosines = idx.chunk_vectors.reconstruct_batch(ordered) @ query
        # Every candidate's sentences in one read and one product: per-passage reads
        # dominated the search at a million passages.
        firsts = idx.chunk_first_sentence[ordered]
        counts = idx.sentence_counts[ordered]
        bounds = np.concatenate([[0], np.cumsum(counts)])
        sentence_rows = np.repeat(firsts - bounds[:-1], counts) + np.arange(bounds[-1], dtype=np.int64)
        vectors = idx.sentence_vectors.reconstruct_batch(sentence_rows)
        cosines = vectors @ query
        bm25 = sentence_bm25[sentence_rows]
        starts = bounds[:-1]
        # The highlight: the sentence with the best blend of its cosine and BM25, each
        # scaled within its own passage.
        segment = np.repeat(np.arange(len(ordered)), counts)
        w = self.settings.lexical_weight
        blended = (1 - w) * _scaled_within(cosines, starts, segment) + w * _scaled_within(bm25, starts, segment)
        best = np.lexsort((-blended, segment))[starts]  # first of the highest in each passage
        best_cosine = cosines[best]
        signals = np.stack(
            [chunk_cosines, np.maximum.reduceat(cosines, starts), chunk_bm25[ordered], np.maximum.reduceat(bm25, starts)],
            axis=1,
        ).astype(np.float64)
        candidates = [
            _Candidate(row, signals[i], int(best[i] - starts[i]), float(best_cosine[i]), vectors[best[i]])
            for i, row in enumerate(ordered.tolist())
        ]
        return candidates

    def _rank(self, candidates: list[_Candidate]) -> None:
        """Score and sort the candidates, best first; ties keep corpus order."""
        if not candidates:
            return
        s = self.settings
        signals = np.stack([c.signals for c in candidates])
        if s.mode == "dense":
            scores = signals[:, 0]
        elif s.mode == "bm25":
            scores = signals[:, 2]
        else:
            n = _min_max(signals)
            dense = s.sentence_weight * n[:, 1] + (1 - s.sentence_weight) * n[:, 0]
            lexical = s.sentence_weight * n[:, 3] + (1 - s.sentence_weight) * n[:, 2]
            scores = s.lexical_weight * lexical + (1 - s.lexical_weight) * dense
        for c, score in zip(candidates, scores.tolist()):
            c.score = score
        candidates.sort(key=lambda c: (-c.score, c.row))

    def _group_same_facts(self, ranked: list[_Candidate], top_k: int) -> list[tuple[_Candidate, list[_Candidate]]]:
        """The top passages, each with the lower-ranked passages of other articles that
        report the same thing, so the answer shows a fact once and names every source."""
        kept: list[tuple[_Candidate, list[_Candidate]]] = []
        heads: list[tuple[np.ndarray, set[str]]] = []  # each kept passage's highlight: vector, words
        for c in ranked[: max(self.settings.same_fact_pool, top_k)]:
            if self._join_same_fact(c, kept, heads):
                continue
            if len(kept) < top_k:
                kept.append((c, []))
                heads.append((c.best_vector, self._highlight_words(c)[1]))
        return kept

    def _join_same_fact(self, c: _Candidate, kept: list[tuple[_Candidate, list[_Candidate]]], heads: list) -> bool:
        """Add ``c`` to the first kept passage of another article reporting the same fact, if any."""
        # Only a highlight close in meaning to a kept one needs its passage read:
        # at a million passages reading every candidate's text dominated the search.
        close = [i for i, (head, _) in enumerate(heads) if float(c.best_vector @ head) >= self.settings.same_fact_cosine]
        if not close:
            return False
        doc, words = self._highlight_words(c)
        for i in close:
            head, others = kept[i]
            seen = {self.index.chunks[x.row].doc_id for x in (head, *others)}
            if doc not in seen and self._same_words(words, heads[i][1]):
                others.append(c)
                return True
        return False

    def _highlight_words(self, c: _Candidate) -> tuple[str, set[str]]:
        chunk = self.index.chunks[c.row]
        span = chunk.sentences[c.best]
        return chunk.doc_id, set(content_words(chunk.text[span.start - chunk.start : span.end - chunk.start]))

    def _same_words(self, a_words: set[str], b_words: set[str]) -> bool:
        if not a_words or not b_words:
            return False
        shared = 2 * len(a_words & b_words) / (len(a_words) + len(b_words))
        return shared >= self.settings.same_fact_words

    def _passage(self, rank: int, c: _Candidate, others: list[_Candidate] = ()) -> Passage:
        chunk = self.index.chunks[c.row]
        span = chunk.sentences[c.best]
        return self._slice(
            chunk, chunk.start, chunk.end, (span.start, span.end),
            rank=rank, score=round(c.score, 4), corroborations=tuple(self._passage(rank, o) for o in others),
        )

    def passage_at(self, doc_id: str, start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage | None:
        """Whole sentences of one stored passage, with ``highlight`` one of them (the first by default).

        Offsets that fall between sentences, span passages or name no article
        give None: the corpus or its chunking has changed since the link was made.
        """
        row = self._row_holding(doc_id, start, end)
        if row is None:
            return None
        chunk = self.index.chunks[row]
        inside = [s for s in chunk.sentences if start <= s.start and s.end <= end]
        if not inside or inside[0].start != start or inside[-1].end != end:
            return None
        hl = highlight or (inside[0].start, inside[0].end)
        if not any((s.start, s.end) == hl for s in inside):
            return None
        return self._slice(chunk, start, end, hl)

    def surrounding(self, doc_id: str, start: int, end: int, radius: int = 1) -> list[Passage]:
        row = self._row_holding(doc_id, start, end)
        if row is None:
            return []
        rows = self.index.documents[doc_id].chunk_rows
        near = range(max(row - radius, rows.start), min(row + radius + 1, rows.stop))
        return [self._slice(c, c.start, c.end, (c.start, c.start)) for c in (self.index.chunks[r] for r in near)]

    def _row_holding(self, doc_id: str, start: int, end: int) -> int | None:
        """The row of the article's passage that holds [start, end), found by bisection:
        passages are stored in reading order, and reading one row costs a parse."""
        meta = self.index.documents.get(doc_id)
        if meta is None or not start < end:
            return None
        rows = meta.chunk_rows
        at = bisect.bisect_right(rows, start, key=lambda r: self.index.chunks[r].start) - 1
        if at < 0:
            return None
        chunk = self.index.chunks[rows[at]]
        return rows[at] if chunk.start <= start and end <= chunk.end else None

    def _slice(
        self, chunk: Chunk, start: int, end: int, highlight: tuple[int, int],
        *, rank: int = 1, score: float = 0.0, corroborations: tuple[Passage, ...] = (),
    ) -> Passage:
        """Part of a chunk as a passage; an empty highlight marks none of it (context around a quote)."""
        source = self.index.documents[chunk.doc_id].source
        text = chunk.text[start - chunk.start : end - chunk.start]
        hs, he = highlight
        return Passage(
            rank=rank,
            score=score,
            doc_id=chunk.doc_id,
            title=source.title,
            publisher=source.publisher,
            url=source.url,
            text=text,
            start=start,
            end=end,
            highlight=text[hs - start : he - start],
            highlight_start=hs,
            highlight_end=he,
            paragraph_first=chunk.paragraph_first,
            paragraph_last=chunk.paragraph_last,
            paragraph_count=chunk.paragraph_count,
            corroborations=corroborations,
        )


def _top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores above zero (BM25 is zero where no question word occurs)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    matched = np.flatnonzero(scores > 0)  # usually far fewer than all rows
    if len(matched) <= k:
        return matched
    return matched[np.argpartition(-scores[matched], k - 1)[:k]]


def _min_max(x: np.ndarray) -> np.ndarray:
    """Each column scaled to [0, 1] over the candidates; a constant column becomes 0."""
    low = x.min(axis=0)
    span = x.max(axis=0) - low
    return np.divide(x - low, span, out=np.zeros_like(x), where=span > 0)


def _scaled_within(x: np.ndarray, starts: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """``x`` scaled to [0, 1] within each run that begins at ``starts``; a constant run becomes 0."""
    low = np.minimum.reduceat(x, starts)[segment]
    span = np.maximum.reduceat(x, starts)[segment] - low
    return np.divide(x - low, span, out=np.zeros(len(x), dtype=np.float64), where=span > 0)
