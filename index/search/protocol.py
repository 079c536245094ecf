"""What the bot and the CLI need from retrieval, and nothing about how it is done."""

from __future__ import annotations

from typing import Protocol

from ..models import Answer, Passage, SourceInfo

__all__ = ["Retriever"]


class Retriever(Protocol):
    def search(self, question: str, top_k: int = 3) -> Answer: ...

    def sources(self) -> list[SourceInfo]: ...

    def passage_at(self, doc_id: str, start: int, end: int, highlight: tuple[int, int] | None = None) -> Passage | None:
        """The passage at these offsets (as a deep link or a button names it), or None if they no longer mark one."""
        ...

    def surrounding(self, doc_id: str, start: int, end: int, radius: int = 1) -> list[Passage]:
        """The passages of the article from ``radius`` before to ``radius`` after the one at these offsets."""
        ...
