"""Passages by their offsets in an article: what passage links and the Context button name."""

from __future__ import annotations

import bisect

from ..models import Chunk, Passage
from ..store import StoredIndex

__all__ = ["passage_at", "surrounding", "slice_passage"]


def passage_at(index: StoredIndex, doc_id: str, start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage | None:
    """Whole sentences of one stored passage, with ``highlight`` one of them (the first by default).

    Offsets that fall between sentences, span passages or name no article
    give None: the corpus or its chunking has changed since the link was made.
    """
    row = _row_holding(index, doc_id, start, end)
    if row is None:
        return None
    chunk = index.chunks[row]
    inside = [s for s in chunk.sentences if start <= s.start and s.end <= end]
    if not inside or inside[0].start != start or inside[-1].end != end:
        return None
    hl = highlight or (inside[0].start, inside[0].end)
    if not any((s.start, s.end) == hl for s in inside):
        return None
    return slice_passage(index, chunk, start, end, hl)


def surrounding(index: StoredIndex, doc_id: str, start: int, end: int, radius: int = 1) -> list[Passage]:
    row = _row_holding(index, doc_id, start, end)
    if row is None:
        return []
    rows = index.documents[doc_id].chunk_rows
    near = range(max(row - radius, rows.start), min(row + radius + 1, rows.stop))
    return [slice_passage(index, c, c.start, c.end, (c.start, c.start)) for c in (index.chunks[r] for r in near)]


def _row_holding(index: StoredIndex, doc_id: str, start: int, end: int) -> int | None:
    """The row of the article's passage that holds [start, end), found by bisection:
    passages are stored in reading order, and reading one row costs a parse."""
    meta = index.documents.get(doc_id)
    if meta is None or not start < end:
        return None
    rows = meta.chunk_rows
    at = bisect.bisect_right(rows, start, key=lambda r: index.chunks[r].start) - 1
    if at < 0:
        return None
    chunk = index.chunks[rows[at]]
    return rows[at] if chunk.start <= start and end <= chunk.end else None


def slice_passage(
    index: StoredIndex, chunk: Chunk, start: int, end: int, highlight: tuple[int, int],
    *, rank: int = 1, score: float = 0.0, corroborations: tuple[Passage, ...] = (),
) -> Passage:
    """Part of a chunk as a passage; an empty highlight marks none of it (context around a quote)."""
    source = index.documents[chunk.doc_id].source
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
