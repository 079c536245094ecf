"""Fetch one URL within limits: a time budget, a few redirects, a size cap, a known content type.

The body is streamed and reading stops as soon as it passes the cap, so an
oversize or endless response costs at most the cap in memory.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import httpx

from ..config import env_number
from ..errors import IngestError
from .article import is_web_url

__all__ = ["FetchLimits", "Fetched", "fetch", "kind_of", "is_web_url"]

# Media type → what kind of source it is; anything else is refused before it is read.
_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
_USER_AGENT = "chechnya-news-qa/0.1 (index add)"


@dataclass(frozen=True)
class FetchLimits:
    """INGEST_TIMEOUT_SECONDS (default 20, 1-300) and INGEST_MAX_MB (default 10, 1-200)."""

    timeout: float = 20.0  # the whole request, not each read: a trickling server is cut off too
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_env(cls) -> FetchLimits:
        return cls(
            timeout=env_number(os.environ, "INGEST_TIMEOUT_SECONDS", cls.timeout, 1, 300),
            max_bytes=int(env_number(os.environ, "INGEST_MAX_MB", cls.max_bytes / 2**20, 1, 200) * 2**20),
        )


@dataclass(frozen=True)
class Fetched:
    requested: str
    url: str  # after redirects
    media_type: str  # lower case, without parameters
    charset: str  # as the server declared it; empty when it did not
    body: bytes

    @property
    def kind(self) -> str:
        return kind_of(self.media_type, self.body)


def kind_of(media_type: str, body: bytes) -> str:
    """html, pdf, feed, text or markdown; IngestError for anything that is not an article."""
    kind = _KINDS.get(media_type)
    if kind is None and media_type in ("", "application/octet-stream") and body.startswith(b"%PDF-"):
        kind = "pdf"  # many servers send PDFs as octet-stream
    if kind is None:
        raise _not_an_article(media_type)
    if kind != "pdf" and b"\x00" in body[:4096]:
        raise IngestError(f"the response says {media_type} but is binary data")
    if kind == "feed":
        from .feed import looks_like_feed  # feedparser: paid by the first feed, not by every bot start

        if not looks_like_feed(body):
            kind = "html"  # XHTML served as XML
    return kind


def _not_an_article(media_type: str) -> IngestError:
    return IngestError(f"the response is {media_type or 'of no stated type'}, not a web page, PDF, text or feed")


def fetch(url: str, limits: FetchLimits, client: httpx.Client | None = None) -> Fetched:
    if not is_web_url(url):
        raise IngestError(f"{url!r} is not an http(s) address")
    own = client is None
    client = client or new_client(limits)
    try:
        return _get(client, url, limits)
    except httpx.TimeoutException:
        raise IngestError(f"no complete answer within {limits.timeout:g} s (time-out)") from None
    except httpx.TooManyRedirects:
        raise IngestError(f"more than {limits.max_redirects} redirects") from None
    except httpx.HTTPError as exc:
        raise IngestError(f"cannot fetch it ({type(exc).__name__}: {exc})") from None
    finally:
        if own:
            client.close()


def new_client(limits: FetchLimits) -> httpx.Client:
    return httpx.Client(
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        timeout=httpx.Timeout(limits.timeout),
        headers={"User-Agent": _USER_AGENT, "Accept": "text/html,application/xhtml+xml,application/pdf,"
                 "application/rss+xml,application/atom+xml,text/plain;q=0.8,*/*;q=0.1"},
    )


def _get(client: httpx.Client, url: str, limits: FetchLimits) -> Fetched:
    deadline = time.monotonic() + limits.timeout
    with client.stream("GET", url) as response:
        if response.status_code >= 400:
            raise IngestError(f"the server answered {response.status_code} {response.reason_phrase}".rstrip())
        media_type, _, params = response.headers.get("content-type", "").partition(";")
        media_type = media_type.strip().lower()
        if media_type not in _KINDS and media_type not in ("", "application/octet-stream"):
            raise _not_an_article(media_type)  # images, video, archives: refused before they are read
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise IngestError(f"it is {int(declared) / 2**20:.1f} MB, over the {_mb(limits.max_bytes)} limit")
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > limits.max_bytes:
                raise IngestError(f"it is over the {_mb(limits.max_bytes)} limit")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("total time budget spent")
        return Fetched(url, str(response.url), media_type, _charset(params), bytes(body))


def _charset(params: str) -> str:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower()
    return ""


def _mb(size: int) -> str:
    return f"{size / 2**20:g} MB"
