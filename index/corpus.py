"""Read the corpus folder into Documents.

Every ``.txt`` and ``.md`` file under the folder, walked recursively in sorted
order, is a document whose id is its path relative to the folder. What is known
of each article's origin comes from ``sources.toml`` at the folder's root; a file
that cannot be read as text is skipped with a warning naming it, and the rest of
the build goes on.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from .cleaning import clean_article
from .errors import CorpusError
from .language import detect_language
from .models import Document, Source

__all__ = [
    "MAX_DOCUMENT_BYTES", "SOURCES_FILE", "load_corpus", "corpus_files", "corpus_fingerprint", "file_sha256", "make_document",
]

logger = logging.getLogger(__name__)

# Larger files are almost certainly dumps or mistakes rather than articles, and
# would hold the whole build's memory hostage.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
SOURCES_FILE = "sources.toml"
SUFFIXES = (".txt", ".md")
_FIELDS = ("title", "publisher", "author", "url", "published", "language")
# Shown with the publisher when an article has no known title and opens without a
# headline; without a publisher either, the file name is all that identifies it.
UNTITLED = "Untitled article"
_LANGUAGE_SAMPLE = 3000  # characters: enough to tell a language, cheap at any article size


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The document files under ``corpus_dir``, sorted by their relative path."""
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"The corpus folder {corpus_dir} does not exist. "
            "Put the articles there as .txt or .md files, or pass --corpus DIR."
        )
    found = [
        path
        for path in corpus_dir.rglob("*")
        if path.suffix.lower() in SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(corpus_dir).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(corpus_dir).as_posix())


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Load every readable document; raise CorpusError if none is left."""
    corpus_dir = Path(corpus_dir)
    files = corpus_files(corpus_dir)
    sources = _load_sources(corpus_dir / SOURCES_FILE)
    documents = [doc for path in files if (doc := _load_document(corpus_dir, path, sources))]
    if not documents:
        raise CorpusError(
            f"The corpus folder {corpus_dir} holds no readable .txt or .md article. "
            "Add at least one UTF-8 text file and rebuild."
        )
    known = {doc.doc_id for doc in documents}
    for doc_id in sorted(set(sources) - known):
        logger.warning("%s lists %s, which is not a readable article in the corpus", SOURCES_FILE, doc_id)
    return documents


def _load_document(corpus_dir: Path, path: Path, sources: dict[str, dict[str, str]]) -> Document | None:
    doc_id = path.relative_to(corpus_dir).as_posix()
    problem, text, data = _read_text(path)
    if problem:
        logger.warning("skipping %s: %s", doc_id, problem)
        return None
    document = make_document(doc_id, text, sources.get(doc_id, {}), file_sha256(data), path.stem)
    if document is None:
        logger.warning("skipping %s: nothing is left once page furniture is removed", doc_id)
    return document


def make_document(doc_id: str, text: str, meta: dict, sha256: str, fallback_title: str) -> Document | None:
    """An article from its raw text and what is known of its source, cleaned of page furniture.

    The one path from text to Document, for corpus folders and datasets alike; None
    when nothing of the article is left once the furniture is gone.
    """
    cleaned = clean_article(text, meta.get("title", ""), meta.get("drop", ()))
    if not cleaned.text.strip():
        return None
    if cleaned.dropped:
        logger.debug("%s: %d lines of page furniture removed", doc_id, cleaned.dropped)
    source = Source(
        title=meta.get("title") or cleaned.headline or (UNTITLED if meta.get("publisher") else fallback_title),
        publisher=meta.get("publisher", ""),
        author=meta.get("author") or cleaned.author,
        url=meta.get("url", ""),
        published=meta.get("published") or cleaned.published,
        language=meta.get("language") or detect_language(cleaned.text[:_LANGUAGE_SAMPLE]),
    )
    # The index stores the cleaned text: every offset and link refers to it. The hash stays
    # the raw text's, which is what a rebuild compares.
    return Document(doc_id=doc_id, text=cleaned.text, source=source, sha256=sha256)


def _read_text(path: Path) -> tuple[str, str, bytes]:
    """Return (problem, text, raw bytes); problem is empty when the file is usable."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        return f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB", "", b""
    data = path.read_bytes()
    if b"\x00" in data:
        return "binary, not text", "", data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 (bad byte at offset {exc.start})", "", data
    if not text.strip():
        return "empty", "", data
    return "", text, data


def _load_sources(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}). Fix it and rebuild.") from exc
    sources: dict[str, dict[str, str]] = {}
    for doc_id, table in raw.items():
        if not isinstance(table, dict):
            logger.warning("%s: entry %s is not a table; ignored", path.name, doc_id)
            continue
        fields = _entry_fields(path.name, doc_id, table)
        if "url" in fields and not _is_web_url(fields["url"]):
            # Only web links are ever shown to users; anything else could be a script URL.
            logger.warning("%s: entry %s has a url that is not http(s); ignored", path.name, doc_id)
            del fields["url"]
        sources[doc_id] = fields
    return sources


def _entry_fields(file: str, doc_id: str, table: dict) -> dict[str, str]:
    """The entry's known text fields; a value of another type is dropped, never shown as text."""
    fields = {}
    for key, value in table.items():
        if key == "drop":
            if patterns := _drop_patterns(file, doc_id, value):
                fields[key] = patterns
        elif key not in _FIELDS:
            logger.warning("%s: entry %s has an unknown field %r (known: %s); ignored",
                           file, doc_id, key, ", ".join(_FIELDS))
        elif not isinstance(value, str):
            # TOML dates are accepted for `published`: operators write them unquoted.
            if key == "published" and isinstance(value, (datetime.date, datetime.datetime)):
                fields[key] = value.isoformat()
            else:
                logger.warning("%s: entry %s: %s should be a quoted string, not a %s; ignored",
                               file, doc_id, key, _toml_type(value))
        elif value.strip():
            fields[key] = value.strip()
    return fields


def _drop_patterns(file: str, doc_id: str, value: object) -> tuple[str, ...]:
    """``drop = ["regex", …]``: lines of this source's page furniture the general rules miss (index/cleaning.py)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        logger.warning("%s: entry %s: drop should be a list of quoted patterns; ignored", file, doc_id)
        return ()
    patterns = []
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            logger.warning("%s: entry %s: drop pattern %r is not a valid regular expression (%s); ignored",
                           file, doc_id, pattern, exc)
            continue
        patterns.append(pattern)
    return tuple(patterns)


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {int: "number", float: "number", list: "list", dict: "table"}.get(type(value), type(value).__name__)


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every file a build reads, by relative path: equal fingerprints, equal index."""
    corpus_dir = Path(corpus_dir)
    paths = corpus_files(corpus_dir)
    if (corpus_dir / SOURCES_FILE).is_file():
        paths.append(corpus_dir / SOURCES_FILE)
    return {p.relative_to(corpus_dir).as_posix(): file_sha256(p.read_bytes()) for p in paths}
