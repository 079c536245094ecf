"""What every reader (web page, PDF, feed entry, text file) turns a source into."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import IngestError

__all__ = ["Article", "detect_language", "is_web_url", "require_text", "MIN_ARTICLE_WORDS"]

# Fewer words than this is a menu, a paywall stub or an error page, not an article.
MIN_ARTICLE_WORDS = 40


@dataclass(frozen=True)
class Article:
    """An article's plain text, one paragraph per line, and what is known of it. Empty means unknown."""

    text: str
    title: str = ""
    author: str = ""
    published: str = ""  # ISO date, as precise as the source says
    publisher: str = ""
    url: str = ""  # canonical where the page names one
    language: str = ""  # ISO 639-1
    aliases: tuple[str, ...] = ()  # other addresses it was reached by, for spotting duplicates

    @property
    def chars(self) -> int:
        return len(self.text)


def require_text(text: str, what: str) -> str:
    """The text, tidied; IngestError when there is too little of it to be an article."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    words = len(text.split())
    if words < MIN_ARTICLE_WORDS:
        raise IngestError(f"{what} has no article text ({words} words found, fewer than {MIN_ARTICLE_WORDS})")
    return text + "\n"


def detect_language(text: str) -> str:
    """The ISO 639-1 code of a source that does not declare one: the same detector the index uses."""
    from ..language import detect_language as detect

    return detect(text[:5000])


def is_web_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
