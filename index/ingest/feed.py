"""An RSS or Atom feed → the articles it links, with feedparser.

A feed says little about each article (a title, a date, sometimes an author);
that is kept as a fallback for what the page itself does not say.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import feedparser

from ..errors import IngestError
from .article import is_web_url

__all__ = ["FeedEntry", "parse_feed", "looks_like_feed"]


@dataclass(frozen=True)
class FeedEntry:
    position: int  # 1-based, as the feed lists it
    link: str  # empty when the entry has none that can be fetched
    title: str = ""
    author: str = ""
    published: str = ""
    publisher: str = ""  # the feed's own title


def looks_like_feed(data: bytes) -> bool:
    """Whether a document is RSS, Atom or RSS 1.0 by its root element, whatever it is served or saved as."""
    head = data[:2048].lower()
    return b"<html" not in head and any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))


def parse_feed(data: bytes) -> list[FeedEntry]:
    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        raise IngestError(f"it is not a feed with entries{problem}")
    publisher = " ".join(parsed.feed.get("title", "").split())
    return [_entry(n, raw, publisher) for n, raw in enumerate(parsed.entries, start=1)]


def _entry(position: int, raw, publisher: str) -> FeedEntry:
    link = (raw.get("link") or "").strip()
    return FeedEntry(
        position=position,
        link=link if is_web_url(link) else "",
        title=" ".join((raw.get("title") or "").split()),
        author=" ".join((raw.get("author") or "").split()),
        published=_date(raw.get("published_parsed") or raw.get("updated_parsed")),
        publisher=publisher,
    )


def _date(parsed: time.struct_time | None) -> str:
    return time.strftime("%Y-%m-%d", parsed) if parsed else ""
