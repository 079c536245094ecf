"""`python -m index.ingest.bench`: time `index add` of N saved pages beside trafilatura's bare extraction of them.

The pages are copies of the quality pages (tests/data/pages), each given a
sentence and an address of its own so that none is a duplicate of another. Both timings run
in one process on the same files, after one warm-up extraction.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import trafilatura

from .article import detect_language
from .commands import add_sources

__all__ = ["make_pages", "main"]


def make_pages(source: Path, out: Path, count: int) -> list[Path]:
    templates = sorted(source.glob("*.html"))
    if not templates:
        raise SystemExit(f"error: {source} holds no .html page")
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for n in range(count):
        template = templates[n % len(templates)]
        # Each copy gets its own canonical address, or all copies of a page would be one article.
        html = template.read_text(encoding="utf-8").replace(".example/", f".example/copy-{n}/")
        marker = "<p>"
        at = html.find(marker, html.find("<h1"))
        html = f"{html[:at + len(marker)]}Dispatch number {n} from the {n % 7 + 1} desk, updated at {n % 24}:00. {html[at + len(marker):]}"
        page = out / f"{n:03d}-{template.name}"
        page.write_text(html, encoding="utf-8")
        pages.append(page)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.ingest.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100, help="how many saved pages (default: 100)")
    parser.add_argument("--source", type=Path, default=Path("tests/data/pages"), help="pages to copy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        pages = make_pages(args.source, Path(tmp) / "saved", args.pages)
        trafilatura.bare_extraction(pages[0].read_text(encoding="utf-8"), with_metadata=True)  # warm-up
        add_sources(Path(tmp) / "warm", [str(pages[0])])
        detect_language("warm up the language model")

        bare = []
        for page in pages:
            started = time.perf_counter()
            trafilatura.bare_extraction(page.read_text(encoding="utf-8"), with_metadata=True, include_comments=False)
            bare.append(time.perf_counter() - started)

        started = time.perf_counter()
        results = add_sources(Path(tmp) / "corpus", [str(Path(tmp) / "saved")])
        add_seconds = time.perf_counter() - started
    statuses = Counter(r.status for r in results)
    per_add = add_seconds / len(pages)
    print(f"{len(pages)} saved pages: " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
    print(f"trafilatura bare_extraction: median {statistics.median(bare) * 1000:.2f} ms/page, "
          f"mean {statistics.fmean(bare) * 1000:.2f} ms/page, total {sum(bare):.2f} s")
    print(f"index add --no-build:        mean {per_add * 1000:.2f} ms/page, total {add_seconds:.2f} s "
          f"(×{per_add / statistics.fmean(bare):.2f} the bare extraction's mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
