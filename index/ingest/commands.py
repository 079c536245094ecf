"""`python -m index add | list | remove`: the corpus folder's editing verbs."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from typing import TYPE_CHECKING

from ..config import IndexConfig
from ..errors import QAError
from .article import is_web_url

if TYPE_CHECKING:  # the readers import trafilatura and friends: only the verbs that use them pay for it
    from .fetch import FetchLimits
    from .sources import AddResult

__all__ = ["add_verbs", "add_sources", "rebuild", "passage_counts", "list_rows"]


def add_verbs(verbs, config: IndexConfig) -> None:
    """Register add, list and remove on the `python -m index` sub-parsers."""
    add = verbs.add_parser(
        "add", help="add articles (URLs, saved pages, PDFs, text, feeds, folders) to the corpus, then rebuild",
        description="Add each SOURCE's articles to the corpus folder and sources.toml, then rebuild the index.",
    )
    add.add_argument("sources", nargs="+", metavar="SOURCE", help="http(s) URL, .html/.htm, .pdf, .txt, .md, feed, or folder")
    add.add_argument("--url", default="", help="the original address of a single saved file")
    add.add_argument("--feed", action="store_true", help="treat each SOURCE as an RSS/Atom feed and add what it links")
    add.add_argument("--no-build", action="store_true", help="only write the corpus; build later")
    add.add_argument("--json", action="store_true", help="print one JSON object per article")
    _common(add, config)
    add.set_defaults(run=_add)

    listing = verbs.add_parser("list", help="list the corpus's articles with their passages in the index")
    _common(listing, config)
    listing.set_defaults(run=_list)

    remove = verbs.add_parser("remove", help="delete an article (by id or url) and its sources.toml entry, then rebuild")
    remove.add_argument("key", metavar="DOC_ID|URL")
    remove.add_argument("--no-build", action="store_true", help="only change the corpus; build later")
    _common(remove, config)
    remove.set_defaults(run=_remove)


def _common(parser: argparse.ArgumentParser, config: IndexConfig) -> None:
    parser.add_argument("--corpus", type=Path, default=config.corpus_dir, help=f"articles folder (default: {config.corpus_dir})")
    parser.add_argument("--index", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")


def add_sources(corpus: Path, sources: list[str], *, url: str = "", feed: bool = False,
                limits: FetchLimits | None = None, on_result=None) -> list[AddResult]:
    """Add every source's articles to ``corpus``; ``on_result`` sees each result as it is decided."""
    if url and (len(sources) != 1 or is_web_url(sources[0]) or Path(sources[0]).is_dir()):
        raise QAError("--url gives the original address of one saved file; give exactly one file with it.")
    if url and not is_web_url(url):
        raise QAError(f"--url {url!r} is not an http(s) address.")
    from .corpus_writer import CorpusWriter
    from .fetch import FetchLimits
    from .sources import Ingester

    results = []
    with Ingester(CorpusWriter(corpus), limits or FetchLimits.from_env()) as ingester:
        for source in sources:
            for result in ingester.add(source, url=url, feed=feed):
                results.append(result)
                if on_result:
                    on_result(result)
    return results


def rebuild(corpus: Path, index_dir: Path, config: IndexConfig, embedder=None):
    """The incremental build `index build` runs, over the same functions."""
    from ..build import build_index
    from ..corpus import load_corpus
    from ..embedding import load_embedder

    documents = load_corpus(corpus)
    if embedder is None:
        chosen = replace(config, index_dir=index_dir)
        embedder = load_embedder(chosen.model, chosen.backend, chosen.models_dir)
    return build_index(corpus, index_dir, embedder, documents=documents, progress=False)


def passage_counts(index_dir: Path) -> dict[str, int]:
    """Passages per article in the published index; empty when there is none."""
    from ..store import load_index

    try:
        index = load_index(index_dir)
    except QAError:
        return {}
    return {doc_id: meta.chunk_count for doc_id, meta in index.documents.items()}


def list_rows(corpus: Path, index_dir: Path) -> list[dict]:
    from ..corpus import load_corpus
    from .corpus_writer import CorpusWriter

    languages = {k: str(v.get("language", "")) for k, v in CorpusWriter(corpus).entries().items()}
    counts = passage_counts(index_dir)
    return [
        {"id": d.doc_id, "title": d.source.title, "publisher": d.source.publisher, "date": d.source.published,
         "language": languages.get(d.doc_id, ""), "passages": counts.get(d.doc_id)}
        for d in load_corpus(corpus)
    ]


def _add(args: argparse.Namespace, config: IndexConfig) -> int:
    def show(result: AddResult) -> None:
        if args.json:
            print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
        elif result.status == "failed":
            print(f"error: {result.source}: {result.error}", file=sys.stderr, flush=True)
        else:
            print(f"{result.status:9}  {result.doc_id}  {result.title or '(untitled)'}"
                  f"{' — ' + result.publisher if result.publisher else ''} ({result.chars:,} chars)", flush=True)

    results = add_sources(args.corpus, args.sources, url=args.url, feed=args.feed, on_result=show)
    added = [r.doc_id for r in results if r.status == "added"]
    if added and not args.no_build:
        print(rebuild(args.corpus, args.index, config), file=sys.stderr)
        counts = passage_counts(args.index)
        for doc_id in added:
            print(f"{doc_id}: {counts.get(doc_id, 0)} passages", file=sys.stderr)
    return 1 if any(r.status == "failed" for r in results) else 0


def _list(args: argparse.Namespace, config: IndexConfig) -> int:
    rows = list_rows(args.corpus, args.index)
    print(format_rows(rows))
    return 0


def format_rows(rows: list[dict]) -> str:
    columns = ("id", "title", "publisher", "date", "language", "passages")
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    # Ids in full: they are what `remove` takes.
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    widths[1:] = [min(48, w) for w in widths[1:]]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    for row in cells:
        lines.append("  ".join(_fit(v, w).ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value in (None, "") else str(value)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _remove(args: argparse.Namespace, config: IndexConfig) -> int:
    from .corpus_writer import CorpusWriter

    doc_id = CorpusWriter(args.corpus).remove(args.key)
    print(f"removed  {doc_id}")
    if not args.no_build:
        print(rebuild(args.corpus, args.index, config), file=sys.stderr)
    return 0
