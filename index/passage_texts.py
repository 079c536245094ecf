"""What gets embedded for an article: the one definition both build engines use."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Chunk, Document

__all__ = ["embedding_texts"]


def embedding_texts(document: Document, chunks: Sequence[Chunk]) -> list[str]:
    """The texts to embed for ``document``'s ``chunks``: each passage, then each of their sentences, in row order.

    The vector rows of a build follow this order, so the vector cache, the local
    engine and the Ray engine stay interchangeable as long as they all call it.
    """
    return [c.text for c in chunks] + [document.text[s.start : s.end] for c in chunks for s in c.sentences]
