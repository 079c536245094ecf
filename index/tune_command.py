"""The `tune` verb of `python -m index`: cross-validated settings, and what each signal adds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import IndexConfig

__all__ = ["add_tune_verb"]

DEFAULT_FILES = (Path("tests/data/dev_questions.jsonl"), Path("tests/data/dev_questions_more.jsonl"))
# Each is fitted and cross-validated like ours, with only these signals free.
# The answer-type signal is measured but not used: on held-out folds it lowered hit@1 (README, Retrieval).
OURS = ("dense_passage", "dense_sentence", "bm25_passage", "bm25_sentence", "coverage")
BASELINES = {
    "bm25": ("bm25_passage",),
    "dense": ("dense_passage",),
    "hybrid, 4 signals": OURS[:4],
    "+ answer type": (*OURS, "answer_type"),
}


def add_tune_verb(verbs, config: IndexConfig, add_query_options) -> None:
    tune = verbs.add_parser(
        "tune", help="choose ranking weights and the decline rule by cross-validation on question files",
        description="Fit the ranking weights and decline rule on question files, report held-out (K-fold) "
                    "and in-sample figures, and with --write save them to index/search/tuned.json.",
    )
    tune.add_argument("files", type=Path, nargs="*", default=list(DEFAULT_FILES), help="question files (JSON lines)")
    tune.add_argument("--squad", type=Path, metavar="FILE",
                      help="a SQuAD 2.0 file: its answerable questions join the ranking examples (second objective), "
                           "and the figures on it are reported")
    tune.add_argument("--write", action="store_true", help="write the chosen settings where search reads them")
    tune.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_query_options(tune, config)
    tune.set_defaults(run=_tune)


def _tune(args: argparse.Namespace, config: IndexConfig) -> int:
    from dataclasses import replace

    from .evaluate import QuestionVectors, load_questions
    from .pipeline import open_retriever
    from .search import IndexRetriever
    from .tune import is_holdout, read_signals, tune, write_tuned

    questions = [q for path in args.files for q in load_questions(path)]
    seen = [q for q in questions if not is_holdout(q.id)]
    opened = open_retriever(replace(config, index_dir=args.index, model=args.model, backend=args.backend))
    retriever = IndexRetriever(opened.index, QuestionVectors(opened.embedder, [q.question for q in seen]), opened.settings)
    signals = read_signals(retriever, seen)
    extra = _squad_signals(args.squad, opened.embedder) if args.squad else []
    results = {}
    for name, features in BASELINES.items():
        results[name] = tune(signals, features, extra)[1]
    chosen, results["ours"] = tune(signals, OURS, extra)
    if extra:
        from .tune import score

        results["ours"]["squad"] = score(extra, chosen)
    print(f"{len(seen)} questions ({len(questions) - len(seen)} held back for the regression test)", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(_table(results))
    if args.write:
        write_tuned(chosen, {"questions": len(seen), **results["ours"]})
        print("wrote index/search/tuned.json", file=sys.stderr)
    return 0


def _squad_signals(path: Path, embedder):
    """Signals of every answerable SQuAD question over an index of its paragraphs, built in a temporary folder."""
    import tempfile

    from .build import build_index
    from .evaluate import QuestionVectors
    from .search import IndexRetriever
    from .squad import write_squad_corpus
    from .store import load_index
    from .tune import read_signals

    with tempfile.TemporaryDirectory(prefix="squad-") as tmp:
        questions = [q for q in write_squad_corpus(path, Path(tmp) / "corpus") if not q.absent]
        build_index(Path(tmp) / "corpus", Path(tmp) / "index", embedder, progress=False)
        retriever = IndexRetriever(load_index(Path(tmp) / "index"), embedder)
        return read_signals(IndexRetriever(retriever.index, QuestionVectors(embedder, [q.question for q in questions])), questions)


def _table(results: dict) -> str:
    lines = [f"{'system':20}{'where':11}{'kind':12}{'n':>4}{'hit@1':>7}{'hit@5':>7}{'MRR':>7}{'ans. declined':>15}{'abs. declined':>15}"]
    for system, report in results.items():
        for where in ("held_out", "in_sample", "squad"):
            for kind, f in report.get(where, {}).items():
                if system != "ours" and kind != "all":
                    continue
                figures = (f"{f['hit@1']:7.3f}{f['hit@5']:7.3f}{f['mrr']:7.3f}{f['answerable_declined']:>9}/{f['answerable']:<5}"
                           if "hit@1" in f else " " * 36)
                absent = f"{f['absent_declined']:>9}/{f['absent']:<5}" if "absent" in f else ""
                lines.append(f"{system:20}{where:11}{kind:12}{f['n']:4d}{figures}{absent}")
    return "\n".join(lines)
