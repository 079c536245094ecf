"""`python -m index.ingest.quality DIR`: how well web pages are extracted, against the text expected of them.

DIR holds saved pages ``NAME.html`` beside ``NAME.expected.txt``, whose first
line is the expected title, then a blank line, then the article's body. Prints
each page's body token F1 and whether its title came out right, then the means.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import QAError
from .html import decode_page, extract_html

__all__ = ["PageScore", "score_pages", "token_f1", "main"]


@dataclass(frozen=True)
class PageScore:
    page: str
    f1: float
    title_ok: bool
    title: str
    seconds: float


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def token_f1(found: str, expected: str) -> float:
    """F1 of the bags of word tokens, the measure of the usual article-extraction benchmarks."""
    got, want = Counter(tokens(found)), Counter(tokens(expected))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _same_title(a: str, b: str) -> bool:
    return tokens(a) == tokens(b)


def score_pages(folder: Path) -> list[PageScore]:
    pages = sorted(folder.glob("*.html"))
    if not pages:
        raise QAError(f"{folder} holds no NAME.html with a NAME.expected.txt beside it.")
    scores = []
    for page in pages:
        expected = page.with_suffix(".expected.txt")
        if not expected.is_file():
            continue
        want_title, _, want_body = expected.read_text(encoding="utf-8").partition("\n")
        started = time.perf_counter()
        try:
            article = extract_html(decode_page(page.read_bytes()))
            text, title = article.text, article.title
        except QAError:
            text = title = ""
        seconds = time.perf_counter() - started
        scores.append(PageScore(page.name, token_f1(text, want_body), _same_title(title, want_title), title, seconds))
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.ingest.quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("tests/data/pages"))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        scores = score_pages(args.folder)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mean_f1 = statistics.fmean(s.f1 for s in scores)
    accuracy = sum(s.title_ok for s in scores) / len(scores)
    if args.json:
        print(json.dumps({"pages": [asdict(s) for s in scores], "mean_f1": mean_f1, "title_accuracy": accuracy}))
        return 0
    for s in scores:
        print(f"{s.page:32} F1 {s.f1:.3f}  title {'ok ' if s.title_ok else 'BAD'}  {s.seconds * 1000:6.1f} ms  {s.title}")
    print(f"\n{len(scores)} pages: mean body token F1 {mean_f1:.3f}, title correct {accuracy:.0%}, "
          f"median extraction {statistics.median(s.seconds for s in scores) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
