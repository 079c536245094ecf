"""A PDF → its text and document metadata, with pypdf.

PDF text comes out as the printed lines. They are joined back into
paragraphs, because the chunker treats each line as a paragraph. On a
single-column page pypdf's layout mode shows the vertical gaps between
paragraphs as blank lines, and those decide; on a page in columns (where
layout mode would put the columns side by side) a line that ends a sentence
well short of the page's usual width ends its paragraph.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from ..errors import IngestError
from .article import Article, detect_language, require_text

__all__ = ["extract_pdf"]

logger = logging.getLogger(__name__)

_ENDS_SENTENCE = re.compile(r"[.!?:;\"”’)]$")
_PAGE_NUMBER = re.compile(r"(page\s+)?\d+(\s*(of|/)\s*\d+)?", re.IGNORECASE)
# A line this much shorter than the page's usual line stops before the margin on purpose.
_SHORT_LINE = 0.8
# Text, a wide run of spaces, text again: two columns set side by side by layout mode.
_COLUMN_GAP = re.compile(r"\S {6,}\S")


def extract_pdf(data: bytes, url: str = "") -> Article:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is password-protected; add an unlocked copy")
        pages = [_page_text(page) for page in reader.pages]
        info = reader.metadata
        declared_language = str(reader.trailer["/Root"].get("/Lang", "") or "")
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"it is not a readable PDF ({type(exc).__name__}: {exc})") from None
    try:
        text = require_text("\n".join(pages), "the PDF")
    except IngestError:
        raise IngestError(
            "the PDF has no text layer (a scan?); run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`, and add the result"
        ) from None
    return Article(
        text=text,
        title=_field(info, "title"),
        author=_field(info, "author"),
        published=_date(info),
        url=url,
        language=declared_language.split("-")[0].lower() or detect_language(text),
    )


def _page_text(page) -> str:
    """The page's paragraphs, one per line."""
    layout = page.extract_text(extraction_mode="layout") or ""
    if "\n\n" in layout.strip() and not _COLUMN_GAP.search(layout):
        blocks = [[line.strip() for line in block.splitlines() if line.strip()] for block in re.split(r"\n\s*\n", layout)]
        return "\n".join(_join_lines(block) for block in blocks if block and not _is_page_number(block))
    return _paragraphs(page.extract_text() or "")


def _is_page_number(block: list[str]) -> bool:
    return len(block) == 1 and bool(_PAGE_NUMBER.fullmatch(block[0]))


def _join_lines(lines: list[str]) -> str:
    current = ""
    for line in lines:
        if current.endswith("-") and current[-2:-1].isalpha() and line[:1].islower():
            current = current[:-1] + line  # a word hyphenated across the line break
        else:
            current = f"{current} {line}" if current else line
    return " ".join(current.split())


def _paragraphs(page: str) -> str:
    """Paragraphs from plain lines alone: one ends where a line ends a sentence well short of a full line."""
    lines = [line.strip() for line in page.splitlines()]
    lines = [line for line in lines if line and not _PAGE_NUMBER.fullmatch(line)]
    if not lines:
        return ""
    width = sorted(len(line) for line in lines)[len(lines) * 3 // 4]  # a typical full line
    groups: list[list[str]] = [[]]
    for line in lines:
        groups[-1].append(line)
        if _ENDS_SENTENCE.search(line) and len(line) < _SHORT_LINE * width:
            groups.append([])
    return "\n".join(_join_lines(group) for group in groups if group)



def _field(info, name: str) -> str:
    try:
        value = getattr(info, name, None) if info else None
    except (PyPdfError, ValueError, TypeError):
        return ""
    return " ".join(str(value).split()) if value else ""


def _date(info) -> str:
    try:
        created = info.creation_date if info else None
    except (PyPdfError, ValueError, TypeError):
        logger.debug("unreadable PDF creation date")
        return ""
    return created.date().isoformat() if isinstance(created, datetime) else ""
