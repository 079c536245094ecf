"""Plain data that flows one way: Document → Chunk → Passage → Answer.

Rendering (terminal text, Telegram HTML, JSON) happens only at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """What is known of where an article was published. Empty strings mean unknown."""

    title: str
    publisher: str = ""
    author: str = ""
    url: str = ""
    published: str = ""
    language: str = ""  # ISO 639-1, detected at build time unless sources.toml gives it


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, with forward slashes
    text: str
    source: Source
    sha256: str


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences from one document; ``text == document.text[start:end]``."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]  # absolute offsets in the document
    paragraph_first: int  # 1-based
    paragraph_last: int
    paragraph_count: int


@dataclass(frozen=True)
class Passage:
    rank: int
    score: float
    doc_id: str
    title: str
    publisher: str
    url: str
    text: str
    start: int
    end: int
    highlight: str  # the sentence of the passage that best answers the question
    highlight_start: int  # absolute offsets in the document
    highlight_end: int
    paragraph_first: int
    paragraph_last: int
    paragraph_count: int
    # Passages from other articles that report the same thing, best first. The
    # answer shows this passage once and names their sources instead of repeating them.
    corroborations: tuple[Passage, ...] = ()

    def around_highlight(self) -> tuple[str, str, str]:
        """The passage text as (before, highlighted sentence, after)."""
        a, b = self.highlight_start - self.start, self.highlight_end - self.start
        return self.text[:a], self.text[a:b], self.text[b:]

    @property
    def location(self) -> str:
        if self.paragraph_first == self.paragraph_last:
            return f"paragraph {self.paragraph_first} of {self.paragraph_count}"
        return f"paragraphs {self.paragraph_first}–{self.paragraph_last} of {self.paragraph_count}"


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool  # false when the corpus does not cover the question
    passages: list[Passage] = field(default_factory=list)
    confidence: float = 0.0  # what `answered` was decided on; comparable across questions


@dataclass(frozen=True)
class SourceInfo:
    """One article as listed to users by /sources."""

    doc_id: str
    source: Source
