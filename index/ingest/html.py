"""A web page → its main text and metadata, with trafilatura.

Navigation, share bars, cookie notices, comments and related-article teasers
are trafilatura's to drop; this module decodes the bytes strictly first, so a
page in a wrong or undeclared charset is refused rather than indexed as
mojibake.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

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
    lines = list(_lines(found.body)) if found is not None and found.body is not None else []
    title = (found.title or "").strip() if found is not None else ""
    # The headline is the title, shown with every passage, and what stands above it is a kicker or section name.
    headline = next((n for n, line in enumerate(lines[:3]) if title and line == title), None)
    if headline is not None and len(lines) > headline + 1:
        lines = lines[headline + 1 :]
    text = require_text("\n".join(lines), "the page")
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


# trafilatura's own XML for the main text: these hold blocks rather than running text.
_CONTAINERS = {"body", "quote", "list", "item", "div"}
_CELL_SEPARATOR = " · "


def _lines(element) -> Iterator[str]:
    """One line per paragraph, heading, list item or table row of trafilatura's XML, without any markup."""
    if element.tag == "table":
        for row in element.iter("row"):
            cells = [" ".join("".join(cell.itertext()).split()) for cell in row.iter("cell")]
            if any(cells):
                yield _CELL_SEPARATOR.join(cell for cell in cells if cell)
    elif element.tag in _CONTAINERS and len(element) and not (element.text or "").strip():
        for child in element:
            yield from _lines(child)
    elif line := " ".join("".join(element.itertext()).split()):
        yield line


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
