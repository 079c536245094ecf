"""Articles from a corpus folder, or from a JSONL or Parquet dataset for large archives.

A dataset has one row per article: ``id`` (unique, the article's doc_id),
``text``, and optionally the ``sources.toml`` fields ``title``, ``publisher``,
``author``, ``url`` and ``published``. A folder stays the simple case
(index/corpus.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .corpus import corpus_fingerprint, load_corpus, make_document
from .errors import CorpusError
from .models import Document

__all__ = ["SOURCE_FIELDS", "dataset_kind", "document_from_row", "load_articles", "articles_fingerprint"]

SOURCE_FIELDS = ("title", "publisher", "author", "url", "published", "language")
DATASET_SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def dataset_kind(path: Path) -> str:
    """``"folder"``, ``"jsonl"`` or ``"parquet"``; a folder of .parquet files counts as Parquet."""
    path = Path(path)
    if path.is_dir():
        return "parquet" if any(path.glob("*.parquet")) and not any(path.glob("*.txt")) else "folder"
    kind = DATASET_SUFFIXES.get(path.suffix.lower())
    if kind is None and not path.exists():
        return "folder"  # the corpus loader says it does not exist
    if kind is None:
        raise CorpusError(f"--corpus {path}: give a folder of articles, or a .jsonl or .parquet dataset.")
    if not path.is_file():
        raise CorpusError(f"The dataset {path} does not exist.")
    return kind


def document_from_row(row: Mapping[str, Any], where: str = "the dataset") -> Document:
    """One dataset row as a Document; a row without an id or text is an error naming it, never skipped silently."""
    doc_id, text = _present(row.get("id")), row.get("text")
    if doc_id is None or str(doc_id) == "":
        raise CorpusError(f"A row of {where} has no id. Every article needs a unique id column.")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"The article {doc_id!r} in {where} has no text. Remove the row or fill its text column.")
    fields = {k: _present(row.get(k)) for k in SOURCE_FIELDS}
    bad = [k for k, v in fields.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise CorpusError(f"The article {doc_id!r} in {where} has {', '.join(bad)} that is not text.")
    meta = {k: v for k, v in fields.items() if v}
    document = make_document(str(doc_id), text, meta, hashlib.sha256(text.encode("utf-8")).hexdigest(), str(doc_id))
    if document is None:
        raise CorpusError(f"The article {doc_id!r} in {where} is nothing but page furniture once cleaned.")
    return document


def _present(value: Any) -> Any:
    """A missing cell: None, or the NaN a columnar reader puts where some rows lack a field."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise CorpusError(f"Line {number} of {path} is not JSON ({exc}).") from None


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError("Reading Parquet needs pyarrow: pip install -e '.[distributed]'.") from None
    yield from pq.read_table(path).to_pylist()


def load_articles(path: Path) -> list[Document]:
    """Every article of a folder or dataset, refusing duplicate ids."""
    kind = dataset_kind(path)
    if kind == "folder":
        return load_corpus(path)
    try:
        rows = list(_jsonl_rows(path) if kind == "jsonl" else _parquet_rows(path))
    except OSError as exc:
        raise CorpusError(f"Cannot read the dataset {path}: {exc.strerror or exc}.") from None
    documents = [document_from_row(row, str(path)) for row in rows]
    seen: set[str] = set()
    for doc in documents:
        if doc.doc_id in seen:
            raise CorpusError(f"The id {doc.doc_id!r} appears twice in {path}. Ids must be unique.")
        seen.add(doc.doc_id)
    if not documents:
        raise CorpusError(f"The dataset {path} holds no article.")
    return documents


def articles_fingerprint(path: Path) -> dict[str, str]:
    """What ``--if-stale`` compares: the folder's files, or the dataset file(s) by hash."""
    path = Path(path)
    if dataset_kind(path) == "folder":
        return corpus_fingerprint(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    out = {}
    for file in files:
        digest = hashlib.sha256()
        with open(file, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        out[file.name] = digest.hexdigest()
    return out
