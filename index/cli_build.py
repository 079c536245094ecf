"""`python -m index build`: its options, and running the local or the Ray engine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .config import IndexConfig

__all__ = ["add_build_verb", "positive"]


def positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_build_verb(verbs, config: IndexConfig, add_backend_option: Callable[[argparse.ArgumentParser, IndexConfig], None]) -> None:
    build = verbs.add_parser("build", help="(re)build the index from the corpus folder or an articles dataset")
    build.add_argument("--corpus", type=Path, default=config.corpus_dir,
                       help=f"articles folder, or a .jsonl/.parquet dataset of articles (default: {config.corpus_dir})")
    build.add_argument("--out", type=Path, default=config.index_dir, help=f"index folder (default: {config.index_dir})")
    build.add_argument("--model", default=config.model, help=f"sentence-transformers name or folder (default: {config.model})")
    build.add_argument("--if-stale", action="store_true", help="do nothing if the index matches the corpus and model")
    build.add_argument("--batch-size", type=positive, default=32, help="texts per encoding batch (default: 32)")
    build.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: this process (default); ray: Ray Data stages, for large archives (needs .[distributed])")
    build.add_argument("--ray-address", metavar="ADDR",
                       help="join this Ray cluster (auto, ray://host:10001) instead of starting a local one")
    build.add_argument("--workers", type=_workers, default=2, help="embedding actors with --engine ray (default: 2)")
    add_backend_option(build, config)
    build.set_defaults(run=_build)


def _workers(raw: str) -> int:
    value = positive(raw)
    if value > 1024:
        raise argparse.ArgumentTypeError("must be at most 1024")
    return value


def _build(args: argparse.Namespace, config: IndexConfig) -> int:
    from .articles import load_articles
    from .build import build_index, is_stale
    from .embedding import load_embedder
    from .store import check_writable

    if args.if_stale:
        reason = is_stale(args.corpus, args.out, args.model)
        if not reason:
            print(f"The index at {args.out} is up to date.", file=sys.stderr)
            return 0
        print(f"Building the index: {reason}.", file=sys.stderr)
    cache_dir = config.model_cache_dir or args.out / "models"
    if args.engine == "ray":
        from functools import partial

        from .engines.ray_build import build_with_ray

        check_writable(args.out)
        # Each Ray actor builds its own model from this (one thread: one actor per CPU).
        factory = partial(load_embedder, args.model, args.backend, cache_dir, 1)
        report = build_with_ray(args.corpus, args.out, factory, address=args.ray_address, workers=args.workers,
                                batch_size=args.batch_size)
        print(report, file=sys.stderr)
        return 0
    documents = load_articles(args.corpus)  # before the model loads: a bad corpus should fail at once
    check_writable(args.out)  # and so should an --out that cannot take the build
    embedder = load_embedder(args.model, args.backend, cache_dir)
    report = build_index(args.corpus, args.out, embedder, batch_size=args.batch_size, documents=documents)
    print(report, file=sys.stderr)
    return 0
