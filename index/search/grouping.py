"""The top passages, each with the lower-ranked passages of other articles reporting the same fact.

The answer then shows a fact once and names every source that reports it.
"""

from __future__ import annotations

import numpy as np

from ..language import DEFAULT_LANGUAGE
from ..lexical import word_set
from ..store import StoredIndex

__all__ = ["group_same_facts"]


def group_same_facts(
    index: StoredIndex, order: list[int], best: np.ndarray, vectors: np.ndarray, rows: np.ndarray,
    top_k: int, pool: int, min_cosine: float, min_words: float,
) -> list[tuple[int, list[int]]]:
    """``order`` ranks candidate positions best first; returns (kept position, [same-fact positions])."""
    kept: list[tuple[int, list[int]]] = []
    heads: list[frozenset[str]] = []  # each kept highlight's content words
    for i in order[: max(pool, top_k)]:
        # Only a highlight close in meaning to a kept one needs its text read: at a
        # million passages reading every candidate's text dominated the search.
        close = [j for j, (head, _) in enumerate(kept) if float(vectors[i] @ vectors[head]) >= min_cosine]
        joined = False
        doc, words = _highlight_words(index, int(rows[i]), int(best[i])) if close else ("", frozenset())
        for j in close:
            head, others = kept[j]
            seen = {index.chunks[int(rows[x])].doc_id for x in (head, *others)}
            if doc not in seen and _dice(words, heads[j]) >= min_words:
                others.append(i)
                joined = True
                break
        if not joined and len(kept) < top_k:
            kept.append((i, []))
            heads.append(words if close else _highlight_words(index, int(rows[i]), int(best[i]))[1])
    return kept


def _highlight_words(index: StoredIndex, row: int, best: int) -> tuple[str, set[str]]:
    chunk = index.chunks[row]
    span = chunk.sentences[best]
    language = index.documents[chunk.doc_id].source.language or DEFAULT_LANGUAGE
    return chunk.doc_id, word_set(chunk.text[span.start - chunk.start : span.end - chunk.start], language)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
