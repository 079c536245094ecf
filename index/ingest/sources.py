"""What a SOURCE given to `index add` can be, and how each becomes articles in the corpus.

A source is a web address, a saved page, a PDF, a text or Markdown file, a
feed (by address or file) or a folder of these. Each article it yields gets one
``AddResult``: added, duplicate or failed, with the reason; one failure never
stops the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..errors import IngestError
from .article import Article, is_web_url
from .corpus_writer import CorpusWriter
from .feed import FeedEntry, looks_like_feed, parse_feed
from .fetch import FetchLimits, fetch, new_client
from .html import decode_page, extract_html
from .pdf import extract_pdf
from .text import read_markdown, read_text

__all__ = ["AddResult", "Ingester", "FILE_KINDS"]

FILE_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "text", ".md": "markdown",
              ".xml": "feed", ".rss": "feed", ".atom": "feed"}


@dataclass(frozen=True)
class AddResult:
    """One line of `index add --json`; None where a value is not known."""

    source: str
    status: str  # added | duplicate | failed
    doc_id: str | None = None
    path: str | None = None
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    chars: int = 0
    error: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


def _failed(source: str, error: str) -> AddResult:
    return AddResult(source=source, status="failed", error=error)


class Ingester:
    """Adds sources to one corpus folder, fetching over one HTTP client."""

    def __init__(self, writer: CorpusWriter, limits: FetchLimits | None = None) -> None:
        self.writer = writer
        self.limits = limits or FetchLimits()
        self._client = None

    def __enter__(self) -> Ingester:
        return self

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()

    def add(self, source: str, *, url: str = "", feed: bool = False) -> Iterator[AddResult]:
        """Every article of ``source``; ``url`` is the original address of a single saved file."""
        if is_web_url(source):
            yield from self._add_url(source, as_feed=feed)
            return
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FILE_KINDS
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                yield _failed(source, f"the folder holds no {', '.join(sorted(FILE_KINDS))} file")
            for file in found:
                yield from self._add_file(file, "", feed)
        elif path.is_file():
            yield from self._add_file(path, url, feed)
        else:
            yield _failed(source, "no such file or folder, and not an http(s) address")

    def _add_url(self, url: str, *, as_feed: bool = False, entry: FeedEntry | None = None) -> Iterator[AddResult]:
        if found := self.writer.doc_for_url(url):
            yield self._duplicate(url, found, Article(text="", url=url))
            return
        try:
            if self._client is None:
                self._client = new_client(self.limits)
            page = fetch(url, self.limits, self._client)
            is_feed = as_feed or page.kind == "feed"
            parsed = parse_feed(page.body) if is_feed else _read(page.kind, page.body, page.charset, page.url)
        except IngestError as exc:
            yield _failed(url, str(exc))
            return
        if is_feed:
            yield from self._add_entries(parsed)
            return
        aliases = tuple(dict.fromkeys(u for u in (*parsed.aliases, page.url, url) if u != parsed.url))
        yield self._store(url, replace(parsed, aliases=aliases), entry)

    def _add_file(self, path: Path, url: str, as_feed: bool) -> Iterator[AddResult]:
        source = str(path)
        kind = FILE_KINDS.get(path.suffix.lower())
        try:
            if path.stat().st_size > self.limits.max_bytes:
                raise IngestError(f"it is over the {self.limits.max_bytes / 2**20:g} MB limit")
            data = path.read_bytes()
            is_feed = as_feed or kind == "feed" or (kind == "html" and looks_like_feed(data))
            if kind is None and not is_feed:
                raise IngestError(f"{path.suffix or 'a file without extension'} is not one of {', '.join(sorted(FILE_KINDS))}")
            parsed = parse_feed(data) if is_feed else _read(kind, data, "", url)
        except IngestError as exc:
            yield _failed(source, str(exc))
            return
        except OSError as exc:
            yield _failed(source, f"cannot read it ({exc.strerror})")
            return
        if is_feed:
            yield from self._add_entries(parsed)
        else:
            yield self._store(source, parsed, None)

    def _add_entries(self, entries: list[FeedEntry]) -> Iterator[AddResult]:
        for entry in entries:
            if not entry.link:
                yield _failed(f"feed entry {entry.position}", "it has no http(s) link to an article")
            else:
                yield from self._add_url(entry.link, entry=entry)

    def _store(self, source: str, article: Article, entry: FeedEntry | None) -> AddResult:
        if entry is not None:  # what the feed says fills what the page does not
            article = replace(
                article,
                title=article.title or entry.title,
                author=article.author or entry.author,
                published=article.published or entry.published,
                publisher=article.publisher or entry.publisher,
            )
        if found := self.writer.duplicate_of(article):
            return self._duplicate(source, found, article)
        try:
            doc_id = self.writer.add(article)
        except (IngestError, OSError) as exc:
            return _failed(source, str(exc))
        return _result(source, "added", doc_id, self.writer.corpus_dir / doc_id, article)

    def _duplicate(self, source: str, doc_id: str, article: Article) -> AddResult:
        known = self.writer.entries().get(doc_id, {})
        return _result(source, "duplicate", doc_id, self.writer.corpus_dir / doc_id,
                       replace(article, **{k: getattr(article, k) or str(known.get(k, "")) for k in _SHOWN}))


_SHOWN = ("title", "url", "publisher", "author", "published", "language")


def _result(source: str, status: str, doc_id: str, path: Path, article: Article) -> AddResult:
    return AddResult(source=source, status=status, doc_id=doc_id, path=str(path), chars=article.chars,
                     **{k: getattr(article, k) or None for k in _SHOWN})


def _read(kind: str, data: bytes, charset: str, url: str) -> Article:
    if kind == "html":
        return extract_html(decode_page(data, charset), url)
    if kind == "pdf":
        return extract_pdf(data, url)
    if kind == "markdown":
        return read_markdown(data, charset, url)
    return read_text(data, charset, url)
