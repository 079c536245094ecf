"""A web page → its main text and metadata, with trafilatura.

Navigation, share bars, cookie notices, comments and related-article teasers
are trafilatura's to drop; this module decodes the bytes strictly first, so a
page in a wrong or undeclared charset is refused rather than indexed as
mojibake.
"""

from __future__ import annotations

import codecs
import re

import trafilatura

from ..errors import IngestError
from .article import Article, detect_language, require_text
from .article import is_web_url

__all__ = ["decode_page", "extract_html"]

# The HTML standard's pre-scan looks for a charset in the first 1024 bytes; be a little generous.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_PRESCAN_BYTES = 4096


def decode_page(body: bytes, declared: str = "") -> str:
    """The page as text, in the charset the server or the page declares, UTF-8 when neither does."""
    if not declared and (found := _META_CHARSET.search(body[:_PRESCAN_BYTES])):
        declared = found.group(1).decode("ascii").lower()
    charset = declared or "utf-8"
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise IngestError(f"it declares the charset {declared!r}, which is not a known encoding") from None
    try:
        text = body.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        if not declared:
            raise IngestError("it declares no charset and is not UTF-8 (save it as UTF-8)") from None
        raise IngestError(f"it says it is {declared} but is not (bad byte at offset {exc.start})") from None
    if codec != "utf-8" and _is_utf8_beyond_ascii(body):
        # A single-byte charset decodes anything, so UTF-8 read as Latin-1 would pass silently.
        raise IngestError(f"it says it is {declared} but is UTF-8")
    return text


def _is_utf8_beyond_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def extract_html(html: str, url: str = "") -> Article:
    """Main text and metadata of one page; IngestError when it holds no article."""
    tree = trafilatura.load_html(html)
    if tree is None:
        raise IngestError("it is not an HTML page")
    declared_language = _declared_language(tree)
    found = trafilatura.bare_extraction(
        tree, url=url or None, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
    )
    text = require_text((found.text or "") if found else "", "the page")
    title = (found.title or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest  # the headline is the title, shown with every passage; not a paragraph of its own
    canonical = found.url if found.url and is_web_url(found.url) else ""
    return Article(
        text=text,
        title=title,
        author=(found.author or "").strip(),
        published=(found.date or "").strip(),
        publisher=(found.sitename or "").strip(),
        url=canonical or url,
        language=declared_language or detect_language(text),
        aliases=tuple(u for u in (url,) if u and u != (canonical or url)),
    )


def _declared_language(tree) -> str:
    """The page's own ``<html lang>``, content-language or og:locale, as an ISO 639-1 code."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "content-language" or meta.get("property") == "og:locale":
            candidates.append(meta.get("content"))
    for value in candidates:
        code = (value or "").strip().replace("_", "-").split("-")[0].lower()
        if code.isalpha() and 2 <= len(code) <= 3:
            return code
    return ""
