"""Write articles into the corpus folder and their metadata into sources.toml, each change atomic.

An article is committed by one rename: its text file appears under its final
name only after its ``sources.toml`` entry is in place. A crash before that
rename leaves the articles as they were (at worst an entry naming a file that
does not exist, which a build ignores and the next add of that article
replaces); a crash after it leaves the whole article. Temporary files are
hidden (a leading dot), so a build never reads one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
from tomlkit.toml_document import TOMLDocument

from ..corpus import SOURCES_FILE, corpus_files
from ..errors import CorpusError, IngestError
from .article import Article

__all__ = ["CorpusWriter", "name_for", "write_atomically"]

_FIELDS = ("title", "publisher", "author", "url", "published", "language")
_HEADER = "Where each corpus article was published. Keys are the article file names in this folder."
_SLUG_CHARS = 60


class CorpusWriter:
    """One corpus folder being added to; remembers what it holds to spot duplicates."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        self.sources_path = self.corpus_dir / SOURCES_FILE
        self._doc = self._read_sources()
        present = {p.relative_to(self.corpus_dir).as_posix(): p for p in corpus_files(self.corpus_dir)}
        self._texts = {_text_key(p.read_bytes().decode("utf-8", "replace")): doc_id for doc_id, p in present.items()}
        self._urls: dict[str, str] = {}
        for doc_id, entry in self._doc.items():
            url = entry.get("url") if isinstance(entry, dict) else None
            if doc_id in present and isinstance(url, str) and url:
                self._urls[_url_key(url)] = doc_id

    def _read_sources(self) -> TOMLDocument:
        if not self.sources_path.is_file():
            doc = tomlkit.document()
            doc.add(tomlkit.comment(_HEADER))
            doc.add(tomlkit.nl())
            return doc
        try:
            return tomlkit.parse(self.sources_path.read_text(encoding="utf-8"))
        except (tomlkit.exceptions.TOMLKitError, UnicodeDecodeError) as exc:
            raise CorpusError(f"{self.sources_path} is not valid TOML ({exc}). Fix it, then add again.") from exc

    def doc_for_url(self, url: str) -> str:
        """The id of the article already added from this address, or ''."""
        return self._urls.get(_url_key(url), "")

    def duplicate_of(self, article: Article) -> str:
        for url in (article.url, *article.aliases):
            if url and (found := self.doc_for_url(url)):
                return found
        return self._texts.get(_text_key(article.text), "")

    def entries(self) -> dict[str, dict]:
        return {doc_id: dict(entry.unwrap()) for doc_id, entry in self._doc.items() if isinstance(entry, dict)}

    def add(self, article: Article) -> str:
        """Write the article; return its id (its file name)."""
        doc_id = name_for(article)
        path = self.corpus_dir / doc_id
        if path.exists():
            raise IngestError(f"{path} already exists with other text; remove it first")
        entry = tomlkit.table()
        for name in _FIELDS:
            if value := getattr(article, name):
                entry.add(name, value)
        if doc_id in self._doc:  # left by an add that was cut short before its text landed
            del self._doc[doc_id]
        self._doc.add(doc_id, entry)
        before = self.sources_path.read_bytes() if self.sources_path.is_file() else None
        with _staged(path, article.text.encode("utf-8")) as staged:
            write_atomically(self.sources_path, tomlkit.dumps(self._doc).encode("utf-8"))
            try:
                os.replace(staged, path)
            except BaseException:
                _restore(self.sources_path, before)
                del self._doc[doc_id]
                raise
        for url in (article.url, *article.aliases):
            if url:
                self._urls[_url_key(url)] = doc_id
        self._texts[_text_key(article.text)] = doc_id
        return doc_id

    def remove(self, key: str) -> str:
        """Delete an article, by id or by url; return its id."""
        doc_id = key if (self.corpus_dir / key).is_file() and key in self._listed_files() else self.doc_for_url(key)
        if not doc_id:
            raise IngestError(f"no article {key!r} in {self.corpus_dir}; `python -m index list` shows the ids")
        (self.corpus_dir / doc_id).unlink()  # the commit point, as for adding
        if doc_id in self._doc:
            del self._doc[doc_id]
            write_atomically(self.sources_path, tomlkit.dumps(self._doc).encode("utf-8"))
        self._urls = {u: d for u, d in self._urls.items() if d != doc_id}
        self._texts = {t: d for t, d in self._texts.items() if d != doc_id}
        return doc_id

    def _listed_files(self) -> set[str]:
        return {p.relative_to(self.corpus_dir).as_posix() for p in corpus_files(self.corpus_dir)}


def name_for(article: Article) -> str:
    """A stable file name: from the url when there is one, from the text otherwise."""
    if article.url:
        parts = urlsplit(article.url)
        last = Path(parts.path.rstrip("/")).stem
        slug = _slug(f"{(parts.hostname or '').removeprefix('www.')} {last}")
        digest = hashlib.sha256(_url_key(article.url).encode()).hexdigest()[:10]
    else:
        slug = _slug(article.title)
        digest = hashlib.sha256(_text_key(article.text).encode()).hexdigest()[:10]
    return f"{slug}-{digest}.txt" if slug else f"{digest}.txt"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:_SLUG_CHARS].rstrip("-")


def _url_key(url: str) -> str:
    """The same address however it was written: no fragment, no trailing slash, host in lower case."""
    parts = urlsplit(url.strip())
    host = (parts.netloc or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/') or '/'}{'?' + parts.query if parts.query else ''}"


def _text_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _staged(path: Path, data: bytes):
    """A hidden, fully written and synced copy of ``data`` beside ``path``, removed unless it was renamed."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        yield name
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def write_atomically(path: Path, data: bytes) -> None:
    with _staged(path, data) as staged:
        os.replace(staged, path)


def _restore(path: Path, before: bytes | None) -> None:
    if before is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        write_atomically(path, before)
