"""`python -m index bench`: measured speed and size, each figure beside its bare baseline from the same run.

What is measured, in order:

1. Build of the seed corpus from nothing, against a bare ``model.encode`` of the
   same texts (the index's passages and sentences); then a rebuild of the
   unchanged corpus, which the embedding cache should make almost free.
2. For each size: a synthetic index of that many passages is written with the
   production ``write_index`` (which picks the index type), then a fresh process
   loads it through ``open_retriever`` and times ``search`` end to end (question
   encoding included), its resident memory, and the same questions against exact
   flat indexes over the same vectors; recall@10 compares the two on the
   passage index.
3. Cold start: ``python -m index search`` on the seed index, process start to answer.

Synthetic vectors: encoding a million passages takes hours here, so a passage
at size N copies a seed passage's text and sentence spans, and its vectors are
real seed vectors mixed and perturbed (``_mix``). The notes say so.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import faiss
import numpy as np

from .bench_synthetic import NOISE as _NOISE, lexical as _lexical, mix as _mix, synthetic as _synthetic
from .bench_common import machine_notes, percentile as _percentile, rss_mb as _rss_mb, timed as _timed
from .build import build_index
from .config import IndexConfig
from .corpus import load_corpus
from .models import Chunk
from .chunking import embedding_texts
from .store import write_index

__all__ = ["DEFAULT_SIZES", "SizeResult", "run_bench"]

DEFAULT_SIZES = (1_000, 100_000, 1_000_000)
QUERY_REPEATS = 9  # each question is asked this many times per size: p99 needs a few hundred samples
EXACT_REPEATS = 3
HELD_OUT = 200  # synthetic query vectors, never indexed, for recall@10


@dataclass
class SizeResult:
    chunks: int
    index_type: str
    query_p50_ms: float
    query_p99_ms: float
    exact_p50_ms: float
    recall_at_10: float
    rss_mb: float
    load_s: float
    codes: str = ""  # passages' / sentences' IVF codes
    sentence_recall_at_10: float = 1.0
    vector_mb: float = 0.0  # what searching holds in memory for both vector sets
    mapped_mb: float = 0.0  # float16 rescoring files, mapped: only rows a question touches are read


def _questions(path: Path | None, chunks: list[Chunk]) -> list[str]:
    if path and path.is_file():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r["question"] for r in rows]
    # No question file: the first sentence of every fifth seed passage stands in.
    return [c.text[: c.sentences[0].end - c.start] for c in chunks[::5]]


def run_bench(
    config: IndexConfig,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    questions_file: Path | None = None,
    work_dir: Path | None = None,
    rounds: int = 3,
    log=print,
) -> dict:
    """Every figure of the report; ``rounds`` repeats the build and cold-start timings (medians are kept)."""
    from .embedding import load_embedder
    from .store import load_index

    work = Path(work_dir or tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"bench folder: {work}")
    machine = machine_notes()  # read before the bench adds its own load
    embedder = load_embedder(config.model, config.backend, config.models_dir)
    documents = load_corpus(config.corpus_dir)

    # 1. Build against bare encode, interleaved so both see the same machine load.
    seed_dir = work / "seed-index"
    builds, bares, texts = [], [], []
    for attempt in range(rounds):
        cold = work / f"cold-{attempt}"
        report = build_index(config.corpus_dir, cold, embedder, progress=False, documents=documents)
        builds.append(report.encoded_texts / report.seconds)
        if not texts:
            index = load_index(cold)
            texts = [t for d in documents for t in embedding_texts(d, [c for c in index.chunks if c.doc_id == d.doc_id])]
        bare = _timed(lambda: embedder.bare_encode(texts), 1)[0]
        bares.append(len(texts) / bare)
    full = build_index(config.corpus_dir, seed_dir, embedder, progress=False, documents=documents)
    again = [build_index(config.corpus_dir, seed_dir, embedder, progress=False, documents=documents).seconds for _ in range(rounds)]
    incremental_ratio = statistics.median(again) / full.seconds
    log(f"build {statistics.median(builds):.1f} texts/s, bare encode {statistics.median(bares):.1f} texts/s, "
        f"unchanged rebuild {statistics.median(again):.3f} s vs full {full.seconds:.2f} s ({incremental_ratio:.1%})")

    seed = load_index(seed_dir)
    chunk_vecs = seed.chunk_vectors.reconstruct_n(0, seed.chunk_vectors.ntotal)
    sentence_vecs = seed.sentence_vectors.reconstruct_n(0, seed.sentence_vectors.ntotal)
    seed_chunks = list(seed.chunks)
    questions = _questions(questions_file, seed_chunks)
    (work / "questions.json").write_text(json.dumps(questions), encoding="utf-8")

    # 2. Each size in its own process, so memory and load time are that index's alone.
    results = []
    for n in sizes:
        started = time.perf_counter()
        size_dir = work / f"size-{n}"
        chunks, proto, cv, sv = _synthetic(n, seed_chunks, chunk_vecs, sentence_vecs, seed=n)
        chunk_lexical, sentence_lexical = _lexical(seed_chunks, documents, proto)
        recipe = {k: seed.manifest[k] for k in ("model", "backend", "dimension", "metric", "normalized", "chunking")}
        write_index(size_dir / "index", documents=documents, chunks=chunks, chunk_vectors=cv, sentence_vectors=sv,
                    chunk_lexical=chunk_lexical, sentence_lexical=sentence_lexical,
                    manifest={**recipe, "synthetic": True, "corpus": {}})
        for name, vectors in (("chunks", cv), ("sentences", sv)):
            flat = faiss.IndexFlatIP(vectors.shape[1])
            flat.add(vectors)
            faiss.write_index(flat, str(size_dir / f"exact-{name}.faiss"))
            del flat
        rng = np.random.default_rng(n + 1)
        pick = rng.integers(0, len(seed_chunks), (2, HELD_OUT))
        held = _mix(chunk_vecs[pick[0]], chunk_vecs[pick[1]], rng.random(HELD_OUT).astype(np.float32), rng)
        np.save(size_dir / "held_out.npy", held, allow_pickle=False)
        del chunks, proto, cv, sv, chunk_lexical, sentence_lexical
        gc.collect()
        log(f"{n} passages written in {time.perf_counter() - started:.0f} s; measuring in a fresh process")
        results.append(SizeResult(**measure_in_child(config, size_dir, work / "questions.json")))
        log(f"  {results[-1]}")

    # 3. Cold start, as a user meets it.
    cold = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "index", "search", "--index", str(seed_dir), "--backend", config.backend, questions[0]],
            env={**os.environ, "MODEL_CACHE_DIR": str(config.models_dir)}, capture_output=True, check=True,
        )
        cold.append(time.perf_counter() - started)

    from .vectors import FLAT_MAX, RECALL_TARGET, SENTENCE_RECALL_TARGET

    sentences_per_passage = len(sentence_vecs) / len(chunk_vecs)
    notes = (
        f"Synthetic corpora: for every size, each passage copies a seed passage's text and sentence spans "
        f"({sentences_per_passage:.1f} sentences a passage, as in the seeds), and its vectors are real seed "
        f"vectors mixed with another seed passage's vector and Gaussian noise (norm {_NOISE}), renormalised; "
        f"questions are the {len(questions)} dev questions, each asked {QUERY_REPEATS} times, encoded for real. "
        f"Query times are end to end (encode + both vector searches + rescoring); exact_p50_ms is the same "
        f"pipeline with exact flat indexes over the same vectors. recall_at_10 compares the passage index with "
        f"exact search on the questions plus {HELD_OUT} held-out synthetic vectors. Index type: flat up to "
        f"{FLAT_MAX} vectors; above, an IVF over the smallest codes (PQ, SQ4, SQ8) that reach recall@10 {RECALL_TARGET} "
        f"for passages and {SENTENCE_RECALL_TARGET} for sentences at build once float16 vectors rescore its proposals. "
        f"vector MB is what searching holds in memory for both sets (codes and ids); mapped MB the float16 files, "
        f"of which a question reads only the rows it rescores. "
        f"Build and bare encode are texts (passages + sentences) per second on the {len(documents)} seed articles, "
        f"median of {rounds}, bare = model.encode of the same texts with batch size 32. Unchanged-corpus rebuild took "
        f"{statistics.median(again):.3f} s vs {full.seconds:.2f} s from nothing ({incremental_ratio:.1%}). "
        f"cold_start_s: `python -m index search` process start to printed answer, median of {rounds}. "
        f"Machine: {machine}; medians quoted."
    )
    return {
        "sizes": [asdict(r) for r in results],
        "build_chunks_per_s": round(statistics.median(builds), 1),
        "bare_encode_chunks_per_s": round(statistics.median(bares), 1),
        "cold_start_s": round(statistics.median(cold), 2),
        "backend": config.backend,
        "notes": notes,
    }


def measure_in_child(config: IndexConfig, size_dir: Path, questions_json: Path) -> dict:
    """``measure_size`` in a fresh process, so memory and load time are that index's alone."""
    child = subprocess.run(
        [sys.executable, "-m", "index.bench", str(size_dir), str(questions_json)],
        env={**os.environ, "EMBEDDING_BACKEND": config.backend, "MODEL_CACHE_DIR": str(config.models_dir),
             "EMBEDDING_MODEL": config.model, "QUERY_THREADS": str(config.query_threads)},
        capture_output=True, text=True, check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"measuring {size_dir} failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def measure_size(size_dir: Path, questions_file: Path) -> SizeResult:
    """In a fresh process: load the index for real, then time questions against it and against exact search."""
    from .pipeline import open_retriever
    from .vectors import recall_at_k

    config = IndexConfig.from_env()
    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    embedder = _load_embedder(config)
    started = time.perf_counter()
    retriever = open_retriever(replace(config, index_dir=size_dir / "index"), embedder)
    load_s = time.perf_counter() - started
    retriever.search(questions[0])  # first call pays one-off allocations
    times = [t for q in questions for t in _timed(lambda q=q: retriever.search(q), QUERY_REPEATS)]
    rss = _rss_mb()
    index = retriever.index

    read = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
    exact_chunks = faiss.read_index(str(size_dir / "exact-chunks.faiss"), read)
    exact_sentences = faiss.read_index(str(size_dir / "exact-sentences.faiss"), read)
    query_vectors = np.vstack([embedder.encode_queries(questions), np.load(size_dir / "held_out.npy", allow_pickle=False)])
    recall = recall_at_k(index.chunk_vectors.search(query_vectors, 10)[1], exact_chunks.search(query_vectors, 10)[1])
    sentence_recall = recall_at_k(index.sentence_vectors.search(query_vectors, 10)[1], exact_sentences.search(query_vectors, 10)[1])
    kinds = index.manifest["vector_index"]
    retriever.index = replace(index, chunk_vectors=exact_chunks, sentence_vectors=exact_sentences)
    exact = [t for q in questions for t in _timed(lambda q=q: retriever.search(q), EXACT_REPEATS)]
    return SizeResult(
        chunks=len(index.chunks),
        index_type=index.manifest["vector_index"]["chunks"]["type"],
        query_p50_ms=round(1000 * statistics.median(times), 2),
        query_p99_ms=round(1000 * _percentile(times, 99), 2),
        exact_p50_ms=round(1000 * statistics.median(exact), 2),
        recall_at_10=round(recall, 4),
        rss_mb=round(rss, 1),
        load_s=round(load_s, 3),
        codes=" / ".join(kinds[k].get("codes") or kinds[k]["type"] for k in ("chunks", "sentences")),
        sentence_recall_at_10=round(sentence_recall, 4),
        vector_mb=round(sum(kinds[k]["vectors"] * kinds[k]["bytes_per_vector"] for k in kinds) / 1e6, 1),
        mapped_mb=round(sum(kinds[k]["vectors"] * kinds[k].get("mapped_bytes_per_vector", 0) for k in kinds) / 1e6, 1),
    )


def _load_embedder(config: IndexConfig):
    from .embedding import load_embedder

    return load_embedder(config.model, config.backend, config.models_dir, threads=config.query_threads)


def format_table(result: dict) -> str:
    head = (f"{'chunks':>9} {'codes':>11} {'p50 ms':>8} {'p99 ms':>8} {'exact p50':>10} {'recall@10':>10} "
            f"{'sent. r@10':>10} {'vector MB':>9} {'mapped MB':>9} {'RSS MB':>8} {'load s':>7}")
    rows = [
        f"{r['chunks']:>9} {r.get('codes') or r['index_type']:>11} {r['query_p50_ms']:>8.2f} {r['query_p99_ms']:>8.2f} "
        f"{r['exact_p50_ms']:>10.2f} {r['recall_at_10']:>10.4f} {r.get('sentence_recall_at_10', 1.0):>10.4f} "
        f"{r.get('vector_mb', 0):>9.0f} {r.get('mapped_mb', 0):>9.0f} {r['rss_mb']:>8.0f} {r['load_s']:>7.3f}"
        for r in result["sizes"]
    ]
    tail = (
        f"backend {result['backend']}: build {result['build_chunks_per_s']} texts/s vs bare encode "
        f"{result['bare_encode_chunks_per_s']} texts/s; cold start {result['cold_start_s']} s"
    )
    return "\n".join([head, *rows, tail, result["notes"]])


if __name__ == "__main__":
    # The measuring child: `python -m index.bench SIZE_DIR QUESTIONS_JSON` prints one JSON line.
    print(json.dumps(asdict(measure_size(Path(sys.argv[1]), Path(sys.argv[2])))))
