"""Plain text and Markdown → an article; Markdown is parsed (markdown-it-py) and only its text kept."""

from __future__ import annotations

from markdown_it import MarkdownIt

from ..errors import IngestError
from .article import Article, detect_language, require_text

__all__ = ["decode_text", "markdown_to_text", "read_text", "read_markdown"]

# Inline tokens whose content is text a reader sees; the rest (html, images' urls) is markup.
_TEXT_TOKENS = {"text", "code_inline"}
_BREAKS = {"softbreak": " ", "hardbreak": "\n"}


def decode_text(data: bytes, charset: str = "") -> str:
    if b"\x00" in data[:4096]:
        raise IngestError("it is binary data, not text")
    try:
        return data.decode(charset or "utf-8-sig")
    except (UnicodeDecodeError, LookupError):
        raise IngestError(f"it is not {charset or 'UTF-8'} text (save it as UTF-8)") from None


def read_text(data: bytes, charset: str = "", url: str = "") -> Article:
    text = require_text(decode_text(data, charset), "the file")
    return Article(text=text, url=url, language=detect_language(text))


def read_markdown(data: bytes, charset: str = "", url: str = "") -> Article:
    title, body = markdown_to_text(decode_text(data, charset))
    text = require_text(body, "the file")
    return Article(text=text, title=title, url=url, language=detect_language(text))


def markdown_to_text(source: str) -> tuple[str, str]:
    """(the first top-level heading, the text of every block, one per line) — the heading not repeated."""
    tokens = MarkdownIt("commonmark").parse(source)
    blocks: list[str] = []
    title = ""
    for i, token in enumerate(tokens):
        if token.type == "inline":
            line = "".join(
                child.content if child.type in _TEXT_TOKENS else _BREAKS.get(child.type, "")
                for child in token.children or ()
            )
            opener = tokens[i - 1] if i else None
            if not title and not blocks and opener is not None and opener.tag == "h1":
                title = line.strip()
                continue
            blocks.append(line)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return title, "\n".join(blocks)
