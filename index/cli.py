"""`python -m index build | search | eval`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import IndexConfig
from .errors import QAError
from .formats import answer_to_json, answer_to_text, bold_marks
from .logs import setup_logging

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    try:
        config = IndexConfig.from_env()
        args = _parser(config).parse_args(argv)
        setup_logging(logging.DEBUG if args.verbose else logging.INFO)
        return args.run(args, config)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser(config: IndexConfig) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build and query the passage index.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="{build,search,eval,bench}")

    build = verbs.add_parser("build", help="(re)build the index from the corpus folder")
    build.add_argument("--corpus", type=Path, default=config.corpus_dir, help=f"articles folder (default: {config.corpus_dir})")
    build.add_argument("--out", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")
    build.add_argument("--model", default=config.model, help=f"sentence-transformers name or folder (default: {config.model})")
    build.add_argument("--if-stale", action="store_true", help="do nothing if the index matches the corpus and model")
    build.add_argument("--batch-size", type=int, default=32, help="texts per encoding batch (default: 32)")
    _add_backend_option(build, config)
    build.set_defaults(run=_build)

    search = verbs.add_parser("search", help="answer questions from the index")
    search.add_argument("question", nargs="?", help="the question; omit it with --questions")
    search.add_argument("--questions", metavar="FILE", help="one question per line ('-' for stdin); prints JSON lines")
    _add_query_options(search, config)
    search.add_argument("--json", action="store_true", help="print JSON instead of text")
    search.set_defaults(run=_search)

    evaluate = verbs.add_parser("eval", help="score retrieval on a question file (JSON lines with gold phrases)")
    evaluate.add_argument("file", type=Path)
    _add_query_options(evaluate, config)
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(run=_eval)

    bench = verbs.add_parser("bench", help="measure build, query, memory and start-up figures at several index sizes")
    bench.add_argument("--sizes", default="1000,100000,1000000", help="passage counts, comma-separated (default: 1k,100k,1M)")
    bench.add_argument("--questions", type=Path, default=Path("tests/data/dev_questions.jsonl"),
                       help="question file (JSON lines) to time; seed sentences are used if it is missing")
    bench.add_argument("--work-dir", type=Path, help="where the bench indexes go (default: a new temporary folder)")
    bench.add_argument("--rounds", type=_positive, default=3, help="repeats of the build and cold-start timings (default: 3)")
    bench.add_argument("--json", action="store_true", help="end the output with the figures as one JSON object")
    _add_backend_option(bench, config)
    bench.set_defaults(run=_bench)
    return parser


def _add_query_options(parser: argparse.ArgumentParser, config: IndexConfig) -> None:
    parser.add_argument("--index", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")
    parser.add_argument("--model", default=config.model, help=f"model the index was built with (default: {config.model})")
    parser.add_argument("--top-k", type=_positive, default=5, help="passages per question (default: 5)")
    _add_backend_option(parser, config)


def _add_backend_option(parser: argparse.ArgumentParser, config: IndexConfig) -> None:
    from .embedding import BACKENDS

    parser.add_argument(
        "--backend", choices=BACKENDS, default=config.backend,
        help=f"how the model runs: torch (float32) or onnx (int8) (default: {config.backend}, from EMBEDDING_BACKEND)",
    )


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _build(args: argparse.Namespace, config: IndexConfig) -> int:
    from .build import build_index, is_stale
    from .corpus import load_corpus
    from .embedding import load_embedder

    if args.if_stale:
        reason = is_stale(args.corpus, args.out, args.model)
        if not reason:
            print(f"The index at {args.out} is up to date.", file=sys.stderr)
            return 0
        print(f"Building the index: {reason}.", file=sys.stderr)
    documents = load_corpus(args.corpus)  # before the model loads: a bad corpus should fail at once
    embedder = load_embedder(args.model, args.backend, config.model_cache_dir or args.out / "models")
    report = build_index(args.corpus, args.out, embedder, batch_size=args.batch_size, documents=documents)
    print(report, file=sys.stderr)
    return 0


def _open(args: argparse.Namespace, config: IndexConfig):
    from dataclasses import replace

    from .pipeline import open_retriever

    return open_retriever(replace(config, index_dir=args.index, model=args.model, backend=args.backend))


def _search(args: argparse.Namespace, config: IndexConfig) -> int:
    if bool(args.question) == bool(args.questions):
        raise QAError("Give either a QUESTION or --questions FILE (use '-' for standard input).")
    if args.questions:
        stream = sys.stdin if args.questions == "-" else _open_text(args.questions)
        retriever = _open(args, config)
        for line in stream:
            if line.strip():
                answer = retriever.search(line.strip(), top_k=args.top_k)
                print(json.dumps(answer_to_json(answer), ensure_ascii=False), flush=True)
        return 0
    retriever = _open(args, config)
    answer = retriever.search(args.question, top_k=args.top_k)
    if args.json:
        print(json.dumps(answer_to_json(answer), ensure_ascii=False, indent=2))
    else:
        print(answer_to_text(answer, retriever.sources(), bold=bold_marks(sys.stdout)))
    return 0


def _open_text(path: str):
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"Cannot read the question file {path}: {exc.strerror}.") from exc


def _eval(args: argparse.Namespace, config: IndexConfig) -> int:
    from .evaluate import evaluate, load_questions

    questions = load_questions(args.file)
    report = evaluate(_open(args, config), questions, top_k=args.top_k)
    figures = report.as_dict()
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"answerable questions: {report.answerable}")
    for k in report.hits:
        print(f"  hit@{k}: {report.hit_at(k):.3f}")
    print(f"  MRR:   {report.mrr:.3f}")
    print(f"  wrongly declined: {report.wrongly_declined}")
    print(f"absent questions: {report.absent}, declined: {report.absent_declined}")
    if report.misses:
        print(f"no passage in the top {max(args.top_k, 5)}: {', '.join(report.misses)}")
    return 0


def _bench(args: argparse.Namespace, config: IndexConfig) -> int:
    from dataclasses import replace

    from .bench import format_table, run_bench

    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    except ValueError:
        raise QAError(f"--sizes {args.sizes!r}: give whole numbers separated by commas, e.g. 1000,100000.") from None
    config = replace(config, backend=args.backend)
    result = run_bench(config, sizes=sizes, questions_file=args.questions, work_dir=args.work_dir, rounds=args.rounds,
                       log=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_table(result))
    if args.json:
        print(json.dumps(result))
    return 0
